"""Before a point is timed: one untimed call, its peak memory and counted work, and its gradient checked."""

from __future__ import annotations

import math
import tracemalloc
from dataclasses import dataclass

import numpy as np

from ..methods.base import Call, Method

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
    peak_memory_bytes: int | None  # None where tracemalloc cannot see the method's allocations
    unresolved: list[str]  # parameter arrays the check could not judge (below a finite difference's resolution)
    passed: bool
    info: dict  # what the method recorded (threads, compile time, ...)


def check_point(method: Method, call: Call, net, x: np.ndarray, y: np.ndarray) -> PointCheck:
    """Run ``call`` once under tracemalloc (peak memory), then check its gradient as the method declares."""
    tracemalloc.start()
    try:
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    check = method.check
    error, unresolved = (None, []) if check.error is None else check.error(net, x, y, result)
    return PointCheck(error, check.reference, check.tolerance, result.loss_evaluations, result.tangent_passes,
                      method.counted(result), peak if method.traced_memory else None, unresolved,
                      passed=error is None or bool(error <= check.tolerance), info=result.info)


def schedule(seconds: float, target_s: float, max_rounds: int) -> tuple[int, int]:
    """(rounds, iterations) for a call of ``seconds``: iterations make a round last MIN_ROUND_S at least, and
    rounds fill ``target_s`` (3 to ``max_rounds``)."""
    iterations = max(1, math.ceil(MIN_ROUND_S / seconds))
    return min(max_rounds, max(3, round(target_s / (iterations * seconds)))), iterations
