"""``nngrad race TASK``: gradients raced to a target loss set by tuned backprop (nngrad.train.race); writes a race
folder (race.json, runs/, curves.csv, race.csv, report.md, figures). Ctrl-C keeps the finished runs: ``--resume``."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from .._files import write_atomic, write_json
from .._words import plural
from ..errors import UsageError
from . import Command, register
from .options import int_list, output_folder, positive_float, positive_int

NEW_RACE = ("methods", "k", "targets", "seeds", "widths", "budget", "max_steps", "quick", "reference")


def percent_list(text: str) -> tuple[float, ...]:
    """'90,99' -> (90.0, 99.0): each strictly between 0 and 100."""
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected percents separated by commas, e.g. 90,99; got {text!r}") from None
    if not values or not all(0 < v < 100 for v in values):
        raise argparse.ArgumentTypeError(f"expected percents strictly between 0 and 100, e.g. 90,99; got {text!r}")
    return values


def name_list(text: str) -> tuple[str, ...]:
    from ..train.race_plan import ESTIMATORS, EXACT

    values = tuple(v.strip() for v in text.split(",") if v.strip())
    bad = [v for v in values if v not in EXACT + ESTIMATORS]
    if bad or not values:
        raise argparse.ArgumentTypeError(f"unknown or non-racing method(s) {', '.join(map(repr, bad)) or repr(text)}; "
                                         f"valid: {', '.join(EXACT + ESTIMATORS)}")
    return values


def options(p: argparse.ArgumentParser) -> None:
    from ..train.race_plan import TASKS

    p.add_argument("task", nargs="?", choices=list(TASKS), help="classic, digits or widths (digits at --widths)")
    p.add_argument("--methods", type=name_list, help="contestants (default backprop,numerical-batched,spsa,"
                   "forward-gradient; widths leaves numerical-batched out)")
    p.add_argument("--k", type=int_list, help="directions per step of each estimator (default 1,16; --quick 1)")
    p.add_argument("--targets", type=percent_list, help="percents of backprop's loss reduction (default 90,99)")
    p.add_argument("--seeds", type=positive_int, help="seeds each tuned contestant runs on (default 3; --quick 1)")
    p.add_argument("--widths", type=int_list, help="hidden widths (default 32; widths: 32,256)")
    p.add_argument("--budget", type=positive_float, help="loss-evaluation equivalents per run (default: classic "
                   "100 (N + 1), digits 600,000)")
    p.add_argument("--max-steps", type=positive_int, help="step cap (default: classic 3,000, digits 50,000, "
                   "widths 100,000)")
    p.add_argument("--quick", action="store_true", help="a first look: one seed, k = 1, 3 learning rates")
    p.add_argument("--reference", default=None, help="the method that sets the targets (backprop: exact)")
    p.add_argument("--jobs", type=positive_int, default=1, help="runs in parallel on this machine (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler to run on (the cluster extra)")
    p.add_argument("--out", default="results", help="folder for the race folder (default %(default)s)")
    p.add_argument("--resume", metavar="DIR", help="finish an interrupted race folder")


def settle(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.resume:
        if given := [f"--{k.replace('_', '-')}" for k in NEW_RACE if getattr(args, k) not in (None, False)]:
            parser.exit(2, f"nngrad race: error: --resume continues a stored race: {', '.join(given)} cannot change "
                           "it\n")
        if args.task:
            parser.exit(2, "nngrad race: error: --resume takes no TASK (the race folder names it)\n")
    elif not args.task:
        parser.exit(2, "nngrad race: error: name a TASK (classic, digits, widths) or --resume DIR\n")


def run(args: argparse.Namespace) -> int:
    from ..train import race as engine

    if args.resume:
        out = Path(args.resume)
        meta = engine.read_meta(out)
    else:
        config = engine.new_config(args.task, args.methods, args.k, args.targets or (90.0, 99.0),
                                   args.seeds or 3, args.widths, args.budget, args.max_steps, args.quick,
                                   args.reference or "backprop")
        root = output_folder(args.out)
        if args.scheduler:
            _check_cluster()  # before a folder is made
        from ..runfiles import new_run_dir

        out = new_run_dir(root, f"race-{args.task}")
        print(f"race folder: {out} (measuring the time ratios)", file=sys.stderr)
        meta = engine.start(out, config)
    print(f"race folder: {out}", file=sys.stderr)
    return _race(engine, out, meta, args.jobs, args.scheduler)


def _check_cluster() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError("--scheduler needs Dask's distributed: pip install 'nngrad[cluster]'") from None


def _race(engine, out: Path, meta: dict, jobs: int, scheduler: str | None) -> int:
    from .._progress import progress_bar

    total = engine.total_runs(meta["config"])
    bar = progress_bar(total, True, f"race {meta['config']['task']}", "run")

    ran = []

    def done(n: int, label: str) -> None:  # n runs finished (0: a heartbeat from the run under way)
        if label:
            bar.set_postfix({"method": label})
        bar.update(n)
        ran.append(n if label else 0)  # runs read back from disk come with no label: not run here

    start = time.perf_counter()
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started with `&` from a script: kill -INT still stops
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        curves, table, meta = engine.race(out, meta, jobs, scheduler, done)
    except KeyboardInterrupt:
        bar.close()
        finished = len(list((out / engine.RUNS).glob("*.csv")))
        print(f"nngrad race: interrupted: {plural(finished, 'run')} of {total} finished, kept in {out / engine.RUNS}"
              f".\n  continue:  nngrad race --resume {out}", file=sys.stderr)
        return 130
    bar.close()
    seconds = time.perf_counter() - start
    if sum(ran):  # this session ran runs: its wall time adds to the race's (a resume that only redraws adds none)
        meta = {**meta, "wall_s": meta.get("wall_s", 0.0) + seconds}
        write_json(out / engine.RACE_JSON, meta)
    names = _figures(out, curves, table, meta)
    from ..train.race_report import report

    write_atomic(out / "report.md", report(curves, table, meta, names))
    cols = ["width", "method", "k", "lr", "target", "reached", "steps", "equivalents", "final_loss", "step_penalty"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"curves.csv, race.csv, race.json and report.md in {out} ({seconds:.0f} s)")
    return 0


def _figures(out: Path, curves, table, meta) -> list[str]:
    """Draw the race's figures (nngrad.results.race_plots) into ``out``; their file names."""
    from .._figures import save
    from ..results.race_plots import race_figures

    names = []
    for name, fig in race_figures(curves, table, meta).items():
        save(fig, out / name)
        names.append(name)
    return names


COMMAND = register(Command(
    "race", "race gradients (exact and estimators) to a target loss, fairly",
    "Train every contestant (backprop, forward differences, SPSA, the forward gradient) with plain SGD on the same "
    "budget in loss-evaluation equivalents, each tuned over a learning-rate grid of the same size on seed 0 and "
    "run on every seed; targets T90/T99 from tuned backprop's median curve; a target counts only when held to the "
    "end of the budget. Writes race.json, runs/, curves.csv, race.csv and report.md into a new folder under --out. "
    "Exit status 0: done, 2: bad input, 130: interrupted (finished runs kept; --resume DIR continues).",
    options, run, settle))
