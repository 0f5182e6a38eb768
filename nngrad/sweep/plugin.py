"""The pytest plugin of nngrad's benchmark suite (``nngrad.sweep.suite``): the plan comes from
``--nngrad-run RUN`` (written by ``nngrad bench``) or, run directly (``pytest bench``), from the quick sweep.
Every finished point is appended to RUN/points.jsonl as it finishes, so an interrupted sweep loses nothing
that was measured, with the share of the machine's CPUs other processes used while its rounds were timed
(``others_load``) and, for a point timed a second time by ``nngrad bench``, ``retimed``."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

from .. import runfiles
from ..runfiles import test_id
from .machine import cpu_sample, load_window, others_share

META = pytest.StashKey[dict]()
TODO = pytest.StashKey[list]()
RUN_DIR = pytest.StashKey[Path | None]()
RECORDS = pytest.StashKey[list]()
_SAMPLES: list = []  # the CPU samples around the last timed rounds, oldest first (machine.load_window)
HISTORY = 64


def pytest_addoption(parser):
    parser.addoption("--nngrad-run", default=None, help="run folder holding run.json (the plan); points.jsonl is "
                     "appended there")
    parser.addoption("--nngrad-unfinished", action="store_true", help="only the points of --nngrad-run that have "
                     "not finished (measured or skipped): resume an interrupted sweep")


def pytest_configure(config):
    run = config.getoption("--nngrad-run")
    if run:
        meta = runfiles.read_run_meta(Path(run))
        for declared in meta.get("methods", {}).values():  # methods registered outside nngrad: register them here
            if declared.get("path") and declared["path"] not in sys.path:  # a resume from another shell
                sys.path.append(declared["path"])
            importlib.import_module(declared["module"])
    else:  # run directly: plan the quick sweep here
        from .config import QUICK
        from .runner import run_meta

        meta = run_meta(QUICK)
    todo = meta["plan"]
    if config.getoption("--nngrad-unfinished") and run:
        todo = runfiles.not_done(Path(run), todo)  # the plan's skips too: the suite records them as skipped
    config.stash[META] = meta
    config.stash[TODO] = todo
    config.stash[RUN_DIR] = Path(run) if run else None
    config.stash[RECORDS] = []


def pytest_generate_tests(metafunc):
    if {"method", "depth", "width", "batch", "device"} <= set(metafunc.fixturenames):
        points = metafunc.config.stash[TODO]
        metafunc.parametrize(("method", "depth", "width", "batch", "device"),
                             [runfiles.point_key(p)[:4] + (p.get("device", "cpu"),) for p in points],
                             ids=[test_id(p) for p in points])


@pytest.fixture
def sweep_config(request) -> dict:
    """The sweep's configuration (SweepConfig as a dict)."""
    return request.config.stash[META]["config"]


@pytest.fixture
def phase(request):
    """``phase(text)`` tells the progress line what this point is doing ('' once it is being timed)."""
    run = request.config.stash[RUN_DIR]
    yield lambda text: runfiles.write_phase(run, text)
    runfiles.write_phase(run, "")


@pytest.fixture
def planned(request, method, depth, width, batch, device) -> dict:
    """The planned point of this test (prediction, skip reason)."""
    for p in request.config.stash[TODO]:
        if runfiles.point_key(p) == (method, depth, width, batch, device):
            return p
    raise LookupError(f"no planned point {method} d{depth} w{width} b{batch} on {device}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Around a point's test: its timed rounds watched for other processes' load, its re-timing noted."""
    bench = getattr(item, "funcargs", {}).get("benchmark")
    point = getattr(item, "funcargs", {}).get("planned")
    if bench is not None and point is not None:
        watch_load(bench)
        if runfiles.point_key(point) in runfiles.retimed(item.config.stash[META]):
            bench.extra_info["retimed"] = True
    yield


def watch_load(bench) -> None:
    """Make ``bench.pedantic`` (the timed rounds) record in ``extra_info["others_load"]`` the share of the machine's
    CPUs that processes other than this one and its parent (``nngrad bench``) used while it ran, over at least
    machine.LOAD_WINDOW_TICKS (None where /proc cannot be read)."""
    timed = bench.pedantic
    ours = ("self", os.getppid())

    def pedantic(*args, **kwargs):
        _SAMPLES.append(cpu_sample(ours))
        try:
            return timed(*args, **kwargs)
        finally:
            after = cpu_sample(ours)
            bench.extra_info["others_load"] = others_share(load_window(_SAMPLES, after), after)
            _SAMPLES.append(after)
            del _SAMPLES[:-HISTORY]

    bench.pedantic = pedantic


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    point = item.funcargs.get("planned") if hasattr(item, "funcargs") else None
    if point is None or not (report.when == "call" or (report.when == "setup" and report.skipped)):
        return
    bench = item.funcargs.get("benchmark")
    stats = getattr(bench, "stats", None) if bench is not None else None
    status = "skipped" if report.skipped else ("ok" if report.passed else "failed")
    record = {"status": status, "point": point,
              "benchmark": stats.as_dict(include_data=True) if stats is not None and status == "ok" else None,
              "extra_info": dict(bench.extra_info) if bench is not None else {},
              "message": None if report.passed else _message(report)}
    item.config.stash[RECORDS].append(record)
    run = item.config.stash[RUN_DIR]
    if run is not None:
        runfiles.append_point(run, record)


def _message(report) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    text = str(report.longrepr) if report.longrepr else ""
    lines = [ln for ln in text.splitlines() if ln.startswith("E ")]
    return (lines[0][1:].strip() if lines else text.splitlines()[-1] if text else "failed")[:500]


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["blas"] = runfiles.blas_info()


def pytest_benchmark_update_json(config, benchmarks, output_json):
    meta = config.stash[META]
    output_json["nngrad"] = {**meta, "records": [
        {k: v for k, v in r.items() if k != "benchmark"} for r in config.stash[RECORDS]]}
