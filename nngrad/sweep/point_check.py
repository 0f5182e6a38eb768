"""Before a point is timed: one untimed call, its peak memory and counted work, and its gradient checked."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..backend import to_numpy
from ..methods.backprop import backprop
from ..methods.base import Call, Method
from ..methods.checks import relative_error
from ..tolerances import tolerance

MIN_ROUND_S = 2e-3  # fast calls are repeated within a round until it lasts this long
REMEASURE_S = 0.05  # calls predicted faster are timed again before their rounds are scheduled, and warmed up


@dataclass
class PointCheck:
    """The gradient check, counted work and memory of one point, measured outside the timed region."""

    gradient_error: float | None  # relative error against the reference (None: nothing to check)
    reference: str
    tolerance: float
    loss_evaluations: int
    tangent_passes: int
    work: int  # counted in the method's own unit (method.work_unit)
    peak_memory_bytes: int | None  # None where neither tracemalloc nor the device can see its allocations
    unresolved: list[str]  # parameter arrays the check could not judge (below a finite difference's resolution)
    passed: bool
    info: dict  # what the method recorded (threads, compile time, ...)
    cosine: float = math.nan  # an estimator's: the checked estimate's cosine with backprop's gradient (NaN: exact)


def check_point(method: Method, call: Call, net, x: np.ndarray, y: np.ndarray, cpu: tuple | None = None) -> PointCheck:
    """Run ``call`` once, measuring its peak memory (tracemalloc on numpy; the device's allocator on a CUDA
    device through torch), then check its gradient as the method declares. ``cpu``: (net, x, y) on numpy's CPU,
    the twin a gradient computed on another library or device is checked against (as numpy)."""
    result, peak = net.backend.peak_memory(call, method.traced_memory)
    check, allowed, twin = method.check, method.check.tolerance, cpu or (net, x, y)
    error, unresolved, reference = None, [], check.reference
    on_host = replace(result, grad=None if result.grad is None else to_numpy(result.grad))
    if check.error is not None and (net.dtype == np.float64 or method.family == "estimator"):
        error, unresolved = check.error(*twin, on_host)  # an estimator's statistical check holds in float32 too
    elif check.error is not None:  # float32: how far from the exact gradient, whatever the method
        error, allowed, reference = *float32_error(method, *twin, on_host.grad), "backprop in float64"
    return PointCheck(error, reference, allowed, result.loss_evaluations, result.tangent_passes,
                      method.counted(result), peak, unresolved, passed=error is None or bool(error <= allowed),
                      info=result.info, cosine=estimate_cosine(method, *twin, on_host.grad))


def estimate_cosine(method: Method, net, x: np.ndarray, y: np.ndarray, grad: np.ndarray | None) -> float:
    """An estimator's ``grad`` (N,): its cosine with backprop's gradient on the numpy twin (net, x, y), the quality
    of the very estimate checked and timed; NaN for every other method (exact, or a finite difference's ~1)."""
    if method.family != "estimator" or grad is None:
        return math.nan
    exact = backprop(net, x, y)[1]
    norms = float(np.linalg.norm(grad) * np.linalg.norm(exact))
    return float(grad @ exact / norms) if norms > 0 else math.nan


def float32_error(method: Method, net, x: np.ndarray, y: np.ndarray, grad: np.ndarray) -> tuple[float, float]:
    """(norm-wise relative error of a float32 ``grad`` against backprop in float64 on the same weights and data,
    the tolerance of ``method`` in float32: the table's "exact in float32" for an exact method, "difference in
    float32" for a finite difference, whose truncation and round-off at float32's step the error then measures)."""
    wide = net.to(dtype=np.float64)
    exact = backprop(wide, *wide.check_data(x.astype(np.float64), y))[1]
    return relative_error(grad.astype(np.float64), exact), tolerance(
        "exact in float32" if method.exact else "difference in float32", np.float32)


def schedule(seconds: float, timing_s: float, max_rounds: int) -> tuple[int, int]:
    """(rounds, iterations) for a call of ``seconds``: iterations make a round last MIN_ROUND_S at least, and
    rounds fill ``timing_s`` (3 to ``max_rounds``)."""
    iterations = max(1, math.ceil(MIN_ROUND_S / seconds))
    return min(max_rounds, max(3, round(timing_s / (iterations * seconds)))), iterations
