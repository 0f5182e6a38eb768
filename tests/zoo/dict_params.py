"""Layers that keep their parameters in a container:

- lists, in the style of *Deep Learning from Scratch 2*: ``self.params = [W, b]`` and ``self.grads = [dW, db]``,
  the gradients written into the arrays in place (``self.grads[0][...] = dW``) so that an optimizer holding them sees
  the new values; an ``RNN`` cell ``forward(x, h_prev)`` with ``backward(dh_next) -> (dx, dh_prev)``;
- dicts: ``self.params = {"W": ..., "b": ...}`` and ``self.grads = {"W": ..., "b": ...}`` (``Linear``, ``BatchNorm``,
  ``LayerNorm`` with ``"gamma"`` and ``"beta"``).

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

# ruff: noqa: RUF059  (learner code, kept the way learners write it)

import numpy as np

from .case import Case

# ---------------------------------------------------------------- lists: params = [W, b], grads = [dW, db]

class MatMul:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.x = None

    def forward(self, x):
        W, = self.params
        out = np.dot(x, W)
        self.x = x
        return out

    def backward(self, dout):
        W, = self.params
        dx = np.dot(dout, W.T)
        dW = np.dot(self.x.T, dout)
        self.grads[0][...] = dW  # deep copy into the array the optimizer holds
        return dx


class MatMulTransposed(MatMul):
    def backward(self, dout):
        W, = self.params
        dx = np.dot(dout, W.T)
        dW = np.dot(dout.T, self.x)  # BUG: dW transposed (x.T @ dout); same shape because W is square
        self.grads[0][...] = dW
        return dx


class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        out = np.dot(x, W) + b
        self.x = x
        return out

    def backward(self, dout):
        W, b = self.params
        dx = np.dot(dout, W.T)
        dW = np.dot(self.x.T, dout)
        db = np.sum(dout, axis=0)
        self.grads[0][...] = dW
        self.grads[1][...] = db
        return dx


class AffineAccumulating(Affine):
    def backward(self, dout):
        W, b = self.params
        dx = np.dot(dout, W.T)
        self.grads[0] += np.dot(self.x.T, dout)  # BUG: adds to the last call's gradient instead of replacing it
        self.grads[1] += np.sum(dout, axis=0)
        return dx


class Sigmoid:
    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        out = 1 / (1 + np.exp(-x))
        self.out = out
        return out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


def softmax(x):
    x = x - x.max(axis=1, keepdims=True)
    x = np.exp(x)
    return x / x.sum(axis=1, keepdims=True)


class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None  # softmax's output
        self.t = None  # labels

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        if self.t.size == self.y.size:  # one-hot -> indices
            self.t = self.t.argmax(axis=1)
        N = self.y.shape[0]
        return -np.sum(np.log(self.y[np.arange(N), self.t] + 1e-7)) / N

    def backward(self, dout=1):
        N = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(N), self.t] -= 1
        dx *= dout
        dx = dx / N
        return dx


class SoftmaxWithLossNoCopy(SoftmaxWithLoss):
    def backward(self, dout=1):
        N = self.t.shape[0]
        dx = self.y  # BUG: no copy: the next line changes the cached softmax output
        dx[np.arange(N), self.t] -= 1
        dx *= dout
        dx = dx / N
        return dx


class RNN:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        t = np.dot(h_prev, Wh) + np.dot(x, Wx) + b
        h_next = np.tanh(t)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, b = self.params
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_next ** 2)
        db = np.sum(dt, axis=0)
        dWh = np.dot(h_prev.T, dt)
        dh_prev = np.dot(dt, Wh.T)
        dWx = np.dot(x.T, dt)
        dx = np.dot(dt, Wx.T)
        self.grads[0][...] = dWx
        self.grads[1][...] = dWh
        self.grads[2][...] = db
        return dx, dh_prev


class RNNTanhOneMinusH(RNN):
    def backward(self, dh_next):
        Wx, Wh, b = self.params
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_next)  # BUG: tanh' as 1 - h instead of 1 - h**2
        self.grads[0][...] = np.dot(x.T, dt)
        self.grads[1][...] = np.dot(h_prev.T, dt)
        self.grads[2][...] = np.sum(dt, axis=0)
        return np.dot(dt, Wx.T), np.dot(dt, Wh.T)


# ---------------------------------------------------------------- dicts: params = {"W": ..., "b": ...}

class Linear:
    def __init__(self, W, b):
        self.params = {"W": W, "b": b}
        self.grads = {}

    def forward(self, x):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        self.grads["W"] = self.x.T @ dout
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"].T


class LinearNoBatchSum(Linear):
    def backward(self, dout):
        self.grads["W"] = self.x.T @ dout
        self.grads["b"] = dout  # BUG: no sum over the batch
        return dout @ self.params["W"].T


class LinearMeanGrad(Linear):
    def backward(self, dout):
        N = dout.shape[0]
        self.grads["W"] = self.x.T @ dout / N  # BUG: averages over the batch although dout already is d(loss)/d(out)
        self.grads["b"] = dout.sum(axis=0) / N
        return dout @ self.params["W"].T


class BatchNorm:
    def __init__(self, gamma, beta, eps=1e-5):
        self.params = {"gamma": gamma, "beta": beta}
        self.grads = {}
        self.eps = eps

    def forward(self, x):
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        self.istd = 1.0 / np.sqrt(var + self.eps)
        self.xhat = (x - mu) * self.istd
        return self.params["gamma"] * self.xhat + self.params["beta"]

    def backward(self, dout):
        N = dout.shape[0]
        self.grads["beta"] = dout.sum(axis=0)
        self.grads["gamma"] = (dout * self.xhat).sum(axis=0)
        dxhat = dout * self.params["gamma"]
        return self.istd / N * (N * dxhat - dxhat.sum(axis=0) - self.xhat * (dxhat * self.xhat).sum(axis=0))


class BatchNormNoVarianceTerm(BatchNorm):
    def backward(self, dout):
        N = dout.shape[0]
        self.grads["beta"] = dout.sum(axis=0)
        self.grads["gamma"] = (dout * self.xhat).sum(axis=0)
        dxhat = dout * self.params["gamma"]
        return self.istd / N * (N * dxhat - dxhat.sum(axis=0))  # BUG: the variance's term (xhat * ...) is missing


class LayerNorm:
    def __init__(self, gamma, beta, eps=1e-5):
        self.params = {"gamma": gamma, "beta": beta}
        self.grads = {}
        self.eps = eps

    def forward(self, x):
        mu = x.mean(axis=1, keepdims=True)
        var = x.var(axis=1, keepdims=True)
        self.istd = 1.0 / np.sqrt(var + self.eps)
        self.xhat = (x - mu) * self.istd
        return self.params["gamma"] * self.xhat + self.params["beta"]

    def backward(self, dout):
        D = dout.shape[1]
        self.grads["beta"] = dout.sum(axis=0)
        self.grads["gamma"] = (dout * self.xhat).sum(axis=0)
        dxhat = dout * self.params["gamma"]
        return self.istd / D * (D * dxhat - dxhat.sum(axis=1, keepdims=True)
                                - self.xhat * (dxhat * self.xhat).sum(axis=1, keepdims=True))


# ---------------------------------------------------------------- the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def matmul(cls, n=4):
    return lambda rng: ((cls(normal(rng, n, n)), normal(rng, 5, n)), {})


def affine(cls, n_in=4, n_out=3):
    return lambda rng: ((cls(normal(rng, n_in, n_out), normal(rng, n_out)), normal(rng, 5, n_in)), {})


def rnn(cls, D=3, H=4, N=5):
    def make(rng):
        cell = cls(0.5 * normal(rng, D, H), 0.5 * normal(rng, H, H), normal(rng, H))
        return (cell, (normal(rng, N, D), normal(rng, N, H))), {}
    return make


def norm(cls, D=4, N=6):
    return lambda rng: ((cls(1.0 + 0.1 * normal(rng, D), normal(rng, D)), normal(rng, N, D)), {})


def softmax_loss(cls):
    return lambda rng: ((cls(), normal(rng, 5, 3), rng.integers(0, 3, 5)), {})


def cli(cls, shape, *params):
    extra = [a for p in params for a in ("--param", p)]
    return ("--layer", f"{{file}}:{cls.__name__}", *extra, "--input-shape", shape)


S = "dict-params"
CASES = [
    # --- correct
    Case("dict_params.MatMul", S, "layer", matmul(MatMul), cli=cli(MatMul, "5,4", "W=4,4")),
    Case("dict_params.Affine", S, "layer", affine(Affine), cli=cli(Affine, "5,4", "W=4,3", "b=3")),
    Case("dict_params.Sigmoid", S, "layer", lambda rng: ((Sigmoid(), normal(rng, 4, 3)), {}),
         cli=cli(Sigmoid, "4,3")),
    Case("dict_params.SoftmaxWithLoss", S, "layer", softmax_loss(SoftmaxWithLoss)),
    Case("dict_params.RNN", S, "layer", rnn(RNN)),
    Case("dict_params.Linear", S, "layer", affine(Linear), cli=cli(Linear, "5,4", "W=4,3", "b=3")),
    Case("dict_params.BatchNorm", S, "layer", norm(BatchNorm), cli=cli(BatchNorm, "6,4", "gamma=4", "beta=4")),
    Case("dict_params.LayerNorm", S, "layer", norm(LayerNorm), cli=cli(LayerNorm, "6,4", "gamma=4", "beta=4")),
    # --- buggy
    Case("dict_params.MatMul.transposed", S, "layer", matmul(MatMulTransposed),
         bug="dW = dout.T @ x: a square dW transposed", names=("transposed",),
         cli=cli(MatMulTransposed, "5,4", "W=4,4")),
    Case("dict_params.Affine.accumulating", S, "layer", affine(AffineAccumulating),
         bug="self.grads[0] += dW: a second backward doubles the gradient", names=("not-repeatable",),
         cli=cli(AffineAccumulating, "5,4", "W=4,3", "b=3")),
    Case("dict_params.SoftmaxWithLoss.no_copy", S, "layer", softmax_loss(SoftmaxWithLossNoCopy),
         bug="dx = self.y without copy: backward changes the cached softmax output, a second backward differs",
         names=("not-repeatable", "cache-changed")),
    Case("dict_params.RNN.tanh_one_minus_h", S, "layer", rnn(RNNTanhOneMinusH),
         bug="the RNN cell's tanh' as 1 - h_next instead of 1 - h_next**2", names=("known-mistake",)),
    Case("dict_params.Linear.db_no_batch_sum", S, "layer", affine(LinearNoBatchSum),
         bug='grads["b"] = dout without the sum over the batch', names=("shape", "batch"),
         cli=cli(LinearNoBatchSum, "5,4", "W=4,3", "b=3")),
    Case("dict_params.Linear.mean_grad", S, "layer", affine(LinearMeanGrad),
         bug="the parameter gradients divided by the batch size", names=("scaled", "batch"),
         cli=cli(LinearMeanGrad, "5,4", "W=4,3", "b=3")),
    Case("dict_params.BatchNorm.no_variance_term", S, "layer", norm(BatchNormNoVarianceTerm),
         bug="batch norm's dx without the term through the batch variance", names=("known-mistake",),
         cli=cli(BatchNormNoVarianceTerm, "6,4", "gamma=4", "beta=4")),
]
