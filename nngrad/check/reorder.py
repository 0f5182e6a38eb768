"""The right numbers in the wrong places: a backward that reads dout's elements in another order (dout of shape
(N, F, H, W) reshaped to (F, -1) as it lies, without the transpose that brings F first) gives exactly the true
gradients at a dout whose elements were reassigned; a gradient whose elements are those of the true one, placed
elsewhere, is a permutation of it. Said as one "reordered" finding (a detector of
nngrad.check.diagnostics.DIAGNOSES)."""

from __future__ import annotations

from itertools import permutations

import numpy as np

from .compare import agree
from .evidence import Evidence
from .experiments import true_at_dout
from .findings import Finding

MOST_AXES = 4  # the most axes of dout whose orders are tried (4! = 24)


def diagnose(e: Evidence) -> list[Finding]:
    """A "reordered" finding: every failing gradient is the true one at dout read in another axis order, else a
    failing array that holds the numerical gradient's numbers in other places."""
    return _read_in_order(e) or [f for f in map(lambda f: _permuted(e, f), e.failing) if f is not None]


def _read_in_order(e: Evidence) -> list[Finding]:
    context = e.subject.context()
    if context is None or context.dout is None or np.ndim(context.dout) < 2 or np.ndim(context.dout) > MOST_AXES:
        return []
    dout = np.asarray(context.dout, dtype=float)
    targets = [t for t in e.targets if t.name in {f.row.name for f in e.failing}]
    shape = dout.shape
    for order in permutations(range(dout.ndim)):
        laid = tuple(shape[k] for k in order)
        if order == tuple(range(dout.ndim)) or laid == shape:
            continue  # the identity, or the same shape: a reshape to it is no reordering
        read = dout.reshape(laid).transpose(np.argsort(order))
        true = true_at_dout(e, read, targets)
        if true is None:
            return []
        if true:
            return [Finding("reordered", _words(targets, shape, laid, order))]
    return []


def _words(targets, shape: tuple[int, ...], laid: tuple[int, ...], order: tuple[int, ...]) -> str:
    names = ", ".join(t.name for t in targets)
    first = order[0]
    return (f"{names} {'is' if len(targets) == 1 else 'are'} exactly the true gradient at a dout whose elements were "
            f"reassigned: dout of shape {shape} read as if it were laid out as {laid} (its axes in the order "
            f"{order}): a reshape of dout where a transpose belongs first (dout.reshape({laid[0]}, -1) for "
            f"dout.transpose{order}.reshape({laid[0]}, -1)? axis {first} must be moved first): the right numbers "
            "paired with the wrong samples, channels or positions")


def _permuted(e: Evidence, f) -> Finding | None:
    """A failing array that holds the numerical gradient's numbers (sorted, they agree) in other places."""
    a, n = f.claimed, f.numerical
    if a.size < 4 or np.ptp(n) == 0:
        return None
    sa, sn = np.sort(a), np.sort(n)
    if not np.all(agree(sa, sn, e.rtol, e.own(f))):
        return None
    moved = int(np.count_nonzero(np.abs(a - n) > e.allowed(f)))
    return Finding("reordered", f"{f.row.name} holds exactly the numbers of the numerical gradient, {moved} of "
                   f"{a.size} in other places: a permutation of the right gradient (an index, a reshape or a "
                   "transpose in another order?)")
