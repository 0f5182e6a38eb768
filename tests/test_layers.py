import numpy as np
import pytest

from nngrad import (
    AddLayer,
    Affine,
    Dense,
    Identity,
    MeanSquaredError,
    MulLayer,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    finite_difference,
)


def check_backward(forward, backward_of, inputs, dout_shape_like=None, rng=None, tol=1e-7):
    """Compare backward's input gradients with central differences of L = sum(forward(*inputs) * dout)."""
    rng = rng or np.random.default_rng(0)
    out = forward(*inputs)
    dout = rng.standard_normal(np.shape(out))
    grads = backward_of(dout)
    for x, g in zip(inputs, grads):
        num, _, _ = finite_difference(lambda _: float(np.sum(forward(*inputs) * dout)), x)
        np.testing.assert_allclose(g, num, rtol=tol, atol=tol)


def test_mul_layer_backward_matches_finite_difference(rng):
    layer = MulLayer()
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_backward(layer.forward, layer.backward, [x, y])


def test_add_layer_backward_returns_independent_copies_of_dout():
    layer = AddLayer()
    layer.forward(np.ones(3), np.ones(3))
    dout = np.arange(3.0)
    dx, dy = layer.backward(dout)
    dx[0] = 99
    assert dy[0] == 0 and dout[0] == 0


def test_add_layer_backward_matches_finite_difference(rng):
    layer = AddLayer()
    check_backward(layer.forward, layer.backward, [rng.standard_normal(5), rng.standard_normal(5)])


@pytest.mark.parametrize("x_shape", [(4, 3), (3,)], ids=["batch", "single"])
def test_dense_backward_matches_finite_difference_for_x_W_and_b(rng, x_shape):
    W, b, x = rng.standard_normal((3, 5)), rng.standard_normal(5), rng.standard_normal(x_shape)
    layer = Dense(W, b)
    out = layer.forward(x)
    assert out.shape == x_shape[:-1] + (5,)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    loss = lambda _: float(np.sum(layer.forward(x) * dout))
    for array, analytic in ((x, dx), (W, layer.dW), (b, layer.db)):
        num, _, _ = finite_difference(loss, array)
        np.testing.assert_allclose(analytic, num, rtol=1e-7, atol=1e-8)


def test_affine_is_dense():
    assert Affine is Dense


def test_dense_rejects_mismatched_bias():
    with pytest.raises(ValueError, match="b of shape"):
        Dense(np.zeros((3, 4)), np.zeros(3))


@pytest.mark.parametrize("layer_type", [Sigmoid, Relu, Identity])
def test_activation_backward_matches_finite_difference(rng, layer_type):
    x = rng.standard_normal((4, 6))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the ReLU kink
    layer = layer_type()
    check_backward(layer.forward, lambda d: (layer.backward(d),), [x])


@pytest.mark.parametrize("layer_type", [Sigmoid, Relu, Identity])
def test_activation_leaves_callers_arrays_unchanged(rng, layer_type):
    x = rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 4))
    x0, dout0 = x.copy(), dout.copy()
    layer = layer_type()
    layer.forward(x)
    layer.backward(dout)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)


def test_relu_gradient_is_zero_at_and_below_the_kink():
    layer = Relu()
    layer.forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(layer.backward(np.ones(3)), [0.0, 0.0, 1.0])


def test_sigmoid_known_values_and_no_overflow_warning():
    layer = Sigmoid()
    with np.errstate(over="raise"):
        out = layer.forward(np.array([0.0, -1000.0, 1000.0]))
    np.testing.assert_array_equal(out, [0.5, 0.0, 1.0])


def test_mse_known_value_and_backward(rng):
    loss = MeanSquaredError()
    h, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [1.0, 4.0]])
    assert loss.forward(h, y) == pytest.approx(0.5 * (1 + 0 + 4 + 0) / 4)
    np.testing.assert_allclose(loss.backward(), (h - y) / 4)
    h = rng.standard_normal((3, 2))
    num, _, _ = finite_difference(lambda _: loss.forward(h, y[:1].repeat(3, 0)), h)
    loss.forward(h, y[:1].repeat(3, 0))
    np.testing.assert_allclose(loss.backward(), num, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("labels", [True, False], ids=["labels", "one-hot"])
def test_softmax_with_loss_backward_matches_finite_difference(rng, labels):
    x = rng.standard_normal((5, 4))
    t = rng.integers(0, 4, 5)
    target = t if labels else np.eye(4)[t]
    layer = SoftmaxWithLoss()
    num, _, _ = finite_difference(lambda _: layer.forward(x, target), x)
    layer.forward(x, target)
    np.testing.assert_allclose(layer.backward(), num, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(layer.backward(), (layer.y - np.eye(4)[t]) / 5)


def test_softmax_with_loss_known_values_and_extreme_logits():
    layer = SoftmaxWithLoss()
    assert layer.forward(np.zeros((2, 4)), np.array([0, 3])) == pytest.approx(np.log(4))
    # a log-softmax without epsilon: huge logits stay exact, a confident wrong answer costs its margin
    assert layer.forward(np.array([[1000.0, 0.0]]), np.array([1])) == pytest.approx(1000.0)
    assert layer.forward(np.array([[1000.0, 0.0]]), np.array([0])) == 0.0
    assert np.isfinite(layer.backward()).all()


def test_softmax_with_loss_single_sample():
    layer = SoftmaxWithLoss()
    assert layer.forward(np.zeros(3), np.array(1)) == pytest.approx(np.log(3))
    np.testing.assert_allclose(layer.backward(), [1 / 3, -2 / 3, 1 / 3])
