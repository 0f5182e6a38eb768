"""A parameter that is an ``np.ndarray`` subclass carrying its own ``.grad`` (torch's nn.Parameter imitated):
its ``.grad`` is its gradient, read in two styles (accumulated and reset by zero_grad; assigned, in a dict)."""

import numpy as np

import nngrad


class Param(np.ndarray):
    def __new__(cls, values):
        out = np.array(values, dtype=float).view(cls)
        out.grad = np.zeros(out.shape)
        return out

    def __array_finalize__(self, obj):
        self.grad = None


class Dense:
    """y = x @ W.T + b; W (n_out, n_in); gradients accumulated into W.grad, b.grad."""

    wrong = False

    def __init__(self, rng):
        self.W, self.b = Param(rng.standard_normal((2, 3))), Param(rng.standard_normal(2))

    def zero_grad(self):
        self.W.grad, self.b.grad = np.zeros((2, 3)), np.zeros(2)

    def forward(self, x):
        self.x = x
        return np.asarray(x @ self.W.T + self.b)

    def backward(self, dy):
        self.W.grad += dy.T @ self.x * (2.0 if self.wrong else 1.0)
        self.b.grad += dy.sum(axis=0)
        return np.asarray(dy @ self.W)


class DenseWrong(Dense):
    wrong = True


class Scale:
    """y = tanh(x * g); g (3,) in a dict of parameters; backward assigns g.grad."""

    wrong = False

    def __init__(self, rng):
        self.params = {"g": Param(rng.standard_normal(3))}

    def forward(self, x):
        self.x, self.y = x, np.tanh(x * self.params["g"])
        return np.asarray(self.y)

    def backward(self, dy):
        dz = dy * (1 - self.y ** 2)
        self.params["g"].grad = np.asarray((dz * self.x).sum(axis=0)) + (1.0 if self.wrong else 0.0)
        return np.asarray(dz * self.params["g"])


class ScaleWrong(Scale):
    wrong = True


def _x(seed, shape=(4, 3)):
    return np.random.default_rng(seed).standard_normal(shape)


def test_an_array_subclass_grad_accumulated_is_read_as_the_gradient():
    assert nngrad.check_layer(Dense(np.random.default_rng(0)), _x(1)).status == "PASS"
    assert nngrad.check_layer(DenseWrong(np.random.default_rng(0)), _x(1)).status == "FAIL"


def test_an_array_subclass_grad_assigned_in_a_dict_is_read_as_the_gradient():
    assert nngrad.check_layer(Scale(np.random.default_rng(0)), _x(2)).status == "PASS"
    assert nngrad.check_layer(ScaleWrong(np.random.default_rng(0)), _x(2)).status == "FAIL"
