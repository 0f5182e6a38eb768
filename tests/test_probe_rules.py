"""check/probe.py's differences and rules in literal numbers: each difference's value and count of evaluations,
the elements restored exactly (even when f raises), the kink bracket at its slack's boundaries, and the
"stayed put" rule against the larger of the scalar and its scale."""

import numpy as np
import pytest

from nngrad.check.probe import bracketed, central, directional, invariant, one_sided, one_sided_slack

EPS32 = 1.1920928955078125e-07  # float32's machine epsilon
EPS64 = 2.220446049250313e-16


def _squares(flat: np.ndarray):
    return lambda: float((flat ** 2).sum())


def _raises_on_second_call(flat: np.ndarray):
    calls = []

    def f():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return float(flat.sum())
    return f


# -- the differences: values, evaluations, restoration ---------------------------------------------------------

def test_one_sided_gives_the_backward_and_forward_differences_and_counts_one_base_and_two_a_element():
    """f = sum of squares at (1, 2), eps 0.5 (all exact in binary): forward (f(p + eps) - f(p)) / eps = 2.5, 4.5;
    backward (f(p) - f(p - eps)) / eps = 1.5, 3.5; 1 + 2 x 2 evaluations."""
    flat = np.array([1.0, 2.0])
    left, right, count = one_sided(_squares(flat), flat, [0, 1], 0.5)
    assert list(left) == [1.5, 3.5] and list(right) == [2.5, 4.5] and count == 5
    assert list(flat) == [1.0, 2.0]


def test_central_gives_the_central_difference_and_counts_two_a_element():
    flat = np.array([1.0, 2.0, 3.0])
    out, count = central(_squares(flat), flat, [0, 2], 0.25)  # 2 eps = 0.5: a difference not divided by it shows
    assert list(out) == [2.0, 6.0] and count == 4
    assert list(flat) == [1.0, 2.0, 3.0]


def test_directional_differences_along_each_row_and_counts_two_a_direction():
    """(f(p + eps v) - f(p - eps v)) / 2 eps of a quadratic is exactly 2 p . v."""
    flat = np.array([1.0, 2.0])
    out, count = directional(_squares(flat), flat, np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), 0.25)
    assert list(out) == [2.0, 4.0, 6.0] and count == 6
    assert list(flat) == [1.0, 2.0]


@pytest.mark.parametrize("difference", ["one_sided", "central", "directional", "invariant"])
def test_every_probe_restores_the_values_exactly_when_f_raises(difference):
    flat = np.array([0.1, 0.2, 0.3])
    f = _raises_on_second_call(flat)
    with pytest.raises(RuntimeError):
        if difference == "one_sided":
            one_sided(f, flat, [1], 1e-3)
        elif difference == "central":
            central(f, flat, [1], 1e-3)
        elif difference == "directional":
            directional(f, flat, np.ones((1, 3)), 1e-3)
        else:
            invariant(f, flat, 0, 1.0)
    assert list(flat) == [0.1, 0.2, 0.3]


# -- the one-sided slack: KAPPA (u / eps + eps) scale, in the network's dtype ------------------------------------

@pytest.mark.parametrize("dtype, u", [(np.float64, EPS64), (np.float32, EPS32)])
def test_the_one_sided_slack_is_ten_times_a_forward_differences_error_in_its_dtype(dtype, u):
    assert one_sided_slack(1e-2, 3.0, dtype) == pytest.approx(10 * (u / 1e-2 + 1e-2) * 3.0, rel=1e-12)


# -- bracketed: between the one-sided differences, within the slack, and they differ by more than it ---------------

@pytest.mark.parametrize("analytic, inside", [(1.25, True), (1.2578125, False), (-0.25, True), (-0.2578125, False),
                                              (0.5, True)])
def test_a_claim_is_bracketed_up_to_the_slack_beyond_either_difference(analytic, inside):
    """left 0, right 1, slack 0.25 (exact in binary): the claim may lie in [-0.25, 1.25], bounds included."""
    for left, right in ((0.0, 1.0), (1.0, 0.0)):  # either side the larger
        got = bracketed(np.array([analytic]), np.array([left]), np.array([right]), 0.25)
        assert bool(got[0]) is inside


@pytest.mark.parametrize("right, bracket", [(0.25, False), (0.2578125, True)])
def test_a_bracket_needs_the_differences_to_differ_by_more_than_the_slack(right, bracket):
    got = bracketed(np.array([0.125]), np.array([0.0]), np.array([right]), 0.25)
    assert bool(got[0]) is bracket


# -- invariant: moved less than 1000 machine epsilons of max(|f|, scale) -------------------------------------------

def _moves_by(amount: float, base: float, values: np.ndarray):
    return lambda: base + amount * bool(values.any())


@pytest.mark.parametrize("base, scale, moved, still", [
    (-1024.0, 1.0, 500, True), (-1024.0, 1.0, 2000, False),  # the scalar's own size sets the scale
    (0.0, 1024.0, 500, True), (0.0, 1024.0, 2000, False),  # a scalar near 0 is judged at the given scale
])
def test_a_scalar_stays_put_within_1000_machine_eps_of_the_larger_of_its_size_and_scale(base, scale, moved, still):
    values = np.zeros(2)
    f = _moves_by(moved * EPS64 * 1024.0, base, values)
    assert bool(invariant(f, values, 3, scale)) is still
    assert list(values) == [0.0, 0.0]


def test_invariant_moves_every_element_by_about_one():
    """Each element moves by between 0.5 and 1.5: a function of any one of them sees the move."""
    values, seen = np.zeros(4), []
    invariant(lambda: seen.append(values.copy()) or 0.0, values, 5, 1.0)
    moved = seen[1] - seen[0]
    assert np.all((moved >= 0.5) & (moved <= 1.5)), moved


@pytest.mark.parametrize("moved, still", [(1e-313, True), (1e-312, False)])
def test_a_scalar_at_0_with_no_scale_is_judged_against_a_floor_of_1e_300(moved, still):
    """f and scale both 0: the bound is 1000 machine eps x 1e-300 (~2.2e-313), so a move to 1e-313 stays put and
    one to 1e-312 does not (a bound of 0 would call every move a change, one 10 x larger would miss it)."""
    values = np.zeros(2)
    assert bool(invariant(_moves_by(moved, 0.0, values), values, 1, 0.0)) is still


def test_a_scalar_that_moved_exactly_1000_machine_eps_of_its_scale_stayed_put():
    """The bound is inclusive: 1000 eps x 1024 is exact in binary."""
    values = np.zeros(2)
    assert bool(invariant(_moves_by(1000 * EPS64 * 1024.0, 0.0, values), values, 2, 1024.0))
