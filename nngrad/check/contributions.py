"""Where a parameter's gradient gets its contributions from: a layer's parameter gradient is a sum over the output's
elements of dout times a local derivative, so backward run again with dout kept only on some elements (zero
elsewhere) gives that part of the sum, which central differences of the same masked scalar check apart.

- a condition on the input (x < 0, x >= 0, of an input of the output's shape): right from the elements on one side,
  wrong from the others (a PReLU slope's gradient summed over every x where only x < 0 holds W);
- sample by sample (dout kept on one row at a time): the true gradient is the sum of the samples' parts over the
  batch (axis 0); a claim that is each sample's part summed over the parameter's own elements instead, element k
  holding sample k's, is a sum over the wrong axis (possible only where the batch is as long as the parameter).
"""

from __future__ import annotations

import numpy as np

from ..tolerances import READ_BACK
from .evidence import Evidence, Failure
from .experiments import gradients_at_dout
from .findings import Finding

MOST_SAMPLES = 16  # the most rows the per-sample reading reruns backward for


def condition(e: Evidence, f: Failure) -> Finding | None:
    """A "located" finding where a failing parameter is right from the elements of dout on one side of x = 0 and
    wrong from the others."""
    dout, x = _dout_and_input(e)
    if f.x is not None or dout is None or x is None or x.shape != dout.shape:
        return None
    sides = [(x < 0, "x < 0"), (x >= 0, "x >= 0")]
    if any(not m.any() or m.all() for m, _ in sides):
        return None
    parts = [_part(e, f, dout * m) for m, _ in sides]
    if any(p is None for p in parts):
        return None
    ok = [_agrees(e, f, *p) for p in parts]
    if ok.count(True) != 1:
        return None
    (good, _), (bad, words) = (sides[0], sides[1]) if ok[0] else (sides[1], sides[0])
    claimed, numerical = parts[ok.index(False)]
    there = ("the output does not depend on " + f.operand.label + " there (the numerical gradient from them is 0), "
             "yet yours takes a contribution from them" if not np.any(np.abs(numerical) > e.own(f)) else
             "yours takes the wrong contribution from them")
    return Finding("located", f"{f.row.name} is wrong only in what the elements where {words} contribute to it "
                   f"(backward rerun with dout kept there alone): {there}; from the elements where "
                   f"{sides[ok.index(True)][1]} it is right: the condition on x that the forward applies is missing "
                   "from this gradient's sum")


def axis(e: Evidence) -> list[Finding]:
    """A "batch" finding for each failing parameter that holds, at element k, sample k's part summed over the
    parameter's own elements, where the sum over the samples is due."""
    dout, _ = _dout_and_input(e)
    if dout is None or dout.ndim < 2 or not 2 <= dout.shape[0] <= MOST_SAMPLES:
        return []
    found = []
    for f in e.failing:
        if f.x is not None or f.claimed.size != dout.shape[0]:
            continue
        rows = []
        for i in range(dout.shape[0]):
            mask = np.zeros(dout.shape, bool)
            mask[i] = True
            part = _part(e, f, dout * mask)
            if part is None:
                return found
            rows.append(part[1])
        C = np.stack(rows)  # (samples, the parameter's elements): sample i's part of the true gradient
        if np.allclose(C.sum(axis=0), f.numerical, rtol=READ_BACK, atol=e.own(f)) and _agrees(e, f, f.claimed, C.sum(1)):
            found.append(Finding("batch", f"{f.row.name}[k] holds sample k's part of the gradient summed over "
                                 f"{f.operand.label}'s own elements (axis 1) where the sum over the batch (axis 0) is "
                                 f"due: the sum over the wrong axis (sum(..., axis=0), one value per element of "
                                 f"{f.operand.label}; the batch of {dout.shape[0]} is as long as {f.operand.label}, so "
                                 "the shape did not tell)"))
    return found


def _dout_and_input(e: Evidence) -> tuple[np.ndarray | None, np.ndarray | None]:
    context = e.subject.context()
    if context is None or context.dout is None or np.ndim(context.dout) == 0:
        return None, None
    x = context.inputs[0] if len(context.inputs) == 1 else None
    return np.asarray(context.dout, dtype=float), None if x is None else np.asarray(x, dtype=float)


def _part(e: Evidence, f: Failure, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(claimed, numerical), flat, of parameter ``f`` with backward given ``dout``."""
    got = gradients_at_dout(e, f.row.name, dout)
    return None if got is None or got[0].size != f.claimed.size else got


def _agrees(e: Evidence, f: Failure, claimed: np.ndarray, numerical: np.ndarray) -> bool:
    own = e.floor + e.rtol * float(np.abs(f.numerical).max(initial=0.0))
    return bool(np.all(np.abs(claimed - numerical) <= 10 * (e.rtol * (np.abs(claimed) + np.abs(numerical)) + own)))
