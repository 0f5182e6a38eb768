"""Before a point is timed: one untimed call, its peak memory and counted work, and its gradient checked."""

from __future__ import annotations

import math
import tracemalloc
from dataclasses import dataclass, replace

import numpy as np

from ..backend import to_numpy
from ..methods.base import Call, GradientResult, Method

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


def check_point(method: Method, call: Call, net, x: np.ndarray, y: np.ndarray, cpu: tuple | None = None) -> PointCheck:
    """Run ``call`` once, measuring its peak memory (tracemalloc on numpy; the device's allocator on a CUDA
    device through torch), then check its gradient as the method declares. ``cpu``: (net, x, y) on numpy's CPU,
    the twin a gradient computed on another library or device is checked against (as numpy)."""
    result, peak = _peak_memory(method, call, net)
    check = method.check
    error, unresolved = None, []
    if check.error is not None:
        twin = cpu or (net, x, y)
        on_host = replace(result, grad=None if result.grad is None else to_numpy(result.grad))
        error, unresolved = check.error(*twin, on_host)
    return PointCheck(error, check.reference, check.tolerance, result.loss_evaluations, result.tangent_passes,
                      method.counted(result), peak, unresolved,
                      passed=error is None or bool(error <= check.tolerance), info=result.info)


def _peak_memory(method: Method, call: Call, net) -> tuple[GradientResult, int | None]:
    """(call(), the bytes it allocated at its peak, or None where that cannot be seen)."""
    where = net.backend
    if where.library == "torch" and where.device != "cpu":
        import torch

        where.synchronize()
        torch.cuda.reset_peak_memory_stats(where.native)
        before = torch.cuda.memory_allocated(where.native)
        result = call()  # a prepared call on a device ends synchronised
        return result, int(torch.cuda.max_memory_allocated(where.native) - before)
    if not (where.is_numpy and method.traced_memory):
        return call(), None
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def schedule(seconds: float, target_s: float, max_rounds: int) -> tuple[int, int]:
    """(rounds, iterations) for a call of ``seconds``: iterations make a round last MIN_ROUND_S at least, and
    rounds fill ``target_s`` (3 to ``max_rounds``)."""
    iterations = max(1, math.ceil(MIN_ROUND_S / seconds))
    return min(max_rounds, max(3, round(target_s / (iterations * seconds)))), iterations
