"""Two home-made autograds on arrays.

1. ``Tensor``: operator overloading (``+``, ``-``, ``*``, ``@``, ``.tanh()``, ``.mean()``), each result keeping its
   parents and a ``_backward`` closure; ``loss.backward()`` sorts the graph and accumulates into each ``.grad``
   (``.data`` the array). Checked as ``nngrad.check_engine(lambda: mse(model, X, y), model.parameters())``.
2. No tensor class at all: plain arrays, the gradients kept in a global dict ``GRADS`` keyed by ``id(array)``;
   each op records a closure on a global ``TAPE``; ``loss_and_grads(params, X, y) -> (loss, [GRADS[id(p)] ...])``.
   Checked as ``nngrad.check_loss(loss_and_grads, params, X, y)``.

A buggy version is a subclass or second function with the one thing a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _unbroadcast(g, shape):
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, s in enumerate(shape):
        if s == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


class Tensor:
    def __init__(self, data, parents=()):
        self.data = np.asarray(data, dtype=float)
        self.grad = np.zeros_like(self.data)
        self._parents = parents
        self._backward = lambda: None

    def _wrap(self, other):
        return other if isinstance(other, Tensor) else Tensor(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data + other.data, (self, other))

        def backward():
            self.grad += _unbroadcast(out.grad, self.data.shape)
            other.grad += _unbroadcast(out.grad, other.data.shape)
        out._backward = backward
        return out

    def __sub__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data - other.data, (self, other))

        def backward():
            self.grad += _unbroadcast(out.grad, self.data.shape)
            other.grad -= _unbroadcast(out.grad, other.data.shape)
        out._backward = backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other))

        def backward():
            self.grad += _unbroadcast(out.grad * other.data, self.data.shape)
            other.grad += _unbroadcast(out.grad * self.data, other.data.shape)
        out._backward = backward
        return out

    def __matmul__(self, other):
        out = type(self)(self.data @ other.data, (self, other))

        def backward():
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad
        out._backward = backward
        return out

    def tanh(self):
        t = np.tanh(self.data)
        out = type(self)(t, (self,))

        def backward():
            self.grad += out.grad * (1 - t ** 2)
        out._backward = backward
        return out

    def mean(self):
        out = type(self)(self.data.mean(), (self,))

        def backward():
            self.grad += out.grad * np.ones_like(self.data) / self.data.size
        out._backward = backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(t):
            if id(t) not in seen:
                seen.add(id(t))
                for p in t._parents:
                    visit(p)
                order.append(t)
        visit(self)
        for t in order:
            if t is not self:
                t.grad = np.zeros_like(t.data) if t._parents else t.grad
        self.grad = np.ones_like(self.data)
        for t in reversed(order):
            t._backward()


class TensorSubSign(Tensor):
    def __sub__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data - other.data, (self, other))

        def backward():
            self.grad += _unbroadcast(out.grad, self.data.shape)
            other.grad += _unbroadcast(out.grad, other.data.shape)  # BUG: '+=' for the subtrahend: its sign lost
        out._backward = backward
        return out


class TensorMulOverwrite(Tensor):
    def __mul__(self, other):
        other = self._wrap(other)
        out = type(self)(self.data * other.data, (self, other))

        def backward():
            # BUG: '=' where '+=' is due: for d * d (both operands one tensor) the second write replaces the first
            self.grad = _unbroadcast(out.grad * other.data, self.data.shape)
            other.grad = _unbroadcast(out.grad * self.data, other.data.shape)
        out._backward = backward
        return out


class MLP:
    """tanh(X W1 + b1) W2 + b2 on Tensors of the given class."""

    def __init__(self, rng, cls=Tensor, sizes=(4, 5, 2)):
        a, h, o = sizes
        self.cls = cls
        self.W1 = cls(rng.standard_normal((a, h)) / np.sqrt(a))
        self.b1 = cls(0.1 * rng.standard_normal(h))
        self.W2 = cls(rng.standard_normal((h, o)) / np.sqrt(h))
        self.b2 = cls(0.1 * rng.standard_normal(o))

    def parameters(self):
        return [self.W1, self.b1, self.W2, self.b2]

    def __call__(self, X):
        return ((self.cls(X) @ self.W1 + self.b1).tanh()) @ self.W2 + self.b2


def mse(model, X, y):
    d = model.cls(y) - model(X)  # target minus prediction
    return (d * d).mean()


# ---------------------------------------------------------------- the global-dict autograd

GRADS: dict[int, np.ndarray] = {}
TAPE: list = []


def _acc(a, g):
    GRADS[id(a)] = GRADS.get(id(a), 0) + g


def matmul(a, b):
    out = a @ b
    TAPE.append(lambda: (_acc(a, GRADS[id(out)] @ b.T), _acc(b, a.T @ GRADS[id(out)])))
    return out


def add_bias(a, b):
    out = a + b
    TAPE.append(lambda: (_acc(a, GRADS[id(out)]), _acc(b, GRADS[id(out)].sum(axis=0))))
    return out


def tanh(a):
    out = np.tanh(a)
    TAPE.append(lambda: _acc(a, GRADS[id(out)] * (1 - out ** 2)))
    return out


def softmax_xent(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    N = len(y)
    loss = -np.log(p[np.arange(N), y]).mean()
    onehot = np.eye(logits.shape[1])[y]
    TAPE.append(lambda: _acc(logits, (p - onehot) / N))
    return loss


def _run(loss, params):
    for step in reversed(TAPE):
        step()
    grads = [GRADS.get(id(p), np.zeros_like(p)) for p in params]
    GRADS.clear()
    TAPE.clear()
    return loss, grads


def loss_and_grads(params, X, y):
    """params [W1, b1, W2, b2]: softmax cross-entropy of tanh(X W1 + b1) W2 + b2; -> (loss, [dW1, db1, dW2, db2])."""
    GRADS.clear()
    TAPE.clear()
    W1, b1, W2, b2 = params
    h = tanh(add_bias(matmul(X, W1), b1))
    return _run(softmax_xent(add_bias(matmul(h, W2), b2), y), params)


def loss_and_grads_cast(params, X, y):
    GRADS.clear()
    TAPE.clear()
    W1, b1, W2, b2 = params
    W1 = W1.astype(np.float64)  # BUG: astype copies: W1's gradient is filed under the copy's id, W1's is never set
    h = tanh(add_bias(matmul(X, W1), b1))
    return _run(softmax_xent(add_bias(matmul(h, W2), b2), y), params)


# ---------------------------------------------------------------- the cases

def engine(cls):
    def make(rng):
        model = MLP(rng, cls)
        X, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
        return (lambda: mse(model, X, y), model.parameters()), {}
    return make


def engine_linear(cls):
    def make(rng):
        model = MLP(rng, cls, sizes=(3, 4, 1))
        X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
        return (lambda: mse(model, X, y), model.parameters()), {}
    return make


def tape(fn):
    def make(rng):
        params = [rng.standard_normal((4, 5)) / 2, 0.1 * rng.standard_normal(5), rng.standard_normal((5, 3)) / 2,
                  0.1 * rng.standard_normal(3)]
        return (fn, params, rng.standard_normal((6, 4)), rng.integers(0, 3, 6)), {}
    return make


E, G = "op-autograd", "id-dict-autograd"
CASES = [
    Case("r6_autograd.Tensor.mlp", E, "engine", engine(Tensor)),
    Case("r6_autograd.Tensor.small_mlp", E, "engine", engine_linear(Tensor)),
    Case("r6_autograd.Tensor.sub_sign", E, "engine", engine(TensorSubSign),
         bug="a - b's backward adds the gradient to b instead of subtracting it: every parameter's gradient wrong "
             "(the loss is (pred - y)^2)", names=("op", "scaled", "split", "located")),
    Case("r6_autograd.Tensor.mul_overwrite", E, "engine", engine(TensorMulOverwrite),
         bug="'=' for '+=' in mul's backward: d * d gets half its gradient; every parameter's gradient half",
         names=("op", "scaled", "missing-term")),
    Case("r6_autograd.loss_and_grads", G, "loss", tape(loss_and_grads)),
    Case("r6_autograd.loss_and_grads.cast", G, "loss", tape(loss_and_grads_cast),
         bug="W1.astype() copies: W1's gradient is filed under the copy's id(), W1 gets zeros (the others right)",
         names=("split", "located", "zero-gradient")),
]
