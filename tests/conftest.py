import contextlib
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from nngrad import DNN

# CI keeps the property tests short and repeatable (the same examples every run);
# HYPOTHESIS_PROFILE=thorough runs ten times as many, new ones each time.
settings.register_profile("default", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("thorough", max_examples=250, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# CI runs the suite without the optional extras, then again with them on the tests that need them: with
# NNGRAD_PEER_SKIPS set, the ids of the tests skipped for want of a package of the `peers` or the `fast` extra (numba)
# are written to that file, one a line (.ci/run)
PEER_PACKAGES = re.compile(r"\b(torch|jax|jaxlib|autograd|scipy|numba)\b")
NOT_INSTALLED = re.compile(r"not installed|No module named|could not import")
_peer_skips: list[str] = []


def pytest_runtest_logreport(report) -> None:
    _record_peer_skip(report)


def pytest_collectreport(report) -> None:
    """A whole module skipped at import (``pytest.importorskip`` at its top) is a collection report, not a test's."""
    _record_peer_skip(report)


def _record_peer_skip(report) -> None:
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if PEER_PACKAGES.search(reason) and NOT_INSTALLED.search(reason):
            _peer_skips.append(report.nodeid)


def pytest_sessionfinish(session) -> None:
    if path := os.environ.get("NNGRAD_PEER_SKIPS"):
        Path(path).write_text("".join(f"{nodeid}\n" for nodeid in dict.fromkeys(_peer_skips)))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def make_data(net: DNN, batch: int, rng: np.random.Generator, labels: bool = True):
    """x ~ N(0, 1) (batch, in); y: [0, 1) targets (mse), integer labels or one-hot rows (softmax_ce)."""
    x = rng.standard_normal((batch, net.num_input))
    if net.loss_name == "mse":
        return x, rng.random((batch, net.num_output))
    t = rng.integers(0, net.num_output, batch)
    return x, (t if labels else np.eye(net.num_output)[t])


def assert_rejected(call, net: DNN, error: type[Exception], words: str) -> None:
    """call() raises ``error`` matching ``words`` and leaves ``net.params`` exactly as they were."""
    before = net.params.copy()
    with pytest.raises(error, match=words):
        call()
    np.testing.assert_array_equal(net.params, before)


def fake_point(method: str, depth: int, width: int, batch: int = 16, status: str = "ok", seconds: float | None = None,
               iqr_fraction: float = 0.02) -> dict:
    """A point of nngrad's suite as stored: planned point, extra_info and pytest-benchmark stats whose median
    follows the operation counts exactly (1 ns per flop) unless ``seconds`` is given."""
    from nngrad.methods import get
    from nngrad.model.counts import forward_flops, num_params

    sizes = [10] + [width] * depth + [2]
    n, flops, fwd = num_params(sizes), get(method).operations(sizes, batch), forward_flops(sizes, batch)
    median = seconds if seconds is not None else flops * 1e-9
    planned = {"method": method, "depth": depth, "width": width, "batch": batch, "n_params": n, "flops": flops,
               "forward_flops": fwd, "forward_s": fwd * 1e-9, "predicted_s": median,
               "skip_reason": "predicted too slow" if status == "skipped" else None}
    work = get(method).work_count(n)
    extra = {"depth": depth, "width": width, "batch": batch, "n_params": n, "loss_evaluations": work, "work": work,
             "flops": flops, "forward_flops": fwd, "gradient_error": None if method == "forward" else 1e-7,
             "reference": "backprop", "peak_memory_bytes": 1000 * depth * width, "predicted_s": median}
    stats = {"min": median * 0.98, "max": median * 1.1, "mean": median, "stddev": median * 0.01, "median": median,
             "iqr": median * iqr_fraction, "q1": median * (1 - iqr_fraction / 2), "q3": median * (1 + iqr_fraction / 2),
             "rounds": 5, "iterations": 1, "ops": 1 / median, "total": 5 * median, "data": [median] * 5}
    return {"planned": planned, "extra_info": extra, "stats": stats, "status": status}


def fake_benchmark_json(points: list[dict], accuracy: list[dict] | None = None) -> dict:
    """A pytest-benchmark JSON (5.x layout) holding ``points`` as nngrad's suite writes it."""
    benchmarks, records = [], []
    for p in points:
        params = {k: p["planned"][k] for k in ("method", "depth", "width", "batch")}
        name = "test_gradient[{method}-d{depth}-w{width}-b{batch}]".format(**params)
        if p["status"] == "ok":
            benchmarks.append({"group": None, "name": name, "fullname": f"bench/test_gradients.py::{name}",
                               "params": params, "param": name[14:-1], "extra_info": p["extra_info"],
                               "options": {}, "stats": p["stats"]})
        records.append({"status": p["status"], "point": p["planned"], "extra_info": p["extra_info"],
                        "message": None if p["status"] == "ok" else "predicted too slow"})
    return {"machine_info": {"node": "testhost", "machine": "x86_64", "blas": []},
            "commit_info": {}, "benchmarks": benchmarks, "datetime": "2026-11-22T10:00:00", "version": "5.3.1",
            "nngrad": {"format": "nngrad-run/1", "created": "2026-11-22T10:00:00",
                       "config": {"depths": [1, 2], "widths": [8], "batches": [16]},
                       "plan": [p["planned"] for p in points], "records": records,
                       "accuracy": accuracy or [], "machine": {"node": "testhost", "cpu_count": 2}}}


CLASSIC_METHODS = ("forward", "backprop", "numerical-loop", "numerical-batched")


def sweep_points(depths=(1, 2, 4, 8), widths=(32, 64, 128, 256), methods=CLASSIC_METHODS, **kw) -> list[dict]:
    return [fake_point(m, d, w, **kw) for m in methods for d in depths for w in widths]


# a fixed machine for the end-to-end sweeps: what a budget keeps must not depend on this machine's speed or load
FIXED_CONSTANTS = {"call_s": 2e-6, "gemm_flop_s": 1e10, "elementwise_s": 5e-9,
                   "library_call_s": {"torch": 1e-5, "jax": 2e-5, "autograd": 2e-5}}


@contextlib.contextmanager
def fixed_machine():
    """``nngrad bench`` planned on a fixed machine: the cost model's constants and the load of other processes
    are given, not measured, so which points a budget keeps (and the report's busy warning) is the same on a slow,
    busy machine as on a fast, quiet one. The timings themselves are still measured."""
    from nngrad.methods.cost import Constants
    from nngrad.sweep import runner

    constants = Constants(**FIXED_CONSTANTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "measure", lambda *args, **kwargs: constants)  # any methods, device and dtype
        patch.setattr(runner, "others_load", lambda seconds=0.5: 0.0)
        yield constants
