"""A benchmark run from its options to its report: what ``nngrad bench`` and ``nngrad.bench`` both do (the same
checks, the same suite in its own process, the same run folder)."""

from __future__ import annotations

import numbers
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import _validate as validate
from .._words import plural
from ..errors import InvalidType, InvalidValue, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from ..results.load import Run
    from ..results.result import BenchResult
    from .config import SweepConfig


def method_names(values: Iterable[str] | str, name: str = "methods") -> tuple[str, ...]:
    """'backprop,torch' or ['backprop', 'torch'] -> ('backprop', 'torch'): registered method names, each once;
    InvalidValue naming ``name`` otherwise (the command line's --methods says the same)."""
    from ..methods import registered

    if isinstance(values, str):
        values = values.split(",")
    elif not isinstance(values, Iterable):
        raise InvalidType(f"{name} must be method names (a list, or one comma-separated string), got "
                          f"{type(values).__name__}")
    values = tuple(v.strip() if isinstance(v, str) else v for v in values)
    values = tuple(v for v in values if v != "")
    if not all(isinstance(v, str) for v in values):
        raise InvalidType(f"{name} must be method names (strings), got {values!r}")
    if twice := sorted({v for v in values if values.count(v) > 1}):
        raise InvalidValue(f"{name}: {', '.join(twice)} named twice: each method is timed once")
    bad = [v for v in values if v not in registered()]
    if bad or not values:
        raise InvalidValue(f"{name}: unknown method(s) {', '.join(map(repr, bad)) or repr(values)}; valid: "
                           f"{', '.join(registered())} (nngrad methods lists them)")
    return values


def sizes(name: str, values: object) -> tuple[int, ...] | None:
    """One positive int or a list of them -> a tuple (None stays None); InvalidType/InvalidValue naming ``name``."""
    if values is None:
        return None
    if isinstance(values, numbers.Integral) and not isinstance(values, bool):
        values = (values,)
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidType(f"{name} must be a positive integer or a list of them, got {values!r} "
                          f"({type(values).__name__})")
    values = tuple(values)
    if not values:
        raise InvalidValue(f"{name} must list at least one size")
    return tuple(validate.positive_int(name, v) for v in values)


def sweep_config(quick: bool = False, *, depths=None, widths=None, batches=None, methods=None, method_options=None,
                 budget=None, total=None, activation=None, loss=None, devices=None, dtype=None) -> SweepConfig:
    """The sweep of these options (None: the default's, or quick's), each checked before any work: one line naming
    the option on bad input. The command line's types have parsed its text into these values already."""
    from .config import configure

    if not isinstance(quick, bool):
        raise InvalidType(f"quick must be True or False, got {quick!r}")
    for name, value in (("budget", budget), ("total", total)):
        if value is not None:
            validate.positive_float(name, value)
    if isinstance(devices, str):
        devices = tuple(d.strip() for d in devices.split(",") if d.strip())
    return configure(quick, depths=sizes("depths", depths), widths=sizes("widths", widths),
                     batches=sizes("batches", batches),
                     methods=None if methods is None else method_names(methods),
                     budget_s=budget, total_s=total, activation=activation, loss=loss,
                     devices=None if devices is None else tuple(devices), dtype=dtype, method_options=method_options)


def blas_check() -> None:
    """The note on OpenBLAS tuning variables (stderr), and a UsageError when numpy's products hang with them."""
    from .runner import blas_env_warning, blas_hangs

    if note := blas_env_warning():
        print(note, file=sys.stderr)
        if hang := blas_hangs():
            raise UsageError(hang)


def start(cfg: SweepConfig, root: Path, say_left_out: bool) -> Path:
    """A new run folder under ``root`` holding the plan (runner.start_run); ``say_left_out``: a note on stderr for
    each registered method the sweep leaves out (when the methods were not named)."""
    from .config import left_out
    from .runner import start_run

    if say_left_out:
        for note in left_out(cfg):
            print(f"note: {note}", file=sys.stderr)
    return start_run(cfg, root)


def finish(run: Path, progress: bool = True) -> tuple[int, Run]:
    """Run the suite on what ``run`` has left to do, time the impossible points again once, then write its report;
    returns the status (0 done, 1 some point failed) and the run read back. Interrupted: SweepInterrupted, with
    the report of what finished."""
    from ..results.load import load_run
    from ..results.report import build_report
    from .runner import SweepInterrupted, run_suite

    print(f"run folder: {run}", file=sys.stderr)
    try:
        status = run_suite(run, progress)
        if again := retime_impossible(run):
            print(f"note: {plural(again, 'point')} timed a gradient cheaper than one loss evaluation of their network "
                  "(the machine was busy?): timing them and their networks' forward pass once more", file=sys.stderr)
            status = max(status, run_suite(run, progress))
    except SweepInterrupted as stop:  # what finished is kept: its report too
        raise SweepInterrupted(f"{stop}\n  {report_so_far(run)}", stop.status) from None
    finished = load_run(run)  # read once: the report and the note on its flagged points
    print(f"report: {build_report(run, loaded=finished)}")
    if flagged := flagged_note(finished.points):
        print(flagged, file=sys.stderr)
    if status == 1:
        print("some points failed their gradient check or crashed: see the report's 'Failed points' table",
              file=sys.stderr)
    return status, finished


def bench(methods: Iterable[str] | str | None = None, depths: int | Iterable[int] | None = None,
          widths: int | Iterable[int] | None = None, batches: int | Iterable[int] | None = None,
          total: float | None = None, quick: bool = False, out: str | Path | None = None, *,
          budget: float | None = None, activation: str | None = None, loss: str | None = None,
          devices: str | Iterable[str] | None = None, dtype: str | None = None,
          method_options: dict | None = None, progress: bool = True) -> BenchResult:
    """Run the benchmark suite as ``nngrad bench`` does with the same options (``batches``: its --batch, ``total``
    and ``budget`` in seconds, ``method_options``: {method: {option: value}}) into a new run folder under ``out``
    (None: a new temporary folder, kept: the result's ``folder`` says where); returns the run as a BenchResult.
    Progress: a bar in a notebook or a terminal, a line every 10 s elsewhere. Bad input raises InvalidValue or
    InvalidType naming the argument before any work."""
    from ..commands.options import output_folder
    from ..results.result import BenchResult

    cfg = sweep_config(quick, depths=depths, widths=widths, batches=batches, methods=methods,
                       method_options=method_options, budget=budget, total=total, activation=activation, loss=loss,
                       devices=devices, dtype=dtype)
    if out is not None and not isinstance(out, (str, Path)):
        raise InvalidType(f"out must be a folder (str or Path), got {type(out).__name__}")
    try:
        root = output_folder(out, "out")
    except UsageError as exc:
        raise InvalidValue(str(exc)) from None
    blas_check()
    root = root or Path(tempfile.mkdtemp(prefix="nngrad-bench-"))
    run = start(cfg, root, say_left_out=methods is None)
    status, loaded = finish(run, progress)
    return BenchResult(run, loaded, status)


def flagged_note(points: pd.DataFrame) -> str | None:
    """"note: 386 of the 386 measured points are flagged (385 busy, 1 impossible after re-timing): ..." for a run's
    ``points`` (results.load) when its report leaves some out of its verdicts (results/sanity.py), None otherwise."""
    from ..results.sanity import flagged, kind, tally

    if not (n := int(flagged(points).sum())):
        return None
    measured, verb = int((points["status"] == "ok").sum()), "is" if n == 1 else "are"
    return (f"note: {n:,} of the {measured:,} measured points {verb} flagged ({tally(points['flag'].map(kind))}): the "
            "report's verdicts, headline and fits leave them out (its first lines say why)")


def report_so_far(run: Path) -> str:
    """The report of an interrupted run's finished points, written now: where it is, or why there is none."""
    from ..results.report import build_report

    try:
        return f"report of what finished: {build_report(run)}"
    except KeyboardInterrupt:
        return f"report not written (interrupted again):  nngrad report {run}"
    except Exception as exc:  # noqa: BLE001 - the interrupt's message must come out whatever the report does
        return f"report not written ({type(exc).__name__}: {exc}):  nngrad report {run}"


def retime_impossible(run: Path) -> int:
    """Forget the measured points that cannot be (results.sanity: a gradient cheaper than a loss evaluation of its
    network) and the forward pass they were divided by, so that resuming times them again; returns how many
    impossible points there were (0: nothing forgotten). A point whose method cannot run here (its package is
    missing, or it is not registered in this process) is kept as it was, flagged."""
    from ..methods import registered
    from ..methods.base import UNIT
    from ..results.load import load_run
    from ..results.sanity import impossible
    from ..runfiles import forget, mark_retimed

    points = load_run(run).points
    here = {name for name, method in registered().items() if method.missing() is None}
    bad = points[impossible(points).notna() & points["method"].isin(here)]
    if bad.empty:
        return 0
    keys = {(r.method, r.depth, r.width, r.batch, r.device) for r in bad.itertuples()}
    mark_retimed(run, keys)  # their new records say so (``retimed``): still impossible, they are flagged as such
    forget(run, keys | {(UNIT, d, w, b, device) for _, d, w, b, device in keys})
    return len(bad)
