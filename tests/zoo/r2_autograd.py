"""An "autograd-lite" on numpy arrays, micrograd grown up: a ``Tensor`` holds ``data`` (an array) and ``grad`` (an
array of the same shape), every operation returns a new Tensor whose ``_backward`` closure adds its share into
its parents' ``grad``, and ``loss.backward()`` runs the closures in reverse topological order. Operations: ``+``
(with the bias broadcast over the batch, summed back), ``*``, ``@``, ``relu``, ``tanh``, ``sum``, ``mean``, and a
softmax cross-entropy against integer labels. The model is a two-layer MLP whose ``parameters()`` lists its
Tensors; the learner checks it as ``nngrad.check_engine(lambda: model_loss(model, X, y), model.parameters())``, the
way micrograd's parameters are checked.

Each buggy engine is a subclass of ``Tensor`` with the one operation a learner got wrong (``# BUG:``); the model
builds its graph with the engine it is given."""

import numpy as np

from .case import Case


def _unbroadcast(g, shape):
    """Sum g down to shape (the axes numpy broadcast)."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


class Tensor:
    def __init__(self, data, _children=(), _op=""):
        self.data = np.asarray(data, dtype=float)
        self.grad = np.zeros_like(self.data)
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def _wrap(self, other):
        return other if isinstance(other, Tensor) else type(self)(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += _unbroadcast(out.grad, self.data.shape)
            other.grad += _unbroadcast(out.grad, other.data.shape)
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += _unbroadcast(other.data * out.grad, self.data.shape)
            other.grad += _unbroadcast(self.data * out.grad, other.data.shape)
        out._backward = _backward
        return out

    def __matmul__(self, other):
        out = type(self)(self.data @ other.data, (self, other), "@")

        def _backward():
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = type(self)(np.maximum(self.data, 0), (self,), "relu")

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = np.tanh(self.data)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def sum(self):
        out = type(self)(self.data.sum(), (self,), "sum")

        def _backward():
            self.grad += np.ones_like(self.data) * out.grad
        out._backward = _backward
        return out

    def mean(self):
        out = type(self)(self.data.mean(), (self,), "mean")

        def _backward():
            self.grad += np.ones_like(self.data) * out.grad / self.data.size
        out._backward = _backward
        return out

    def cross_entropy(self, y):
        """Mean softmax cross-entropy of the rows of self (scores (N, C)) against integer labels y (N,)."""
        z = self.data - self.data.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        n = len(y)
        out = type(self)(-np.log(p[np.arange(n), y]).mean(), (self,), "ce")

        def _backward():
            d = p.copy()
            d[np.arange(n), y] -= 1
            self.grad += d / n * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = np.ones_like(self.data)
        for v in reversed(topo):
            v._backward()


class TensorMeanNoDivide(Tensor):
    def mean(self):
        out = type(self)(self.data.mean(), (self,), "mean")

        def _backward():
            self.grad += np.ones_like(self.data) * out.grad  # BUG: the mean's 1 / n is missing
        out._backward = _backward
        return out


class TensorMatmulTransposed(Tensor):
    def __matmul__(self, other):
        out = type(self)(self.data @ other.data, (self, other), "@")

        def _backward():
            self.grad += out.grad @ other.data.T
            other.grad += out.grad.T @ self.data  # BUG: (out.grad.T @ self.data) is the transpose of self.T @ out.grad
        out._backward = _backward
        return out


class MLP:
    def __init__(self, engine, rng, n_in=4, n_hidden=4, n_out=3):
        self.W1 = engine(0.7 * rng.standard_normal((n_in, n_hidden)))
        self.b1 = engine(0.1 * rng.standard_normal(n_hidden))
        self.W2 = engine(0.7 * rng.standard_normal((n_hidden, n_out)))
        self.b2 = engine(0.1 * rng.standard_normal(n_out))

    def parameters(self):
        return [self.W1, self.b1, self.W2, self.b2]

    def __call__(self, X, act="relu"):
        h = X @ self.W1 + self.b1
        h = h.relu() if act == "relu" else h.tanh()
        return h @ self.W2 + self.b2


def ce_loss(model, X, y):
    return model(X).cross_entropy(y)


def mse_loss(model, X, Y):
    err = model(X, act="tanh") + (Y * -1.0)
    return (err * err).mean()


# ---------------------------------------------------------------- the cases

def classifier(engine):
    def make(rng):
        model = MLP(engine, rng, n_out=4)  # W1 and W2 square
        X, y = engine(rng.standard_normal((6, 4))), rng.integers(0, 4, 6)
        return (lambda: ce_loss(model, X, y), model.parameters()), {}
    return make


def regressor(engine):
    def make(rng):
        model = MLP(engine, rng)
        X, Y = engine(rng.standard_normal((6, 4))), engine(rng.standard_normal((6, 3)))
        return (lambda: mse_loss(model, X, Y), model.parameters()), {}
    return make


S = "tensor-autograd"
CASES = [
    # --- correct
    Case("r2_autograd.mlp_cross_entropy", S, "engine", classifier(Tensor)),
    Case("r2_autograd.mlp_mse_tanh", S, "engine", regressor(Tensor)),
    # --- buggy
    Case("r2_autograd.mean_no_divide", S, "engine", regressor(TensorMeanNoDivide),
         bug="mean's _backward forgets 1 / n: every gradient n times too large", names=("op", "scaled")),
    Case("r2_autograd.matmul_transposed", S, "engine", classifier(TensorMatmulTransposed),
         bug="@'s _backward gives the right operand out.grad.T @ self.data: the square W1's and W2's gradients transposed",
         names=("op", "transposed")),
]
