"""``nngrad bench``: plan a sweep, run the pytest-benchmark suite on it with a progress display, keep
every finished point on disk, then build the report."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from .. import runfiles
from .._files import write_json
from .._words import plural
from ..backend import from_label
from ..errors import InvalidValue
from ..methods import get
from ..methods.base import origin
from . import suite
from .accuracy import accuracy_study
from .config import SweepConfig
from .follow import clock, follow, share_words
from .headline import headline_study
from .machine import measure, others_load
from .plan import PlannedPoint, plan

SUITE = Path(suite.__file__).resolve().parent / "test_gradients.py"  # inside the package, wherever installed


class SweepInterrupted(Exception):
    """Ctrl-C or a crash of the suite: what finished is on disk; the message says how to go on. ``status`` is the
    exit status of the command: 130 for an interrupt, 128 + the signal for a suite killed by one."""

    def __init__(self, message: str, status: int = 130) -> None:
        super().__init__(message)
        self.status = status


SIGNAL_MEANS = {signal.SIGKILL: "most likely the kernel's out-of-memory killer (see dmesg): run a smaller network",
                signal.SIGTERM: "something asked it to stop (a job scheduler, a time limit, kill)",
                signal.SIGSEGV: "a crash in native code (a BLAS, a peer library): see pytest.log"}


def method_declarations(names: tuple[str, ...], options: dict | None = None) -> dict[str, dict]:
    """What each method of a sweep declares, for run.json: a report can read it without the method registered;
    with the options the sweep gives it (``options``: {method: {option: value}}), where it gives some."""
    out = {}
    for name in names:
        m, module = get(name), origin(name)
        if module == "__main__":
            raise InvalidValue(f"method {name!r} is registered by __main__: the suite runs in another process and "
                             "cannot import it; register it when an importable module is imported")
        out[name] = {"family": m.family, "work_unit": m.work_unit, "work": m.work_count_label(),
                     "description": m.description, "runtime": m.runtime, "compiles": m.compiles, "module": module,
                     "path": _import_root(module), "color": m.color, "marker": m.marker}
        if given := (options or {}).get(name):
            out[name]["options"] = dict(given)
    return out


def device_constants(cfg: SweepConfig) -> dict:
    """Each device's machine constants of the cost model, measured with the methods that run there."""
    return {d: measure(tuple(cfg.methods_on(d)), from_label(d), cfg.dtype) for d in cfg.devices}


def _import_root(module: str) -> str | None:
    """The folder ``module`` is imported from (where its top-level package or file lies), None for a module
    without a file."""
    file = getattr(sys.modules.get(module), "__file__", None)
    if file is None:
        return None
    root = Path(file).resolve().parent
    for _ in range(module.count(".") + (Path(file).name == "__init__.py")):
        root = root.parent
    return str(root)


def run_meta(cfg: SweepConfig) -> dict:
    """run.json of a new sweep before its studies: the config, what each method declares, the machine (its load
    now, each device described), each device's constants (``machine_constants``: the first device's;
    ``device_constants``: by device label) and the plan made with them (predictions and skips)."""
    others = others_load()
    constants = device_constants(cfg)
    meta = runfiles.new_run_meta(asdict(cfg), method_declarations(cfg.methods, cfg.method_options),
                                 [p.to_dict() for p in plan(cfg, constants)], [], constants[cfg.devices[0]].to_dict())
    machine = {**meta["machine"], "others_load": others, "devices": [from_label(d).describe() for d in cfg.devices]}
    return {**meta, "machine": machine, "device_constants": {d: c.to_dict() for d, c in constants.items()},
            "headline": None}


def studies(cfg: SweepConfig) -> dict:
    """What a run measures besides its points: the accuracy of every method against the step, and the
    headline's interleaved timings (numpy on the CPU only)."""
    return {"accuracy": accuracy_study(cfg),
            "headline": headline_study(cfg) if "cpu" in cfg.devices else None}


def start_run(cfg: SweepConfig, out_root: Path) -> Path:
    """A new run folder holding run.json: the plan (with predictions and skips), then the studies. Ctrl-C or a
    failure before that leaves nothing behind: neither the run folder nor an --out folder made for it."""
    method_declarations(cfg.methods)  # refuse what the suite could not run before making a folder
    made = [p for p in (out_root, *out_root.parents) if not p.exists()]  # deepest first
    run = runfiles.new_run_dir(out_root)
    for device in cfg.devices:
        if away := [m for m in cfg.methods if m not in cfg.methods_on(device)]:
            print(f"note: not on {device}: {', '.join(away)} (they run on "
                  f"{'a CUDA device only' if device == 'cpu' else 'numpy on the CPU only'})", file=sys.stderr)
    count = len(cfg.networks()) * sum(len(cfg.methods_on(d)) for d in cfg.devices)
    print(f"planning {plural(count, 'point')} of {plural(len(cfg.methods), 'method')} on {', '.join(cfg.devices)} "
          "(measuring the constants of the cost model there) ...", file=sys.stderr)
    try:
        meta = {**run_meta(cfg), **studies(cfg)}
        write_json(run / runfiles.RUN_META, meta)
    except BaseException:  # Ctrl-C or a failure while planning: leave no run folder behind
        with contextlib.suppress(OSError):  # never hide the original error (a Ctrl-C) behind the cleanup's
            (run / runfiles.RUN_META).unlink(missing_ok=True)
            for folder in (run, *made):
                folder.rmdir()
        raise
    print(plan_summary(meta["plan"], cfg, meta["machine"].get("others_load")), file=sys.stderr)
    return run


def plan_summary(points: list[dict], cfg: SweepConfig, others: float | None = None) -> str:
    """'planned 140 points: 118 to time (predicted 2:50), 22 left out (...)', the reasons counted; when other
    processes use more than BUSY_LOAD of the CPUs now (``others``), a second line: the prediction is a quiet
    machine's, and this run will take longer."""
    skipped = [p["skip_reason"] for p in points if p["skip_reason"]]
    reasons = {f"over the budget of {cfg.budget_s:g} s per call": sum("> budget" in r for r in skipped),
               f"to fit the total of {cfg.total_s:g} s": sum("total of" in r for r in skipped),
               "not applicable": sum("> budget" not in r and "total of" not in r for r in skipped)}
    why = ", ".join(f"{n} {reason}" for reason, n in reasons.items() if n)
    predicted = sum(PlannedPoint.from_dict(p).expected_wall_s(cfg.timing_s, cfg.max_rounds) for p in points)
    text = (f"planned {plural(len(points), 'point')}: {len(points) - len(skipped):,} to time (predicted "
            f"{clock(predicted)} on a quiet machine)")
    text += f", {len(skipped):,} left out ({why}; drawn as predictions)" if skipped else ""
    if others is not None and others > runfiles.BUSY_LOAD:
        text += (f"\nnote: the machine is busy now: other processes use {share_words(others)}; the prediction (and "
                 "--total) is a quiet machine's: the run will take longer than planned")
    return text


def run_suite(run: Path, progress: bool = True) -> int:
    """Run the suite on the run's plan (only unfinished points when some are done); returns pytest's status."""
    run = run.resolve()  # the suite runs in a scratch folder: it is told where the run is, absolutely
    if runfiles.trim_cut_line(run):
        print(f"note: the last record of {run / runfiles.POINTS} was cut short by a crash: removed (its point runs "
              "again)", file=sys.stderr)
    meta = runfiles.read_run_meta(run)
    todo = [PlannedPoint.from_dict(p) for p in runfiles.unfinished(run)]
    finished = len(runfiles.read_points(run)) > 0
    part = run / f"{runfiles.BENCHMARK_JSON}.part"
    part.unlink(missing_ok=True)
    (run / runfiles.BENCHMARK_JSON).unlink(missing_ok=True)  # rebuilt at the end: a stale one must not win
    if not todo:  # every point was skipped by the plan: no suite to run, the points are the plan's
        _merge_benchmark_json(run, None, meta)
        return 0
    cmd = [sys.executable, "-m", "pytest", str(SUITE), "-p", "nngrad.sweep.plugin", "-p", "no:cacheprovider",
           "-q", "-c", os.devnull, "--rootdir", str(SUITE.parents[3]), "-o", "addopts=-rfE", f"--nngrad-run={run}",
           f"--benchmark-json={part}", "--benchmark-sort=name", "--benchmark-columns=median,iqr,rounds,iterations"]
    if finished:
        cmd.append("--nngrad-unfinished")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # the suite imports what we do
    with open(run / "pytest.log", "a") as log, tempfile.TemporaryDirectory() as scratch, _stop_signals():
        # its own process group: a terminal's Ctrl-C (to the whole group) reaches nngrad alone, which forwards it
        # once, as it forwards a kill -INT to nngrad alone
        child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=scratch,
                                 env=env, process_group=0)
        try:
            follow(run, todo, child, progress, meta["config"])
        except KeyboardInterrupt as stop:  # Ctrl-C, or Stop: SIGTERM, SIGHUP
            number = getattr(stop, "signum", signal.SIGINT)
            _stop(child, number)
            part.unlink(missing_ok=True)
            what = "interrupted" if number == signal.SIGINT else f"stopped by {signal.Signals(number).name}"
            raise SweepInterrupted(_how_to_go_on(run, what), 128 + number) from None
        finally:
            (run / runfiles.PHASE).unlink(missing_ok=True)  # what the suite last said it was doing: over
    if child.returncode < 0:  # killed by a signal
        number = -child.returncode
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else f"signal {number}"
        means = SIGNAL_MEANS.get(number, "see pytest.log")
        raise SweepInterrupted(_how_to_go_on(run, f"the suite was killed by {name} (signal {number}): {means}"),
                               128 + number)
    if child.returncode not in (0, 1, 5):  # 5: pytest collected nothing
        raise SweepInterrupted(_how_to_go_on(run, f"the suite stopped with status {child.returncode} "
                                                  f"(see {run / 'pytest.log'})"))
    meta = _measure_after(run, meta)
    _merge_benchmark_json(run, part if part.exists() else None, meta)  # no JSON: nothing was timed
    return 1 if child.returncode == 1 else 0


class Stop(KeyboardInterrupt):
    """SIGTERM or SIGHUP while the suite runs: stop as for Ctrl-C; the exit status is 128 + ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # besides SIGINT (KeyboardInterrupt): forwarded to the suite


@contextlib.contextmanager
def _stop_signals():
    """While the suite runs, SIGTERM and SIGHUP raise Stop (a KeyboardInterrupt), so that they are forwarded to
    the suite as Ctrl-C is, and SIGINT raises KeyboardInterrupt even where it was ignored (a shell script starts
    `nngrad bench &` with SIGINT ignored, and a suite started then would inherit that: `kill -INT` would do
    nothing); the handlers before are put back after (nothing changes off the main thread)."""
    def stop(signum, frame):
        raise Stop(signum)

    handlers = {number: stop for number in STOP_SIGNALS}
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        handlers[signal.SIGINT] = signal.default_int_handler
    try:
        before = {number: signal.signal(number, handler) for number, handler in handlers.items()}
    except ValueError:  # not the main thread: signals are not ours to handle
        before = {}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def _stop(child: subprocess.Popen, signum: int) -> None:
    """Forward ``signum`` to the suite and wait for it to stop (pytest ends the point being timed); a second
    interrupt meanwhile kills it."""
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(signum)
    print(f"stopping the suite ({signal.Signals(signum).name} sent to it; interrupt again to kill it now) ...",
          file=sys.stderr, flush=True)
    while True:
        try:
            child.wait()
            return
        except KeyboardInterrupt:
            with contextlib.suppress(ProcessLookupError):
                child.kill()


def _measure_after(run: Path, meta: dict) -> dict:
    """The machine measured again once the suite is done (constants that moved, or other processes' load, say
    the machine was busy while it was timed), kept in run.json."""
    first = (meta.get("config") or {}).get("devices", ["cpu"])[0]  # the device whose constants 'busy' compares
    dtype = (meta.get("config") or {}).get("dtype", "float64")  # measured as at the start: in the run's dtype
    after = {"others_load": others_load(), "constants": measure(where=from_label(first), dtype=dtype).to_dict()}
    meta = {**meta, "machine": {**meta.get("machine", {}), "after": after}}
    write_json(run / runfiles.RUN_META, meta)
    return meta


def _merge_benchmark_json(run: Path, part: Path | None, meta: dict) -> None:
    """benchmark.json = this session's JSON (pytest-benchmark writes none when nothing was timed) + the points
    measured before it (a resumed run), taken from points.jsonl; per point the latest record wins."""
    new = json.loads(part.read_text()) if part is not None else {
        "machine_info": {"node": meta["machine"].get("node"), "blas": meta["machine"].get("blas")},
        "commit_info": {}, "benchmarks": [], "datetime": meta.get("created", ""), "version": "", "nngrad": meta}
    records = {runfiles.point_key(r["point"]): r for r in runfiles.read_points(run)}
    measured = {runfiles.point_key(b["params"]) for b in new["benchmarks"]}
    new["benchmarks"] = [r["benchmark"] for k, r in records.items() if r.get("benchmark") and k not in measured] \
        + new["benchmarks"]
    new["nngrad"] = {**new["nngrad"], "machine": meta["machine"],  # with the constants measured after the suite
                     "records": [{k: v for k, v in r.items() if k != "benchmark"} for r in records.values()]}
    write_json(run / runfiles.BENCHMARK_JSON, new)
    if part is not None:
        part.unlink()


def _how_to_go_on(run: Path, what: str) -> str:
    """'interrupted: 79 of 302 points finished (...), kept in RUN/points.jsonl', and how to resume."""
    counts = runfiles.count_points(run)
    kept = f"; kept in {run / runfiles.POINTS}" if (run / runfiles.POINTS).exists() else ""
    return f"{what}: {counts}{kept}.\n  resume:  nngrad bench --resume {run}"


BLAS_PROBE = "import numpy as np; a = np.ones((256, 256)); float((a @ a).sum())"  # a small product: ~1 ms
BLAS_TIMEOUT_S = 30.0
TUNING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def blas_hangs() -> str | None:
    """With OpenBLAS tuning variables set, numpy's products hang on some machines: time a small product in a
    subprocess; None if it answers, else the one-line remedy. Nothing is probed when neither variable is set."""
    names = [k for k in TUNING if k in os.environ]
    if not names:
        return None
    try:
        subprocess.run([sys.executable, "-c", BLAS_PROBE], check=False, capture_output=True, timeout=BLAS_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return (f"numpy's matrix product did not answer within {BLAS_TIMEOUT_S:g} s with {' and '.join(names)} set "
                f"(OpenBLAS hangs with them on some machines): run 'env {' '.join('-u ' + n for n in names)} nngrad "
                "bench ...'")
    return None


def blas_env_warning() -> str | None:
    """A note when OpenBLAS tuning variables are set: they can slow a current numpy."""
    names = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    if not names:
        return None
    return (f"note: {', '.join(names)} set in the environment; it can slow numpy's BLAS. For a benchmark, run "
            f"'env {' '.join('-u ' + n for n in names)} nngrad bench ...' (the run records which BLAS kernel ran)")
