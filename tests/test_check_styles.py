"""The checker takes the code learners write, in every style courses teach, with nothing left unchecked: layer
classes (three conventions), functional pairs and losses, whole networks, a scalar engine. Each style has a
correct example that passes, with every array named in the report, and a buggy twin that fails."""

import math
from collections import OrderedDict

import numpy as np
import pytest
from zoo.dlfs import Affine, Sigmoid, SigmoidGradFromInput, SoftmaxWithLoss

from nngrad import check_engine, check_layer, check_loss, check_network, check_pair
from nngrad.errors import InvalidValue


def kinds(report) -> set[str]:
    return {f.kind for f in report.findings}


# -- Neural Networks from Scratch: forward stores self.output, backward sets self.dinputs ------------------------

class LayerDense:
    def __init__(self, rng, n_inputs=4, n_neurons=3):
        self.weights = 0.5 * rng.standard_normal((n_inputs, n_neurons))
        self.biases = rng.standard_normal((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = dvalues @ self.weights.T


class LayerDenseNoKeepdims(LayerDense):
    def backward(self, dvalues):
        super().backward(dvalues)
        self.dbiases = np.sum(dvalues, axis=0)  # (3,) for biases of shape (1, 3)


class CategoricalCrossentropy:
    """A loss on predictions: forward returns the per-sample losses, backward(dvalues, y_true) takes them."""

    def forward(self, y_pred, y_true):
        return -np.log(y_pred[range(len(y_pred)), y_true])

    def backward(self, dvalues, y_true):
        self.dinputs = -np.eye(dvalues.shape[1])[y_true] / dvalues / len(dvalues)


def test_neural_networks_from_scratch_style(rng):
    x = rng.standard_normal((5, 4))
    report = check_layer(LayerDense(rng), x)
    assert report.passed and [r.name for r in report.rows] == ["dx", "dweights", "dbiases"]
    assert "dinputs, dweights, dbiases" in report.how and "returned nothing" in report.how
    wrong = check_layer(LayerDenseNoKeepdims(rng), x)
    assert wrong.status == "FAIL" and "keepdims=True missing" in str(wrong)
    p = rng.uniform(0.1, 1, (5, 3))
    loss = check_layer(CategoricalCrossentropy(), p / p.sum(axis=1, keepdims=True), t=rng.integers(0, 3, 5))
    assert loss.passed and "backward(dvalues, y_true)" in loss.how


# -- tutorials whose backward takes the SGD step -------------------------------------------------------------------

class DenseStep:
    """backward(output_gradient, learning_rate), column vectors, an in-place step."""

    def __init__(self, rng):
        self.weights, self.bias = rng.standard_normal((3, 4)), rng.standard_normal((3, 1))

    def forward(self, input):
        self.input = input
        return self.weights @ input + self.bias

    def backward(self, output_gradient, learning_rate):
        input_gradient = self.weights.T @ output_gradient
        self.weights -= learning_rate * (output_gradient @ self.input.T)
        self.bias -= learning_rate * output_gradient
        return input_gradient


class DenseStepWrongBias(DenseStep):
    def backward(self, output_gradient, learning_rate):
        input_gradient = self.weights.T @ output_gradient
        self.weights -= learning_rate * (output_gradient @ self.input.T)
        self.bias -= learning_rate * 2 * output_gradient
        return input_gradient


def test_a_backward_taking_the_learning_rate_is_checked_through_its_step(rng):
    x = rng.standard_normal((4, 1))
    layer = DenseStep(rng)
    before = layer.weights.copy()
    report = check_layer(layer, x)
    assert report.passed and "sgd-step" in kinds(report) and "the step on weights" in report.how
    np.testing.assert_array_equal(layer.weights, before)
    wrong = check_layer(DenseStepWrongBias(rng), x)
    assert [r.name for r in wrong.rows if r.verdict == "FAIL"] == ["dbias"] and "2 times" in str(wrong)


# -- Deep Learning from Scratch 2: params and grads as lists, written in place -------------------------------------

class ListAffine:
    def __init__(self, W, b):
        self.params, self.grads = [W, b], [np.zeros_like(W), np.zeros_like(b)]

    def forward(self, x):
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, _ = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ W.T


def test_parameters_and_gradients_in_lists(rng):
    report = check_layer(ListAffine(rng.standard_normal((4, 3)), rng.standard_normal(3)), rng.standard_normal((5, 4)))
    assert report.passed and [r.name for r in report.rows] == ["dx", "dparams[0]", "dparams[1]"]


class BatchNorm:
    def __init__(self, gamma, beta):
        self.gamma, self.beta = gamma, beta
        self.running_mean = np.zeros_like(gamma)  # state, not a parameter: the output does not depend on it

    def forward(self, x, train_flg=True):
        mu = x.mean(axis=0)
        self.running_mean = 0.9 * self.running_mean + 0.1 * mu
        self.xhat = (x - mu) / np.sqrt(x.var(axis=0) + 1e-7)
        self.std = np.sqrt(x.var(axis=0) + 1e-7)
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma, self.dbeta = (dout * self.xhat).sum(axis=0), dout.sum(axis=0)
        dxhat = dout * self.gamma
        return (dxhat - dxhat.mean(axis=0) - self.xhat * (dxhat * self.xhat).mean(axis=0)) / self.std


def test_a_constructor_taking_arrays_and_running_statistics_that_are_not_parameters(rng):
    layer = BatchNorm(rng.standard_normal(3), rng.standard_normal(3))
    report = check_layer(layer, rng.standard_normal((6, 3)))
    assert report.passed and [r.name for r in report.rows] == ["dx", "dgamma", "dbeta"]
    assert "forward(x, train_flg=True)" in report.how
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))  # the layer's state as it was found


# -- CS231n: functional pairs and loss functions ---------------------------------------------------------------------

def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def affine_backward_two(dout, cache):
    x, w, _ = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout


def batchnorm_forward(x, gamma, beta, bn_param):
    bn_param["calls"] = bn_param.get("calls", 0) + 1  # a dict the function changes: the user's stays untouched
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + bn_param["eps"])
    return gamma * xhat + beta, (xhat, gamma, np.sqrt(x.var(axis=0) + bn_param["eps"]))


def batchnorm_backward(dout, cache):
    xhat, gamma, std = cache
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def svm_loss(x, y):
    n = len(x)
    margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1.0)
    margins[np.arange(n), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(n), y] -= dx.sum(axis=1)
    return margins.sum() / n, dx / n


def svm_loss_wrong_sign(x, y):
    loss, dx = svm_loss(x, y)
    n = len(x)
    dx[np.arange(n), y] *= -1
    return loss, dx


def test_functional_pairs_with_arrays_and_dicts_passing_through(rng):
    x, w, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    report = check_pair(affine_forward, affine_backward, x, w, b)
    assert report.passed and [r.name for r in report.rows] == ["dx", "dw", "db"]
    bn_param = {"eps": 1e-5}
    bn = check_pair(batchnorm_forward, batchnorm_backward, rng.standard_normal((6, 3)), rng.standard_normal(3),
                    rng.standard_normal(3), bn_param)
    assert bn.passed and bn_param == {"eps": 1e-5}
    with pytest.raises(InvalidValue, match=r"affine_backward_two returned 2 values; expected 3, one per float input "
                                           r"of affine_forward \(x, w, b\)"):
        check_pair(affine_forward, affine_backward_two, x, w, b)


def test_loss_functions_and_an_error_at_the_labels(rng):
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    assert check_loss(svm_loss, x, y).passed
    wrong = check_loss(svm_loss_wrong_sign, x, y)
    assert wrong.status == "FAIL" and "at each sample's correct class" in str(wrong)


# -- whole networks ---------------------------------------------------------------------------------------------------

class TwoLayerNet:
    """The book's network, of the zoo's DLFS layers (its cross-entropy has the book's 1e-7 inside the log)."""

    sigmoid = Sigmoid

    def __init__(self, rng, sizes=(4, 5, 3)):
        self.params = {"W1": rng.standard_normal(sizes[:2]), "b1": rng.standard_normal(sizes[1]),
                       "W2": rng.standard_normal(sizes[1:]), "b2": rng.standard_normal(sizes[2])}
        self.layers = OrderedDict(Affine1=Affine(self.params["W1"], self.params["b1"]), Sigmoid1=self.sigmoid(),
                                  Affine2=Affine(self.params["W2"], self.params["b2"]))
        self.last_layer = SoftmaxWithLoss()

    def loss(self, x, t):
        for layer in self.layers.values():
            x = layer.forward(x)
        return self.last_layer.forward(x, t)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        a1, a2 = self.layers["Affine1"], self.layers["Affine2"]
        return {"W1": a1.dW, "b1": a1.db, "W2": a2.dW, "b2": a2.db}


class WrongSigmoidNet(TwoLayerNet):
    sigmoid = SigmoidGradFromInput


class CSNet:
    """CS231n: loss(X, y) -> (loss, grads), with a weight decay."""

    def __init__(self, rng, reg=0.1, forget=False, no_mask=False):
        self.params = {"W1": rng.standard_normal((4, 5)), "b1": rng.standard_normal(5),
                       "W2": rng.standard_normal((5, 3)), "b2": rng.standard_normal(3)}
        self.reg, self.forget, self.no_mask = reg, forget, no_mask

    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        h = np.maximum(0, X @ W1 + b1)
        scores = h @ W2 + b2
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        n = len(X)
        loss = -np.log(p[np.arange(n), y]).mean() + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        d = p.copy()
        d[np.arange(n), y] -= 1
        d /= n
        dh = d @ W2.T * (h > 0 if not self.no_mask else 1.0)
        grads = {"W2": h.T @ d + self.reg * W2, "b2": d.sum(axis=0), "W1": X.T @ dh + self.reg * W1,
                 "b1": dh.sum(axis=0)}
        if self.forget:
            grads["W2"] = grads["W2"] - self.reg * W2
        return loss, grads


def test_whole_networks_are_checked_per_array_and_a_bad_layer_is_named(rng):
    x, t = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    report = check_network(TwoLayerNet(rng), x, t)
    assert report.passed and [r.name for r in report.rows] == ["W1", "b1", "W2", "b2"]
    wrong = check_network(WrongSigmoidNet(rng), x, t)
    assert [r.name for r in wrong.rows if not r.passed] == ["W1", "b1"]
    assert "its layer Sigmoid1 (SigmoidGradFromInput) fails its own check" in str(wrong)
    assert "sigmoid' taken of the input x" in str(wrong)


def test_a_cs231n_model_and_its_forgotten_weight_decay(rng):
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    net = CSNet(rng)
    before = {k: v.copy() for k, v in net.params.items()}
    assert check_network(net, x, y).passed
    assert all(np.array_equal(before[k], net.params[k]) for k in before)
    wrong = check_network(CSNet(rng, forget=True), x, y)
    assert "regularization" in kinds(wrong) and "W2 misses 0.1 * W2" in str(wrong)
    unmasked = check_network(CSNet(rng, no_mask=True), x, y)  # no layer objects: where, not which layer
    assert "W1, b1 are wrong while W2, b2 agree" in str(unmasked) and "from layer 2 down to layer 1" in str(unmasked)


# -- a scalar engine in micrograd's style ---------------------------------------------------------------------------

class Value:
    def __init__(self, data, children=()):
        self.data, self.grad, self._backward, self._prev = data, 0.0, lambda: None, children

    def __add__(self, other):
        other = other if isinstance(other, Value) else type(self)(other)
        out = type(self)(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    def __radd__(self, other):
        return self + other

    def __mul__(self, other):
        other = other if isinstance(other, Value) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    def __rmul__(self, other):
        return self * other

    def tanh(self):
        t = math.tanh(self.data)
        out = type(self)(t, (self,))

        def backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for c in v._prev:
                    visit(c)
                order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


class OverwritingValue(Value):
    def __mul__(self, other):
        other = other if isinstance(other, Value) else type(self)(other)
        out = type(self)(self.data * other.data, (self, other))

        def backward():
            self.grad = other.data * out.grad  # = where it should be +=
            other.grad = self.data * out.grad
        out._backward = backward
        return out


@pytest.mark.parametrize("cls", [Value, OverwritingValue])
def test_a_scalar_engine_through_its_values(cls):
    w = [cls(0.3), cls(-0.8), cls(0.5)]

    def loss():
        h = (w[0] * 2.0 + w[1] * -1.5).tanh()
        return h * h + w[2] * h * w[0]  # h and w[0] used twice

    before = [v.data for v in w]
    report = check_engine(loss, w)
    assert [v.data for v in w] == before
    if cls is Value:
        assert report.passed
    else:
        assert report.status == "FAIL" and "overwritten" in kinds(report) and "a * b" in str(report)
