"""check/compare.py's rules for one array, each just inside and just outside its boundary, in literal numbers:
the element rule agree() (|a - b| <= rtol (|a| + |b|) + floor), the array's verdict and record (compare), the
step-refinement excuse (refined) and the same-run rule (same)."""

import numpy as np
import pytest

from nngrad.check.compare import ArrayCheck, agree, compare, refined, same

# -- agree: |a - b| <= rtol (|a| + |b|) + floor ---------------------------------------------------------------------

@pytest.mark.parametrize("b, agrees", [(102.0, True), (102.1, False)])
def test_agree_allows_rtol_of_both_sides_beside_the_floor(b, agrees):
    """rtol 1e-2 of |100| + |b| (~2.02) plus floor 0: 100 vs 102 agrees, 100 vs 102.1 does not."""
    assert bool(agree(np.array([100.0]), np.array([b]), 1e-2, 0.0)[0]) is agrees


@pytest.mark.parametrize("b, agrees", [(100.5, True), (100.6, False)])
def test_agree_adds_the_floor_to_the_relative_allowance(b, agrees):
    """rtol 1e-3 of ~200 (0.2) plus floor 0.3: 100 vs 100.5 agrees, 100 vs 100.6 does not."""
    assert bool(agree(np.array([100.0]), np.array([b]), 1e-3, 0.3)[0]) is agrees


# -- compare: the element exactly at its allowance passes and is not listed as failing ------------------------------

def test_an_element_exactly_at_its_allowance_is_not_failing():
    """rtol 0, floor 0.5, |1 - 1.5| = 0.5: the rule is <=, so it passes and is no failing element."""
    row = compare("x", (2,), [1.0, 2.0], [1.5, 2.0], "test", 0.0, 0.5)
    assert row.verdict == "ok" and list(row.failing) == []


def test_the_failing_elements_are_exactly_those_beyond_their_allowance():
    row = compare("x", (4,), [1.0, 2.0, 3.0, 4.0], [1.6, 2.0, 3.5, 4.0], "test", 0.0, 0.5)
    assert row.verdict == "FAIL" and list(row.failing) == [0]


# -- compare: the record of an array --------------------------------------------------------------------------------

def test_a_row_without_numbers_lists_no_failing_element():
    """A "shape" or "unchecked" row compared nothing: no element of it is failing."""
    row = ArrayCheck.without_numbers("W0", (2, 3), "shape", "a (3, 2) gradient")
    assert list(row.failing) == [] and not row.failing_mask(6).any() and not row.passed


def test_an_arrays_scale_is_its_largest_reference_magnitude():
    assert compare("x", (3,), [1.0, -3.0, 2.0], [1.0, -3.0, 2.0], "test", 1e-6, 0.0).scale == 3.0


# -- compare: unresolvable only when claim and reference both stay within 10 x the reference's error ---------------

@pytest.mark.parametrize("claimed, reference", [([1.05e-2, 1e-4], [9.5e-3, 1e-4]), ([9.5e-3, 1e-4], [1.05e-2, 1e-4])],
                         ids=["claim-above", "reference-above"])
def test_an_array_with_either_side_above_ten_times_the_references_error_is_judged(claimed, reference):
    """Reference error 1e-3 (so 10 x is 1e-2), floor 2e-3 (the two agree): if the claim's largest or the
    reference's largest exceeds 1e-2, the array is judged ("ok"), not "unresolvable"."""
    row = compare("x", (2,), claimed, reference, "central differences", 0.0, 2e-3, resolution=1e-3)
    assert row.verdict == "ok"


def test_an_array_exactly_at_ten_times_the_references_error_is_unresolvable():
    """Reference error 0.125, largest value exactly 1.25 (both exact in binary): "within" includes the bound."""
    row = compare("x", (2,), [1.25, 0.5], [1.25, 0.5], "central differences", 0.0, 1.0, resolution=0.125)
    assert row.verdict == "unresolvable"


def test_an_array_with_both_sides_within_ten_times_the_references_error_is_unresolvable():
    row = compare("x", (2,), [9.5e-3, 1e-4], [9.0e-3, 1e-4], "central differences", 0.0, 2e-3, resolution=1e-3)
    assert row.verdict == "unresolvable"


# -- refined: the estimate's own error and the floor ---------------------------------------------------------------

def _refined(delta: float, fine_error: float, floor: float, rtol: float = 0.0) -> bool:
    """Claim 1, coarse difference 1 + 100 delta, fine 1 + delta (shrank 100x): the Richardson estimates lie far
    from the claim (32 delta and 5.6 delta), so only the fine difference itself can agree, within
    rtol (|1| + |1 + delta|) + fine_error + floor (coarse error 0)."""
    got = refined(np.array([1.0]), np.array([1.0 + 100 * delta]), np.array([1.0 + delta]), rtol, 0.0, fine_error,
                  floor)
    return bool(got[0])


@pytest.mark.parametrize("delta, excused", [(0.9e-4, True), (1.1e-4, False)])
def test_refined_allows_the_fine_differences_own_error_once(delta, excused):
    assert _refined(delta, fine_error=1e-4, floor=0.0) is excused


@pytest.mark.parametrize("delta, excused", [(0.9e-4, True), (1.1e-4, False)])
def test_refined_allows_the_floor_beside_the_differences_error(delta, excused):
    assert _refined(delta, fine_error=0.0, floor=1e-4) is excused


def test_refined_allows_a_disagreement_exactly_at_the_allowance():
    """0.25 off the fine difference, whose own error is 0.25 (exact in binary): the rule is <=."""
    assert _refined(0.25, fine_error=0.25, floor=0.0)


@pytest.mark.parametrize("delta, excused", [(1.5e-3, True), (2.1e-3, False)])
def test_refined_allows_rtol_of_the_claim_and_the_fine_difference(delta, excused):
    """rtol 1e-3 of |1| + |1 + delta| (~2e-3), no floor nor own error."""
    assert _refined(delta, fine_error=0.0, floor=0.0, rtol=1e-3) is excused


def _extrapolated(claim: float, fine_error: float, coarse_error: float) -> bool:
    """Coarse 2, fine 1.25 (shrank): their extrapolation for an error like eps, (4 x 1.25 - 2) / 3, is exactly 1,
    the one for eps^2 is 1.2 and the fine difference 1.25; a claim near 1 can agree with the first alone, within
    its own error (4/3) fine_error + (1/3) coarse_error (rtol 0, floor 0)."""
    return bool(refined(np.array([claim]), np.array([2.0]), np.array([1.25]), 0.0, coarse_error, fine_error, 0.0)[0])


@pytest.mark.parametrize("off, excused", [(0.035, True), (0.045, False)])
def test_an_extrapolation_is_allowed_four_thirds_of_the_fine_differences_error(off, excused):
    """fine error 0.03: the extrapolation's own error is 0.04 (not 0.03, the fine difference's alone)."""
    assert _extrapolated(1.0 + off, fine_error=0.03, coarse_error=0.0) is excused


@pytest.mark.parametrize("off, excused", [(0.025, True), (0.035, False)])
def test_an_extrapolation_is_allowed_a_third_of_the_coarse_differences_error(off, excused):
    """coarse error 0.09: the extrapolation's own error is 0.03."""
    assert _extrapolated(1.0 + off, fine_error=0.0, coarse_error=0.09) is excused


def test_a_disagreement_that_exactly_halves_has_shrunk():
    """Claim 1, coarse 1.5, fine 1.25 (exact in binary): 0.5 became 0.25, a shrink of exactly 2 (the rule is
    "by 2 at least"); the fine difference's own error 0.25 covers the rest."""
    assert bool(refined(np.array([1.0]), np.array([1.5]), np.array([1.25]), 0.0, 0.0, 0.25, 0.0)[0])


# -- same: two runs of the same code ---------------------------------------------------------------------------------

def test_same_needs_equal_shapes():
    assert not same(np.ones(3), np.ones((3, 1)))


def test_agree_includes_an_element_exactly_at_its_allowance():
    """rtol 0, floor 0.5, |1 - 1.5| = 0.5 (exact in binary): the rule is <=."""
    assert bool(agree(np.array([1.0]), np.array([1.5]), 0.0, 0.5)[0])
