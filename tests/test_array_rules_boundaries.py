"""check/arrays.py's rules at their boundaries, with literal numbers (issue 27): how many elements "auto" checks
in full, how many random directions fast mode draws and from which seed, how many failing elements are probed,
each allowance of the element rules (a kink's bracket and its extrapolated sides, the rounding of a minimum, a
tie's direction and its claimed sum, step refinement's own error), the evaluations counted, and the words of a
refinement finding. Each case's truth is the function's own formula (|x|, max, sin(3000 x) / 3000, linear).

Planted (each made, this file run, reverted; every one killed): FULL_UP_TO 10_000 -> 10_001 and 9_999; DIRECTIONS 8
-> 9 and 7; MOST_PROBED 1000 -> 1001; check_arrays' seed 0 -> 1; fast mode's directions normalized by column; its
values not kept; the element floor without beside (full, fast) or without the difference's own error (fast);
fine_error without KAPPA or taken at eps; the kink bracket without beside or without the error; the low side's
allowance dropped; the extrapolated sides' allowance without the sides' error, with (REFINE + 1) or (REFINE + 1) /
REFINE for the roundoff's factor, without KAPPA, |p| or left in the rounding of a minimum; < for <= at the sides'
edges; a tie's threshold and claimed sum without one of their rtol terms, >= for >, its floor without the error;
kink.any() -> kink.all() (the bracket kept unchecked; a mixed row read "refined"); every evaluation count off; the
refinement finding's plural, least shrink (max, over rows and over elements), REFINE ** 3, and the shrink of |a|
instead of |a - coarse|.
"""

import numpy as np
import pytest

from nngrad.check.arrays import (Checked, Outcome, Rules, _kink_stays, _ties, check_arrays, explain,
                                 refinement_findings, resolve_mode)
from nngrad.check.compare import compare

F64 = np.dtype(np.float64)
EPS = 6.0554544523933395e-06  # central differences' default step in float64, u^(1/3): literal, not read


def _target(values, claimed, name: str = "x") -> Checked:
    values = np.asarray(values, dtype=np.float64)
    return Checked(name, values.shape, values.reshape(-1), np.asarray(claimed, dtype=np.float64).reshape(-1))


class _Counted:
    """f() of a flat array, counting its calls."""

    def __init__(self, f, flat: np.ndarray) -> None:
        self.f, self.flat, self.calls = f, flat, 0

    def __call__(self) -> float:
        self.calls += 1
        return float(self.f(self.flat))


def _run(f, values, claimed, scale: float = 1.0, mode: str = "full", rtol: float = 1e-6, atol=None, **kw):
    t = _target(values, claimed)
    counted = _Counted(f, t.values)
    out = check_arrays(counted, [t], scale, mode, None, rtol, atol, F64, **kw)
    return out, counted.calls


# -- how many: elements checked in full, directions, probed elements -----------------------------------------------

@pytest.mark.parametrize("sizes, mode", [((6000, 4000), "full"), ((6000, 4001), "fast"), ((10_000,), "full"),
                                         ((10_001,), "fast")])
def test_auto_checks_every_element_up_to_10000_in_all(sizes, mode):
    targets = [_target(np.zeros(n), np.zeros(n)) for n in sizes]
    assert resolve_mode("auto", targets) == mode
    assert resolve_mode("full", targets) == "full" and resolve_mode("fast", targets) == "fast"


def test_fast_mode_draws_8_directions_from_seed_0_by_default():
    """A linear f = 2 x0 - 3 x1 + x2 in fast mode: 8 directions (16 evaluations, 8 values), drawn from seed 0
    unless told otherwise (the same values as seed=0, not those of seed=1)."""
    f = lambda v: 2 * v[0] - 3 * v[1] + v[2]  # noqa: E731
    out, calls = _run(f, [0.5, 0.25, 1.0], [2.0, -3.0, 1.0], mode="fast")
    assert out.rows[0].shape == (8,) and out.rows[0].verdict == "ok"
    assert len(out.values) == 1 and out.values[0].shape == (8,)
    assert out.evaluations == calls == 16
    zero, _ = _run(f, [0.5, 0.25, 1.0], [2.0, -3.0, 1.0], mode="fast", seed=0)
    one, _ = _run(f, [0.5, 0.25, 1.0], [2.0, -3.0, 1.0], mode="fast", seed=1)
    assert np.array_equal(out.values[0], zero.values[0]) and not np.array_equal(out.values[0], one.values[0])


@pytest.mark.parametrize("off, verdict", [(2.5e-3, "ok"), (3.5e-3, "FAIL")])
def test_fast_mode_directions_are_unit_and_the_floor_has_rtol_times_the_largest(off, verdict):
    """f = 1000 x0 (one element: every unit direction is +-1, each value +-1000), rtol 1e-6: each direction's
    allowance is 1e-6 (|a| + |n|) + 1e-6 x 1000 (the largest value) = 3e-3: a claim 2.5e-3 off passes, 3.5e-3 off
    fails."""
    out, _ = _run(lambda v: 1000 * v[0], [0.5], [1000.0 + off], mode="fast")
    assert np.allclose(np.abs(out.values[0]), 1000.0, rtol=1e-9, atol=0)
    assert out.rows[0].verdict == verdict


@pytest.mark.parametrize("n, verdict", [(1000, "refined"), (1001, "FAIL")])
def test_at_most_1000_failing_elements_of_an_array_are_probed(n, verdict):
    """sum sin(3000 x) / 3000 near 0 (distinct x, no ties), claims cos(3000 x): every element's central difference
    errs by its truncation (~5.5e-5), which refinement explains; 1000 failing elements are probed, 1001 are not."""
    x = np.arange(n) * 1e-8
    out, _ = _run(lambda v: np.sum(np.sin(3000 * v)) / 3000, x, np.cos(3000 * x))
    assert out.rows[0].failing.size == n
    assert out.rows[0].verdict == verdict


# -- the element allowance: the difference's own error plus rtol x the array's largest value ------------------------

@pytest.mark.parametrize("off, verdict", [(5e-4, "ok"), (2e-3, "FAIL")])
def test_full_mode_floor_includes_rtol_times_the_arrays_largest_value(off, verdict):
    """f = 1000 x0 + 1e-3 x1, rtol 1e-6: x1's allowance is ~rtol x 1000 = 1e-3 (its own scale alone, ~1e-9, would
    fail an error of 5e-4)."""
    out, _ = _run(lambda v: 1000 * v[0] + 1e-3 * v[1], [0.5, 0.25], [1000.0, 1e-3 + off])
    assert out.rows[0].verdict == verdict


@pytest.mark.parametrize("off, verdict", [(3e-4, "ok"), (3e-3, "FAIL")])
def test_fast_mode_floor_is_the_differences_own_error_at_the_scale(off, verdict):
    """f = x0 + x1 on terms of scale 1e6 (the central difference's own error 10 (u / eps + eps^2) 1e6 = 7.3e-4),
    rtol 0: a claim off by 3e-4 (each projection at most that) is within the difference's own error; 3e-3 is not."""
    claimed = np.array([1.0, 1.0]) + off / np.sqrt(2)
    out, _ = _run(lambda v: v[0] + v[1], [0.5, 0.25], claimed, scale=1e6, mode="fast", rtol=0.0)
    assert out.rows[0].verdict == verdict


@pytest.mark.parametrize("off, verdict", [(2.4e-6, "refined"), (5e-5, "FAIL")])
def test_refinement_allows_the_finer_differences_own_error_at_eps_over_4_times_10(off, verdict):
    """sin(3000 x) / 3000 at 0 on terms of scale 2e3, rtol 0: coarse 1 - 5.5e-5, fine 1 - 3.4e-6, their eps^2
    extrapolation 1. A claim 1 + 2.4e-6 agrees with that extrapolation within its own error 16/15 x 10 (4 u / eps +
    eps^2 / 16) 2e3 + 1/15 x 10 (u / eps + eps^2) 2e3 = 3.3e-6 (the finer error taken at eps, 1.7e-6, or without
    the 10, 4e-7, would not; nor would the eps extrapolation 1 + 1.4e-5 or the fine difference itself);
    1 + 5e-5 does not shrink 2x."""
    out, _ = _run(lambda v: np.sin(3000 * v[0]) / 3000, [0.0], [1.0 + off], scale=2e3, rtol=0.0)
    assert out.rows[0].verdict == verdict


# -- the kink: bracketed, and still once each side is extrapolated ---------------------------------------------------

@pytest.mark.parametrize("claim, verdict", [(1.0005, "kink"), (1.002, "FAIL")])
def test_a_kinks_bracket_and_its_extrapolated_sides_allow_the_users_atol(claim, verdict):
    """|x| at 0 with atol 1e-3: the bracket [-1, 1] (exact on both sides) widened by atol (+ the one-sided slack
    6e-5): 1.0005 is a subgradient within atol, 1.002 is not."""
    out, _ = _run(lambda v: abs(v[0]), [0.0], [claim], atol=1e-3)
    assert out.rows[0].verdict == verdict
    assert (out.kinks == ["x"]) is (verdict == "kink")


@pytest.mark.parametrize("claim, verdict", [(1 + 3.6e-9, "kink"), (1 + 4.2e-9, "FAIL"), (1 + 6e-9, "FAIL"),
                                            (-1 - 3.6e-9, "kink"), (-1 - 4.2e-9, "FAIL")])
def test_the_extrapolated_sides_allow_five_thirds_of_their_roundoff(claim, verdict):
    """|x| at 0, scale 1, rtol 0, atol 0: the extrapolated right side is exactly 1; its allowance is 5/3 x the fine
    one-sided round-off 10 u / (eps / 4) (2.44e-9) + the central error 10 (u / eps + eps^2) (7.3e-10) + the rounding
    of the point 10 u x 2 / eps (7.3e-10) = 3.9e-9: 1 + 3.6e-9 is in (5/4 would give 3.3e-9), 1 + 4.2e-9 is out
    (2 or 5/2 would give 4.4e-9 or 5.1e-9, 5 8.8e-9); the left side -1 likewise."""
    out, _ = _run(lambda v: abs(v[0]), [0.0], [claim], rtol=0.0, atol=0.0)
    assert out.rows[0].verdict == verdict


def test_a_claim_just_outside_the_bracket_by_less_than_the_central_error_is_a_kink():
    """explain with slack 0 and the central difference's own error 1e-3 (nothing else): |x| at 0 claimed 1 + 5e-4
    is bracketed (within the error) and stays; 1 + 2e-3 is neither."""
    for claim, verdict in [(1 + 5e-4, "kink"), (1 + 2e-3, "FAIL")]:
        t = _target([0.0], [claim])
        row = compare("x", (1,), t.analytic, np.zeros(1), "central differences", 0.0, 0.0)
        explain(lambda: abs(t.values[0]), t, row, np.zeros(1), Rules(EPS, 0.0, 1e-3, 0.0, 0.0, 0.0), 0.0, Outcome())
        assert row.verdict == verdict


@pytest.mark.parametrize("claim, kept", [(1 + 1e-6, True), (1 + 2e-6, False)])
def test_the_rounding_of_a_large_point_is_allowed_kappa_u_p_times_the_curvature(claim, kept):
    """|x - 1000| at 1000, nothing else allowed, coarse sides given as -3 and 1: the allowance is the point's
    rounding, 10 u x 1000 x |1 - (-3)| / eps = 1.47e-6 (with |p| read as 1, KAPPA dropped, or |right| alone for
    |right - left|, 1.5e-9 to 3.7e-7): 1 + 1e-6 is kept, 1 + 2e-6 is not."""
    t = _target([1000.0], [claim])
    _, got = _kink_stays(lambda: abs(t.values[0] - 1000.0), t, np.array([0]), np.array([-3.0]), np.array([1.0]),
                         Rules(EPS, 0.0, 0.0, 0.0, 0.0, 0.0), 0.0)
    assert bool(got[0]) is kept


def test_a_claim_exactly_on_an_extrapolated_side_is_kept():
    """|x| at 0, nothing allowed (coarse sides given equal: no rounding allowance): the sides extrapolate to
    -1 + (-1 - 1) / 3 and 1; a claim exactly on either is kept, one a step beyond is not."""
    low, high = -1.0 + (-1.0 - 1.0) / 3, 1.0
    for claim, kept in [(high, True), (low, True), (np.nextafter(high, 2), False), (np.nextafter(low, -2), False)]:
        t = _target([0.0], [claim])
        _, got = _kink_stays(lambda: abs(t.values[0]), t, np.array([0]), np.array([1.0]), np.array([1.0]),
                             Rules(EPS, 0.0, 0.0, 0.0, 0.0, 0.0), 0.0)
        assert bool(got[0]) is kept, claim


def test_a_bracketed_smooth_element_beside_a_refined_one_is_still_checked_for_a_kink():
    """x0: 50 (x0 - 0.5)^2 at 0.5 claimed 1e-4 (truth 0): its one-sided differences +-3e-4 bracket the claim but
    meet at 0 once extrapolated: no kink. x1: sin(3000 x1) / 3000 at 0, claimed 1: truncation, refined. The row
    fails (x0 is wrong) though x1 alone is refined."""
    out, _ = _run(lambda v: 50 * (v[0] - 0.5) ** 2 + np.sin(3000 * v[1]) / 3000, [0.5, 0.0], [1e-4, 1.0])
    assert list(out.rows[0].failing) == [0, 1]
    assert out.rows[0].verdict == "FAIL" and out.kinks == []


def test_a_row_with_a_kink_and_a_refined_element_reads_kink_and_names_both():
    """x0: |x0| at 0 claimed 1 (a kink); x1: sin(3000 x1) / 3000 at 0.25 claimed its derivative (refined)."""
    out, _ = _run(lambda v: abs(v[0]) + np.sin(3000 * v[1]) / 3000, [0.0, 0.25], [1.0, np.cos(750.0)])
    assert out.rows[0].verdict == "kink"
    assert out.kinks == ["x"] and [(name, n) for name, n, _ in out.refined] == [("x", 1)]


# -- ties -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("claims, verdict", [([1.0, 0.15], "kink"), ([1.0, 0.3], "FAIL")])
def test_a_ties_claimed_sum_is_judged_at_rtol_of_both_sides(claims, verdict):
    """max(x0, x1) at (0, 0), rtol 0.1, nothing else allowed: each claim is bracketed by [0, 1]; along the tie the
    derivative is 1, and the sum must be within 0.1 (|sum| + 1): 1.15 is (0.215), 1.3 is not (0.23)."""
    out, _ = _run(lambda v: max(v[0], v[1]), [0.0, 0.0], claims, scale=0.0, rtol=0.1, atol=0.0)
    assert out.rows[0].verdict == verdict
    assert bool(out.ties) is (verdict == "FAIL")


@pytest.mark.parametrize("k, verdict", [(0.04, "FAIL"), (0.06, "kink")])
def test_a_kink_along_the_tie_is_one_beyond_rtol_of_both_sides(k, verdict):
    """max(x0, x1) + k |x0 + x1| at (0, 0), rtol 0.1, nothing else allowed, claims 1 and 1 (dout to both maxima,
    each bracketed by [-k, 1 + k]; their sum 2 is wrong by 1): along the tie the sides are 1 -+ 2k, 4k apart; the derivative there is defined while 4k <= 0.1 (|1 + 2k| +
    |1 - 2k|) = 0.2: at k 0.04 (0.16) the wrong sum fails; at 0.06 (0.24) it is a kink and the sum is not pinned."""
    out, _ = _run(lambda v: max(v[0], v[1]) + k * abs(v[0] + v[1]), [0.0, 0.0], [1.0, 1.0], scale=0.0, rtol=0.1,
                  atol=0.0)
    assert out.rows[0].verdict == verdict


@pytest.mark.parametrize("claims, verdict", [([1.0, 1.0], "FAIL"), ([1.0, 0.0], "kink")])
def test_a_tie_whose_sides_agree_exactly_is_judged_with_nothing_allowed(claims, verdict):
    """max(x0, x1) at (0, 0), rtol 0 and no allowance: along the tie both sides are exactly 1 (0 apart, not a kink):
    dout sent to both maxima (sum 2) fails; one maximum picked (sum exactly 1) passes."""
    out, _ = _run(lambda v: max(v[0], v[1]), [0.0, 0.0], claims, scale=0.0, rtol=0.0, atol=0.0)
    assert out.rows[0].verdict == verdict and len(out.ties) == (verdict == "FAIL")


@pytest.mark.parametrize("second, verdict", [(1.5e-3, "kink"), (3e-3, "FAIL")])
def test_a_ties_sum_is_allowed_the_central_error_per_tied_element(second, verdict):
    """explain with slack 0 and the central difference's own error 1e-3 (nothing else): max(x0, x1) at (0, 0)
    claimed 1 and ``second``: the sum must be 1 within 2 x 1e-3: 1.0015 is, 1.003 is not."""
    t = _target([0.0, 0.0], [1.0, second])
    row = compare("x", (2,), t.analytic, np.full(2, 0.5), "central differences", 0.0, 0.0)
    out = Outcome()
    explain(lambda: max(t.values[0], t.values[1]), t, row, np.full(2, 0.5), Rules(EPS, 0.0, 1e-3, 0.0, 0.0, 0.0),
            0.0, out)
    assert row.verdict == verdict and bool(out.ties) is (verdict == "FAIL")


# -- evaluations ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("f, values, claimed, mode", [
    (lambda v: abs(v[0]), [0.0], [1.0], "full"),  # a kink: one-sided at eps and eps / 4
    (lambda v: max(v[0], v[1]), [0.0, 0.0], [1.0, 0.0], "full"),  # a tie: its sides at eps and eps / 4
    (lambda v: max(v[0], v[1], v[2]), [1.0, 1.0, 0.0], [1.0, 1.0, 0.0], "full"),  # a tie that fails
    (lambda v: np.sin(3000 * v[0]) / 3000 + v[1], [0.0, 0.5], [1.0, 1.0], "full"),  # refined
    (lambda v: np.sin(3000 * v[0]) / 3000 + v[1], [0.0, 0.5], [1.0, 1.0], "fast"),  # refined directions
], ids=["kink", "tie", "tie-fails", "refined", "fast-refined"])
def test_the_evaluations_counted_are_the_calls_of_f(f, values, claimed, mode):
    out, calls = _run(f, values, claimed, mode=mode)
    assert out.rows[0].verdict != "ok"
    assert out.evaluations == calls


# -- the refinement finding's words ----------------------------------------------------------------------------------

def test_the_refinement_finding_names_each_row_with_its_count_and_the_least_shrink():
    out = Outcome(refined=[("W0", 1, 16.0), ("b0", 2, 3.5)], eps=6e-6)
    (finding,) = refinement_findings(out)
    assert finding.kind == "kink"
    assert finding.message.startswith("W0 (1 element), b0 (2 elements): disagreed at eps=6.0e-06")
    assert "shrank 3.5x or more" in finding.message
    assert "like eps shrinks 4x, like eps^2 16x" in finding.message
    assert refinement_findings(Outcome()) == []


def test_the_shrink_reported_is_the_least_of_the_disagreements():
    """x0: sin(3000 x0) / 3000 at 0 claimed 1: its disagreement 5.5e-5 shrinks ~16x at eps / 4 (an error like
    eps^2); x1: max(x1 - 0.5, 0)^2 / 2 at 0.5 claimed 0: its disagreement eps / 4 shrinks 4x (like eps). 4 is
    reported."""
    out, _ = _run(lambda v: np.sin(3000 * v[0]) / 3000 + max(v[1] - 0.5, 0.0) ** 2 / 2, [0.0, 0.5], [1.0, 0.0])
    assert out.rows[0].verdict == "refined"
    ((name, n, shrink),) = out.refined
    assert (name, n) == ("x", 2) and 3.5 < shrink < 4.5
