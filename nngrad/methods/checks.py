"""How a method's gradient is checked before it is timed."""

from __future__ import annotations

import numpy as np

from ..tolerances import tolerance
from .base import REFERENCE, Check, GradientResult, get
from .prefix import Prefix
from .schemes import COMPLEX_STEP, SCHEMES, Scheme, default_eps

TINY = np.finfo(np.float64).tiny
DIRECTIONS = 3  # random directions of the directional check
FINITE_DIFFERENCE_TOL = tolerance("forward difference")  # norm-wise, a forward difference at its best step
EXACT_TOL = tolerance("exact")  # norm-wise, gradients exact to rounding: complex step, forward mode, the frameworks
KAPPA = 10  # a finite difference errs by at most KAPPA x its estimated round-off and truncation (Scheme.error)
RESOLVE = 10  # an array is judged only if its gradient exceeds RESOLVE x the finite difference's error


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error ||a - b|| / ||b|| (0 when both are 0)."""
    return float(np.linalg.norm(a - b) / max(float(np.linalg.norm(b)), TINY))


def against_backprop(tolerance: float, scheme: Scheme | None = None) -> Check:
    """Per parameter array (each layer's W and b at its own scale), the norm-wise relative error of the gradient
    against the reference method (nngrad's backprop); the check's error is the worst array's. For a finite
    difference (``scheme``) the scheme's own error (KAPPA x Scheme.error per entry) is allowed for, and an array
    whose gradient is within RESOLVE x that error cannot be judged: it is named as unresolved instead."""
    def error(net, x, y, result: GradientResult) -> tuple[float, list[str]]:
        reference = get(REFERENCE).prepare(net, x, y)()
        floor = 0.0 if scheme is None else KAPPA * scheme.error(scheme.default_eps(net.dtype), reference.loss,
                                                                 net.dtype)
        errors, unresolved = [], []
        for a in net.param_arrays():
            g, r = result.grad[a.start:a.stop], reference.grad[a.start:a.stop]
            noise = floor * np.sqrt(r.size)  # the finite difference's own error, norm-wise over the array
            if floor and np.linalg.norm(r) <= RESOLVE * noise:
                unresolved.append(f"{a.name}{a.layer}")
            else:  # error <= tolerance  <=>  ||g - r|| <= tolerance ||r|| + noise
                errors.append(float(np.linalg.norm(g - r) / max(np.linalg.norm(r) + noise / tolerance, TINY)))
        return float(np.max(errors)) if errors else float("nan"), unresolved  # NaN anywhere fails

    return Check(REFERENCE, tolerance, error)


def along_directions(tolerance: float = 1e-5, directions: int = DIRECTIONS) -> Check:
    """Per parameter array, the gradient projected on random unit directions within that array against the
    directional derivative: the complex step where the loss is analytic in the array (exact: any scale is
    verified), else central differences (an array below their resolution is named as unresolved). A wrong
    first layer cannot hide behind the last: each array is judged on its own."""
    return Check(f"per array, {directions} random directions: complex step where analytic, else central "
                 "differences", tolerance, lambda net, x, y, result: directional_error(net, x, y, result.grad,
                                                                                      tolerance, directions))


def directional_error(net, x: np.ndarray, y: np.ndarray, grad: np.ndarray, tolerance: float = 1e-5,
                      directions: int = DIRECTIONS, seed: int = 0) -> tuple[float, list[str]]:
    """(largest relative error |g.v - D_v L| / (|g.v| + |D_v L|) over the arrays and directions, unresolved
    arrays). D_v L is Im L(p + i h v) / h (1 complex evaluation per direction) where the loss is analytic in the
    array, else (L(p + h v) - L(p - h v)) / 2h (2 evaluations, whose own error is allowed for as in
    :func:`against_backprop`). Nothing is perturbed in place: the perturbed pre-activations are evaluated from
    the kept forward pass (prefix.py)."""
    prefix, rng = Prefix(net, x, y), np.random.default_rng(seed)
    h = default_eps("central", net.dtype)
    floor = KAPPA * SCHEMES["central"].error(h, prefix.base_loss(), net.dtype)
    errors, unresolved = [], []
    for a in net.param_arrays():
        v = rng.standard_normal((directions, *a.shape))
        v /= np.linalg.norm(v.reshape(directions, -1), axis=1).reshape(-1, *[1] * len(a.shape))
        dz = prefix.hs[a.layer] @ v if a.name == "W" else np.broadcast_to(v[:, None, :], (directions, prefix.batch,
                                                                                         a.shape[0]))
        projected = v.reshape(directions, -1) @ grad[a.start:a.stop]
        allowed = 0.0
        if net.analytic_from(a.layer):
            derivative = prefix.losses_from(a.layer, 1j * COMPLEX_STEP * dz).imag / COMPLEX_STEP
        else:
            allowed = floor / tolerance
            derivative = (prefix.losses_from(a.layer, h * dz) - prefix.losses_from(a.layer, -h * dz)) / (2 * h)
            if max(np.abs(projected).max(), np.abs(derivative).max()) <= RESOLVE * floor:
                unresolved.append(f"{a.name}{a.layer}")
                continue
        errors.append(np.max(np.abs(projected - derivative)
                             / np.maximum(np.abs(projected) + np.abs(derivative) + allowed, TINY)))
    return float(np.max(errors)) if errors else float("nan"), unresolved
