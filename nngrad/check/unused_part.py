"""A stretch of a parameter buffer the output ignores: where a failing array is wrong exactly on one contiguous
block (in flat order) whose numerical gradient is exactly zero, while the claimed one is not, and the output stays
put when that block moves by about 1, forward does not read that part of the array at all. The usual cause is a
view broken in ``__init__`` (``self.W = self.W * s`` makes W a copy of ``flat[:k]``): forward reads the copy, the
step updates the buffer. Where an array of the code of the block's size moves the output, it is named as the
copy forward reads instead."""

from __future__ import annotations

import numpy as np

from .compare import agree
from .evidence import Evidence, Failure
from .findings import Finding
from .probe import invariant
from .slots import float_arrays


def block(mask: np.ndarray) -> tuple[int, int] | None:
    """(lo, hi) where the flat boolean ``mask`` is True exactly on mask[lo:hi], not everywhere; else None."""
    where = np.flatnonzero(mask)
    if not where.size or where.size == mask.size or where[-1] - where[0] + 1 != where.size:
        return None
    return int(where[0]), int(where[-1]) + 1


def diagnose(e: Evidence, f: Failure) -> Finding | None:
    """An "ignored" finding for the block of ``f``'s array the output does not read, or None."""
    n, a = f.numerical, f.claimed
    wrong = ~agree(a, n, e.rtol, e.own(f))
    span = block(wrong)
    values = f.operand.values
    if span is None or not values.flags.c_contiguous or np.any(n[wrong] != 0) or np.abs(n[~wrong]).max(
            initial=0.0) <= e.own(f):
        return None
    lo, hi = span
    if not invariant(e.evaluate, values.reshape(-1)[lo:hi], e.seed, e.subject.scale()):
        return None
    part = f"{f.operand.label}[{lo}:{hi}]" if values.ndim == 1 else (
        f"{f.operand.label}'s elements {lo} to {hi - 1} (in flat order)")
    copy = _copy(e, values, hi - lo)
    why = (f"{copy} is a copy, not a view of {f.operand.label}? (a view rebound in __init__, {copy} = {copy} * s: "
           f"forward reads the copy while the step updates {f.operand.label}; write {copy}[...] *= s)"
           if copy else "that part of the buffer is never read: a view broken, or an offset wrong?")
    return Finding("ignored", f"{f.row.name}: the output does not depend on {part} at all (it stays put when those "
                   f"{hi - lo} elements move by about 1), so their true gradient is zero, yet yours is not there: "
                   + why)


def _copy(e: Evidence, buffer: np.ndarray, size: int) -> str | None:
    """The label (self.W) of the one array of the code, of ``size`` elements and apart from ``buffer``, that the
    output does depend on (forward reads it in the block's place), or None."""
    owners = getattr(e.subject, "owners", None) or []
    found = [s.label for owner in owners for s in float_arrays(owner)
             if s.get().size == size and not np.shares_memory(s.get(), buffer)
             and not invariant(e.evaluate, s.get(), e.seed, e.subject.scale())]
    if len(found) != 1:
        return None
    label = found[0]
    return label if "(" in label or not label[:1].isidentifier() else f"self.{label}"
