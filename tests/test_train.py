import numpy as np
import pytest
from conftest import make_data

from nngrad import DNN
from nngrad.train import gradient_descent, train


def test_a_gradient_descent_step_lowers_the_loss(rng):
    net = DNN(2, 8, 4, 2, seed=0, init="xavier")
    x, y = make_data(net, 5, rng)
    before = net.loss(x, y)
    assert gradient_descent(net, x, y, lr=0.5) == before
    assert net.loss(x, y) < before


def test_backprop_and_numerical_training_give_the_same_parameters(rng):
    a = DNN(2, 4, 3, 2, seed=0, init="xavier")
    b = a.copy()
    x, y = make_data(a, 1, rng)
    ha = train(a, x, y, epochs=5, lr=0.5)
    hb = train(b, x, y, epochs=5, lr=0.5, gradient="numerical", scheme="central", eps=1e-5)
    np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(hb["loss"], ha["loss"], rtol=1e-9)
    assert list(ha.columns) == ["epoch", "loss", "elapsed_s"] and len(ha) == 5
    assert ha["elapsed_s"].is_monotonic_increasing


def test_the_classic_experiment_learns(rng):
    net = DNN(5, 32, 10, 2, seed=0)
    x, y = rng.random(10), np.array([0.2, 0.9])
    history = train(net, x, y, epochs=100, lr=0.01)
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]


@pytest.mark.parametrize("kwargs,words", [
    ({"lr": 0}, "lr must be a positive"),
    ({"gradient": "adjoint"}, "gradient must be one of 'backprop', 'numerical'"),
    ({"gradient": "numerical", "scheme": "x"}, "scheme must be one of"),
])
def test_bad_step_arguments_leave_parameters_unchanged(rng, kwargs, words):
    net = DNN(1, 3, 2, 2, seed=0)
    x, y = make_data(net, 2, rng)
    before = net.params.copy()
    with pytest.raises(ValueError, match=words):
        gradient_descent(net, x, y, **kwargs)
    np.testing.assert_array_equal(net.params, before)


def test_a_diverging_step_stops_and_leaves_parameters_unchanged(rng):
    net = DNN(1, 3, 2, 2, seed=0, activation="relu", output_activation="identity")
    x, y = make_data(net, 2, rng)
    net.params[:] = 1e154  # the squared error overflows
    before = net.params.copy()
    with pytest.raises(FloatingPointError, match="lower learning rate"), np.errstate(all="ignore"):
        gradient_descent(net, x * 1e150, y, lr=1.0)
    np.testing.assert_array_equal(net.params, before)
