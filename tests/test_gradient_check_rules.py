"""gradient_check's own rules (check/dnn_check.py), each just inside and just outside, in literal numbers: which
reference judges each array, the allowance a user's atol sets, the arguments it refuses, its count of loss
evaluations and its count of ReLU inputs near a kink."""

import warnings

import numpy as np
import pytest
from conftest import make_data

import nngrad
from nngrad import DNN, gradient, gradient_check
from nngrad.check.dnn_check import NetworkSubject
from nngrad.errors import InvalidValue


@pytest.fixture
def sigmoid():
    net = DNN(1, 3, 2, 2, seed=1)
    return net, *make_data(net, 3, np.random.default_rng(2))


@pytest.fixture
def relu_then_sigmoid():
    """A ReLU hidden layer (a kink: its layer needs a finite difference) under a sigmoid output (analytic)."""
    net = DNN(1, 3, 2, 2, activation="relu", output_activation="sigmoid", seed=1, init_std=0.5)
    return net, *make_data(net, 3, np.random.default_rng(2))


def _shifted(monkeypatch, by: float) -> None:
    """gradient_check's backprop moved by ``by`` (absolute) at every element, up and down by turns."""
    real = nngrad.check.dnn_check.backprop_gradient

    def off(*args):
        loss, grad = real(*args)
        return loss, grad + by * np.where(np.arange(grad.size) % 2, -1.0, 1.0)

    monkeypatch.setattr(nngrad.check.dnn_check, "backprop_gradient", off)


# -- which reference judges which array ---------------------------------------------------------------------------

def test_auto_uses_the_complex_step_from_the_last_kink_on_and_differences_before_it(relu_then_sigmoid):
    report = gradient_check(*relu_then_sigmoid)
    assert [r.reference for r in report.rows] == ["central differences"] * 2 + ["complex step"] * 2
    assert report.rtols == {"central differences": 1e-6, "complex step": 1e-8}


def test_finite_differences_judge_every_array_when_asked(sigmoid):
    report = gradient_check(*sigmoid, scheme="forward", reference="finite-differences")
    assert {r.reference for r in report.rows} == {"forward differences"}
    assert report.rtols == {"forward differences": 1e-4}


def test_a_given_rtol_judges_every_array(relu_then_sigmoid):
    report = gradient_check(*relu_then_sigmoid, rtol=3e-7)
    assert report.rtols == {"central differences": 3e-7, "complex step": 3e-7}


# -- a user's atol is every element's absolute allowance ----------------------------------------------------------

@pytest.mark.parametrize("reference", ["complex-step", "finite-differences"])
@pytest.mark.parametrize("by, status", [(0.5e-3, "PASS"), (2e-3, "FAIL")])
def test_a_users_atol_allows_that_absolute_error_at_every_element(monkeypatch, sigmoid, reference, by, status):
    """rtol 0, atol 1e-3: backprop moved by 5e-4 at every element passes, by 2e-3 fails, whatever the reference."""
    _shifted(monkeypatch, by)
    assert gradient_check(*sigmoid, rtol=0.0, atol=1e-3, reference=reference).status == status


# -- what it refuses ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rtol", "atol"])
@pytest.mark.parametrize("value", [-1e-9, float("nan"), True, "1e-6"])
def test_a_negative_nan_boolean_or_text_tolerance_is_refused_naming_it(sigmoid, name, value):
    with pytest.raises(InvalidValue, match=name):
        gradient_check(*sigmoid, **{name: value})


@pytest.mark.parametrize("name", ["rtol", "atol"])
def test_a_tolerance_of_zero_is_allowed(sigmoid, name):
    assert gradient_check(*sigmoid, **{name: 0.0}).rows


def test_the_complex_step_everywhere_is_refused_for_a_network_with_a_kink(relu_then_sigmoid):
    with pytest.raises(InvalidValue, match="reference='complex-step'"):
        gradient_check(*relu_then_sigmoid, reference="complex-step")


# -- the float32 warning ------------------------------------------------------------------------------------------

def test_a_float32_network_is_warned_of_and_a_float64_one_is_not(sigmoid):
    net, x, y = sigmoid
    with pytest.warns(UserWarning, match="float32"):
        gradient_check(DNN(1, 3, 2, 2, seed=1, dtype=np.float32), x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradient_check(net, x, y)


# -- loss evaluations ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["loop", "batched"])
@pytest.mark.parametrize("scheme, per_parameter, base", [("central", 2, 0), ("forward", 1, 1)])
def test_a_passing_check_by_differences_counts_its_schemes_evaluations(sigmoid, scheme, per_parameter, base,
                                                                       variant):
    """N = 17 parameters: central differences 2N, forward N + 1 (nothing failed, nothing probed again), looped
    or batched."""
    report = gradient_check(*sigmoid, scheme=scheme, reference="finite-differences", variant=variant)
    assert report.status == "PASS" and report.loss_evaluations == per_parameter * 17 + base


# -- ReLU inputs near a kink --------------------------------------------------------------------------------------

def test_a_relu_input_exactly_at_the_reach_is_near_a_kink_and_analytic_layers_are_not_counted():
    """The ReLU inputs of unit 0 at exactly 0.5 (others at 4): within a reach of 0.5, not of 0.49. The sigmoid
    output's inputs, however close to 0, are no kink."""
    net = DNN(1, 3, 2, 1, activation="relu", output_activation="sigmoid", seed=3)
    x, y = make_data(net, 1, np.random.default_rng(4))
    dense = net.dense_layers[0]
    z = (x @ dense.W + dense.b)[0]
    dense.b[:] += np.array([0.5, 4.0, 4.0]) - z
    z = (x @ dense.W + dense.b)[0]
    assert z[0] == 0.5  # exactly, or the boundary is not tested
    out = net.dense_layers[1]
    out.b[:] -= (net.trace(x)[1][1])[0]  # the sigmoid's input near 0
    subject = NetworkSubject(net, x, y)
    assert subject.kinks_near(0.5) == 1 and subject.kinks_near(0.49) == 0 and subject.kinks_near(4.0) == 3


# -- the rules and evidence handed to the element rules and the diagnoses -----------------------------------------

EPS64 = 2.220446049250313e-16


def test_the_element_rules_get_the_differences_own_errors_at_eps_and_at_a_quarter_of_it(monkeypatch, sigmoid):
    """Central differences at eps = u^(1/3) on a loss L: rtol 1e-6; the difference's own error 10 (u / eps + eps^2)
    |L| (every element's floor); at eps / 4, 10 (4u / eps + eps^2 / 16) |L|; the one-sided slack 10 (u / eps + eps)
    |L|; the diagnoses get the same step, rtol and floor, and seed 0 (the same report on every run)."""
    from nngrad.check import dnn_check

    seen = {}
    explain, diagnose = dnn_check._explain, dnn_check.run_diagnoses
    monkeypatch.setattr(dnn_check, "_explain", lambda *a, **k: (seen.setdefault("rules", a[6]), explain(*a, **k))[1])
    monkeypatch.setattr(dnn_check, "run_diagnoses", lambda e, *a: (seen.setdefault("e", e), diagnose(e, *a))[1])
    net, x, y = sigmoid
    gradient_check(net, x, y, reference="finite-differences")
    loss, eps, u = abs(net.evaluate(*net.check_data(x, y))), EPS64 ** (1 / 3), EPS64
    rules, e = seen["rules"], seen["e"]
    assert rules.eps == pytest.approx(eps, rel=1e-12) and rules.rtol == 1e-6
    assert rules.error == pytest.approx(10 * (u / eps + eps ** 2) * loss, rel=1e-9)
    assert rules.fine_error == pytest.approx(10 * (4 * u / eps + eps ** 2 / 16) * loss, rel=1e-9)
    assert rules.slack == pytest.approx(10 * (u / eps + eps) * loss, rel=1e-9)
    assert (e.eps, e.rtol, e.floor, e.seed) == (rules.eps, 1e-6, rules.error, 0)


def test_the_subjects_claim_is_backprops_gradient_by_array(sigmoid):
    net, x, y = sigmoid
    grad = gradient(net, x, y).grad
    claim = NetworkSubject(net, *net.check_data(x, y)).claim()
    for a in net.param_arrays():
        assert np.array_equal(claim.grads[f"{a.name}{a.layer}"], grad[a.start:a.stop].reshape(a.shape))


# -- a step lost against the parameters is refused ------------------------------------------------------------------

def test_a_step_lost_against_the_parameters_is_refused_naming_eps(sigmoid):
    with pytest.raises(InvalidValue, match="eps"):
        gradient_check(*sigmoid, eps=1e-30)


# -- rows with too many failing elements are not probed one by one ------------------------------------------------

@pytest.mark.parametrize("failing, probed", [(1000, True), (1001, False)])
def test_a_row_is_probed_element_by_element_up_to_1000_failing_elements(monkeypatch, failing, probed):
    """W0 of 1001 elements, `failing` of them claimed 1e-6 too large: a row of 1000 failing elements is probed
    (more loss evaluations than the reference's 2N), one of 1001 is not (a wholesale error needs no probe)."""
    net = DNN(1, 1001, 1, 1, seed=0)
    x, y = make_data(net, 2, np.random.default_rng(1))
    real = nngrad.check.dnn_check.backprop_gradient

    def off(*args):
        loss, grad = real(*args)
        grad = grad.copy()
        grad[:failing] += 1e-6  # W0 comes first; its largest gradient is ~3e-4, its floor ~6e-10
        return loss, grad

    monkeypatch.setattr(nngrad.check.dnn_check, "backprop_gradient", off)
    report = gradient_check(net, x, y, reference="finite-differences")
    assert report.rows[0].verdict == "FAIL" and len(report.rows[0].failing) == failing
    assert (report.loss_evaluations > 2 * net.num_params) is probed


# -- no kink excuse where the loss is analytic ----------------------------------------------------------------------

@pytest.fixture
def well_fitted():
    """A sigmoid network (no kink anywhere) whose targets sit 1e-6 from its outputs: the loss (~1e-12) is far
    below its curvature, so central differences err by their truncation well above the floor estimated from the
    loss, and the one-sided differences differ by eps x the curvature, far above their estimated slack."""
    net = DNN(1, 3, 2, 2, seed=1, init_std=0.5)
    x = np.random.default_rng(2).standard_normal((3, 2))
    return net, x, net.forward(x) + 1e-6


@pytest.mark.parametrize("relative", [1e-4, 1e-2])
def test_a_smooth_wrong_gradient_is_never_excused_as_a_kink_crossed(monkeypatch, well_fitted, relative):
    """W0's claim 1e-4 (or 1e-2) too large in every element: the one-sided differences bracket it (they differ by
    eps x the curvature), but the loss is analytic in W0, so no kink was crossed: FAIL, not "kink"."""
    real = nngrad.check.dnn_check.backprop_gradient

    def off(*args):
        loss, grad = real(*args)
        grad = grad.copy()
        grad[:6] *= 1 + relative  # W0 (2 x 3) comes first
        return loss, grad

    monkeypatch.setattr(nngrad.check.dnn_check, "backprop_gradient", off)
    report = gradient_check(*well_fitted, reference="finite-differences")
    assert report.rows[0].verdict == "FAIL" and report.status == "FAIL"
    assert not any(f.kind == "kink" for f in report.findings)


def test_a_right_gradient_off_by_the_differences_truncation_is_refined_and_said_so(well_fitted):
    report = gradient_check(*well_fitted, reference="finite-differences")
    assert report.status == "PASS" and report.rows[0].verdict == "refined"
    assert any("differenced again at eps/4" in f.message for f in report.findings)


# -- the rest of the count and the words -------------------------------------------------------------------------

def test_auto_counts_the_complex_steps_and_the_differences_evaluations(relu_then_sigmoid):
    """W1, b1 by the complex step (8 parameters, one evaluation each), W0, b0 by central differences (9, two
    each): 26."""
    report = gradient_check(*relu_then_sigmoid)
    assert report.status == "PASS" and report.loss_evaluations == 26


@pytest.mark.parametrize("variant, looped", [("loop", True), ("batched", False)])
def test_the_variant_picks_the_loop_or_the_batched_differences(monkeypatch, sigmoid, variant, looped):
    from nngrad.check import dnn_check

    calls = []
    real = dnn_check.finite_difference
    monkeypatch.setattr(dnn_check, "finite_difference", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    gradient_check(*sigmoid, reference="finite-differences", variant=variant)
    assert bool(calls) is looped


@pytest.mark.parametrize("init, suggests_he", [("normal", True), ("he", False)])
def test_the_kink_remedy_suggests_he_init_only_to_a_network_without_it(sigmoid, init, suggests_he):
    _, x, y = sigmoid
    net = DNN(1, 3, 2, 2, seed=1, init=init)
    assert ("init='he'" in NetworkSubject(net, *net.check_data(x, y)).remedy("kink")) is suggests_he
