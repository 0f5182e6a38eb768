"""Every gradient-judging rule pinned at its boundary with LITERAL numbers, written from the rule's statement (not
read from nngrad/tolerances.py, so a table 10 times looser fails them), and every excuse (kink, tie, step
refinement, float32, the complex step's second opinion) with a case where excusing would be wrong. (Issue 27,
items 1 and 3.)

Planted mutations (each made, this file run, reverted; 19 of 21 killed; the test that kills it in brackets):
  M1   tolerances "central differences" float64 1e-6 -> 1e-5 ..... rtol_boundary[5e-6-outside...]
  M2   tolerances "central differences" float32 1e-2 -> 1e-1 ..... float32_is_no_excuse
  M3   tolerances "exact" 1e-10 -> 1e-9 ........................... exact_point[3e-10-outside]
  M4   compare.compare: floor -> 10 * floor ....................... floor[just-outside], users_atol[twice-atol]
  M5   compare.compare: excess > 1 -> >= 1 ........................ floor[exactly-at]
  M6   compare.compare: a non-finite error's excess inf -> 0 ...... nonfinite[*]
  M7   compare.compare: "zero" when the claim alone is all zero ... all_zero_claim
  M8   compare.compare: worst element -> mean excess .............. one_bad_element_among_many
  M9   checks.against_backprop: max over arrays -> mean ........... one_bad_array_point
  M10  checks.against_backprop: max -> nanmax ..................... point_nan[nan-*]
  M10b checks.directional_error: max -> nanmax .................... point_nan[*-backprop]
  M11  arrays.explain: refined(...).all() -> .any() ............... refinement_all_not_any[one-wrong-fails]
  M12  compare.refined: the SHRINK condition dropped .............. refined_needs_shrink[stayed, 1.5x]
  M13  probe.bracketed: "left and right differ" dropped ........... kink[smooth_wrong_within_slack]
  M13b arrays.explain: every failing element read as a kink ....... kink[smooth_wrong_not_kink]
  M14  arrays.explain: a disagreeing tie ignored .................. ties[tie_sent_to_every_max]
  M15  judge._second_opinion: returns the complex step's row ...... second_opinion_cannot_overrule
  M16  point_check: passed = not (error > allowed) ................ point_nan[*]
  M18  checks.along_directions: tolerance 1e-5 -> 1e-4 ............ relu_point_refinement[3e-5-outside]
  M17  checks._refined: every failing direction excused ........... SURVIVES: a bug's disagreement stays in the
       refined difference and its extrapolations, so the "excused" error is the bug's again (equivalent on bugs;
       it differs only where round-off scatters the estimates)
  M19  checks._refined: the estimates' own error x100 ............. SURVIVES: it lowers only excused directions'
       errors, and refined() excuses no bug (needs a direction both refined and failing: not built here)
"""

import numpy as np
import pytest

from nngrad import DNN, GradientResult, check_function, check_layer, gradient
from nngrad.check.arrays import Checked, check_arrays
from nngrad.check.compare import compare, refined
from nngrad.methods import get
from nngrad.sweep.point_check import check_point

# The rules, as stated (docs/checker.md, nngrad/tolerances.py's docstring), as literal numbers.
CENTRAL_RTOL = 1e-6  # check_function against central differences, float64
CENTRAL_RTOL_F32 = 1e-2  # the same in float32
EXACT_POINT = 1e-10  # a benchmark point of an exact method (complex step): ||g - r|| <= 1e-10 ||r|| per array
FD_POINT = 1e-5  # a benchmark point of a forward difference, per array


# -- item 1: the element rule of compare, |a - n| <= rtol (|a| + |n|) + floor -------------------------------------

D = 2.0 ** -30  # ~9.3e-10, exact in binary: 0.5 + D - 0.5 == D


@pytest.mark.parametrize("floor, verdict", [(1.01 * D, "ok"), (D, "ok"), (0.99 * D, "FAIL"), (0.5 * D, "FAIL")],
                         ids=["just-inside", "exactly-at", "just-outside", "half"])
def test_floor_each_element_absolute_floor_is_a_bound(floor, verdict):
    """rtol 0: an element passes iff |a - n| <= floor (a floor 10x looser passes the outside cases; < for <=
    fails the one exactly at it)."""
    a = np.array([0.5, 2.0, -3.0])
    n = np.array([0.5 + D, 2.0, -3.0])
    assert compare("x", (3,), a, n, "test", 0.0, floor).verdict == verdict


@pytest.mark.parametrize("off, verdict", [(0.9e-6, "ok"), (1.1e-6, "FAIL"), (3e-6, "FAIL")],
                         ids=["0.9rtol-inside", "1.1rtol-outside", "3rtol-outside"])
def test_compare_rtol_is_relative_to_both_sides(off, verdict):
    """|a - n| <= rtol (|a| + |n|): with a = 1 + d/2, n = 1 - d/2 the error is d and the allowance 2 rtol."""
    d = 2 * off
    assert compare("x", (1,), [1 + d / 2], [1 - d / 2], "test", 1e-6, 0.0).verdict == verdict


@pytest.mark.parametrize("claimed", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("side", ["claimed", "reference"])
def test_nonfinite_one_element_fails_the_array(claimed, side):
    """A NaN or inf in one element of 100 fails the array, on either side, whatever the allowance."""
    a = np.linspace(1.0, 2.0, 100)
    n = a.copy()
    (a if side == "claimed" else n)[37] = claimed
    row = compare("x", (100,), a, n, "test", 1e-2, 1e3)
    assert row.verdict == "FAIL" and 37 in row.failing


def test_all_zero_claim_against_a_nonzero_truth_fails_and_both_zero_is_zero():
    assert compare("x", (4,), np.zeros(4), [0.0, 0.0, 1e-3, 0.0], "test", 1e-6, 1e-12).verdict == "FAIL"
    assert compare("x", (4,), [0.0, 0.0, 1e-3, 0.0], np.zeros(4), "test", 1e-6, 1e-12).verdict == "FAIL"
    assert compare("x", (4,), np.zeros(4), np.zeros(4), "test", 1e-6, 1e-12).verdict == "zero"


def test_one_bad_element_among_many_good_fails_the_array_the_worst_decides():
    """999 exact elements and one off by 1e-4 relative (rtol 1e-6): a mean of the errors would pass it."""
    n = np.linspace(1.0, 2.0, 1000)
    a = n.copy()
    a[500] *= 1 + 1e-4
    row = compare("x", (1000,), a, n, "test", 1e-6, 0.0)
    assert row.verdict == "FAIL" and row.worst_index == (500,) and list(row.failing) == [500]


# -- item 1: check_function's default rtol (central differences), literal -----------------------------------------

def _linear(w: np.ndarray, off: float, dtype=np.float64):
    """f = w . theta (central differences exact but for round-off); the claim w (1 + off)."""
    return (lambda t: float(np.dot(w, t)), lambda t: (w * (1 + off)).astype(dtype), np.ones_like(w, dtype=dtype))


# Element rule of check_arrays: |a - n| <= rtol (|a| + |n|) + err + rtol max|n|: for uniform w the allowance is
# 3 rtol |w|, so a relative 5e-6 fails at rtol 1e-6 and passes at 1e-5; 1e-6 passes.
@pytest.mark.parametrize("off, status", [(1e-6, "PASS"), (5e-6, "FAIL"), (3e-5, "FAIL")],
                         ids=["1e-6-inside", "5e-6-outside-fails-at-1e-6-passes-at-1e-5", "3e-5-outside"])
def test_rtol_boundary_check_function_default_central_rtol(off, status):
    w = np.full(6, 0.7)
    assert check_function(*_linear(w, off), mode="full").status == status


@pytest.mark.parametrize("off, status", [(0.5e-8, "PASS"), (2e-8, "FAIL")], ids=["half-atol", "twice-atol"])
def test_a_users_atol_is_the_absolute_floor(off, status):
    """rtol 0, atol 1e-8: each element's error against 1e-8 alone (w = 1, so off is absolute)."""
    w = np.ones(3)
    assert check_function(*_linear(w, off), mode="full", rtol=0.0, atol=1e-8).status == status


# -- item 1: the benchmark's point check -------------------------------------------------------------------------

def _net():
    """Targets near the outputs: the loss is small against its gradient, so a forward difference's own error
    (which the point check allows for) is far below its tolerance, and the boundary is the tolerance."""
    net = DNN(2, 4, 3, 2, seed=5)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 3))
    y = net.forward(x) + 0.05 * rng.standard_normal((5, 2))
    return net, *net.check_data(x, y)


def _point(method: str, net, x, y, grad: np.ndarray):
    m = get(method)
    return check_point(m, lambda: GradientResult(grad, None, method, m.work_count(net.num_params)), net, x, y)


def _off_array(net, g: np.ndarray, relative: float, which: int = -1, seed: int = 1) -> np.ndarray:
    """g with one parameter array (``which``; -1: every array) moved by ``relative`` x its norm."""
    out, rng = g.copy(), np.random.default_rng(seed)
    for i, a in enumerate(net.param_arrays()):
        if which in (-1, i):
            v = rng.standard_normal(a.stop - a.start)
            out[a.start:a.stop] += relative * np.linalg.norm(g[a.start:a.stop]) * v / np.linalg.norm(v)
    return out


@pytest.mark.parametrize("relative, passed", [(3e-11, True), (3e-10, False)], ids=["3e-11-inside", "3e-10-outside"])
def test_exact_point_complex_step_at_its_literal_tolerance(relative, passed):
    net, x, y = _net()
    check = _point("complex-step", net, x, y, _off_array(net, gradient(net, x, y).grad, relative))
    assert check.passed is passed, check.gradient_error


def test_one_bad_array_point_fails_though_the_mean_over_arrays_would_pass():
    """One of 6 arrays (the last layer's W) off by 3e-5 (tolerance 1e-5), the rest exact: the worst array
    decides; a mean over the arrays (5e-6) would pass it."""
    net, x, y = _net()
    exact = gradient(net, x, y).grad
    assert len(net.param_arrays()) == 6
    check = _point("numerical-batched", net, x, y, _off_array(net, exact, 3 * FD_POINT, which=4))
    assert not check.passed, check.gradient_error


@pytest.mark.parametrize("method", ["numerical-batched", "complex-step", "backprop"])
@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_point_nan_or_inf_in_one_element_fails(method, bad):
    net, x, y = _net()
    g = gradient(net, x, y).grad.copy()
    g[3] = bad
    assert not _point(method, net, x, y, g).passed


# -- item 3: every excuse with its negative twin ------------------------------------------------------------------

def _arrays(f, values: np.ndarray, claimed: np.ndarray, eps: float, scale: float):
    flat = values.reshape(-1)
    target = Checked("x", values.shape, flat, np.asarray(claimed, float).reshape(-1))
    return check_arrays(lambda: f(flat), [target], scale, "full", eps, CENTRAL_RTOL, None, np.dtype(np.float64))


@pytest.mark.parametrize("claim1, verdict", [(2.0, "refined"), (2.0002, "FAIL")],
                         ids=["both-truncation-refined", "one-truncation-one-wrong-fails"])
def test_refinement_all_not_any_excuses_a_row(claim1, verdict):
    """f = sin(3000 x0) / 3000 + 2 x1 at (0, 0.5): x0's central difference errs by its truncation (third derivative -9e6:
    ~5e-5, refined away; no kink: the second derivative is 0 there); x1's claim 2.0002 is smooth and wrong: its
    disagreement does not shrink, and the row fails though x0 is excused."""
    out = _arrays(lambda v: np.sin(3000 * v[0]) / 3000 + 2 * v[1], np.array([0.0, 0.5]), [1.0, claim1], None, 2.0)
    assert list(out.rows[0].failing) == ([0] if claim1 == 2.0 else [0, 1])  # x1 not tied to x0: no tie rule
    assert out.rows[0].verdict == verdict
    assert out.kinks == []


@pytest.mark.parametrize("fine, excused", [(3.0 + 1e-4 / 16, True), (3.0 + 1e-4, False), (3.0 + 1e-4 / 1.5, False)],
                         ids=["shrank-16x", "stayed", "shrank-1.5x-below-2"])
def test_refined_needs_shrink_by_two_at_least(fine, excused):
    """compare.refined: claim 3, coarse 3 + 1e-4; excused only if the disagreement shrinks 2x or more and the claim
    agrees with the refined difference (or its extrapolation). A loose floor makes agreement easy: the shrink
    decides."""
    got = refined(np.array([3.0]), np.array([3.0 + 1e-4]), np.array([fine]), 1e-6, 0.0, 0.0, 1e-4)
    assert bool(got[0]) is excused


@pytest.mark.parametrize("f, x0, claim, verdict", [
    (lambda v: abs(v[0]), 0.0, 1.0, "kink"),  # |x| at 0: 1 is a subgradient, the differences bracket it
    (lambda v: abs(v[0]), 0.0, 3.0, "FAIL"),  # outside the bracket
    (lambda v: v[0] ** 2, 1.0, 2.01, "FAIL"),  # smooth and wrong: no kink to hide behind
    (lambda v: v[0] ** 2, 1.0, 2.00003, "FAIL"),  # within the one-sided slack (6e-5), but left and right agree
], ids=["kink-subgradient-excused", "kink-wrong-claim-fails", "smooth_wrong_not_kink", "smooth_wrong_within_slack"])
def test_kink_excuses_only_a_bracketed_claim(f, x0, claim, verdict):
    out = _arrays(f, np.array([x0]), [claim], None, 1.0)
    assert out.rows[0].verdict == verdict
    assert (out.kinks == ["x"]) is (verdict == "kink")


@pytest.mark.parametrize("claim, verdict", [([1.0, 0.0, 0.0], "kink"), ([1.0, 1.0, 0.0], "FAIL"),
                                            ([0.5, 0.5, 0.1], "FAIL")],
                         ids=["one-max-picked", "tie_sent_to_every_max", "smooth-wrong-elsewhere"])
def test_ties_max_over_tied_inputs(claim, verdict):
    """f = max(x) at x = [1, 1, 0]: along the tie's direction the derivative is 1, so the claims of the tied
    elements must sum to 1; x2's derivative is 0 (smooth there): a claim 0.1 is not excused by the tie."""
    out = _arrays(lambda v: float(np.max(v)), np.array([1.0, 1.0, 0.0]), claim, None, 1.0)
    assert out.rows[0].verdict == verdict


@pytest.mark.parametrize("off, status", [(1e-3, "PASS"), (5e-2, "FAIL")], ids=["float32-inside", "float32_is_no_excuse"])
def test_float32_is_no_excuse_for_a_wrong_gradient(off, status):
    """float32: rtol 1e-2 (allowance ~3e-2 relative here): a gradient 5% off fails (rtol 1e-1 would pass it)."""
    w = np.full(4, 0.75, dtype=np.float32)
    f, g, theta = _linear(w, off, np.float32)
    assert check_function(lambda t: float(np.dot(w.astype(np.float64), t)), g, theta, mode="full").status == status


class _Saturated:
    """A sigmoid at -30..-26, shifted by 1: its derivatives (1e-13..5e-12) lie below central differences' resolution, so the
    complex step is asked for a second opinion. ``factor``: the claim's error; ``modulus``: forward reads |x|
    (np.abs of a complex number is its modulus: the complex step then reads a derivative 0, wrongly)."""

    def __init__(self, factor: float = 1.0, modulus: bool = False):
        self.factor, self.modulus = factor, modulus

    def forward(self, x):
        self.out = 1 / (1 + np.exp(np.abs(x) if self.modulus else -x))
        return self.out + 1.0  # outputs ~1: central differences err ~1e-10, far above the derivatives

    def backward(self, dout):
        return self.factor * dout * self.out * (1 - self.out)


X_SATURATED = np.array([[-30.0, -28.0, -26.0], [-29.0, -27.0, -26.5]])


@pytest.mark.parametrize("factor, status", [(1.0, "PASS"), (1.1, "INCONCLUSIVE")],
                         ids=["second_opinion_confirms", "second_opinion_wrong-claim-not-confirmed"])
def test_second_opinion_may_confirm_a_tiny_gradient(factor, status):
    """The complex step confirms a right claim; a claim 10% off is not confirmed: the row stays unresolvable."""
    report = check_layer(_Saturated(factor), X_SATURATED)
    assert report.status == status and report.rows[0].verdict == ("ok" if status == "PASS" else "unresolvable")


def test_second_opinion_cannot_overrule_where_the_code_is_not_analytic():
    """forward reads |x|: the complex step reads 0 though the claim is right: the row stays unresolvable, never
    FAIL on a complex step that is wrong (the second opinion may only confirm)."""
    report = check_layer(_Saturated(modulus=True), X_SATURATED)
    assert report.status == "INCONCLUSIVE" and report.rows[0].verdict == "unresolvable"


@pytest.mark.parametrize("relative, passed", [(3e-6, True), (3e-5, False)], ids=["3e-6-inside", "3e-5-outside"])
def test_relu_point_refinement_is_no_excuse_for_a_smooth_wrong_gradient(relative, passed):
    """backprop's point check on a ReLU network (central differences along 3 random directions, step refinement
    for the failing ones; tolerance 1e-5 on |g.v - D_v L| / (|g.v| + |D_v L|)): every array off by 3e-5 of its
    norm fails (its error ~9e-5: refinement cannot excuse a disagreement that does not shrink); 3e-6 passes."""
    net = DNN(2, 5, 3, 2, activation="relu", init="he", seed=4)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((6, 3))
    x, y = net.check_data(x, net.forward(x) + 0.05 * rng.standard_normal((6, 2)))
    check = _point("backprop", net, x, y, _off_array(net, gradient(net, x, y).grad, relative))
    assert check.passed is passed and not check.unresolved, check.gradient_error
