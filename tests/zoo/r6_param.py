"""Parameters as a subclass of ``np.ndarray`` with a ``.grad`` attribute (``Parameter(np.ndarray)``, torch's
``nn.Parameter`` imitated): the parameter *is* the array (``x @ self.W.T`` works), its gradient is ``W.grad``,
accumulated (``+=``) and reset by ``zero_grad()``. Modules hold them in attributes and sub-modules.

A learner checks them as ``nngrad.check_layer(MLP(4, 5, 3), x)``, or from the shell with
``--layer FILE:MLP --kwargs '{"n_in": 4, "n_hidden": 5, "n_out": 3}' --input-shape 6,4``. A buggy module is a
subclass with the one thing a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


class Parameter(np.ndarray):
    def __new__(cls, data):
        obj = np.array(data, dtype=float).view(cls)
        obj.grad = np.zeros(obj.shape)
        return obj

    def __array_finalize__(self, obj):
        self.grad = None  # results of arithmetic on parameters are not parameters' gradients


def _params(obj):
    for v in vars(obj).values():
        if isinstance(v, Parameter):
            yield v
        elif hasattr(v, "__dict__"):
            yield from _params(v)


class Module:
    def parameters(self):
        return list(_params(self))

    def zero_grad(self):
        for p in self.parameters():
            p.grad = np.zeros(p.shape)


class Linear(Module):
    def __init__(self, n_in, n_out, rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        self.W = Parameter(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in))
        self.b = Parameter(0.1 * rng.standard_normal(n_out))

    def forward(self, x):
        self.x = np.asarray(x)
        return np.asarray(x @ self.W.T + self.b)

    def backward(self, dout):
        self.W.grad += dout.T @ self.x
        self.b.grad += dout.sum(axis=0)
        return np.asarray(dout @ self.W)


class LinearTransposedGrad(Linear):
    def backward(self, dout):
        self.W.grad += self.x.T @ dout  # BUG: (n_in, n_out) where W is (n_out, n_in); square, so no shape error
        self.b.grad += dout.sum(axis=0)
        return np.asarray(dout @ self.W)


class Tanh(Module):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)


class MLP(Module):
    """Linear(n_in, n_hidden), Tanh, Linear(n_hidden, n_hidden), Tanh, Linear(n_hidden, n_out)."""
    hidden = Linear

    def __init__(self, n_in, n_hidden, n_out, rng=None):
        self.fc1 = Linear(n_in, n_hidden, rng)
        self.act1 = Tanh()
        self.fc2 = self.hidden(n_hidden, n_hidden, rng)
        self.act2 = Tanh()
        self.fc3 = Linear(n_hidden, n_out, rng)

    def forward(self, x):
        return self.fc3.forward(self.act2.forward(self.fc2.forward(self.act1.forward(self.fc1.forward(x)))))

    def backward(self, dout):
        return self.fc1.backward(self.act1.backward(self.fc2.backward(self.act2.backward(self.fc3.backward(dout)))))


class MLPTransposedGrad(MLP):
    hidden = LinearTransposedGrad


class ScaleShift(Module):
    """y = x * gamma + beta per feature; x (N, D)."""

    def __init__(self, dim, rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        self.gamma = Parameter(1 + 0.1 * rng.standard_normal(dim))
        self.beta = Parameter(0.1 * rng.standard_normal(dim))

    def forward(self, x):
        self.x = np.asarray(x)
        return np.asarray(x * self.gamma + self.beta)

    def backward(self, dout):
        self.gamma.grad += (dout * self.x).sum(axis=0)
        self.beta.grad += dout.sum(axis=0)
        return np.asarray(dout * self.gamma)


class ScaleShiftDetachedGrad(ScaleShift):
    def backward(self, dout):
        gamma = self.gamma.copy()  # a copy to compute with: a Parameter too, with its own .grad
        gamma.grad = np.zeros(gamma.shape)
        gamma.grad += (dout * self.x).sum(axis=0)  # BUG: the gradient accumulated on the copy, gamma.grad stays 0
        self.beta.grad += dout.sum(axis=0)
        return np.asarray(dout * gamma)


# ---------------------------------------------------------------- the cases

def mlp(cls):
    return lambda rng: ((cls(4, 5, 3, rng=rng), rng.standard_normal((6, 4))), {})


def scale(cls):
    return lambda rng: ((cls(4, rng=rng), rng.standard_normal((6, 4))), {})


def cli(cls, kw, shape):
    return ("--layer", f"{{file}}:{cls.__name__}", "--kwargs", kw, "--input-shape", shape)


S = "ndarray-parameter"
MLPK = '{"n_in": 4, "n_hidden": 5, "n_out": 3}'
CASES = [
    Case("r6_param.MLP", S, "layer", mlp(MLP), cli=cli(MLP, MLPK, "6,4")),
    Case("r6_param.MLP.transposed_grad", S, "layer", mlp(MLPTransposedGrad),
         bug="the hidden (square) layer's dW transposed: fc2.W's gradient wrong, everything else right",
         names=("transposed", "split", "located"), cli=cli(MLPTransposedGrad, MLPK, "6,4")),
    Case("r6_param.ScaleShift", S, "layer", scale(ScaleShift), cli=cli(ScaleShift, '{"dim": 4}', "6,4")),
    Case("r6_param.ScaleShift.detached_grad", S, "layer", scale(ScaleShiftDetachedGrad),
         bug="gamma's gradient accumulated on a copy's .grad: gamma.grad stays zero (dx, beta right)",
         names=("split", "located", "zero-gradient"), cli=cli(ScaleShiftDetachedGrad, '{"dim": 4}', "6,4")),
]
