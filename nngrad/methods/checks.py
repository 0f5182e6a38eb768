"""How a method's gradient is checked before it is timed."""

from __future__ import annotations

import numpy as np

from .base import REFERENCE, Check, GradientResult, get
from .schemes import default_eps

TINY = np.finfo(np.float64).tiny
DIRECTIONS = 3  # random directions of the directional check
FINITE_DIFFERENCE_TOL = 1e-5  # norm-wise relative error a forward difference at its best step stays within
EXACT_TOL = 1e-10  # for gradients exact to rounding: complex step, forward mode, the frameworks


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error ||a - b|| / ||b|| (0 when both are 0)."""
    return float(np.linalg.norm(a - b) / max(float(np.linalg.norm(b)), TINY))


def against_backprop(tolerance: float) -> Check:
    """Norm-wise relative error of the gradient against the reference method (nngrad's backprop)."""
    def error(net, x, y, result: GradientResult) -> float:
        return relative_error(result.grad, get(REFERENCE).prepare(net, x, y)().grad)

    return Check(REFERENCE, tolerance, error)


def along_directions(tolerance: float = 1e-5, directions: int = DIRECTIONS) -> Check:
    """Central differences along random directions (see :func:`directional_error`): 2 evaluations each."""
    return Check(f"central differences along {directions} random directions", tolerance,
                 lambda net, x, y, result: directional_error(net, x, y, result.grad, directions))


def directional_error(net, x: np.ndarray, y: np.ndarray, grad: np.ndarray, directions: int = DIRECTIONS,
                      seed: int = 0) -> float:
    """Largest relative error |g.v - D_v L| / (|g.v| + |D_v L|) over random unit directions v, with D_v L the
    central difference (L(p + h v) - L(p - h v)) / 2h: 2 loss evaluations per direction, whatever N is.
    The parameters are restored exactly."""
    p, saved = net.params, net.params.copy()
    h = default_eps("central")
    worst = 0.0
    try:
        for v in np.random.default_rng(seed).standard_normal((directions, p.size)):
            v /= np.linalg.norm(v)
            p[:] = saved + h * v
            plus = net.evaluate(x, y)
            p[:] = saved - h * v
            numerical, analytic = (plus - net.evaluate(x, y)) / (2 * h), float(grad @ v)
            worst = max(worst, abs(analytic - numerical) / max(abs(analytic) + abs(numerical), TINY))
    finally:
        p[:] = saved
    return worst
