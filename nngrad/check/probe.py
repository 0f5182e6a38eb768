"""Finite differences of a scalar function f() of a flat array perturbed in place, at chosen elements: each
element restored exactly, even when f raises."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ..methods.schemes import SCHEMES
from ..tolerances import KAPPA, STILL


def one_sided(f: Callable[[], float], flat: np.ndarray, indices: Iterable[int], eps: float
              ) -> tuple[np.ndarray, np.ndarray, int]:
    """(left, right, evaluations): the backward and forward differences (f(p) - f(p - eps e_i)) / eps and
    (f(p + eps e_i) - f(p)) / eps at ``indices`` of ``flat`` (a 1-D view that f reads)."""
    indices = list(indices)
    base = f()
    left, right = np.empty(len(indices)), np.empty(len(indices))
    for k, i in enumerate(indices):
        old = flat[i]
        try:
            flat[i] = old + eps
            right[k] = (f() - base) / eps
            flat[i] = old - eps
            left[k] = (base - f()) / eps
        finally:
            flat[i] = old
    return left, right, 1 + 2 * len(indices)


def one_sided_slack(eps: float, scale: float, dtype=np.float64) -> float:
    """The own error of a one-sided difference at ``eps`` on terms of ``scale``: KAPPA x (u / eps + eps) x scale,
    its truncation O(eps), far above a central difference's O(eps^2) at the same step."""
    return KAPPA * SCHEMES["forward"].error(eps, scale, dtype)


def one_sided_roundoff(eps: float, scale: float, dtype=np.float64) -> float:
    """The round-off alone of a one-sided difference at ``eps`` on terms of ``scale``: KAPPA x u x scale / eps (what
    is left of its error once its O(eps) truncation is extrapolated away)."""
    return KAPPA * float(np.finfo(dtype).eps) * abs(scale) / eps


def bracketed(analytic: np.ndarray, left: np.ndarray, right: np.ndarray, slack: float) -> np.ndarray:
    """Where the analytic value lies between the left and right differences (within ``slack``), and those two
    differ by more than the slack: a kink between p - eps and p + eps explains the central difference."""
    low, high = np.minimum(left, right), np.maximum(left, right)
    return (high - low > slack) & (analytic >= low - slack) & (analytic <= high + slack)


def directional(f: Callable[[], float], flat: np.ndarray, directions: np.ndarray, eps: float) -> tuple[np.ndarray, int]:
    """(derivatives, evaluations): (f(p + eps v) - f(p - eps v)) / 2 eps along each row v of ``directions``
    (K, flat.size); ``flat`` is restored exactly, even when f raises."""
    saved = flat.copy()
    out = np.empty(len(directions))
    try:
        for k, v in enumerate(directions):
            flat[:] = saved + eps * v
            plus = f()
            flat[:] = saved - eps * v
            out[k] = (plus - f()) / (2 * eps)
    finally:
        flat[:] = saved
    return out, 2 * len(directions)


def central(f: Callable[[], float], flat: np.ndarray, indices: Iterable[int], eps: float) -> tuple[np.ndarray, int]:
    """(derivatives, evaluations): (f(p + eps e_i) - f(p - eps e_i)) / 2 eps at ``indices`` of ``flat`` (a 1-D
    view that f reads), each element restored exactly, even when f raises."""
    indices = list(indices)
    out = np.empty(len(indices))
    for k, i in enumerate(indices):
        old = flat[i]
        try:
            flat[i] = old + eps
            plus = f()
            flat[i] = old - eps
            out[k] = (plus - f()) / (2 * eps)
        finally:
            flat[i] = old
    return out, 2 * len(indices)


def invariant(f: Callable[[], float], values: np.ndarray, seed: int, scale: float) -> bool:
    """Does f stay within its rounding (STILL machine epsilons of ``scale``) when every element of ``values`` moves
    by about 1 (uniform in [0.5, 1.5], a random direction)? ``values`` is restored."""
    base, saved = f(), values.copy()
    try:
        values += np.random.default_rng(seed).uniform(0.5, 1.5, values.shape)
        moved = f()
    finally:
        values[...] = saved
    return abs(moved - base) <= STILL * np.finfo(float).eps * max(abs(base), scale, 1e-300)
