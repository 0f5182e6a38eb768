"""The engine of the checks of users' code: arrays that a scalar function reads, each with its claimed gradient,
against central differences (every element, or random directions in fast mode).

Where an element disagrees only because the finite difference crossed a kink (its left and right differences
bracket the claimed value), it is excused, but not blindly: elements tied at one value (a max over equal inputs)
are moved together too, and along that direction the derivative is defined (left and right agree) and must
match. A max-pool that sends dout to every tied maximum fails there; one that picks a single maximum passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..methods.checks import KAPPA
from ..methods.finite_differences import finite_difference
from ..methods.schemes import SCHEMES
from .compare import ArrayCheck, compare
from .probe import bracketed, directional, one_sided, one_sided_slack

MODES = ("auto", "full", "fast")
FULL_UP_TO = 10_000  # "auto" checks every element up to this many in all, random directions beyond
DIRECTIONS = 8  # random directions per array in fast mode
MOST_PROBED = 1000  # elements of an array probed one-sided to explain a failure by a kink


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
    random directions in fast mode), f evaluations, the rows excused by a kink, and ties that disagree:
    (row name, the tied elements' flat indices, claimed and numerical directional derivatives)."""

    rows: list[ArrayCheck] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    evaluations: int = 0
    kinks: list[str] = field(default_factory=list)
    ties: list[tuple[str, np.ndarray, float, float]] = field(default_factory=list)


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
    the floor is atol)."""
    eps, error, floor = floors(scale, eps, atol, dtype)
    rng, out = np.random.default_rng(seed), Outcome()
    for t in targets:
        if mode == "fast":
            v = rng.standard_normal((DIRECTIONS, t.values.size))
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            numerical, count = directional(f, t.values, v, eps)
            out.rows.append(compare(t.name, (DIRECTIONS,), v @ t.analytic, numerical, f"{DIRECTIONS} random "
                                    "directions", rtol, _own_scale(floor, rtol, numerical, atol), error))
            out.values.append(numerical)
        else:
            numerical, _, count = finite_difference(lambda _: f(), t.values, "central", eps, progress)
            allowed = _own_scale(floor, rtol, numerical, atol)
            row = compare(t.name, t.shape, t.analytic, numerical, "central differences", rtol, allowed, error)
            if row.verdict == "FAIL" and len(row.failing) <= MOST_PROBED:
                count += _excuse_kinks(f, t, row, eps, rtol, allowed + one_sided_slack(eps, scale, dtype), out)
            out.rows.append(row)
            out.values.append(numerical.reshape(-1))
        out.evaluations += count
    return out


def _own_scale(floor: float, rtol: float, numerical: np.ndarray, atol: float | None) -> float:
    return floor if atol is not None else floor + rtol * float(np.abs(numerical).max(initial=0.0))


def _excuse_kinks(f, t: Checked, row: ArrayCheck, eps: float, rtol: float, floor: float, out: Outcome) -> int:
    """Give ``row`` the verdict "kink" if every failing element is bracketed by its one-sided differences (within
    ``floor``, which allows for their own error) and no group of tied elements disagrees along the direction that
    moves it together; returns the evaluations."""
    left, right, count = one_sided(f, t.values, row.failing, eps)
    if not bracketed(t.analytic[row.failing], left, right, floor).all():
        return count
    for tied in _tied_groups(t.values, row.failing):
        v = np.zeros(t.values.size)
        v[tied] = 1.0
        (left, right), more = _sides(f, t.values, v, eps)
        count += more
        if abs(right - left) > floor * len(tied) + rtol * (abs(right) + abs(left)):
            continue  # a kink along this direction too (ReLUs at 0): the subgradient's sum is not pinned down
        claimed, numerical = float(t.analytic[tied].sum()), (left + right) / 2
        if abs(claimed - numerical) > rtol * (abs(claimed) + abs(numerical)) + floor * len(tied):
            out.ties.append((t.name, tied, claimed, numerical))
    if not any(name == t.name for name, *_ in out.ties):
        row.verdict = "kink"
        out.kinks.append(t.name)
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
