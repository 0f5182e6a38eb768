"""Three rules of the checks of users' code pinned at their boundaries with LITERAL numbers (issue 27), each with
its negative case (a smooth but wrong gradient is never excused):

- zero by design (judge._zero_by_design): where the output stays put when the array moves, the claim is judged
  against zero within 100 x machine epsilon x the size of the numbers the backward multiplies (the scalar's
  size for a function: |f|); where the output does move, the row stays unresolvable;
- ties (arrays._ties): elements tied at one value moved together; the claimed sum must match that direction's
  derivative within the element floor times the number of tied elements (plus rtol);
- fast mode's step refinement (arrays._refine_directions): a row of random directions is "refined" only when
  every failing direction's disagreement is the difference's own error.

Planted to watch them fail (each made, this file run, reverted): judge's zero floor without its EXACT_FLOOR,
without term_scale, without machine epsilon; _ties' `floor * len(tied)` -> `floor` (in each of its two tests);
_refine_directions' `.all()` -> `.any()`; its `out.refined.append` dropped.
"""

import numpy as np
import pytest

from nngrad import check_function
from nngrad.check.arrays import Checked, Rules, _refine_directions, check_arrays, projected
from nngrad.check.compare import compare

U = 2.0 ** -52  # float64's machine epsilon
ZERO_FLOOR = 100 * U  # x the scalar's size: a claim against a true zero gradient


# -- zero by design ----------------------------------------------------------------------------------------------

def _with_unused(size: float, unused: float, used_slightly: float = 0.0):
    """f(theta) = w . theta[:3] + size - 1 (|f| = size at theta = 1) + used_slightly x theta[3]; theta[3:] is
    otherwise unused. f is not complex-friendly (float() of its argument), so the complex step gives no second
    opinion and an unresolvable row goes to the zero-by-design rule. The claim for theta[3:] is ``unused``."""
    w = np.array([0.5, -1.5, 2.0])

    def f(t):
        t = np.asarray(t, dtype=float)
        return float(np.dot(w, t[:3]) + size - 1.0 + used_slightly * t[3])

    return f, lambda t: np.concatenate([w, [used_slightly + unused, unused]]), np.ones(5)


@pytest.mark.parametrize("size, unused, status", [
    (1.0, 0.45 * ZERO_FLOOR, "PASS"), (1.0, 0.9 * ZERO_FLOOR, "PASS"), (1.0, 1.2 * ZERO_FLOOR, "FAIL"),
    (1e3, 0.45 * ZERO_FLOOR * 1e3, "PASS"), (1e3, 1.2 * ZERO_FLOOR * 1e3, "FAIL"), (1.0, 1e-10, "FAIL"),
], ids=["0.45floor-inside", "0.9floor-inside", "1.2floor-outside", "scaled-1e3-inside", "scaled-1e3-outside",
        "far-outside"])
def test_zero_by_design_claim_within_100_eps_times_the_scalar(size, unused, status):
    """The true gradient of an unused array is zero: a claim within 100 u |f| passes, said as zero-by-design;
    beyond it fails (a floor 10x looser passes the outside cases; one without |f| fails the scaled inside one)."""
    f, g, theta = _with_unused(size, unused)
    report = check_function(f, g, theta, parts={"a": (3,), "c": (2,)}, mode="full")
    row = report.rows[1]
    assert report.status == status, report
    assert row.verdict == ("ok" if status == "PASS" else "FAIL")
    assert ("zero-by-design" in {x.kind for x in report.findings}) is (status == "PASS")
    if status == "PASS":
        assert row.reference == "zero (invariant)"


@pytest.mark.parametrize("used, status", [(1e-10, "INCONCLUSIVE"), (1e-9, "FAIL")])
def test_zero_by_design_never_excuses_a_zero_claim_where_the_output_moves(used, status):
    """theta[3] is used, by 1e-10 or 1e-9: below central differences' resolution (~7e-10 x 10), so the row is
    unresolvable; a claim of zero for it is NOT judged against zero (the output moves, though little): the check
    is inconclusive, never a PASS (at 1e-9 the differences resolve it: a FAIL)."""
    f, g, theta = _with_unused(1.0, 0.0, used_slightly=used)
    report = check_function(f, lambda t: np.concatenate([g(t)[:3], [0.0, 0.0]]), theta,
                            parts={"a": (3,), "c": (2,)}, mode="full")
    assert report.status == status and report.rows[1].verdict == ("FAIL" if status == "FAIL" else "unresolvable")
    assert "zero-by-design" not in {x.kind for x in report.findings}


# -- ties: the floor times the number of tied elements -----------------------------------------------------------

ATOL = 1e-3  # the element floor, beside the one-sided slack (10 (u/eps + eps) ~ 6e-5 at scale 1) and rtol 0
TIED = 4


def _max_of_ties(claims, kink: float = 0.0):
    """f = max(x) + kink |sum(x) - 4| at x = [1, 1, 1, 1] (four tied maxima; a kink of slope ``kink`` along
    the direction that moves all four together). Each element alone: left 0 - kink, right 1 + kink, so every claim
    in [0, 1] is bracketed (a kink); all four together: left 1 - 4 kink, right 1 + 4 kink."""
    x = np.ones(TIED)
    flat = x.reshape(-1)
    target = Checked("x", x.shape, flat, np.asarray(claims, float))
    f = lambda: float(np.max(flat) + kink * abs(np.sum(flat) - TIED))  # noqa: E731
    return check_arrays(f, [target], 1.0, "full", None, 0.0, ATOL, np.dtype(np.float64))


@pytest.mark.parametrize("each, verdict", [(0.25 + 0.5 * ATOL, "kink"), (0.25 + 0.9 * ATOL, "kink"),
                                           (0.25 + 1.2 * ATOL, "FAIL"), (1.0, "FAIL")],
                         ids=["sum-off-2floor-inside", "sum-off-3.6floor-inside", "sum-off-4.8floor-outside",
                              "dout-to-every-max"])
def test_ties_claimed_sum_within_the_floor_times_the_tied_count(each, verdict):
    """Four tied maxima each claimed ``each``: their sum must be 1 within 4 x (atol + slack) ~ 4.24e-3. Off by 2e-3
    or 3.6e-3 passes (the floor alone, ~1.06e-3, would fail them); off by 4.8e-3 fails, as does dout sent to
    every maximum (each 1: bracketed, but the sum is 4)."""
    out = _max_of_ties([each] * TIED)
    assert out.rows[0].verdict == verdict
    assert bool(out.ties) is (verdict == "FAIL")


@pytest.mark.parametrize("kink, verdict", [(2.5e-4, "FAIL"), (1e-2, "kink")],
                         ids=["tie-direction-smooth-within-4floor-judged", "tie-direction-kinked-not-judged"])
def test_ties_a_kink_along_the_tie_is_one_beyond_the_floor_times_the_tied_count(kink, verdict):
    """Claims 0.375 each (sum 1.5, derivative along the tie 1): the tie's left and right differ by 8 kink. At
    kink 2.5e-4 (2e-3 < 4 x floor) the derivative along the tie is defined and the wrong sum fails (the floor
    alone would read a kink there and excuse it); at kink 1e-2 (8e-2) it is a kink and the sum is not pinned."""
    out = _max_of_ties([0.375] * TIED, kink)
    assert out.rows[0].verdict == verdict


# -- fast mode: every failing direction refined, or the row fails -------------------------------------------------

def _truncated(t):
    """sin(3000 t0) / 3000 + 2 t1 + 1 at (0, 0.5): a central difference along t0 errs by its truncation
    (~5e-5 at eps 6e-6, like eps^2: refinement shrinks it 16x); along t1 it is exact (linear)."""
    return float(np.sin(3000 * t[0]) / 3000 + 2 * t[1] + 1.0)


@pytest.mark.parametrize("claim1, verdict", [(2.0, "refined"), (2.0002, "FAIL"), (2.0 * (1 + 1e-5), "FAIL")],
                         ids=["truncation-only-refined", "one-direction-wrong-1e-4-fails",
                              "one-direction-wrong-1e-5-fails"])
def test_fast_refinement_excuses_a_row_only_when_every_failing_direction_is_truncation(claim1, verdict):
    """Directions e0 and e1: e0's disagreement is truncation (refined away), e1's claim is smooth and wrong by
    a relative 1e-4 or 1e-5 (it does not shrink): the row fails though e0 is excused."""
    values = np.array([0.0, 0.5])
    t = Checked("x", (2,), values, np.array([1.0, claim1]))
    v = np.eye(2)
    f = lambda: _truncated(values)  # noqa: E731
    eps, rtol = U ** (1 / 3), 1e-6
    numerical = np.array([(f_at(values, eps * d) - f_at(values, -eps * d)) / (2 * eps) for d in v])
    error = 10 * (U / eps + eps ** 2)  # the central difference's own error at scale 1 (KAPPA x Scheme.error)
    fine_error = 10 * (4 * U / eps + (eps / 4) ** 2)
    row = compare("x", (2,), projected(v, t.analytic), numerical, "2 directions", rtol, error, error)
    assert list(row.failing) == ([0] if claim1 == 2.0 else [0, 1])
    from nngrad.check.arrays import Outcome
    out = Outcome()
    _refine_directions(f, t, v, row, numerical, Rules(eps, rtol, error, fine_error, 0.0), 0.0, out)
    assert row.verdict == verdict
    assert [name for name, *_ in out.refined] == (["x"] if verdict == "refined" else [])
    assert np.array_equal(values, [0.0, 0.5])  # restored


def f_at(values: np.ndarray, step: np.ndarray) -> float:
    return _truncated(values + step)


@pytest.mark.parametrize("off, status", [(0.0, "PASS"), (1e-5, "FAIL"), (1e-4, "FAIL")],
                         ids=["truncation-refined", "smooth-wrong-1e-5", "smooth-wrong-1e-4"])
def test_fast_mode_check_function_refines_truncation_and_never_a_smooth_wrong_gradient(off, status):
    """check_function in fast mode (random directions) on sum sin(3000 t) / 3000 + 1 at 0: every direction's
    disagreement is truncation, refined away (said in a finding); a claim off by a relative 1e-5 fails."""
    f = lambda t: float(np.sum(np.sin(3000 * t)) / 3000 + 1.0)  # noqa: E731
    report = check_function(f, lambda t: np.cos(3000 * t) * (1 + off), np.zeros(2), mode="fast")
    assert report.status == status, report
    assert report.rows[0].verdict == ("refined" if status == "PASS" else "FAIL")
    assert ("kink" in {x.kind for x in report.findings}) is (status == "PASS")
