"""An activation is one unit and one registration: a unit registered here (softplus) is taken by every method, the
peers, the cost model, the gradient check and the command line with nothing else edited; and each registered
unit's forms agree with each other."""

import numpy as np
import pytest
from conftest import make_data

import nngrad
from nngrad.methods import available_methods, get
from nngrad.methods.cost import Network, forward
from nngrad.model.activations import ACTIVATIONS, Activation, hidden_activations, register


class Softplus(Activation):
    """out = log(1 + exp(x)); derivative: sigmoid(x)."""

    name, analytic, init = "softplus", True, "xavier"
    calls, per_element, complex_per_element = 2, 1.5, 6.0

    @staticmethod
    def function(x):
        return np.logaddexp(0.0, x) if not np.iscomplexobj(x) else np.log1p(np.exp(x))

    @staticmethod
    def derivative(x, out):
        return 1 / (1 + np.exp(-x))

    @staticmethod
    def numpy_like(xp):
        return lambda z: xp.log1p(xp.exp(z))

    @staticmethod
    def torch(torch):
        return torch.nn.functional.softplus


@pytest.fixture
def softplus():
    register(Softplus)
    try:
        yield Softplus
    finally:
        ACTIVATIONS.pop("softplus")


def test_a_registered_activation_reaches_every_method_and_peer(softplus, rng):
    net = nngrad.DNN(2, 5, 4, 2, activation="softplus", init=softplus.init, seed=0)
    x, y = make_data(net, 3, rng)
    reference = nngrad.backprop_gradient(net, x, y)[1]
    assert nngrad.gradient_check(net, x, y).passed  # the complex step, since it is analytic
    for method in available_methods():
        if get(method).why_not(net) is not None:  # a method that does not apply here says why: skip it
            continue
        got = nngrad.gradient(net, x, y, method=method).grad
        if got is None or get(method).family == "estimator":  # "forward": no gradient; estimators: not exact
            continue
        tol = 1e-5 if get(method).family == "finite-difference" else 1e-10
        np.testing.assert_allclose(got, reference, rtol=tol, atol=tol * np.abs(reference).max(), err_msg=method)
    assert forward(Network((4, 5, 5, 2), 3, "softplus", "sigmoid", "mse")).elementwise > 0  # the cost model
    assert "softplus" in hidden_activations()


def test_the_command_line_offers_a_registered_activation(softplus, capsys):
    from nngrad.cli import main

    assert main(["check", "--activation", "softplus", "--depth", "2", "--width", "4"]) == 0
    assert "activation='softplus'" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_each_units_forms_agree(name, rng):
    unit = ACTIVATIONS[name]
    x = rng.standard_normal((4, 5))
    out = unit.function(x)
    np.testing.assert_allclose(unit.inplace(x.copy()), out, rtol=1e-15)
    np.testing.assert_allclose(unit.numpy_like(np)(x), out, rtol=1e-14)
    layer = unit()
    np.testing.assert_allclose(layer.forward(x), out, rtol=1e-15)
    dout = rng.standard_normal(x.shape)
    eps = 1e-6
    numerical = (unit.function(x + eps) - unit.function(x - eps)) / (2 * eps)
    np.testing.assert_allclose(layer.backward(dout), dout * numerical, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(unit.derivative(x, out), numerical, rtol=1e-6, atol=1e-9)
    if unit.analytic:  # the complex step through its function gives its derivative
        np.testing.assert_allclose(unit.function(x + 1e-20j).imag / 1e-20, numerical, rtol=1e-6, atol=1e-9)
    assert unit.init in nngrad.model.network.INITS


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_each_units_torch_form_agrees(name, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((4, 5))
    got = ACTIVATIONS[name].torch(torch)(torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(got, ACTIVATIONS[name].function(x), rtol=1e-14)
