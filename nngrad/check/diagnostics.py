"""Findings about users' code that the numbers alone do not say: one factor off element by element, a transposed
gradient, an error only where a condition holds, the likely cause of a wrong shape, and the findings of any
check (NaN, all zeros, kinks, float32)."""

from __future__ import annotations

import numpy as np

from ..tolerances import FACTOR
from .compare import ArrayCheck
from .findings import Finding


def _agree(a: np.ndarray, b: np.ndarray, rtol: float, floor: float) -> np.ndarray:
    """Element by element: |a - b| within the check's own allowance."""
    return np.abs(a - b) <= rtol * (np.abs(a) + np.abs(b)) + floor


def factor(a: np.ndarray, n: np.ndarray, rtol: float, floor: float) -> float | None:
    """The constant c with a == c * n at every element (within the allowance), or None; c is rounded to a simple
    value (2, 1/2, -1, 1/B...) when it is one."""
    nn = float(n @ n)
    if not a.size or nn == 0:
        return None
    c = float(a @ n) / nn
    for simple in (0, 1, -1, 2, 0.5, -2, -0.5, 3, 1 / 3, 4, 0.25):
        if np.isclose(c, simple, rtol=FACTOR, atol=1e-12):
            c = float(simple)
    return c if np.all(_agree(a, c * n, max(rtol, 1e-9), floor)) and not np.isclose(c, 1.0, rtol=FACTOR) else None


def _guess(c: float, batch: int | None) -> str:
    guesses = {2.0: "a factor 1/2 missing (the 1/2 of 1/2 (h - y)^2?)", 0.5: "a factor 1/2 too many",
               -1.0: "the sign flipped"}
    if batch and batch > 1:
        guesses |= {float(batch): f"a sum over the batch of {batch} where the loss takes the mean",
                    1.0 / batch: f"a mean over the batch of {batch} where the loss takes the sum (or the mean taken "
                    "twice)"}
    return next((g for f, g in guesses.items() if np.isclose(c, f, rtol=FACTOR)), "a missing or extra factor")


def scaled(row: ArrayCheck, a: np.ndarray, n: np.ndarray, batch: int | None, rtol: float, floor: float
           ) -> Finding | None:
    """A "scaled" finding when a failing array is one constant times the numerical gradient, element by element."""
    c = factor(a, n, rtol, floor) if row.verdict == "FAIL" else None
    if c is None:
        return None
    if c == 0:
        return Finding("scaled", f"{row.name} is 0 at every element and the numerical gradient is not: never "
                       "computed, or reset after it was (a zeroing in the wrong place?)")
    masked = bool((n == 0).any() and (n != 0).any())  # a mask drops some elements: dropout's own scale?
    guess = (f"a scale missing where the mask lets the gradient through (inverted dropout's 1/(1-p) = {1 / c:.4g}?)"
             if masked and 0 < c < 1 else _guess(c, batch))
    return Finding("scaled", f"{row.name} is {c:.4g} times the numerical gradient at every element: {guess}")


def regularization(row: ArrayCheck, a: np.ndarray, n: np.ndarray, values: np.ndarray, rtol: float, floor: float
                   ) -> Finding | None:
    """A "regularization" finding when a failing parameter's gradient is off by c times the parameter itself, at
    every element: the gradient of a weight decay (reg * sum(W**2) / 2 gives reg * W) left out or added twice."""
    w = np.asarray(values, dtype=float).reshape(-1)
    if row.verdict != "FAIL" or not (w @ w):
        return None
    c = float((n - a) @ w) / float(w @ w)
    if c == 0 or not np.all(_agree(a + c * w, n, rtol, floor)):
        return None
    name = row.name.removeprefix("d") if row.name.startswith("d") else row.name
    if c > 0:
        return Finding("regularization", f"{row.name} misses {c:.4g} * {name} at every element: the gradient of the "
                       f"weight decay in the loss (reg * {name} for 0.5 * reg * sum({name}**2)) is left out")
    return Finding("regularization", f"{row.name} has an extra {-c:.4g} * {name} at every element: a weight decay "
                   "the loss does not have, or its gradient added twice")


def transposed(row: ArrayCheck, a: np.ndarray, n: np.ndarray, rtol: float, floor: float) -> Finding | None:
    """A "transposed" finding when a failing square gradient is the transpose of the numerical one."""
    shape = row.shape
    if row.verdict != "FAIL" or len(shape) != 2 or shape[0] != shape[1] or shape[0] < 2:
        return None
    if np.all(_agree(a, n.reshape(shape).T.reshape(-1), rtol, floor)):
        return Finding("transposed", f"{row.name} is the transpose of the numerical gradient: transpose it "
                       "(x.T @ dout, not dout.T @ x?)")
    return None


def located(row: ArrayCheck, a: np.ndarray, n: np.ndarray, x: np.ndarray | None, rtol: float, floor: float,
            extra: list[tuple[np.ndarray, str]] = ()) -> Finding | None:
    """A "located" finding when a failing array is wrong only where a condition holds: where the numerical
    gradient is exactly zero (a mask not applied), only where it is not (a mask's scale), only where the input x
    is <= 0 or > 0, or only in some rows or columns, or under one of the ``extra`` conditions (the labels of a
    loss); with the factor there, if one holds."""
    if row.verdict != "FAIL" or not len(row.failing) or a.size < 2:
        return None
    failing = np.zeros(a.size, bool)
    failing[row.failing] = True
    conditions = [(n == 0, ("where the numerical gradient is exactly 0 (where forward passes nothing on: a mask, a "
                            "ReLU's flat side, a dropped unit), and the claimed one is not: a mask not applied in "
                            "backward?")),
                  (n != 0, "where the numerical gradient is not 0 (where the mask lets the gradient through)")]
    zero = n == 0
    if 0 < zero.sum() < zero.size and failing[zero & (a != 0)].all() and (c := factor(a[~zero], n[~zero], rtol,
                                                                                      floor)) is not None:
        return Finding("located", f"{row.name} is not 0 where the numerical gradient is exactly 0 ({zero.sum()} of "
                       f"{a.size} elements: where forward passes nothing on, a mask or a dropped unit: a mask not "
                       f"applied in backward?), and elsewhere it is {c:.4g} times the numerical gradient"
                       + (f" (a scale missing: inverted dropout's 1/(1-p) = {1 / c:.4g}?)" if 0 < c < 1 else ""))
    conditions = [*extra, *conditions]
    if x is not None and x.size == a.size:
        flat = np.asarray(x, float).reshape(-1)
        conditions += [(flat <= 0, "where x <= 0"), (flat > 0, "where x > 0")]
    for where, words in conditions:
        if 0 < where.sum() < where.size and not (failing & ~where).any() and failing.sum() >= 0.5 * where.sum():
            return Finding("located", f"{row.name} is wrong only {words} ({failing.sum()} of {a.size} elements)"
                           + _factor_there(a[failing], n[failing], rtol, floor))
    if len(row.shape) == 2 and a.size == np.prod(row.shape):
        grid = failing.reshape(row.shape)
        for axis, what in ((1, "rows"), (0, "columns")):
            hit = np.flatnonzero(grid.any(axis=axis))  # the rows (or columns) with a failing element
            lines, size = row.shape[1 - axis], row.shape[axis]
            if 0 < len(hit) < lines and grid.sum() >= 0.5 * len(hit) * size:
                listed = ", ".join(map(str, hit[:8])) + (", ..." if len(hit) > 8 else "")
                return Finding("located", f"{row.name} is wrong only in {what} {listed} (of {lines})"
                               + _factor_there(a[failing], n[failing], rtol, floor))
    return None


def _factor_there(a: np.ndarray, n: np.ndarray, rtol: float, floor: float) -> str:
    c = factor(a, n, rtol, floor)
    return "" if c is None else f", and there it is {c:.4g} times the numerical gradient"


def label_conditions(t, x: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """(flat mask, words): the elements at each sample's label, and the others, for targets given as labels or
    one-hot rows of x's shape."""
    t = None if t is None else np.asarray(t)
    if t is None or x.ndim != 2:
        return []
    if t.shape == x.shape[:1] and t.dtype.kind in "iu" and t.size and t.min() >= 0 and t.max() < x.shape[1]:
        at = np.zeros(x.shape, bool)
        at[np.arange(x.shape[0]), t] = True
    elif t.shape == x.shape and set(np.unique(t)) <= {0, 1}:
        at = t.astype(bool)
    else:
        return []
    return [(at.reshape(-1), "at each sample's correct class (its label's column)"),
            (~at.reshape(-1), "away from the correct classes")]


def shape_cause(name: str, got: tuple[int, ...], want: tuple[int, ...], batch: int | None) -> str:
    """Why a gradient of shape ``got`` for an array of shape ``want``: what the shapes tell."""
    if batch and got == (batch, *want):
        return "one row per sample: the sum over the batch (axis 0) is missing"
    if batch and got[1:] == want[1:] and len(got) == len(want) and got[0] == batch and want[0] == 1:
        return "one row per sample: the sum over the batch (axis 0, keepdims=True) is missing"
    if len(got) == 2 and got == want[::-1]:
        return "transposed (x.T @ dout, not dout.T @ x?)"
    if got == (1, *want):
        return "keepdims=True where the array has no such axis"
    if want == (1, *got):
        return "keepdims=True missing (the array keeps a leading axis of 1)"
    if got == ():
        return "a single number: summed over every axis?"
    if int(np.prod(got)) == int(np.prod(want)):
        return "the same number of elements in another shape: a reshape missing?"
    return ""


def common(rows: list[ArrayCheck], values: list[np.ndarray], kinks: list[str], dtypes: set) -> list[Finding]:
    """The findings of any check: NaN or inf in ``values``, every gradient zero, a kink crossed, unresolvable
    arrays, float32."""
    found = []
    if not all(np.isfinite(np.asarray(v, dtype=float)).all() for v in values if _numeric(v)):
        found.append(Finding("nonfinite", "a value, input, parameter or gradient is NaN or inf: look for an overflow "
                             "(exp of a large input?), a log of 0 or a division by zero"))
    checked = [r for r in rows if r.verdict not in ("shape", "unchecked")]
    if checked and all(r.verdict == "zero" for r in checked):
        found.append(Finding("zero-gradient", "every gradient is exactly zero, so their agreement proves nothing "
                             "(dead ReLUs? all-zero inputs?): use inputs and an init that activate the units"))
    if kinks:
        found.append(Finding("kink", f"{', '.join(kinks)}: a finite difference crossed a kink (ReLU at 0, a max "
                             "over ties?); the left and right differences bracket the claimed value, and tied "
                             "elements moved together agree: not a bug"))
    if unresolved := [r.name for r in rows if r.verdict == "unresolvable"]:
        found.append(Finding("unresolvable", f"{', '.join(unresolved)}: gradients too small for central "
                             "differences to resolve at this step: scale the inputs up, or check in float64"))
    if any(np.dtype(d) == np.float32 for d in dtypes):
        found.append(Finding("float32", "float32 values: tolerances are widened and finite differences lose most "
                             "digits; check in float64 for a sharp answer"))
    return found


def _numeric(v) -> bool:
    try:
        return np.asarray(v).dtype.kind in "fciub"
    except (TypeError, ValueError):
        return False
