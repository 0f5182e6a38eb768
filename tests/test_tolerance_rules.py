"""Each tolerance and allowance of nngrad/tolerances.py at work, just inside and just outside its boundary.

The numbers are the rules as stated (docs/checker.md, the table's comments), written out as literals and never
read from the table: a table ten times looser or tighter, or a safety factor shifted by one, fails a case here.
"""

import numpy as np
import pytest
from conftest import make_data

import nngrad
from nngrad import DNN, GradientResult, gradient, gradient_check
from nngrad.check.catalogue import _close
from nngrad.check.compare import compare, refined, same
from nngrad.check.diagnostics import factor
from nngrad.check.probe import invariant, one_sided_slack
from nngrad.methods import get
from nngrad.sweep.point_check import check_point

EPS64 = 2.220446049250313e-16  # float64's machine epsilon (a property of the format, not of the table)


def _planted(monkeypatch, relative: float, seed: int = 2) -> None:
    """gradient_check's backprop moved so that |a - n| / (|a| + |n|) = ``relative`` at every element, n the true
    gradient, some elements up and some down."""
    real = nngrad.check.dnn_check.backprop_gradient

    def off(net, *args):
        loss, grad = real(net, *args)
        signs = np.where(np.random.default_rng(seed).random(grad.size) < 0.5, -1.0, 1.0).astype(grad.dtype)
        return loss, grad * (1 + signs * 2 * relative / (1 - signs * relative))

    monkeypatch.setattr(nngrad.check.dnn_check, "backprop_gradient", off)


# -- gradient_check's element-wise rtol against a finite difference, by scheme and dtype -----------------------------

RTOLS = [("central", np.float64, 1e-6), ("central", np.float32, 1e-2),
         ("forward", np.float64, 1e-4), ("forward", np.float32, 5e-2)]


@pytest.mark.filterwarnings("ignore:net.params are float32")
@pytest.mark.parametrize("scheme, dtype, rtol", RTOLS)
@pytest.mark.parametrize("times, status", [(0.3, "PASS"), (3.0, "FAIL")])
def test_gradient_check_against_a_finite_difference_fails_three_times_its_rtol_and_passes_a_third(
        monkeypatch, scheme, dtype, rtol, times, status):
    """A backward off by a relative 3e-6 fails against central differences in float64 (rtol 1e-6) and would pass
    at 1e-5; one off by 3e-7 passes (and would fail at 1e-7); likewise each scheme and dtype at its own rtol."""
    net = DNN(1, 4, 3, 2, seed=5, dtype=dtype, init_std=0.5)  # gradients well above float32 differences' error
    x, y = make_data(net, 4, np.random.default_rng(6))
    _planted(monkeypatch, times * rtol)
    report = gradient_check(net, x, y, scheme=scheme, reference="finite-differences")
    assert report.status == status, report


# -- a benchmark point of an exact method: norm-wise 1e-10 ------------------------------------------------------------

@pytest.mark.parametrize("times, passed", [(0.3, True), (3.0, False)])
def test_a_point_of_an_exact_method_fails_three_times_1e_10_and_passes_a_third(times, passed):
    """Forward mode is exact to rounding: a point off by 3e-10 of each array's norm fails (would pass at 1e-9),
    one off by 3e-11 passes (would fail at 1e-11)."""
    net = DNN(2, 5, 3, 2, seed=0)
    x, y = net.check_data(*make_data(net, 4, np.random.default_rng(1)))
    exact = gradient(net, x, y).grad
    off, rng = exact.copy(), np.random.default_rng(3)
    for a in net.param_arrays():
        r, v = exact[a.start:a.stop], rng.standard_normal(a.stop - a.start)
        off[a.start:a.stop] = r + times * 1e-10 * np.linalg.norm(r) * v / np.linalg.norm(v)
    m = get("forward-mode")
    check = check_point(m, lambda: GradientResult(off, None, m.name, m.work_count(net.num_params)), net, x, y)
    assert check.passed is passed, check.gradient_error


# -- the absolute allowances ----------------------------------------------------------------------------------------

def test_a_finite_differences_own_error_is_allowed_ten_times_over():
    """KAPPA: a one-sided difference at eps on terms of scale L errs by up to 10 (u / eps + eps) L."""
    assert one_sided_slack(1e-3, 2.0) == pytest.approx(10 * (EPS64 / 1e-3 + 1e-3) * 2.0, rel=1e-12)


@pytest.mark.parametrize("largest, verdict", [(9.5e-3, "unresolvable"), (1.05e-2, "ok")])
def test_an_array_within_ten_times_its_references_error_is_unresolvable(largest, verdict):
    """RESOLVE: an array whose whole gradient stays within 10 x its reference's own error (1e-3 here) is not
    judged; just above 10 x, it is."""
    a = np.array([largest, largest / 2, -largest / 3])
    assert compare("W0", (3,), a, a, "central differences", 1e-6, 1e-3, resolution=1e-3).verdict == verdict


@pytest.fixture
def dead_input():
    """A sigmoid network (complex-step reference) whose first input is 0 in every sample: the W0 gradients of that
    input are exactly 0 for backprop and the complex step alike."""
    net = DNN(1, 4, 3, 2, seed=7)
    x, y = make_data(net, 5, np.random.default_rng(8))
    x[:, 0] = 0.0
    return net, x, y


@pytest.mark.parametrize("machine_eps, status", [(99.5, "PASS"), (100.5, "FAIL")])
def test_an_exact_reference_allows_100_machine_eps_of_the_arrays_scale_where_the_gradient_is_0(
        monkeypatch, dead_input, machine_eps, status):
    """EXACT_FLOOR: against the complex step an element whose gradient is 0 may be claimed as up to 100 machine
    epsilons x the array's largest gradient (the rounding of two exact computations), not more."""
    net, x, y = dead_input
    real = nngrad.check.dnn_check.backprop_gradient
    w0 = net.param_arrays()[0]

    def off(*args):
        loss, grad = real(*args)
        grad = grad.copy()
        zero = w0.start + int(np.flatnonzero(grad[w0.start:w0.stop] == 0)[0])
        grad[zero] = machine_eps * EPS64 * np.abs(grad[w0.start:w0.stop]).max()
        return loss, grad

    monkeypatch.setattr(nngrad.check.dnn_check, "backprop_gradient", off)
    assert gradient_check(net, x, y).status == status


# -- the rtols beside the tables -----------------------------------------------------------------------------------

@pytest.mark.parametrize("relative, equal", [(5e-13, True), (2e-12, False)])
def test_two_runs_are_the_same_to_1e_12(relative, equal):
    """SAME: two runs of the same code at the same point agree to rtol 1e-12, no absolute allowance."""
    a = np.array([1.0, -3.0, 0.25])
    assert same(a, a * (1 + relative)) is equal


@pytest.mark.parametrize("moved, still", [(500, True), (2000, False)])
def test_a_scalar_that_moved_less_than_1000_machine_eps_stayed_put(moved, still):
    """STILL: a loss that moves by 500 machine epsilons of its scale (1) when the values move stayed put (their
    rounding); one that moves by 2000 did not."""
    values = np.zeros(3)
    assert bool(invariant(lambda: 1.0 + moved * EPS64 * bool(values.any()), values, 0, 1.0)) is still


@pytest.mark.parametrize("off, match", [(1.5e-6, True), (3e-6, False)])
def test_a_mistakes_formula_matches_a_claim_at_rtol_1e_6(off, match):
    """MATCH: a catalogued mistake matches at rtol 1e-6 (and an absolute 1e-6 of the array's largest value):
    1 + 1.5e-6 matches 1, 1 + 3e-6 does not."""
    assert _close(np.array([1.0 + off, 0.5]), np.array([1.0, 0.5])) is match


@pytest.mark.parametrize("c, read", [(2 * (1 + 5e-7), 2.0), (2 * (1 + 4e-6), 2 * (1 + 4e-6))])
def test_a_factor_within_1e_6_of_a_simple_one_is_read_as_it(c, read):
    """FACTOR: a constant factor within rtol 1e-6 of 2 is read as 2; one 4e-6 away stays as measured."""
    n = np.array([0.3, -1.2, 0.7])
    assert factor(c * n, n, 1e-5, 0.0) == pytest.approx(read, rel=1e-12)


@pytest.mark.parametrize("nonzero, found", [(1, False), (2, True)])
def test_a_factor_that_is_no_whole_number_needs_two_elements_agreeing(nonzero, found):
    """FEWEST_AGREE: one element is a multiple of any other, so a factor of 1.7 read from one nonzero reference
    element says nothing; two elements agreeing on it do."""
    n = np.array([0.4, -0.9, 0.0, 0.0])
    n[nonzero:] = 0.0
    assert (factor(1.7 * n, n, 1e-6, 0.0) is not None) is found


@pytest.mark.parametrize("shrunk_by, excused", [(2.5, True), (1.5, False)])
def test_a_disagreement_is_the_differences_own_error_only_if_it_halves_at_a_quarter_step(shrunk_by, excused):
    """SHRINK: refining eps to eps / 4, a disagreement that shrinks 2.5 times is the difference's own error; one
    that shrinks 1.5 times is a bug's (when the claim agrees with the refined difference either way)."""
    d = 1e-3
    a, coarse, fine = np.array([1.0]), np.array([1.0 + d]), np.array([1.0 + d / shrunk_by])
    assert refined(a, coarse, fine, 1e-6, coarse_error=d, fine_error=d, floor=0.0)[0] == excused


@pytest.mark.parametrize("steps, near", [(5.0, 1), (50.0, 0)])
def test_a_relu_input_within_ten_steps_of_0_is_counted_as_a_kink_a_difference_may_cross(steps, near):
    """KINK_REACH: one ReLU input 5 steps (eps of the check) from 0 is near a kink; at 50 steps it is not."""
    net = DNN(1, 3, 2, 1, activation="relu", output_activation="sigmoid", seed=3)
    x, y = make_data(net, 1, np.random.default_rng(4))
    eps = float(EPS64 ** (1 / 3))  # central differences' default step
    dense = net.dense_layers[0]
    z = (x @ dense.W + dense.b)[0]
    dense.b[:] += np.where(np.arange(z.size) == 0, steps * eps - z[0], 1.0 - z)  # unit 0 at `steps`, others at 1
    assert gradient_check(net, x, y).near_kinks == near
