"""A scalar autograd engine in micrograd's style: ``Value`` with ``.data``, ``.grad``, a ``_backward`` closure per
operation and ``backward()`` over a topological sort; ``Neuron``, ``Layer``, ``MLP`` with ``parameters()``.

Each case's ``loss`` is a zero-argument callable that builds the expression from the parameters' current ``.data``
and returns the output Value. A buggy engine subclasses ``Value`` and rewrites one operator (``# BUG:``); the
operators build their results with ``type(self)`` so that the whole expression runs on the buggy engine."""

# ruff: noqa: FURB136, UP034  (learner code, kept the way learners write it)

import math
import random

from .case import Case


class Value:
    """stores a single scalar value and its gradient"""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0
        self._backward = lambda: None  # the chain rule for this node, set by the operation that made it
        self._prev = set(_children)
        self._op = _op

    def _lift(self, other):
        return other if isinstance(other, Value) else type(self)(other)

    def __add__(self, other):
        other = self._lift(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float)), "only supporting int/float powers for now"
        out = type(self)(self.data ** other, (self,), f"**{other}")

        def _backward():
            self.grad += (other * self.data ** (other - 1)) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = type(self)(0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = type(self)(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        out = type(self)(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += (1 / self.data) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            v._backward()

    def __neg__(self):  # -self
        return self * -1

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):  # self / other
        return self * other ** -1

    def __rtruediv__(self, other):  # other / self
        return other * self ** -1

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


# ---------------------------------------------------------------- engines with one bug each

class ValueMulOverwrite(Value):
    def __mul__(self, other):
        other = self._lift(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad  # BUG: = instead of +=: a Value used twice keeps one use's share
            other.grad = self.data * out.grad
        out._backward = _backward
        return out


class ValueAddOverwrite(Value):
    def __add__(self, other):
        other = self._lift(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad  # BUG: = instead of +=
            other.grad = out.grad
        out._backward = _backward
        return out


class ValueMulSwapped(Value):
    def __mul__(self, other):
        other = self._lift(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self.data * out.grad  # BUG: each factor gets its own value instead of the other's
            other.grad += other.data * out.grad
        out._backward = _backward
        return out


class ValueTanhOneMinusT(Value):
    def tanh(self):
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = type(self)(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t) * out.grad  # BUG: tanh' as 1 - t instead of 1 - t**2
        out._backward = _backward
        return out


class ValueReluTimesOutput(Value):
    def relu(self):
        out = type(self)(0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward():
            self.grad += out.data * out.grad  # BUG: multiplies by the output instead of by (out.data > 0)
        out._backward = _backward
        return out


class ValuePowNoMinusOne(Value):
    def __pow__(self, other):
        assert isinstance(other, (int, float))
        out = type(self)(self.data ** other, (self,), f"**{other}")

        def _backward():
            self.grad += (other * self.data ** other) * out.grad  # BUG: the exponent should be other - 1
        out._backward = _backward
        return out


class ValueExpFromInput(Value):
    def exp(self):
        out = type(self)(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += self.data * out.grad  # BUG: exp' is exp(x) = out.data, not x
        out._backward = _backward
        return out


class ValueLogFromOutput(Value):
    def log(self):
        out = type(self)(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += (1 / out.data) * out.grad  # BUG: 1 / out.data instead of 1 / self.data
        out._backward = _backward
        return out


class ValueDivSign(Value):
    def __truediv__(self, other):
        other = self._lift(other)
        out = type(self)(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += (1 / other.data) * out.grad
            other.grad += (self.data / other.data ** 2) * out.grad  # BUG: d(a/b)/db is -a / b**2
        out._backward = _backward
        return out


# ---------------------------------------------------------------- a tiny neural network library

class Module:
    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return []


class Neuron(Module):
    def __init__(self, nin, nonlin="relu", value=Value):
        self.w = [value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.nonlin == "relu":
            return act.relu()
        if self.nonlin == "tanh":
            return act.tanh()
        return act

    def parameters(self):
        return self.w + [self.b]


class Layer(Module):
    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP(Module):
    def __init__(self, nin, nouts, nonlin="relu", value=Value):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=nonlin if i != len(nouts) - 1 else "linear", value=value)
                       for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


# ---------------------------------------------------------------- the cases

def mlp(rng, nin, nouts, nonlin, value):
    model = MLP(nin, nouts, nonlin=nonlin, value=value)
    for p in model.parameters():
        p.data = float(rng.uniform(-1, 1))  # the data from the case's rng, not from random's global state
    return model


def mlp_squared(value=Value, nonlin="tanh"):
    """Karpathy's first example: a 3-4-4-1 MLP, 4 samples, the sum of squared errors."""
    def make(rng):
        model = mlp(rng, 3, [4, 4, 1], nonlin, value)
        xs = rng.standard_normal((4, 3)).tolist()
        ys = [1.0, -1.0, -1.0, 1.0]

        def loss():
            ypred = [model(x) for x in xs]
            return sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        return (loss, model.parameters()), {}
    return make


def mlp_hinge(value=Value):
    """The moons demo's loss: max-margin hinge over 6 points plus L2 regularization alpha * sum(p * p)."""
    def make(rng):
        model = mlp(rng, 2, [6, 6, 1], "relu", value)
        X = rng.standard_normal((6, 2)).tolist()
        y = [1, -1, 1, -1, -1, 1]

        def loss():
            scores = [model(x) for x in X]
            losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            reg_loss = 1e-2 * sum((p * p for p in model.parameters()))
            return data_loss + reg_loss
        return (loss, model.parameters()), {}
    return make


def softmax_ce(value=Value):
    """A linear classifier's cross-entropy: -log(exp(s_y) / sum_k exp(s_k)), 3 classes, 3 samples."""
    def make(rng):
        W = [[value(float(rng.standard_normal())) for _ in range(2)] for _ in range(3)]
        X = rng.standard_normal((3, 2)).tolist()
        y = [0, 2, 1]

        def loss():
            total = 0
            for x, yi in zip(X, y):
                scores = [sum((wk * xk for wk, xk in zip(row, x)), 0) for row in W]
                exps = [s.exp() for s in scores]
                total = total - (exps[yi] / sum(exps)).log()
            return total / len(X)
        return (loss, [w for row in W for w in row]), {}
    return make


def shared(value=Value):
    """One Value used several times: a*b + b**3 + (a*a).tanh() - c/a."""
    def make(rng):
        a, b, c = (value(float(v)) for v in rng.uniform(0.5, 1.5, 3))

        def loss():
            return a * b + b ** 3 + (a * a).tanh() - c / a + (b * c).exp() * 0.1
        return (loss, [a, b, c]), {}
    return make


S = "micrograd"
CASES = [
    # --- correct
    Case("micrograd.mlp_tanh_squared", S, "engine", mlp_squared()),
    Case("micrograd.mlp_relu_squared", S, "engine", mlp_squared(nonlin="relu")),
    Case("micrograd.mlp_relu_hinge", S, "engine", mlp_hinge()),
    Case("micrograd.softmax_ce", S, "engine", softmax_ce()),
    Case("micrograd.shared_values", S, "engine", shared()),
    # --- buggy
    Case("micrograd.mul_overwrite", S, "engine", mlp_squared(ValueMulOverwrite),
         bug="__mul__'s _backward assigns self.grad = ... instead of +=: wrong for a weight used by every sample",
         names=("overwritten",)),
    Case("micrograd.add_overwrite", S, "engine", mlp_squared(ValueAddOverwrite),
         bug="__add__'s _backward assigns self.grad = out.grad instead of +=: wrong for a bias used by every sample",
         names=("overwritten",)),
    Case("micrograd.mul_swapped", S, "engine", shared(ValueMulSwapped),
         bug="__mul__ gives each factor its own value as the derivative (self.grad += self.data * out.grad)",
         names=("op", "known-mistake")),
    Case("micrograd.tanh_one_minus_t", S, "engine", mlp_squared(ValueTanhOneMinusT),
         bug="tanh's _backward uses 1 - t instead of 1 - t**2", names=("op", "known-mistake")),
    Case("micrograd.relu_times_output", S, "engine", mlp_hinge(ValueReluTimesOutput),
         bug="relu's _backward multiplies by out.data instead of by (out.data > 0)", names=("op",)),
    Case("micrograd.pow_no_minus_one", S, "engine", mlp_squared(ValuePowNoMinusOne, nonlin="relu"),
         bug="__pow__'s derivative other * x**other instead of other * x**(other - 1)", names=("op",)),
    Case("micrograd.exp_from_input", S, "engine", softmax_ce(ValueExpFromInput),
         bug="exp's _backward uses self.data instead of out.data", names=("op",)),
    Case("micrograd.log_from_output", S, "engine", softmax_ce(ValueLogFromOutput),
         bug="log's _backward divides by out.data instead of self.data", names=("op",)),
    Case("micrograd.div_sign", S, "engine", shared(ValueDivSign),
         bug="a hand-written __truediv__ whose denominator's derivative lacks its minus sign", names=("op",)),
]
