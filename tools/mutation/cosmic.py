"""Cosmic Ray over nngrad's judging modules: each module's mutants against the tests that defend it.

Every module of ``MODULES`` (``mutate.py``) is mutated in its own private copy of the working tree (Cosmic Ray
rewrites files in place; the tree itself is never touched) with the ``nngrad`` operators of
``nngrad_operators.py`` and Cosmic Ray's own True/False and and/or swaps, and each mutant runs the module's test
files (``-x``: the first failure kills it). A survivor is either argued equivalent in ``equivalent/<module>.toml`` (matched
by module, operator and the changed line) or unexplained; the exit status is 1 while any is unexplained.
``--again`` runs only the last run's survivors again (after a test was added; the module itself unchanged).

    pip install -e tools/mutation                                   # Cosmic Ray and the nngrad operators
    python tools/mutation/cosmic.py nngrad/results/sanity.py        # one module
    python tools/mutation/cosmic.py --all --jobs 2                  # every judging module, two at a time
    python tools/mutation/cosmic.py --again nngrad/results/sanity.py  # its survivors only, against today's tests

Results go to ``--out`` (default ``tools/mutation/runs/``): one Cosmic Ray session per module (``*.sqlite``, read
with ``cr-report``) and its messages (``*.log``), ``summary.json`` and ``summary.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mutate import MODULES, ROOT, copy_tree, run_tests

HERE = Path(__file__).resolve().parent
# Cosmic Ray's own operators kept beside ours: flipped booleans (defaults among them) and swapped and/or
STOP = threading.Event()  # set on Ctrl-C: every module's run stops its Cosmic Ray and cleans its copy
CORE_KEPT = ("core/ReplaceTrueWithFalse", "core/ReplaceFalseWithTrue", "core/ReplaceAndWithOr",
             "core/ReplaceOrWithAnd", "core/AddNot")


@dataclass
class Survivor:
    operator: str
    line: int
    before: str
    after: str
    why: str = ""  # the argument from equivalent.toml, empty when unexplained


@dataclass
class ModuleRun:
    module: str
    mutants: int = 0
    killed: int = 0
    timeouts: int = 0
    incompetent: int = 0  # the mutant did not even import: counted as killed, reported apart
    seconds: float = 0.0
    survivors: list[Survivor] = field(default_factory=list)
    error: str = ""

    @property
    def unexplained(self) -> list[Survivor]:
        return [s for s in self.survivors if not s.why]


def slug(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


def config_text(module: str, tests: list[str], timeout: float) -> str:
    """A Cosmic Ray config mutating ``module`` and running ``tests`` (run from the tree's root)."""
    command = " ".join([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                        *tests])
    keep = "|".join(re.escape(op) for op in CORE_KEPT)
    return "\n".join([
        "[cosmic-ray]", f'module-path = "{module}"', f"timeout = {timeout:.0f}", "excluded-modules = []",
        f"test-command = {json.dumps(command)}", "", "[cosmic-ray.distributor]", 'name = "local"', "",
        "[cosmic-ray.filters.operators-filter]", f"exclude-operators = [{json.dumps(f'core/(?!({keep})$)')}]", ""])


def equivalents(module: str) -> list[dict]:
    """The survivors of ``module`` argued equivalent: [[survivor]] tables of operator, before, after, why."""
    path = HERE / "equivalent" / f"{slug(module)}.toml"
    return tomllib.loads(path.read_text()).get("survivor", []) if path.exists() else []


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and the added line of a one-line unified diff, stripped."""
    lines = diff.splitlines()
    before = [ln[1:].strip() for ln in lines if ln.startswith("-") and not ln.startswith("---")]
    after = [ln[1:].strip() for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
    return " / ".join(before), " / ".join(after)


def argument(survivor: Survivor, known: list[dict]) -> str:
    for entry in known:
        if (entry["operator"], entry["before"], entry["after"]) == (survivor.operator, survivor.before, survivor.after):
            return entry["why"]
    return ""


def read_session(db: Path, run: ModuleRun) -> None:
    """Counts and survivors of a finished Cosmic Ray session into ``run``."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    known = equivalents(run.module)
    with use_db(str(db), WorkDB.Mode.open) as work_db:
        for item, result in work_db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            run.mutants += 1
            if result.test_outcome == TestOutcome.SURVIVED:
                before, after = changed_lines(result.diff or "")
                s = Survivor(item.mutations[0].operator_name, item.mutations[0].start_pos[0], before, after)
                s.why = argument(s, known)
                run.survivors.append(s)
            elif result.worker_outcome == WorkerOutcome.EXCEPTION or result.test_outcome == TestOutcome.INCOMPETENT:
                run.incompetent += 1
            else:
                run.killed += 1
                run.timeouts += result.output == "timeout"


def pending(db: Path) -> tuple[int, int]:
    """(done, total) of a session's mutants that are not filtered out, read while it runs."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
        total = con.execute("select count(*) from work_items").fetchone()[0]
        skipped = con.execute("select count(*) from work_results where worker_outcome = 'SKIPPED'").fetchone()[0]
        done = con.execute("select count(*) from work_results").fetchone()[0]
    return done - skipped, total - skipped


def tool(name: str) -> str:
    """A Cosmic Ray command installed beside this Python."""
    return str(Path(sys.executable).parent / name)


def cosmic(tree: Path, *args: str) -> None:
    subprocess.run([tool(args[0]), *args[1:]], cwd=tree, check=True, capture_output=True, text=True)


def forget_survivors(db: Path) -> None:
    """Make a finished session's survivors pending again, so that ``exec`` runs only them."""
    with sqlite3.connect(db) as con:
        con.execute("delete from work_results where test_outcome = 'SURVIVED'")


def run_module(module: str, out: Path, say, again: bool = False) -> ModuleRun:
    """Mutate ``module`` in a private copy of the tree; its session goes to ``out`` (``again``: the session
    there, its survivors run again)."""
    run = ModuleRun(module)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nngrad-cr-", ignore_cleanup_errors=True) as tmp:
        tree = Path(tmp)
        copy_tree(tree, None)
        outcome, seconds, failed = run_tests(tree, MODULES[module], timeout=1800)
        if outcome != "passed":
            run.error = f"its tests do not pass unmutated ({outcome}: {failed or 'see pytest'})"
            return run
        (tree / "cr.toml").write_text(config_text(module, MODULES[module], timeout=3 * seconds + 30))
        db = out / f"{slug(module)}.sqlite"
        if again and db.exists():
            forget_survivors(db)
        else:
            db.unlink(missing_ok=True)
            cosmic(tree, "cosmic-ray", "init", "cr.toml", str(db))
            cosmic(tree, "cr-filter-operators", str(db), "cr.toml")
        done, total = pending(db)
        say(f"{module}: {total - done} of {total} mutants to run, tests {seconds:.0f} s unmutated")
        log = out / f"{slug(module)}.log"  # Cosmic Ray's own messages (a pipe left unread would fill and stall it)
        with log.open("w") as errors:
            proc = subprocess.Popen([tool("cosmic-ray"), "exec", "cr.toml", str(db)], cwd=tree,
                                    env={**os.environ, "PYTHONPATH": str(tree)}, stdout=subprocess.DEVNULL,
                                    stderr=errors)
        while proc.poll() is None:
            if STOP.wait(15):
                proc.terminate()
                proc.wait()
                run.error = "interrupted"
                break
            done, total = pending(db)
            say(f"{module}: {done}/{total} mutants, {(time.monotonic() - start) / 60:.0f} min")
        if proc.returncode and not run.error:
            run.error = f"cosmic-ray exec failed: {log.read_text().strip().splitlines()[-1:]} (all in {log})"
    read_session(db, run)
    run.seconds = time.monotonic() - start
    return run


def summary_md(runs: list[ModuleRun]) -> str:
    mutants = sum(r.mutants for r in runs)
    survived = sum(len(r.survivors) for r in runs)
    rows = ["| module | mutants | killed | of which timeouts | no import | survived | unexplained | minutes |",
            "|:--|--:|--:|--:|--:|--:|--:|--:|"]
    for r in runs:
        rows.append(f"| `{r.module}` | {r.mutants} | {r.killed} | {r.timeouts} | {r.incompetent} | "
                    f"{len(r.survivors)} | {len(r.unexplained)} | {r.seconds / 60:.1f} |{f' {r.error}' if r.error else ''}")
    share = f"{100 * survived / mutants:.1f}%" if mutants else "n/a"
    lines = [f"{mutants} mutants, {survived} survived ({share}), "
             f"{sum(len(r.unexplained) for r in runs)} of them unexplained.", "", *rows, ""]
    for r in runs:
        for s in r.survivors:
            lines.append(f"- `{r.module}`:{s.line} {s.operator}: `{s.before}` -> `{s.after}`"
                         + (f": {s.why}" if s.why else " **unexplained**"))
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("modules", nargs="*", metavar="MODULE", help="judging modules to mutate (paths as in MODULES)")
    parser.add_argument("--all", action="store_true", help="every module of MODULES")
    parser.add_argument("--jobs", type=int, default=1, help="modules mutated at once, each in its own copy (default 1)")
    parser.add_argument("--again", action="store_true", help="run only the survivors of the session in --out")
    parser.add_argument("--out", type=Path, default=HERE / "runs", help="folder for sessions and the summary")
    args = parser.parse_args(argv)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        parser.error(f"--out: cannot make the folder {args.out}: {e.strerror}")
    if not os.access(args.out, os.W_OK):
        parser.error(f"--out: {args.out} is not a writable folder")
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"MODULE: {', '.join(unknown)} is not a judging module; expected one of: {', '.join(MODULES)}")
    if not args.modules and not args.all:
        parser.error("MODULE: name at least one module, or --all")
    if args.jobs < 1:
        parser.error(f"--jobs: expected a positive integer, got {args.jobs}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    modules = list(MODULES) if args.all else args.modules

    def say(line: str) -> None:
        try:
            print(line, flush=True)
        except BrokenPipeError:  # piped to head: the run goes on, its summary still written
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the run

    pool = ThreadPoolExecutor(args.jobs)
    futures = [pool.submit(run_module, m, args.out, say, args.again) for m in modules]
    try:
        runs = [f.result() for f in futures]
    except KeyboardInterrupt:
        STOP.set()
        pool.shutdown(wait=True, cancel_futures=True)
        print(f"interrupted: the mutants run so far are in {args.out}; `--again` with the same modules goes on "
              "from there", file=sys.stderr)
        return 130
    pool.shutdown()
    (args.out / "summary.json").write_text(json.dumps([asdict(r) for r in runs], indent=1))
    text = summary_md(runs)
    (args.out / "summary.md").write_text(text)
    say(text)
    return 1 if any(r.unexplained or r.error for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
