"""A weight decay on part of an array: the claimed gradient is off by c times the array's own values on some of its
elements (the bias's column, a packed matrix's first column) and right on the others, the decay applied to
elements the loss leaves undecayed, or left out on elements it decays."""

from __future__ import annotations

import numpy as np

from .evidence import Evidence, Failure
from .findings import Finding


def part(e: Evidence, f: Failure) -> Finding | None:
    """The decay-part finding for failing array ``f`` (flat claimed and numerical gradients, its values), or None."""
    a, n, w = f.claimed, f.numerical, np.asarray(f.operand.values, dtype=float).reshape(-1)
    wrong = f.wrong
    if not 0 < wrong.sum() < a.size or not (w[wrong] @ w[wrong]):
        return None
    d = a - n
    c = float(d[wrong] @ w[wrong]) / float(w[wrong] @ w[wrong])
    allowed = e.allowed(f)
    if c == 0 or not np.all(np.abs(d - np.where(wrong, c * w, 0.0)) <= allowed):
        return None
    name, label = f.row.name, f.operand.label
    where = _elements(np.flatnonzero(wrong), f.target.shape)
    if c > 0:
        return Finding("decay-part", f"{name} has an extra {c:.4g} * {label} at {where} ({wrong.sum()} of {a.size} "
                       "elements) and is right elsewhere: a weight decay applied to elements the loss does not decay "
                       "(the bias's terms, or a packed matrix's bias column?)")
    return Finding("decay-part", f"{name} misses {-c:.4g} * {label} at {where} ({wrong.sum()} of {a.size} elements) "
                   "and is right elsewhere: the weight decay's gradient left out where the loss decays")


def _elements(index: np.ndarray, shape: tuple[int, ...]) -> str:
    """The failing elements in words: flat indices, evenly spaced ones as a range with its step."""
    if len(shape) > 1:
        return "elements " + ", ".join(str(tuple(int(i) for i in np.unravel_index(k, shape))) for k in index[:6]) + (
            ", ..." if len(index) > 6 else "")
    steps = np.diff(index)
    if len(index) > 2 and (steps == steps[0]).all():
        return (f"every {'' if steps[0] == 1 else f'{int(steps[0])}th '}element from {index[0]} to {index[-1]}"
                + ("" if steps[0] == 1 else " (one column of a matrix packed by rows, or one row packed by columns)"))
    return "elements " + ", ".join(map(str, index[:8])) + (", ..." if len(index) > 8 else "")
