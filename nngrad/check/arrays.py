"""The engine of the checks of users' code: arrays that a scalar function reads, each with its claimed gradient,
against central differences (every element, or random directions in fast mode).

Before an element (or a direction) fails, the element rules try to explain its disagreement by the difference's
own error, never blindly:
- a kink crossed: its left and right differences bracket the claimed value, and still do once each is
  extrapolated from eps and eps / REFINE to eps -> 0 (where f is smooth they meet, however curved it is);
- step refinement: differenced again at eps / REFINE, the disagreement shrinks (like eps where the function is
  smooth once but not twice, Huber at its threshold; like eps^2 where it is smooth) and the claim agrees with the
  refined difference or its Richardson extrapolation (compare.refined); a bug's disagreement stays;
- ties: elements tied at one value (a max over equal inputs) are moved together too, and along that direction the
  derivative is defined (left and right agree) and must match. A max-pool that sends dout to every tied maximum
  fails there; one that picks a single maximum passes.
The rules are one function, :func:`explain`, which nngrad's own DNN check (dnn_check) goes through too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..methods.finite_differences import finite_difference
from ..methods.schemes import SCHEMES
from ..tolerances import KAPPA, REFINE
from .compare import ArrayCheck, compare, refined
from .findings import Finding
from .probe import bracketed, central, directional, one_sided, one_sided_roundoff, one_sided_slack

MODES = ("auto", "full", "fast")
FULL_UP_TO = 10_000  # "auto" checks every element up to this many in all, random directions beyond
DIRECTIONS = 8  # random directions per array in fast mode
MOST_PROBED = 1000  # failing elements of an array probed (one-sided, refined) to explain a failure


@dataclass
class Checked:
    """An array that f reads (``values``: a writable flat view, perturbed in place and restored) and the gradient
    claimed for it (``analytic``, flat)."""

    name: str
    shape: tuple[int, ...]
    values: np.ndarray
    analytic: np.ndarray


@dataclass
class Outcome:
    """What check_arrays found: one row per target, the numerical values of each (flat; the projections on the
    random directions in fast mode), f evaluations, the rows excused by a kink, the rows excused by step
    refinement (row name, elements refined, the least factor their disagreement shrank by), the step, and ties
    that disagree: (row name, the tied elements' flat indices, claimed and numerical directional derivatives)."""

    rows: list[ArrayCheck] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    evaluations: int = 0
    kinks: list[str] = field(default_factory=list)
    ties: list[tuple[str, np.ndarray, float, float]] = field(default_factory=list)
    refined: list[tuple[str, int, float]] = field(default_factory=list)
    eps: float = float("nan")


def resolve_mode(mode: str, targets: list[Checked]) -> str:
    """"full" or "fast": "auto" is full up to FULL_UP_TO elements in all."""
    if mode == "auto":
        return "full" if sum(t.values.size for t in targets) <= FULL_UP_TO else "fast"
    return mode


def floors(scale: float, eps: float | None, atol: float | None, dtype) -> tuple[float, float, float]:
    """(eps, the central difference's own error per element at ``scale``, each element's absolute allowance)."""
    central = SCHEMES["central"]
    eps = central.default_eps(dtype) if eps is None else eps
    error = KAPPA * central.error(eps, scale, dtype)
    return eps, error, error if atol is None else atol


def check_arrays(f: Callable[[], float], targets: list[Checked], scale: float, mode: str, eps: float | None,
                  rtol: float, atol: float | None, dtype: np.dtype, seed: int = 0, progress: bool = False) -> Outcome:
    """Each target against central differences of f. ``scale``: the magnitude of f's terms, for the round-off of
    its differences. An element's allowance is rtol (|a| + |n|) + floor, the floor being the difference's own error
    (KAPPA x Scheme.error) plus rtol x the array's largest value, so each array is judged at its own scale too: an
    element whose gradient nearly cancels is not failed for an error far below the array's (unless ``atol``: then
    the floor is atol). A failing row goes through the element rules (:func:`explain`)."""
    eps, error, floor = floors(scale, eps, atol, dtype)
    rules = Rules(eps, rtol, error, KAPPA * SCHEMES["central"].error(eps / REFINE, scale, dtype),
                  one_sided_slack(eps, scale, dtype), one_sided_roundoff(eps / REFINE, scale, dtype))
    rng, out = np.random.default_rng(seed), Outcome(eps=eps)
    for t in targets:
        if mode == "fast":
            v = rng.standard_normal((DIRECTIONS, t.values.size))
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            numerical, count = directional(f, t.values, v, eps)
            beside = _beside(rtol, numerical, atol)
            row = compare(t.name, (DIRECTIONS,), projected(v, t.analytic), numerical,
                          f"{DIRECTIONS} random directions", rtol, error + beside if atol is None else atol, error)
            if row.verdict == "FAIL":
                count += _refine_directions(f, t, v, row, numerical, rules, beside, out)
            out.rows.append(row)
            out.values.append(numerical)
        else:
            numerical, _, count = finite_difference(lambda _: f(), t.values, "central", eps, progress)
            beside = _beside(rtol, numerical, atol)
            row = compare(t.name, t.shape, t.analytic, numerical, "central differences", rtol,
                          error + beside if atol is None else atol, error)
            if row.verdict == "FAIL" and len(row.failing) <= MOST_PROBED:
                count += explain(f, t, row, numerical.ravel(), rules, beside, out)
            out.rows.append(row)
            out.values.append(numerical.ravel())
        out.evaluations += count
    return out


@dataclass(frozen=True)
class Rules:
    """What the element rules need beside the row: the step, rtol, the central difference's own error at eps and
    at eps / REFINE, and the slack of one-sided differences (their own error, for the kink rule)."""

    eps: float
    rtol: float
    error: float
    fine_error: float
    slack: float
    roundoff: float = 0.0


def _beside(rtol: float, numerical: np.ndarray, atol: float | None) -> float:
    """The allowance beside the difference's own error: rtol x the array's largest value, or the user's atol."""
    return atol if atol is not None else rtol * float(np.abs(numerical).max(initial=0.0))


def explain(f: Callable[[], float], t: Checked, row: ArrayCheck, numerical: np.ndarray, rules: Rules, beside: float,
            out: Outcome, crossing: np.ndarray | None = None) -> int:
    """The element rules on a failing ``row`` (``numerical``: its central differences at rules.eps, flat): each
    failing element is explained by a kink (bracketed by its one-sided differences within their own error) or by
    step refinement (compare.refined); if every one is, and no group of tied elements disagrees along the
    direction that moves it together, the row gets the verdict "kink" (some by a kink) or "refined" (all by
    refinement) and is named in ``out``. ``crossing``: where the subject can tell (bool, one per failing element),
    whether a kink lies within the step; else the bracket must stay apart at eps / REFINE (:func:`_kink_stays`).
    Returns the evaluations."""
    failing = row.failing
    left, right, count = one_sided(f, t.values, failing, rules.eps)
    kink = bracketed(t.analytic[failing], left, right, rules.slack + rules.error + beside)
    if crossing is not None:
        kink &= crossing
    elif kink.any():
        more, kept = _kink_stays(f, t, failing[kink], left[kink], right[kink], rules, beside)
        kink[kink], count = kept, count + more
    rest = failing[~kink]
    if rest.size:
        fine, more = central(f, t.values, rest, rules.eps / REFINE)
        count += more
        if not refined(t.analytic[rest], numerical[rest], fine, rules.rtol, rules.error, rules.fine_error,
                       beside).all():
            return count
    count += _ties(f, t, failing, rules, rules.slack + rules.error + beside, out, _sides_error(rules, beside))
    if any(name == t.name for name, *_ in out.ties):
        return count
    if kink.any():
        row.verdict = "kink"
        out.kinks.append(t.name)
    if rest.size:
        row.verdict = row.verdict if kink.any() else "refined"
        out.refined.append((t.name, int(rest.size), _shrink(t.analytic[rest], numerical[rest], fine)))
    return count


def _kink_stays(f, t: Checked, at: np.ndarray, left: np.ndarray, right: np.ndarray, rules: Rules, beside: float
                ) -> tuple[int, np.ndarray]:
    """(evaluations, which bracketed elements ``at`` a kink explains): their one-sided differences again at
    eps / REFINE, each side extrapolated (Richardson, an error like eps) to the one-sided derivative. A smooth
    function's two sides then meet at its derivative, however curved it is (its left and right differ by eps f'',
    which no allowance from f's size bounds: a well-fitted loss is tiny and curved), so a wrong claim falls outside
    them; a crossed kink's sides stay apart and bracket the claim. Allowed beside: their round-off, the central
    difference's own error, and how far a derivative moves when its element is rounded (KAPPA u max(|p|, 1) x the
    curvature, (right - left) / eps: at an exact minimum the gradient is that rounding, whatever the loss)."""
    fine_left, fine_right, count = one_sided(f, t.values, at, rules.eps / REFINE)
    sides = _extrapolated(left, fine_left), _extrapolated(right, fine_right)
    low, high = np.minimum(*sides), np.maximum(*sides)
    pinned = KAPPA * float(np.finfo(t.values.dtype).eps) * np.abs(right - left) / rules.eps * np.maximum(
        np.abs(t.values[at]), 1.0)
    own = _sides_error(rules, beside) + pinned
    claimed = t.analytic[at]
    return count, (claimed >= low - own) & (claimed <= high + own)


def _extrapolated(coarse, fine):
    """A one-sided difference at eps and at eps / REFINE -> the one-sided derivative (Richardson: its O(eps)
    truncation, eps f'' / 2, removed)."""
    return fine + (fine - coarse) / (REFINE - 1)


def _sides_error(rules: Rules, beside: float) -> float:
    """The own error of an extrapolated one-sided derivative: its round-off, (REFINE + 1) / (REFINE - 1) times a
    fine one-sided difference's, beside the central difference's own error and ``beside``."""
    return (REFINE + 1) / (REFINE - 1) * rules.roundoff + rules.error + beside


def _refine_directions(f, t: Checked, v: np.ndarray, row: ArrayCheck, numerical: np.ndarray, rules: Rules,
                       beside: float, out: Outcome) -> int:
    """Step refinement of the failing random directions (fast mode): the row becomes "refined" if each one's
    disagreement is the difference's own error (compare.refined). Returns the evaluations."""
    fine, count = directional(f, t.values, v[row.failing], rules.eps / REFINE)
    claimed = projected(v, t.analytic)[row.failing]
    if refined(claimed, numerical[row.failing], fine, rules.rtol, rules.error, rules.fine_error, beside).all():
        row.verdict = "refined"
        out.refined.append((t.name, int(row.failing.size), _shrink(claimed, numerical[row.failing], fine)))
    return count


def projected(v: np.ndarray, analytic: np.ndarray) -> np.ndarray:
    """v: (K, n) directions, analytic: (n,) -> (K,) the claimed directional derivatives; an inf or NaN claimed
    gives inf or NaN there (a FAIL), not a RuntimeWarning."""
    with np.errstate(invalid="ignore", over="ignore"):
        return v @ analytic


def _shrink(a: np.ndarray, coarse: np.ndarray, fine: np.ndarray) -> float:
    """The least factor by which the disagreements shrank at the refined step."""
    with np.errstate(all="ignore"):
        return float(np.min(np.abs(a - coarse) / np.maximum(np.abs(a - fine), np.finfo(float).tiny)))


def refinement_findings(outcome: Outcome) -> list[Finding]:
    """The words for the rows excused by step refinement (a finding of the "kink" family: how the check was done,
    not a bug)."""
    if not outcome.refined:
        return []
    names = ", ".join(f"{name} ({n} element{'s' * (n > 1)})" for name, n, _ in outcome.refined)
    least = min(shrink for *_, shrink in outcome.refined)
    return [Finding("kink", f"{names}: disagreed at eps={outcome.eps:.1e} only by the central difference's own "
                    f"error: differenced again at eps/{REFINE}, the disagreement shrank {least:.3g}x or more (an "
                    f"error like eps shrinks {REFINE}x, like eps^2 {REFINE ** 2}x; a bug's stays) and the claim agrees "
                    "with the refined difference (a central difference errs like eps^2 where the function is smooth, "
                    "like eps where it is smooth once but not twice: Huber at its threshold, the integral of a ReLU "
                    "at 0): not a bug")]


def _ties(f, t: Checked, failing: np.ndarray, rules: Rules, floor: float, out: Outcome, own: float) -> int:
    """Groups of tied failing elements moved together: where the derivative along that direction is defined (left
    and right agree once each is extrapolated to eps -> 0, within ``own``: curvature alone, eps f'', parts them at
    eps), the claimed gradients' sum must match it; a disagreeing group is added to ``out.ties``. Returns the
    evaluations."""
    count = 0
    for tied in _tied_groups(t.values, failing):
        v = np.zeros(t.values.size)
        v[tied] = 1.0
        (left, right), more = _sides(f, t.values, v, rules.eps)
        (fine_left, fine_right), finer = _sides(f, t.values, v, rules.eps / REFINE)
        low, high = _extrapolated(left, fine_left), _extrapolated(right, fine_right)
        count += more + finer
        if abs(high - low) > own * len(tied) + rules.rtol * (abs(high) + abs(low)):
            continue  # a kink along this direction too (ReLUs at 0): the subgradient's sum is not pinned down
        claimed, numerical = float(t.analytic[tied].sum()), (left + right) / 2
        if abs(claimed - numerical) > rules.rtol * (abs(claimed) + abs(numerical)) + floor * len(tied):
            out.ties.append((t.name, tied, claimed, numerical))
    return count


def _tied_groups(values: np.ndarray, failing: np.ndarray) -> list[np.ndarray]:
    """The failing elements grouped by equal value, groups of two or more (exact ties: a max over equal inputs)."""
    groups: dict[float, list[int]] = {}
    for i in failing:
        groups.setdefault(float(values[i]), []).append(int(i))
    return [np.array(g) for g in groups.values() if len(g) > 1]


def _sides(f, flat: np.ndarray, v: np.ndarray, eps: float) -> tuple[tuple[float, float], int]:
    """((left, right), evaluations): the one-sided directional differences of f along ``v``, ``flat`` restored."""
    saved = flat.copy()
    try:
        base = f()
        flat[:] = saved + eps * v
        plus = f()
        flat[:] = saved - eps * v
        minus = f()
    finally:
        flat[:] = saved
    return ((base - minus) / eps, (plus - base) / eps), 3
