"""One array of claimed derivatives against its reference, judged at the array's own scale."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..tolerances import REFINE, RESOLVE, SAME, SHRINK, TINY

PASSED = ("ok", "kink", "refined")  # verdicts of an array that agrees
FAILED = ("FAIL", "shape")  # verdicts of an array that is wrong
UNVERIFIED = ("unresolvable", "zero", "unchecked")  # verdicts of an array that could not be verified


def agree(a: np.ndarray, b: np.ndarray, rtol: float, floor: float) -> np.ndarray:
    """Element by element (shapes broadcast): |a - b| within the check's own allowance, rtol (|a| + |b|) + floor."""
    return np.abs(a - b) <= rtol * (np.abs(a) + np.abs(b)) + floor


@dataclass
class ArrayCheck:
    """The errors of one array (a parameter's gradient, or an input's): the worst element (largest error measured
    against its tolerance) with both values, and the verdict: "ok"; "FAIL"; "kink" (every disagreeing element is
    explained by a finite difference that crossed a kink, or by the difference's own error, some by each);
    "refined" (every disagreeing element is the difference's own error: it shrank when the step was refined,
    and the claim agrees with the refined difference); "unresolvable" (the reference's own error is as large
    as the array's gradient: nothing can be concluded); "zero" (both are exactly zero: nothing to check);
    "shape" (the claimed gradient has another shape than its array: a FAIL, no numbers); "unchecked" (no gradient
    could be compared: ``note`` says why)."""

    name: str
    shape: tuple[int, ...]
    reference: str
    scale: float  # largest |reference| in the array
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numerical: float
    tolerance: float  # allowed |analytic - numerical| at the worst element
    verdict: str
    layer: int | None = None  # the Dense layer of a DNN's parameter
    failing: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int), repr=False)  # flat indices
    note: str = ""  # why an array is "shape" or "unchecked"

    @property
    def passed(self) -> bool:
        return self.verdict in PASSED

    def failing_mask(self, size: int) -> np.ndarray:
        """The failing elements as a flat boolean mask of ``size``."""
        mask = np.zeros(size, bool)
        mask[self.failing] = True
        return mask

    @classmethod
    def without_numbers(cls, name: str, shape: tuple[int, ...], verdict: str, note: str) -> ArrayCheck:
        """A row that compared nothing: a gradient of the wrong shape ("shape") or none at all ("unchecked")."""
        nan = float("nan")
        return cls(name, tuple(shape), "-", nan, nan, nan, (), nan, nan, nan, verdict, note=note)


def compare(name: str, shape: tuple[int, ...], analytic: np.ndarray, numerical: np.ndarray, reference: str,
            rtol: float, floor: float, resolution: float = 0.0, layer: int | None = None) -> ArrayCheck:
    """Judge ``analytic`` against ``numerical`` (both of ``shape``, flattened or not): an element passes when
    |a - n| <= rtol (|a| + |n|) + floor (``floor``: the reference's own error per element, or a user's absolute
    tolerance). Unresolvable when the whole array stays within RESOLVE x ``resolution`` (the error of an inexact
    reference: 0 for an exact one); zero when both are all zero."""
    a = np.asarray(analytic, dtype=np.float64).ravel()
    n = np.asarray(numerical, dtype=np.float64).ravel()
    with np.errstate(invalid="ignore", over="ignore"):  # inf or NaN claimed (or measured): a FAIL, not a warning
        err, both = np.abs(a - n), np.abs(a) + np.abs(n)
        allowed = rtol * both + floor
        excess = np.where(np.isfinite(err), err / np.maximum(allowed, TINY), np.inf)  # > 1: fails; NaN fails
        relative = err / np.maximum(both, TINY)
    worst = int(np.argmax(excess)) if a.size else 0
    scale = float(np.abs(n).max()) if n.size else 0.0
    if not a.size or not both.any():  # every |a| + |n| exactly 0 (NaN and inf are truthy)
        verdict = "zero"
    elif excess[worst] > 1:
        verdict = "FAIL"
    elif resolution and max(scale, float(np.abs(a).max())) <= RESOLVE * resolution:
        verdict = "unresolvable"
    else:
        verdict = "ok"
    index = tuple(int(i) for i in np.unravel_index(worst, shape)) if a.size else ()
    return ArrayCheck(name, tuple(shape), reference, scale, float(err.max()) if a.size else 0.0,
                      float(relative.max()) if a.size else 0.0, index,
                      float(a[worst]) if a.size else 0.0, float(n[worst]) if a.size else 0.0,
                      float(allowed[worst]) if a.size else 0.0, verdict, layer, np.flatnonzero(excess > 1))


def refined(analytic: np.ndarray, coarse: np.ndarray, fine: np.ndarray, rtol: float, coarse_error: float,
            fine_error: float, floor: float) -> np.ndarray:
    """Which elements' disagreement is the reference's own error, not a bug (all arrays (K,)): ``coarse`` and
    ``fine`` are central differences at eps and eps / REFINE, with own errors (round-off and truncation
    estimated) ``coarse_error`` and ``fine_error``. An element is excused when both hold:

    - its disagreement shrinks with the step, by SHRINK at least: |a - fine| <= |a - coarse| / SHRINK (an error
      like eps shrinks by 4, like eps^2 by 16; a bug's stays: a bug hidden under a larger truncation error is
      caught by the second rule);
    - the claim agrees with the refined difference, or with its Richardson extrapolation for an error like eps
      or like eps^2 (the truncation removed), within rtol (|a| + |r|) + ``floor`` + that estimate's own error
      (its coefficients times the two differences' errors; ``floor``: the allowance beside the differences'
      error, the array's own scale or a user's atol).
    Round-off at the finer step is larger, not smaller: a disagreement made of round-off does not shrink."""
    a, n, m = (np.asarray(v, dtype=np.float64).ravel() for v in (analytic, coarse, fine))
    with np.errstate(all="ignore"):
        shrinks = np.abs(a - m) * SHRINK <= np.abs(a - n)
        agrees = np.zeros(a.shape, dtype=bool)
        for order in (None, 1, 2):  # the finer difference itself (a kink crossed at eps only), then eps, eps^2
            k = 0.0 if order is None else 1.0 / (REFINE ** order - 1)
            estimate = m + k * (m - n)  # (REFINE^p m - n) / (REFINE^p - 1)
            own = (1 + k) * fine_error + k * coarse_error
            agrees |= np.abs(a - estimate) <= rtol * (np.abs(a) + np.abs(estimate)) + floor + own
    return shrinks & agrees & np.isfinite(m) & np.isfinite(a)  # inf - inf is no error that shrank


def same(a, b) -> bool:
    """Two runs' gradients (arrays, lists or None) equal to SAME's rounding: the same code at the same point."""
    if a is None or b is None:
        return a is None and b is None
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, **SAME))
