"""A gradient in two parts, each judged apart: a loss of a data term plus a weight decay (lambda/2m sum(theta[1:]**2))
has the gradient data + c * theta on the decayed elements. Where the claimed gradient is exactly p * data + that
same decay part (theta decayed at every element, or at all but the first, the bias, or all but the last), for a
simple p other than 1, the data part is wrong by that factor and the decay part right: "the data term's sign
flipped, the weight decay's right" (p = -1)."""

from __future__ import annotations

import numpy as np

from ..tolerances import FACTOR, FEWEST_AGREE
from .evidence import Evidence, Failure
from .findings import Finding

SIMPLE = (-1.0, 0.0, 2.0, 0.5, -2.0, -0.5)  # the data part's factor p must be one of these: a fit of two unknowns


def diagnose(e: Evidence, f: Failure) -> Finding | None:
    """A "scaled" finding where the failing array ``f`` is p times its data part plus its (right) decay part."""
    from .diagnostics import number  # it registers this module's detector: imported when first asked

    a, n = f.claimed, f.numerical
    w = np.asarray(f.operand.values, dtype=float).reshape(-1)
    if a.size < FEWEST_AGREE + 2 or w.size != a.size:
        return None
    allowed = e.allowed(f)
    for decayed, where in _decayed(w.size):
        ws = np.where(decayed, w, 0.0)
        fit = _fit(a, n, ws)
        if fit is None:
            continue
        p, beta = fit
        c = beta / (1 - p)  # the decay's coefficient: yours = p * (n - c ws) + c ws
        if c <= 0 or not np.all(np.abs(a - (p * n + beta * ws)) <= allowed + 1e-9 * np.abs(a)):
            continue
        part = "its sign flipped" if p == -1 else "it left out" if p == 0 else f"it {number(p)} times the true one"
        return Finding("scaled", f"{f.row.name} is the data part of the gradient with {part}, plus the weight decay "
                       f"part ({number(c)} * {f.operand.label} at {where}) right: yours = {number(p)} x (numerical - "
                       f"decay) + decay, exactly: the data term's gradient is wrong"
                       + (" (its sign: a difference written the other way round?)" if p == -1 else "") + ", the decay's is not")
    return None


def _decayed(size: int) -> list[tuple[np.ndarray, str]]:
    every = np.ones(size, bool)
    first, last = every.copy(), every.copy()
    first[0], last[-1] = False, False
    return [(every, "every element"), (first, f"elements 1 to {size - 1}, not the first (the bias)"),
            (last, f"elements 0 to {size - 2}, not the last (the bias)")]


def _fit(a: np.ndarray, n: np.ndarray, ws: np.ndarray) -> tuple[float, float] | None:
    """(p, beta) of a = p n + beta ws by least squares, p rounded to a simple value (None where it is none, or
    where the decay part is not needed: beta 0 is "scaled", p 1 a decay alone)."""
    basis = np.stack([n, ws], axis=1)
    if np.linalg.matrix_rank(basis) < 2:
        return None
    (p, beta), *_ = np.linalg.lstsq(basis, a, rcond=None)
    simple = next((s for s in SIMPLE if np.isclose(p, s, rtol=FACTOR, atol=1e-9)), None)
    if simple is None or abs(beta) <= 1e-12 * np.abs(a).max(initial=0.0):
        return None
    beta = float((a - simple * n) @ ws) / float(ws @ ws)  # refit beta with p exact
    return simple, beta
