"""Where a loss's gradient is wrong, in words, from the numbers alone: general rules on the claimed and the
numerical gradient of an input x (N, C) or (N,), x itself, and the arrays the code reads that the check holds fixed
(labels, targets, weights), never on the loss's name. In order, the first that fits:

- a factor that is a held array: yours = numerical / w (w left out of the gradient) or numerical * w (twice), per
  sample (one value a row), per class (one a column) or element by element;
- a condition: at each sample's label (the t-th entry of its row, or where a one-hot t is 1) or only away from it,
  where a binary target takes one value, on one side of a threshold of x, x - t, |x - t|, t * x or x - x[label] (a
  margin, Huber's delta, a clip), where the loss is flat (a margin not active) or only where it is not;
- away from the label under one of those conditions, and at the label of the same samples (a margin counted where
  it is not active also counts at the label);
- sample by sample or class by class: each row (column) its own constant times the numerical gradient;
- off by one constant at every element (a term constant over the elements left out or added);
- each row off by a multiple of that row of x itself (a term along x: the derivative of a norm |x_i| left out);
- only for some samples (their rows), the others right; for a vector that is not a batch (the parameters theta,
  an unrolled network), only in one stretch of its elements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tolerances import FACTOR, FEWEST, PREDICTED
from .diagnostics import label_mask, number, trivial
from .scalars import equal_to
from .evidence import Evidence, Failure
from .findings import Finding
from .subject import fixed_inputs

_FLAT = (": there the loss is flat (the numerical gradient is 0) and yours is not: a margin or threshold counted "
         "where it is not active")


def describe(e: Evidence, f: Failure) -> Finding | None:
    """A "located" finding for a failing input of a loss (a scalar output: no dout, or a scalar one), or None."""
    if f.x is None or f.claimed.size < 2:
        return None
    try:
        context = e.subject.context()
    except Exception:  # noqa: BLE001 - code that cannot say its output: left to the patterns of any array
        return None
    if context is None or not _scalar(context):
        return None
    x = np.asarray(f.x, dtype=float)
    held = held_arrays(e.subject)
    case = _Case(f.row.name, f.claimed, f.numerical, x, f.wrong, e.allowed(f), 1.0 if context.dout is None else float(context.dout))
    words = (_held_factor(case, held) or _offset(case, e.subject) or _label_terms(case, held, e.subject)
             or _conditioned(case, held) or _active_threshold(case, held, e.subject)
             or _per_line(case, 0, "sample", "row") or _per_line(case, 1, "class", "column") or _along_x(case)
             or (_some_samples(case) if _batched(x, held) else _packed(case)))
    return None if words is None else Finding("located", words)


def held_arrays(subject) -> list[tuple[str, np.ndarray]]:
    """(name, array): the numeric arrays the subject's code reads and the check holds fixed (labels, targets,
    weights): the inputs that are not operands (a functional style's ``inputs`` and ``names``) and a loss layer's
    targets ``t``."""
    found = [(name, v) for name, v in fixed_inputs(subject) if isinstance(v, np.ndarray) and v.dtype.kind in "fiub"]
    t = getattr(subject, "t", None)
    if isinstance(t, np.ndarray) and t.dtype.kind in "fiub":
        found.append(("t", t))
    return found


@dataclass
class _Case:
    """One failing input: its row's name, flat claimed ``a`` and numerical ``n``, x in its shape, the failing
    elements (flat mask), each element's allowance, and the dout the loss was multiplied by (1 where none)."""

    name: str
    a: np.ndarray
    n: np.ndarray
    x: np.ndarray
    failing: np.ndarray
    allowed: np.ndarray
    dout: float = 1.0

    def agrees(self, want: np.ndarray) -> bool:
        """Is the claimed gradient ``want`` (flat) at every element, within its allowance?"""
        return bool(np.all(np.abs(self.a - want) <= self.allowed + PREDICTED * np.abs(want)))


def _scalar(context) -> bool:
    """A loss: the check's scalar is the code's own output (no dout, or a dout of one number)."""
    return context.dout is None or np.ndim(context.dout) == 0


# -- a held array as the factor ---------------------------------------------------------------------------------------


def _held_factor(c: _Case, held: list[tuple[str, np.ndarray]]) -> str | None:
    """yours = numerical / w or numerical * w at every element, w a held float array (broadcast by rows, columns
    or element by element)."""
    for name, h in held:
        spread = _spread(np.asarray(h), c.x.shape)
        if spread is None or np.asarray(h).dtype.kind != "f":
            continue
        w, how = spread
        if not np.all(w != 0) or np.ptp(w) <= 1e-6 * np.abs(w).max():
            continue  # a weight of 0 hides the factor; a constant one is "scaled"
        if c.agrees(c.n / w):
            return (f"{c.name} is wrong {how}: it is the numerical gradient divided by {name} (yours = numerical / "
                    f"{name}): the weight {name} is left out of {c.name} (multiply by it, as the loss does)")
        if c.agrees(c.n * w):
            return (f"{c.name} is wrong {how}: it is the numerical gradient times {name}: the weight {name} is "
                    f"applied twice (once in the gradient the loss already weights, once more)")
    return None


def _spread(h: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, str] | None:
    """``h`` spread over an array of ``shape`` (flat) and how: one value per sample (row), per class (column), or
    per element; None where it fits none of these."""
    if h.shape == shape and len(shape) == 1:
        return h.astype(float).reshape(-1), "per sample (one weight a sample)"
    if len(shape) != 2:
        return None
    n, k = shape
    if h.shape in ((n,), (n, 1)) and n > 1:
        return np.repeat(h.reshape(-1).astype(float), k), "per sample (each row by its own factor)"
    if h.shape in ((k,), (1, k)) and k > 1:
        return np.tile(h.reshape(-1).astype(float), n), "per class (each column by its own factor)"
    if h.shape == shape:
        return h.astype(float).reshape(-1), "element by element"
    return None


# -- a condition ------------------------------------------------------------------------------------------------------


def _conditioned(c: _Case, held: list[tuple[str, np.ndarray]]) -> str | None:
    failing, size = c.failing, c.failing.size
    if not 0 < failing.sum() < size:
        return None
    at = _labels(c.x, held)
    masks = _masks(c, held, at)
    cuts = _thresholds(c, held, at, np.ones(size, bool))
    flat = masks[-2:]  # where the loss is flat, and where it is not: said beside a threshold that fits as well
    exact = [w for m, w in masks[:-2] if (m == failing).all()] + [w for m, w in cuts] + [
        w for m, w in flat if (m == failing).all() and not trivial(m, c.a, c.n)]
    if exact:
        return _say(c, exact[0], failing, _flat_there(c, failing, exact[0]))
    for m, w in masks:
        if 0 < m.sum() < size and not (failing & ~m).any() and failing.sum() >= 0.5 * m.sum() \
                and not trivial(m, c.a, c.n):
            return _say(c, w, failing)
    if at is not None and (failing & at).any() and (failing & ~at).any():
        return _two_parts(c, held, at)
    return None


def _say(c: _Case, words: str, where: np.ndarray, flat: str = "") -> str:
    return (f"{c.name} is wrong only {words} ({where.sum()} of {where.size} elements){flat}"
            + _there(c, where, "label" in words))


def _there(c: _Case, where: np.ndarray, labelled: bool = False) -> str:
    """What the claimed gradient is where it is wrong: a constant times the numerical one, or off by a constant."""
    a, n = c.a[where], c.n[where]
    if (n @ n) > 0:
        k = float(a @ n) / float(n @ n)
        if not np.isclose(k, 1.0, rtol=FACTOR) and np.all(np.abs(a - k * n) <= c.allowed[where] + PREDICTED * np.abs(a)):
            if abs(k) <= 1e-9:
                return ", and there it is 0: never computed (or reset)"
            return f", and there it is {number(k)} times the numerical gradient"
    d = float(np.mean(a - n))
    if not np.all(np.abs(a - n - d) <= c.allowed[where]) or not c.dout:
        return ""
    d, batch = d / c.dout, c.x.shape[0] if c.x.ndim == 2 else None
    unit = "" if c.dout == 1 else " per unit of dout"
    over = f" (= {number(d * batch)}/N for the batch of {batch})" if batch and batch > 1 else ""
    hint = " (the one-hot label's -1, divided by N?)" if labelled else ""
    return f", and there yours is off by the same {number(d)}{unit}{over} at every element: a constant term " \
           f"left out or added{hint}"


def _flat_there(c: _Case, where: np.ndarray, words: str) -> str:
    """Where the loss is flat (numerical 0) at exactly the failing elements and yours is not: said beside a
    threshold."""
    if "numerical gradient is 0" in words or not (c.n[where] == 0).all() or (c.n[~where] == 0).all():
        return ""
    return _FLAT


def _labels(x: np.ndarray, held: list[tuple[str, np.ndarray]]) -> np.ndarray | None:
    """The flat mask of each sample's label: from integer labels (N,) or a one-hot target of x's shape."""
    for _, h in held:
        at = label_mask(h, x.shape)
        if at is not None:
            return at.reshape(-1)
    return None


def _masks(c: _Case, held: list[tuple[str, np.ndarray]], at: np.ndarray | None) -> list[tuple[np.ndarray, str]]:
    """(flat mask, words): the conditions an error of a loss may sit under, in the order they are tried."""
    masks = []
    if at is not None:
        masks += [(at, "at each sample's correct class (its label: the t-th entry of its row, or where a one-hot t "
                       "is 1)"),
                  (~at, "away from the correct classes (every entry but the label's of each row)")]
    for name, h in held:
        h = np.asarray(h)
        if h.shape == c.x.shape and at is None and len(values := np.unique(h)) == 2:
            masks += [(h.reshape(-1) == v, f"where {name} = {v:g} (the term of the loss for {name} = {v:g})")
                      for v in values]
    masks += [(c.n == 0, "where the numerical gradient is 0: where the loss is flat (a margin or threshold not "
                         "active there), yet yours is not 0: the margin counted where it is not active?"),
              (c.n != 0, "where the numerical gradient is not 0: where a margin or threshold is active")]
    return masks


def _features(c: _Case, held: list[tuple[str, np.ndarray]], at: np.ndarray | None) -> list[tuple[np.ndarray, str]]:
    """(flat values, name): the quantities a loss's threshold may be set on, those of the targets first (a loss's
    threshold is on its residual or margin: x alone, correlated with them, may split the same elements)."""
    x = c.x.reshape(-1)
    features = []
    for name, h in held:
        if np.shape(h) == c.x.shape and np.asarray(h).dtype.kind in "fi":
            t = np.asarray(h, float).reshape(-1)
            features += [(x - t, f"x - {name}"), (np.abs(x - t), f"|x - {name}|"), (t * x, f"{name} * x")]
    if at is not None and c.x.ndim == 2:
        grid = c.x
        own = grid.reshape(-1)[at].reshape(-1, 1) if at.sum() == grid.shape[0] else None
        if own is not None:
            features.append(((grid - own).reshape(-1), "x - x[label] (each score minus its sample's label score)"))
    return features + [(x, "x"), (np.abs(x), "|x|")]


def _thresholds(c: _Case, held, at, within: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """(mask, words) for each quantity whose values split the failing elements (among ``within``) from the others:
    every failing one above (or below) every other."""
    bad, good = c.failing & within, ~c.failing & within
    if bad.sum() < FEWEST or good.sum() < FEWEST:
        return []
    cuts = []
    for s, name in _features(c, held, at):
        lo, hi = float(s[good].max()), float(s[bad].min())
        if hi > lo:
            cuts.append((bad, f"where {name} > {_between(lo, hi)} (on one side of a threshold: a margin, a delta, a "
                              f"clip; the failing elements have {_short(name)} >= {hi:.3g}, the others <= {lo:.3g})"))
            continue
        lo, hi = float(s[bad].max()), float(s[good].min())
        if hi > lo:
            cuts.append((bad, f"where {name} < {_between(lo, hi)} (on one side of a threshold: a margin, a delta, a "
                              f"clip; the failing elements have {_short(name)} <= {lo:.3g}, the others >= {hi:.3g})"))
    return cuts


def _short(name: str) -> str:
    return name.split(" (")[0]


def _between(lo: float, hi: float) -> str:
    """The roundest number in [lo, hi)."""
    for digits in range(0, 8):
        scale = 10.0 ** (digits - max(0, int(np.floor(np.log10(max(abs(lo), abs(hi), 1e-300))))))
        v = np.ceil(lo * scale) / scale
        if lo <= v < hi:
            return f"{v:.{8}g}"
    return f"{lo:.4g}"


def _two_parts(c: _Case, held, at: np.ndarray) -> str | None:
    """Away from the label under one condition, and at the label of the same samples (or of every sample)."""
    away = c.failing & ~at
    words = next((w for _, w in _thresholds(c, held, at, ~at)), None)
    if words is None:
        flat = (c.n == 0) & ~at
        if (away == flat).all() and away.any():
            words = "where the numerical gradient is 0 (the loss is flat there: a margin not active, yet counted)"
    if words is None:
        return None
    grid = c.failing.reshape(c.x.shape)
    rows_away, rows_at = grid & ~at.reshape(c.x.shape), grid & at.reshape(c.x.shape)
    hit_away, hit_at = rows_away.any(axis=1), rows_at.any(axis=1)
    if (hit_at == hit_away).all():
        label = "at the label of the same samples (where they are counted, the label's entry counts them too)"
    elif hit_at[at.reshape(c.x.shape).any(axis=1)].all():
        label = "at every sample's label"
    else:
        label = f"at the label of samples {', '.join(map(str, np.flatnonzero(hit_at)[:8]))}"
    flat = _FLAT if "numerical gradient is 0" not in words and (c.n[away] == 0).all() else ""
    return (f"{c.name} is wrong away from the correct classes only {words}, and {label} ({c.failing.sum()} of "
            f"{c.failing.size} elements){flat}")


def _active_threshold(c: _Case, held, subject) -> str | None:
    """Wrong only where the loss reaches (the numerical gradient is not 0: a mask of samples, a margin) and, among
    those elements, on one side of a threshold (Huber's or Smooth-L1's inner branch): the two conditions, and the
    factor there (named where it is a number the code holds)."""
    from .scalars import held as held_numbers

    active = c.n != 0
    if active.all() or not active.any() or (c.failing & ~active).any():
        return None
    cuts = _thresholds(c, held, _labels(c.x, held), active)
    if not cuts:
        return None
    where = c.failing
    there = _there(c, where)
    k = _ratio_there(c, where)
    named = "" if k is None else equal_to(k, held_numbers(subject))
    return (f"{c.name} is wrong only where the loss reaches (the numerical gradient is not 0: {active.sum()} of "
            f"{active.size} elements) and, among those, {cuts[0][1]} ({where.sum()} of {active.sum()} elements; "
            f"right beyond the threshold and where the loss does not reach){there}"
            + (f" (the factor is {named})" if named else ": a factor on one branch of the loss only"))


def _ratio_there(c: _Case, where: np.ndarray) -> float | None:
    """The one constant k with yours = k numerical at the elements ``where``, or None."""
    a, n = c.a[where], c.n[where]
    if not (n @ n):
        return None
    k = float(a @ n) / float(n @ n)
    return k if np.all(np.abs(a - k * n) <= c.allowed[where] + PREDICTED * np.abs(a)) else None


def _label_terms(c: _Case, held, subject) -> str | None:
    """Several label arrays held (mixup's y_a, y_b; a teacher's and the truth's labels): the error is one constant
    at each set's label column of every row, c_j at labels j (yours - numerical = sum_j c_j onehot(y_j)): the
    weights of the per-target terms are off; two weights exchanged where c_a = -c_b."""
    from .scalars import held as held_numbers

    sets = [(name, m.reshape(-1).astype(float)) for name, h in held if (m := label_mask(h, c.x.shape)) is not None]
    if len(sets) < 2 or c.x.ndim != 2:
        return None
    basis = np.stack([m for _, m in sets], axis=1)
    d = c.a - c.n
    coef = np.linalg.lstsq(basis, d, rcond=None)[0]
    fit = basis @ coef
    if not np.all(np.abs(d - fit) <= c.allowed + PREDICTED * np.abs(fit)) or np.abs(fit).max() <= c.allowed.max():
        return None
    N = c.x.shape[0]
    terms = ", ".join(f"{number(k)} (= {number(k * N)}/N) at {name}'s column" for (name, _), k in zip(sets, coef))
    words = (f"{c.name} is wrong only at the label columns of each row, by one constant per label set: yours - "
             f"numerical = {terms} (rows where the labels coincide are right where the constants cancel): the weights "
             f"of the per-label terms of the loss are off")
    if len(sets) == 2 and np.isclose(coef[0], -coef[1], rtol=FACTOR):
        words += f": the weights of {sets[0][0]}'s and {sets[1][0]}'s terms exchanged?" + _swap(
            abs(coef[0]), N, held_numbers(subject))
    return words


def _swap(gap: float, N: int, numbers_held: list[tuple[str, float]]) -> str:
    """A held number v whose pair (v, 1 - v) differs by the gap (per sample, or over the batch): named."""
    for name, v in numbers_held:
        for scale, over in ((1, ""), (N, "/N")):
            if np.isclose(gap * scale, abs(2 * v - 1), rtol=FACTOR):
                return (f" their difference is |2 {name} - 1|{over} ({name} = {v:g}): {name} and 1 - {name} swapped "
                        f"between the two terms")
    return ""


# -- sample by sample, class by class ----------------------------------------------------------------------------------


def _per_line(c: _Case, axis: int, what: str, line: str) -> str | None:
    """Each row (axis 0) or column (axis 1) its own constant times the numerical gradient, not one for all."""
    if c.x.ndim != 2 or min(c.x.shape) < 2:
        return None
    a, n, allowed = (v.reshape(c.x.shape) for v in (c.a, c.n, c.allowed))
    if axis == 1:
        a, n, allowed = a.T, n.T, allowed.T
    factors = []
    for ai, ni, oki in zip(a, n, allowed):
        if not (ni @ ni):
            if np.any(np.abs(ai) > oki):
                return None  # wrong where the loss does not move at all: not a factor
            continue
        k = float(ai @ ni) / float(ni @ ni)
        if not np.all(np.abs(ai - k * ni) <= oki + PREDICTED * np.abs(ai)):
            return None
        factors.append(k)
    factors = np.array(factors)
    if len(factors) < 2 or np.ptp(factors) <= 1e-4 * np.abs(factors).max():
        return None
    right = np.isclose(factors, 1.0, rtol=1e-5)
    wrong = factors[~right]
    if len(wrong) < 2 or np.ptp(wrong) <= 1e-4 * np.abs(wrong).max():
        return None  # one wrong factor, the rest right: only some samples (or classes) are wrong
    some = f"; right in {right.sum()} of {len(factors)} {line}s" if right.any() else ""
    return (f"{c.name} is wrong {what} by {what}: each {what}'s {line} is its own constant times the numerical "
            f"gradient ({number(factors.min())} to {number(factors.max())}{some}): a per-{what} weight or normaliser "
            "left out, or applied where the loss has none")


def _some_samples(c: _Case) -> str | None:
    """Wrong only in some samples' rows (a loop over the batch that skips some, a sample's term left out)."""
    if c.x.ndim not in (1, 2) or c.x.shape[0] < 2:
        return None
    grid = c.failing.reshape(c.x.shape[0], -1)
    hit = np.flatnonzero(grid.any(axis=1))
    if not 0 < len(hit) < grid.shape[0] or grid.sum() < 0.5 * len(hit) * grid.shape[1]:
        return None
    rows = np.zeros(grid.shape, bool)
    rows[hit] = True
    if trivial(rows.reshape(-1), c.a, c.n):
        return None  # the other rows are 0 on both sides (an embedding's unused rows): nothing located
    listed = ", ".join(map(str, hit[:8])) + (", ..." if len(hit) > 8 else "")
    return (f"{c.name} is wrong only for sample{'s' * (len(hit) > 1)} {listed} (of {grid.shape[0]}: "
            f"{'their rows' if len(hit) > 1 else 'its row'}), right for the others: a loop over the batch that skips "
            "some samples, or a term of theirs left out" + _there(c, rows.reshape(-1)))


# -- a constant, a term along x, a stretch of a flat vector -------------------------------------------------------------


def _offset(c: _Case, subject) -> str | None:
    """yours - numerical the same nonzero number at every element: a term constant over the elements left out or
    added; that number named where it is a number the code holds over the array's sizes."""
    d = c.a - c.n
    k = float(np.mean(d))
    if not c.failing.all() or not np.all(np.abs(d - k) <= c.allowed) or abs(k) <= np.max(c.allowed):
        return None
    return (f"{c.name} is off by the same {number(k)} at every element (yours - numerical){_over(k, c, subject)}: a "
            "term that is the same for every element is left out of the gradient or added to it (a constant part "
            "of a target, a uniform weight?)")


def _over(k: float, c: _Case, subject) -> str:
    """k as a number the code holds divided by the array's sizes (0.1 / (4 * 6): smoothing / (C N)), or ""."""
    from .scalars import held as held_numbers

    sizes = {"N": c.x.shape[0]} | ({"C": c.x.shape[1]} if c.x.ndim == 2 else {})
    divisors = [("", 1)] + [(name, v) for name, v in sizes.items()] + (
        [("C N", sizes["N"] * sizes["C"])] if "C" in sizes else [])
    for name, value in held_numbers(subject):
        for words, size in divisors:
            for sign in (1, -1):
                if np.isclose(sign * k * size, value, rtol=FACTOR):
                    over = f" / ({words} = {size})" if words else ""
                    return f" = {'-' if sign < 0 else ''}{name}{over}, {name} = {value:g}"
    return ""


def _along_x(c: _Case) -> str | None:
    """Each row of numerical - yours a multiple k_i of that row of x (not one k for all): a term along x_i."""
    if c.x.ndim != 2 or c.x.shape[1] < 2:
        return None
    d, x = (c.n - c.a).reshape(c.x.shape), c.x
    norms = np.einsum("ij,ij->i", x, x)
    if not norms.all():
        return None
    k = np.einsum("ij,ij->i", d, x) / norms
    if not np.all(np.abs(d - k[:, None] * x) <= c.allowed.reshape(c.x.shape)) or np.ptp(k) <= 1e-6 * np.abs(k).max():
        return None
    x_name = c.name[1:] if c.name.startswith("d") else "x"
    return (f"{c.name} misses, in each row i, a multiple k_i of that row of {x_name} itself (numerical - yours = k_i "
            f"{x_name}_i, k_i from {number(k.min())} to {number(k.max())}): a term along {x_name}_i, as the derivative "
            f"of a norm |{x_name}_i| gives, left out (a normalisation by |{x_name}_i| treated as a constant?)")


def _batched(x: np.ndarray, held: list[tuple[str, np.ndarray]]) -> bool:
    """Are x's rows samples? Yes for a matrix; a vector only where a held array (labels, data) has as many rows:
    a vector of parameters (theta, an unrolled network) is not a batch."""
    return x.ndim >= 2 or any(np.ndim(h) >= 1 and np.shape(h)[0] == x.shape[0] for _, h in held)


def _packed(c: _Case) -> str | None:
    """A vector that is not a batch, wrong in one stretch of its elements and right in the rest (where it is
    several arrays unrolled into one, one of them)."""
    if c.x.ndim != 1 or not 0 < c.failing.sum() < c.failing.size:
        return None
    hit = np.flatnonzero(c.failing)
    lo, hi = int(hit[0]), int(hit[-1])
    if c.failing.sum() < 0.5 * (hi - lo + 1) or (lo, hi) == (0, c.failing.size - 1):
        return None
    return (f"{c.name} is wrong only in elements {lo} to {hi} (of {c.failing.size}; {c.failing.sum()} of them fail) "
            "and right in the others: where the vector is several arrays unrolled into one, the error lies in the "
            f"part that holds elements {lo} to {hi}" + _there(c, c.failing))
