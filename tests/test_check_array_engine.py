"""check_engine takes engines whose values are arrays (micrograd grown up: ``.data`` and ``.grad`` arrays): one row
per tensor, named after its list (parameters[0], ...), the operators probed alone on small arrays when a gradient
fails; bad input is one line, never a traceback from nngrad. Two engines written for these tests: one whose grads
start as zero arrays and are added to, one whose grads start as None (set on first use)."""

import numpy as np
import pytest

import nngrad
from nngrad.errors import UserError


class Arr:
    """An engine on arrays: grads zero arrays, _backward closures that add."""

    def __init__(self, data, parents=()):
        self.data = np.asarray(data, dtype=float)
        self.grad = np.zeros_like(self.data)
        self._back, self._parents = (lambda: None), parents

    def __matmul__(self, other):
        out = type(self)(self.data @ other.data, (self, other))

        def back():
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad
        out._back = back
        return out

    def __add__(self, other):
        out = type(self)(self.data + other.data, (self, other))

        def back():
            self.grad += out.grad.sum(axis=tuple(range(out.grad.ndim - self.data.ndim)))
            other.grad += out.grad.sum(axis=tuple(range(out.grad.ndim - other.data.ndim)))
        out._back = back
        return out

    def sigmoid(self):
        s = 1 / (1 + np.exp(-self.data))
        out = type(self)(s, (self,))

        def back():
            self.grad += s * (1 - s) * out.grad
        out._back = back
        return out

    def sum(self):
        out = type(self)(self.data.sum(), (self,))

        def back():
            self.grad += np.ones_like(self.data) * out.grad
        out._back = back
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v._parents:
                    visit(p)
                order.append(v)
        visit(self)
        self.grad = np.ones_like(self.data)
        for v in reversed(order):
            v._back()


class ArrSigmoidOfOutput(Arr):
    def sigmoid(self):
        s = 1 / (1 + np.exp(-self.data))
        out = type(self)(s, (self,))

        def back():
            self.grad += s * (1 - s) * (1 - s) * out.grad  # BUG: an extra (1 - s)
        out._back = back
        return out


class Lazy:
    """An engine whose grad is None until a backward reaches it; elementwise only."""

    def __init__(self, data, parents=(), back=None):
        self.data, self.grad, self.parents, self.back = np.asarray(data, dtype=float), None, parents, back

    def _add_grad(self, g):
        self.grad = g if self.grad is None else self.grad + g

    def __mul__(self, other):
        return Lazy(self.data * other.data, (self, other), lambda g: [g * other.data, g * self.data])

    def tanh(self):
        t = np.tanh(self.data)
        return Lazy(t, (self,), lambda g: [g * (1 - t ** 2)])

    def sum(self):
        return Lazy(self.data.sum(), (self,), lambda g: [g * np.ones_like(self.data)])

    def backward(self, g=None):
        self._add_grad(np.ones_like(self.data) if g is None else g)
        if self.back:
            for p, pg in zip(self.parents, self.back(self.grad if g is None else g)):
                p.backward(pg)


class LazyMulOneSided(Lazy):
    def __mul__(self, other):
        return Lazy(self.data * other.data, (self, other), lambda g: [g * other.data, g])  # BUG: g, not g * a


def _mlp(engine, seed=0):
    rng = np.random.default_rng(seed)
    W1, b1 = engine(rng.standard_normal((3, 4))), engine(0.1 * rng.standard_normal(4))
    W2 = engine(rng.standard_normal((4, 1)))
    X = engine(rng.standard_normal((5, 3)))
    return (lambda: ((X @ W1 + b1).sigmoid() @ W2).sum()), [W1, b1, W2]


@pytest.mark.parametrize("engine, status", [(Arr, "PASS"), (ArrSigmoidOfOutput, "FAIL")])
def test_an_engine_on_arrays_is_checked_one_row_per_tensor(engine, status):
    loss, params = _mlp(engine)
    before = [p.data.copy() for p in params]
    report = nngrad.check_engine(loss, params)
    assert report.status == status, str(report)
    assert [r.name for r in report.rows] == ["parameters[0]", "parameters[1]", "parameters[2]"]
    assert [r.shape for r in report.rows] == [(3, 4), (4,), (4, 1)]
    assert all(np.array_equal(p.data, b) for p, b in zip(params, before))
    if status == "FAIL":
        assert any(f.kind == "op" and "sigmoid" in str(f) for f in report.findings), str(report)


@pytest.mark.parametrize("engine, status", [(Lazy, "PASS"), (LazyMulOneSided, "FAIL")])
def test_an_engine_whose_grads_start_as_none_in_a_dict_of_named_lists(engine, status):
    rng = np.random.default_rng(1)
    a, b = engine(rng.standard_normal((2, 3))), engine(rng.standard_normal((2, 3)))
    report = nngrad.check_engine(lambda: (a * b).tanh().sum(), {"left": [a], "right": [b]})
    assert report.status == status, str(report)
    assert [r.name for r in report.rows] == ["left[0]", "right[0]"]
    if status == "FAIL":
        assert [r.passed for r in report.rows] == [True, False]
        assert any(f.kind == "op" and "a * b" in str(f) for f in report.findings), str(report)


@pytest.mark.parametrize("loss, params", [
    (lambda: Arr(np.ones(3)), [Arr(np.ones(3))]),  # a loss that is not a scalar
    (lambda: Arr(1.0), 7),  # parameters that are no list
    (lambda: Arr(1.0), [Arr(1.0), object()]),  # a member that is no Value
])
def test_bad_input_to_an_array_engine_is_one_line(loss, params):
    with pytest.raises(UserError) as info:
        nngrad.check_engine(loss, params)
    assert "\n" not in str(info.value)
