"""Findings about users' code that the numbers alone do not say: one factor off element by element, a transposed
gradient, an error only where a condition holds or in one block of an array (for a loss: per sample, per class, at
the label, beyond a threshold: nngrad.check.loss_patterns), the likely cause of a wrong shape, and the findings of
any check (NaN, all zeros, kinks, float32). No diagnosis explains a failure at the level of the check's own noise:
each reads only the arrays that fail WELL_ABOVE their allowance somewhere.

DIAGNOSES (at the end) registers every kind of finding that has a detector: its name, whether it fails, its
detector (Evidence -> list[Finding]) and when it runs. The judge runs them in this order, each in its own guard:
adding a diagnosis is one entry here (and its detector, here or in a module of its own).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import permutations, product

import numpy as np

from .._words import plural
from . import contributions, decay, elementwise, experiments, misplaced, parts, reorder, softmax_chain, some_arrays, terms, unused_part
from ..tolerances import FACTOR, FEWEST_AGREE, KINK_REACH, WELL_ABOVE
from .compare import ArrayCheck, agree
from .evidence import Evidence, Failure
from .experiments import constant_output
from .findings import Finding, Kind
from .probe import invariant
from .scalars import equal_to, held, shares

MOST_AXES = 5  # the most axes whose orders the 'transposed?' test tries (5! = 120)


def factor(a: np.ndarray, n: np.ndarray, rtol: float, floor: float) -> float | None:
    """The constant c with a == c * n at every element (within the allowance), or None; c is rounded to a simple
    value (2, 1/2, -1, 1/B...) when it is one. Any one number is a multiple of another: c needs FEWEST_AGREE
    elements that agree on it (where n is not 0), or, from one element, to be a whole number or the reciprocal of
    one (2, -1, 1/2, the batch: a coincidence to FACTOR's digits is unlikely)."""
    nn = float(n @ n)
    if not a.size or nn == 0:
        return None
    c = float(a @ n) / nn
    for simple in (0, 1, -1, 2, 0.5, -2, -0.5, 3, 1 / 3, 4, 0.25):
        if np.isclose(c, simple, rtol=FACTOR, atol=1e-12):
            c = float(simple)
    if np.count_nonzero(n) < FEWEST_AGREE and not _whole(c):
        return None
    return c if np.all(agree(a, c * n, max(rtol, 1e-9), floor)) and not np.isclose(c, 1.0, rtol=FACTOR) else None


def _whole(c: float) -> bool:
    """Is c a whole number, or the reciprocal of one (to FACTOR)?"""
    return any(v == 0 or np.isclose(v, round(v), rtol=FACTOR, atol=0) for v in (c, 1 / c if c else 0.0))


def _guess(c: float, batch: int | None, held: list[tuple[str, float]] = ()) -> str:
    """The likely causes of a factor c, never one the code cannot have: a number the code holds that equals c
    (or 1/c) named first; a simple factor given as one of several causes."""
    from .scalars import equal_to

    if (named := equal_to(c, list(held))) is not None:
        return f"the factor is {named}"
    guesses = {2.0: "a factor 2: a 1/2 left out (of a squared error's 1/2, of an average of two terms?), a 1/k of a "
                    "scale k = 2, or a term counted twice?",
               0.5: "a factor 1/2 too many, or one of two equal terms left out?",
               -1.0: "the sign flipped"}
    if batch and batch > 1:
        guesses |= {float(batch): f"a sum over the batch of {batch} where the loss takes the mean",
                    1.0 / batch: f"a mean over the batch of {batch} where the loss takes the sum (or the mean taken "
                    "twice)"}
    return next((g for f, g in guesses.items() if np.isclose(c, f, rtol=FACTOR)), "a missing or extra factor")


def scaled(row: ArrayCheck, a: np.ndarray, n: np.ndarray, batch: int | None, rtol: float, floor: float,
           held: list[tuple[str, float]] = ()) -> Finding | None:
    """A "scaled" finding when a failing array is one constant times the numerical gradient, element by element;
    ``held``: the numbers the code holds, (name, value), one of which may be the factor."""
    c = factor(a, n, rtol, floor) if row.verdict == "FAIL" else None
    if c is None:
        return None
    if c == 0:
        return Finding("scaled", f"{row.name} is 0 at every element and the numerical gradient is not: never "
                       "computed, or reset after it was (a zeroing in the wrong place?)")
    masked = bool((n == 0).any() and (n != 0).any())  # a mask drops some elements: dropout's own scale?
    guess = (f"a scale missing where the mask lets the gradient through (inverted dropout's 1/(1-p) = {number(1 / c)}?)"
             if masked and 0 < c < 1 and equal_to(c, shares(held)) is None else _guess(c, batch, held))
    return Finding("scaled", f"{row.name} is {number(c)} times the numerical gradient at every element: {guess}")


def number(c: float) -> str:
    """``c`` to 4 significant digits, or to the digits that tell it from the round number 4 digits would show
    (1.00001, not 1), where it differs from that number by more than the check's precision (1e-6)."""
    text = f"{c:.4g}"
    digits = len(text.lstrip("-0.").replace(".", "").split("e")[0])
    for more in range(5, 16):
        if digits == 4 or abs(float(text) - c) <= 1e-6 * abs(c):
            break
        text = f"{c:.{more}g}"
    return text


def regularization(row: ArrayCheck, a: np.ndarray, n: np.ndarray, values: np.ndarray, rtol: float, floor: float
                   ) -> Finding | None:
    """A "regularization" finding when a failing parameter's gradient is off by c times the parameter itself, at
    every element: the gradient of a weight decay (reg * sum(W**2) / 2 gives reg * W) left out or added twice."""
    w = np.asarray(values, dtype=float).reshape(-1)
    if row.verdict != "FAIL" or np.count_nonzero(w) < FEWEST_AGREE:  # one element is any multiple of another
        return None
    c = float((n - a) @ w) / float(w @ w)
    if c == 0 or not np.all(agree(a + c * w, n, rtol, floor)):
        return None
    name = row.name.removeprefix("d") if row.name.startswith("d") else row.name
    if c > 0:
        return Finding("regularization", f"{row.name} misses {c:.4g} * {name} at every element: the gradient of the "
                       f"weight decay in the loss (reg * {name} for 0.5 * reg * sum({name}**2)) is left out")
    return Finding("regularization", f"{row.name} has an extra {-c:.4g} * {name} at every element: a weight decay "
                   "the loss does not have, or its gradient added twice")


def transposed(row: ArrayCheck, a: np.ndarray, n: np.ndarray, rtol: float, floor: float) -> Finding | None:
    """A "transposed" finding when a failing gradient is the numerical one with its axes permuted: a square
    matrix's transpose, or any order of the axes of an array of more (dW of a bilinear form with two of its axes
    swapped), named with the axes."""
    shape = tuple(row.shape)
    if row.verdict != "FAIL" or len(shape) < 2 or a.size != int(np.prod(shape)) or len(shape) > MOST_AXES:
        return None
    true = n.reshape(shape)
    for order in permutations(range(len(shape))):
        if order == tuple(range(len(shape))) or tuple(shape[k] for k in order) != shape:
            continue
        moved = true.transpose(order).reshape(-1)
        if np.array_equal(moved, n) or not np.all(agree(a, moved, rtol, floor)):
            continue
        if len(shape) == 2:
            return Finding("transposed", f"{row.name} is the transpose of the numerical gradient: transpose it "
                           "(x.T @ dout, not dout.T @ x?)")
        swapped = [k for k in range(len(shape)) if order[k] != k]
        which = (f"its axes {swapped[0]} and {swapped[1]} swapped" if len(swapped) == 2 else
                 f"its axes in the order {order}")
        return Finding("transposed", f"{row.name} is the numerical gradient with {which} ({row.name} = "
                       f"true.transpose{order}): the indices of a contraction written in another order (an einsum's "
                       f"output subscripts, or a product's operands swapped?): transpose it back")
    return None


def located(row: ArrayCheck, a: np.ndarray, n: np.ndarray, x: np.ndarray | None, rtol: float, floor: float,
            extra: list[tuple[np.ndarray, str]] = ()) -> Finding | None:
    """A "located" finding when a failing array is wrong only where a condition holds: where the numerical
    gradient is exactly zero (a mask not applied), only where it is not (a mask's scale), only where the input x
    is <= 0 or > 0, or only in some rows or columns, or under one of the ``extra`` conditions (the labels of a
    loss); with the factor there, if one holds."""
    if row.verdict != "FAIL" or not len(row.failing) or a.size < 2:
        return None
    failing = row.failing_mask(a.size)
    conditions = [(n == 0, ("where the numerical gradient is exactly 0 (where forward passes nothing on: a mask, a "
                            "ReLU's flat side, a dropped unit), and the claimed one is not: a mask not applied in "
                            "backward?")),
                  (n != 0, "where the numerical gradient is not 0 (where a mask, a margin or a threshold is "
                            "active and lets the gradient through)")]
    zero = n == 0
    if 0 < zero.sum() < zero.size and failing[zero & (a != 0)].all() and (c := factor(a[~zero], n[~zero], rtol,
                                                                                      floor)) is not None:
        return Finding("located", f"{row.name} is not 0 where the numerical gradient is exactly 0 ({zero.sum()} of "
                       f"{a.size} elements: where forward passes nothing on, a mask or a dropped unit: a mask not "
                       f"applied in backward?), and elsewhere it is {number(c)} times the numerical gradient"
                       + (f" (a scale missing: inverted dropout's 1/(1-p) = {number(1 / c)}?)" if 0 < c < 1 else ""))
    named = len(extra)  # the code's own conditions (labels, ids) name a cause even where they cover every
    conditions = [*extra, *conditions]  # element the output depends on; the generic ones then say nothing
    if x is not None and x.size == a.size:
        flat = np.asarray(x, float).reshape(-1)
        conditions += [(flat <= 0, "where x <= 0"), (flat > 0, "where x > 0")]
    for k, (where, words) in enumerate(conditions):
        if 0 < where.sum() < where.size and not (failing & ~where).any() and failing.sum() >= 0.5 * where.sum() \
                and (k < named or not trivial(where, a, n)):
            return Finding("located", f"{row.name} is wrong only {words} ({failing.sum()} of {a.size} elements)"
                           + _factor_there(a[failing], n[failing], rtol, floor))
    if len(row.shape) == 2 and a.size == np.prod(row.shape):
        grid = failing.reshape(row.shape)
        for axis, what in ((1, "rows"), (0, "columns")):
            hit = np.flatnonzero(grid.any(axis=axis))  # the rows (or columns) with a failing element
            lines, size = row.shape[1 - axis], row.shape[axis]
            lined = np.zeros(row.shape, bool)
            lined[(hit, slice(None)) if axis == 1 else (slice(None), hit)] = True
            if 0 < len(hit) < lines and grid.sum() >= 0.5 * len(hit) * size and not trivial(lined.reshape(-1), a, n):
                listed = ", ".join(map(str, hit[:8])) + (", ..." if len(hit) > 8 else "")
                return Finding("located", f"{row.name} is wrong only in {what} {listed} (of {lines})"
                               + _factor_there(a[failing], n[failing], rtol, floor))
    if (where := block(failing, row.shape, ~((a == 0) & (n == 0)))) is not None:
        return Finding("located", f"{row.name} is wrong only in the block {row.name}{where} ({failing.sum()} of "
                       f"{a.size} elements)" + _factor_there(a[failing], n[failing], rtol, floor))
    if (where := border(failing, row.shape)) is not None:
        return Finding("located", f"{row.name} is wrong only {where} ({failing.sum()} of {a.size} elements), right "
                       "inside it: where windows overlap the padding (a padding offset, padded cells counted where "
                       "forward does not count them, or the other way round?)"
                       + _factor_there(a[failing], n[failing], rtol, floor))
    if (where := shifted(a, n, row.shape, rtol, floor)) is not None:
        return Finding("located", f"{row.name} is the numerical gradient {where}: an offset in an index (a crop of "
                       "the padded gradient at [:H] where [pad:pad + H] belongs, a window's start?)")
    return None


MOST_BORDER = 3  # the widest border (in cells, on each side) the border locator tries
MOST_SHIFT = 3  # the largest offset (in cells, along each axis) the shift locator tries


def border(failing: np.ndarray, shape: tuple[int, ...]) -> str | None:
    """Where every failing element lies within the first or last k cells of an array's trailing spatial axes (the
    last two of an array of 3 axes or more: each image's rows and columns; else the last of 3 axes: a sequence),
    fills that border at least half, and none inside it fails: the border in words, else None."""
    shape = tuple(shape)
    if len(shape) < 3 or failing.size != int(np.prod(shape)) or not failing.any():
        return None
    grid = failing.reshape(shape)
    for axes in ((len(shape) - 2, len(shape) - 1), (len(shape) - 1,)):
        if any(shape[k] < 4 for k in axes):
            continue
        for first in range(MOST_BORDER + 1):
            for last in range(MOST_BORDER + 1):
                if not first + last or any(shape[k] - first - last < 1 for k in axes):
                    continue
                edge = np.zeros(shape, bool)
                for k in axes:
                    index = [slice(None)] * len(shape)
                    index[k] = np.r_[0:first, shape[k] - last:shape[k]].astype(int)
                    edge[tuple(index)] = True
                if not (grid & ~edge).any() and grid.sum() >= 0.5 * edge.sum():
                    return _border_words(first, last, axes, shape)
    return None


def _border_words(first: int, last: int, axes: tuple[int, ...], shape: tuple[int, ...]) -> str:
    sides = " and ".join(w for w, k in ((f"the first {first}", first), (f"the last {last}", last)) if k)
    lines = "rows and columns of each image" if len(axes) == 2 else "positions of each sequence"
    which = f"axes {axes[0]}, {axes[1]}" if len(axes) == 2 else f"axis {axes[0]}"
    return f"in {sides} {lines} ({which} of {shape}): at the border"


def shifted(a: np.ndarray, n: np.ndarray, shape: tuple[int, ...], rtol: float, floor: float) -> str | None:
    """Where yours equals the numerical gradient moved by a few cells along one or two axes, on the part where
    the two overlap (at least half the array, with FEWEST_AGREE nonzero elements that are not all equal): the
    offset in words, else None."""
    shape = tuple(shape)
    if len(shape) < 1 or a.size != int(np.prod(shape)) or a.size < 4:
        return None
    yours, true = a.reshape(shape), n.reshape(shape)
    axes_sets = [(k,) for k in range(len(shape))] + [(j, k) for j in range(len(shape)) for k in range(j + 1,
                                                                                                      len(shape))]
    for axes in sorted(axes_sets, key=lambda s: (len(s), [-k for k in s])):
        for moves in product(*[[m for m in range(-MOST_SHIFT, MOST_SHIFT + 1) if m] for _ in axes]):
            if any(abs(m) > shape[k] // 2 for k, m in zip(axes, moves)):
                continue
            mine, theirs = [slice(None)] * len(shape), [slice(None)] * len(shape)
            for k, m in zip(axes, moves):
                mine[k], theirs[k] = (slice(m, None), slice(None, -m)) if m > 0 else (slice(None, m), slice(-m, None))
            y, t = yours[tuple(mine)], true[tuple(theirs)]
            if 2 * y.size < a.size or np.count_nonzero(t) < FEWEST_AGREE or np.ptp(t) == 0:
                continue
            if np.all(agree(y.reshape(-1), t.reshape(-1), rtol, floor)):
                at = ", ".join(f"{m:+d} along axis {k}" for k, m in zip(axes, moves))
                return (f"moved by {at}, where the two overlap ({y.size} of {a.size} elements): yours at index i "
                        "holds the true gradient's value at i - offset")
    return None


def trivial(where: np.ndarray, a: np.ndarray, n: np.ndarray) -> bool:
    """Does a condition hold trivially: outside it (flat mask ``where``) both the claimed and the numerical gradient
    are exactly 0 (an embedding's unused rows), so "wrong only there" says nothing?"""
    return not (a[~where] != 0).any() and not (n[~where] != 0).any()


def block(failing: np.ndarray, shape: tuple[int, ...], live: np.ndarray | None = None) -> str | None:
    """The smallest box of the array holding every failing element, written as an index in the array's own
    coordinates ("[:, 2]", "[0:3, :, 5]"), where it is a strict part of the array that the failures mostly fill
    (and, given ``live``, a flat mask of the elements not 0 on both sides, one that holds some of them outside it);
    None otherwise."""
    if not shape or failing.size != int(np.prod(shape)) or not failing.any():
        return None
    grid, parts, size = failing.reshape(shape), [], 1
    for axis, length in enumerate(shape):
        hit = np.flatnonzero(grid.any(axis=tuple(k for k in range(len(shape)) if k != axis)))
        lo, hi = int(hit[0]), int(hit[-1]) + 1
        size *= hi - lo
        parts.append(":" if (lo, hi) == (0, length) else str(lo) if hi == lo + 1 else f"{lo}:{hi}")
    if all(p == ":" for p in parts) or grid.sum() < 0.5 * size:
        return None
    box = np.zeros(shape, bool)
    box[tuple(slice(None) if p == ":" else slice(int(p.split(":")[0]), int(p.split(":")[-1]) + (":" not in p))
              for p in parts)] = True
    if live is not None and not (live.reshape(shape) & ~box).any():
        return None  # outside the box every element is 0 on both sides: the box says nothing
    while len(parts) > 1 and parts[-1] == ":":
        parts.pop()
    return "[" + ", ".join(parts) + "]"


def _factor_there(a: np.ndarray, n: np.ndarray, rtol: float, floor: float) -> str:
    c = factor(a, n, rtol, floor)
    return "" if c is None else f", and there it is {number(c)} times the numerical gradient"


def label_mask(t, shape: tuple[int, ...]) -> np.ndarray | None:
    """The mask (of ``shape`` (N, C)) of each sample's label, for targets given as integer labels (N,) or one-hot
    rows (N, C) (exactly one 1 a row); None for any other t."""
    t = None if t is None else np.asarray(t)
    if t is None or len(shape) != 2 or not t.size:
        return None
    if t.shape == shape[:1] and t.dtype.kind in "iu" and t.min() >= 0 and t.max() < shape[1]:
        at = np.zeros(shape, bool)
        at[np.arange(shape[0]), t] = True
        return at
    if t.shape == shape and set(np.unique(t).tolist()) <= {0, 1} and (t.sum(axis=1) == 1).all():
        return t.astype(bool)
    return None


def label_conditions(t, x: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """(flat mask, words): the elements at each sample's label, and the others, for targets given as labels or
    one-hot rows of x's shape; where a binary target of x's shape takes each of its two values."""
    at = label_mask(t, np.shape(x))
    if at is not None:
        return [(at.reshape(-1), "at each sample's correct class (its label's column)"),
                (~at.reshape(-1), "away from the correct classes")]
    t = None if t is None else np.asarray(t)
    if t is None or t.shape != np.shape(x) or len(values := np.unique(t)) != 2:
        return []
    return [(t.reshape(-1) == v, f"where t = {v:g}") for v in values]


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
    if got == tuple(d for d in want if d != 1):
        return (f"an axis of 1 lost: a sum without keepdims=True (the array is {want}: sum(..., keepdims=True), or "
                f"reshape to {want})")
    if want == tuple(d for d in got if d != 1):
        return f"an extra axis of 1: keepdims=True (or a reshape) where the array {want} has none"
    if got == ():
        return "a single number: summed over every axis?"
    if int(np.prod(got)) == int(np.prod(want)):
        return "the same number of elements in another shape: a reshape missing?"
    return ""




# -- the detectors (one signature: Evidence -> list[Finding]) --------------------------------------------------------


def _nonfinite(e: Evidence) -> list[Finding]:
    """NaN or inf in a claimed gradient, an operand's values or a numerical gradient (a scalar that overflows)."""
    values = [*e.claim.grads.values(), *(op.values for op in e.subject.operands), *e.outcome.values]
    if all(np.isfinite(np.asarray(v, dtype=float)).all() for v in values if _numeric(v)):
        return []
    return [Finding("nonfinite", "a value, input, parameter or gradient is NaN or inf: " + _remedy(
        e, "nonfinite", "look for an overflow (exp of a large input?), a log of 0 or a division by zero"))]


def _all_zero(e: Evidence) -> list[Finding]:
    """Rows whose claimed and numerical gradients are both exactly zero verify nothing: said in words, for every
    gradient or for the rows concerned."""
    checked = [r for r in e.rows if r.verdict not in ("shape", "unchecked")]
    zero = [r.name for r in checked if r.verdict == "zero"]
    if not zero:
        return []
    if len(zero) == len(checked):
        return [Finding("zero-gradient", "every gradient is exactly zero, so their agreement proves nothing (dead "
                        "ReLUs? all-zero inputs?): " + _remedy(e, "zero-gradient", "use inputs and an init that "
                                                                                   "activate the units"))]
    return [Finding("zero-gradient", f"{', '.join(zero)}: both the claimed and the numerical gradient are exactly zero "
                    "at this point (every unit it feeds inactive: dead ReLUs, a dropout mask that drops them all?), so "
                    "nothing is verified there: check at other inputs or another seed")]


def _kinks(e: Evidence) -> list[Finding]:
    """The arrays excused by a kink crossed; where none is but an array fails and the style can tell that inputs of
    a ReLU lie within KINK_REACH steps of 0, a note that kinks may be crossed where the rules could not tell."""
    near = e.subject.kinks_near(KINK_REACH * e.eps)
    close = f"{plural(near, 'ReLU input')} {'lies' if near == 1 else 'lie'} within {KINK_REACH:g} steps of 0"
    if e.outcome.kinks:
        return [Finding("kink", f"{', '.join(e.outcome.kinks)}: a finite difference crossed a kink (ReLU at 0, a max "
                        f"over ties?{f'; {close}' if near else ''}); the left and right differences bracket the "
                        "claimed value, and tied elements moved together agree: not a bug")]
    if near and any(r.verdict == "FAIL" for r in e.rows):
        return [Finding("kink", f"{close}: the finite difference may have crossed kinks (its left and right "
                        "differences do not bracket every disagreement): try "
                        f"{_remedy(e, 'kink', 'another point or a smaller eps')} before suspecting the backward")]
    return []


def _unresolvable(e: Evidence) -> list[Finding]:
    """Arrays below what the finite difference resolves (a true gradient of exactly zero is settled by the judge:
    those rows are "ok" or "FAIL")."""
    small = [r for r in e.rows if r.verdict == "unresolvable"]
    if not small:
        return []
    reference = next((r.reference for r in small if r.reference.endswith("differences")), "central differences")
    return [Finding("unresolvable", f"{', '.join(r.name for r in small)}: gradients up to "
                    f"{max(r.scale for r in small):.1e} lie within what {reference} at eps={e.eps:.1e} resolve: "
                    + _remedy(e, "unresolvable", "scale the inputs up, or check in float64"))]


def _float32(e: Evidence) -> list[Finding]:
    if np.dtype(e.dtype) != np.float32:
        return []
    return [Finding("float32", "float32 values: tolerances are widened and finite differences lose most digits; "
                    + _remedy(e, "float32", "check in float64") + " for a sharp answer")]


def _remedy(e: Evidence, kind: str, general: str) -> str:
    """What to do about a finding of ``kind``: in the style's own terms where it has them (Subject.remedy)."""
    return e.subject.remedy(kind) or general


def _ties(e: Evidence) -> list[Finding]:
    """Tied elements whose claimed gradients' sum disagrees, well above the check's noise, with the rate at which
    moving them together changes the output."""
    found = []
    for name in dict.fromkeys(name for name, *_ in e.outcome.ties):
        ties = [(tied, claimed, numerical) for row, tied, claimed, numerical in e.outcome.ties
                if row == name and _tie_above_noise(e, name, tied, claimed, numerical)]
        if not ties:
            continue
        tied, claimed, numerical = ties[0]
        found.append(Finding("tie", f"{name}: elements tied at one value (flat indices {', '.join(map(str, tied[:6]))}"
                             f"{f' and {len(ties) - 1} more groups' if len(ties) > 1 else ''}), moved together, change "
                             f"the output at the rate {numerical:.6g}, but their claimed gradients sum to "
                             f"{claimed:.6g}: backward sends dout to every tied maximum; send it to one of them"))
    return found


def _tie_above_noise(e: Evidence, name: str, tied: np.ndarray, claimed: float, numerical: float) -> bool:
    """Does a tied group's sum disagree by WELL_ABOVE times its allowance (that of its elements, summed)?"""
    k = next((i for i, t in enumerate(e.targets) if t.name == name), None)
    scale = 0.0 if k is None else float(np.abs(e.outcome.values[k]).max(initial=0.0))
    own = e.floor + e.rtol * scale
    return abs(claimed - numerical) > WELL_ABOVE * (e.rtol * (abs(claimed) + abs(numerical)) + own * len(tied))


def _above_noise(e: Evidence, f: Failure) -> bool:
    """Does ``f`` fail by more than its allowance's own level somewhere (WELL_ABOVE times), so that a pattern in
    its difference is not one of the check's noise?"""
    a, n = f.claimed, f.numerical
    allowed = e.allowed(f)
    return bool(np.any(np.abs(a - n) > WELL_ABOVE * allowed))


def _pattern(detect):
    """A detector from a pattern of one array's numbers: the first pattern that fits a failing array explains it."""

    def run(e: Evidence) -> list[Finding]:
        found = []
        for f in e.unexplained():
            if _above_noise(e, f) and (finding := detect(e, f)) is not None:
                found.append(finding)
                e.explained.add(f.row.name)
        return found

    return run


def _located(e: Evidence, f: Failure) -> Finding | None:
    """A loss's patterns first (nngrad.check.loss_patterns), then those of any array."""
    from .loss_patterns import describe  # it reads this module's helpers: imported when first asked

    return describe(e, f) or located(f.row, f.claimed, f.numerical, f.x, e.rtol, e.own(f),
                                     [*e.subject.conditions(f.row.name), *_indexed(e, f)]) \
        or contributions.condition(e, f)


def _indexed(e: Evidence, f: Failure) -> list[tuple[np.ndarray, str]]:
    """(flat mask, words): for a table whose rows integer ids the code holds can index (an embedding), the rows
    they index more than once, and those they index once."""
    from .loss_patterns import held_arrays

    shape = tuple(f.row.shape)
    if len(shape) != 2 or f.claimed.size != shape[0] * shape[1]:
        return []
    found = []
    for name, ids in held_arrays(e.subject):
        if ids.dtype.kind not in "iu" or not ids.size or ids.min() < 0 or ids.max() >= shape[0]:
            continue
        count = np.bincount(ids.reshape(-1), minlength=shape[0])
        for rows, words in ((count > 1, f"in the rows {name} indexes more than once (a repeated id: its "
                                        "gradients summed? np.add.at, not table[ids] += ..., which keeps one)"),
                            (count == 1, f"in the rows {name} indexes once")):
            found.append((np.repeat(rows, shape[1]), words))
    return found


def _significant(detect):
    """A detector that reads only the arrays failing well above the check's noise (``_above_noise``): the others
    are left out of its Evidence, and where none is left (and no tie failed) it does not run."""

    def run(e: Evidence) -> list[Finding]:
        kept = [f for f in e.failing if _above_noise(e, f)]
        if not kept and not e.outcome.ties:
            return []
        return detect(e if len(kept) == len(e.failing) else replace(e, failing=kept))

    return run


def _ignored(e: Evidence, f: Failure) -> Finding | None:
    """An array the output does not depend on at all (its numerical gradient is zero at every element, and the
    output stays put when every element moves by about 1) whose claimed gradient is not zero."""
    if np.abs(f.numerical).max(initial=0.0) > e.own(f):
        return unused_part.diagnose(e, f)
    if not invariant(e.evaluate, f.operand.values, e.seed, e.subject.scale()):
        return None
    return Finding("ignored", f"{f.row.name}: the output does not depend on {f.operand.label} at all (it stays put "
                   f"when every element moves by about 1), so its true gradient is zero, yet yours reaches "
                   f"{number(float(np.abs(f.claimed).max()))}: forward never uses it (left out of the output?), or a "
                   "normalisation after it removes its shift (a bias before batch normalisation: its gradient "
                   "cancels)")


def _constant_output(e: Evidence) -> list[Finding]:
    return [constant_output(e.subject, f.operand) for f in e.failing
            if f.x is not None and not f.numerical.any() and f.claimed.any()]


def _numeric(v) -> bool:
    try:
        return np.asarray(v).dtype.kind in "fciub"
    except (TypeError, ValueError):
        return False


def _array(name: str, fails: bool, about: str, detect, probe: str) -> Kind:
    """A kind found by a pattern of one failing array's numbers: ``detect(e, failure) -> Finding | None``."""
    return Kind(name, fails, about, _pattern(detect), "failing", probe)


DIAGNOSES: tuple[Kind, ...] = (
Kind("nonfinite", True, "NaN or inf in a value, an input, a gradient or a parameter", _nonfinite, "always",
         "the NaN test"),
    Kind("zero-gradient", None, "every gradient is exactly zero: the check proves nothing", _all_zero, "always",
         "the all-zero test"),
    Kind("unresolvable", None, "an array below what the finite difference can resolve (or whose true gradient "
         "is zero by design)", _unresolvable, "always", "the 'is the gradient zero by design?' probe"),
    Kind("kink", False, "a finite difference crossed a kink: left and right differences bracket the analytic "
         "value", _kinks, "always", "the kink note"),
    Kind("float32", False, "low precision: tolerances widened", _float32, "always", "the float32 note"),
    Kind("tie", True, "at tied inputs, the gradient disagrees along the direction that moves them together",
         _ties, "failing", "the tie note"),
    _array("misplaced", True, "the right gradient is in another array of the code: read from a place backward does "
           "not update", misplaced.diagnose, "the 'is the right gradient elsewhere?' probe"),
    _array("ignored", True, "the output does not depend on an array at all (or on one block of it), yet its claimed "
           "gradient is not zero there",
           _ignored, "the 'does the output depend on it?' test"),
    _array("scaled", True, "a gradient off by one constant factor, element by element (sum vs mean, a missing "
          "1/2)", lambda e, f: scaled(f.row, f.claimed, f.numerical, e.batch(), e.rtol, e.own(f), held(e.subject))
          or parts.diagnose(e, f),
          "the 'one factor?' test"),
    _array("transposed", True, "a gradient that is the numerical one with its axes permuted (a square matrix's "
           "transpose, two axes of a 3-D weight swapped)",
          lambda e, f: transposed(f.row, f.claimed, f.numerical, e.rtol, e.own(f)), "the 'transposed?' test"),
    _array("regularization", True, "off by a multiple of the parameter itself: a weight-decay term missing or "
          "extra", lambda e, f: None if f.x is not None else regularization(
              f.row, f.claimed, f.numerical, f.operand.values, e.rtol, e.own(f)), "the 'weight decay?' test"),
    _array("decay-part", True, "off by a multiple of the array itself on part of it only (a decay on the bias)",
           decay.part, "the 'weight decay on part of it?' test"),
    _array("located", True, "wrong only where a condition holds (a mask, a sign, some rows, columns or a block; a "
          "loss's label, a threshold), or sample by sample", _located, "the 'where is it wrong?' test"),
    Kind("missing-term", True, "an input's gradient off by exactly dout times an array of the forward (or dout "
         "itself): a path to the output left out of the backward, or added", _significant(terms.diagnose), "failing",
         "the 'a term missing?' test"),
    Kind("constant-output", True, "the output does not depend on an input", _significant(_constant_output), "failing",
         "the 'does the output depend on x?' test"),
    Kind("dout-ignored", True, "backward at dout = 0 does not return zeros: its gradients do not come from dout "
         "alone", _significant(experiments.zero_dout), "failing", "the 'backward at dout = 0' probe"),
    Kind("known-mistake", True, "the backward matches a wrong formula learners often write for this layer",
         _significant(experiments.known), "failing", "the known-mistakes probe"),
    Kind("derivative", True, "an element-wise layer's local derivative, read element by element, set beside "
         "the true one as a function of x (or a loss's term not chained through its softmax)",
         _significant(lambda e: elementwise.diagnose(e) or softmax_chain.diagnose(e)), "failing",
         "the 'element-wise derivative' probe"),
    Kind("layer", True, "a network's gradient is wrong because one of its layers' backward is",
         _significant(experiments.own), "failing", "the style's own probe (which layer?)"),
    Kind("updated-weights", True, "dx computed with the weights the backward had already updated",
         _significant(experiments.updated), "failing", "the 'computed after the update?' probe"),
    Kind("reordered", True, "the right numbers in the wrong places: the gradients are the true ones at a dout "
         "whose elements were reassigned (read in another axis order), or a permutation of the true gradient",
         _significant(reorder.diagnose), "failing", "the 'dout read in another order?' probe"),
    Kind("batch", True, "right for a batch of one sample, wrong for more: a sum or mean over the batch "
         "mishandled", _significant(lambda e: contributions.axis(e) or experiments.one_sample(e)), "failing", "the 'right for the first sample?' probe"),
    Kind("split", True, "some arrays wrong, the others right (one layer's input and parameters, several inputs): "
         "what that locates; said last, where nothing else named the bug", _significant(some_arrays.unnumbered),
         "failing", "the 'which arrays agree?' reading"),
)
