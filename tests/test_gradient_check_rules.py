"""gradient_check's own rules (check/dnn_check.py), each just inside and just outside, in literal numbers: which
reference judges each array, the allowance a user's atol sets, the arguments it refuses, its count of loss
evaluations and its count of ReLU inputs near a kink."""

import warnings

import numpy as np
import pytest
from conftest import make_data

import nngrad
from nngrad import DNN, gradient_check
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
    assert {r.reference for r in report.rows} == {"forward differences"} and report.rtols == {"forward differences": 1e-4}


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

@pytest.mark.parametrize("scheme, per_parameter, base", [("central", 2, 0), ("forward", 1, 1)])
def test_a_passing_check_by_differences_counts_its_schemes_evaluations(sigmoid, scheme, per_parameter, base):
    """N = 17 parameters: central differences 2N, forward N + 1 (nothing failed, nothing probed again)."""
    report = gradient_check(*sigmoid, scheme=scheme, reference="finite-differences")
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
