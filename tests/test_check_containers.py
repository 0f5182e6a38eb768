"""Parameters handed over in a container the code defines: a namedtuple, a SimpleNamespace, a dataclass instance, a
defaultdict. Their float arrays are leaves, checked and named as the code reaches them (``p.W``), the code gets the
same kind of container at each call, and gradients returned in such a container are read by the same names; a
record's other members (a margin) pass as they are. And nodes of a graph engine keeping their value in ``.value``
or ``.val`` beside ``.grad``."""

from collections import defaultdict, namedtuple
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from nngrad import check_engine, check_loss

Layer = namedtuple("Layer", "W b")


def _data(seed=0, n=5, d=3, h=2):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((d, h)), rng.standard_normal(h), rng.standard_normal((n, d)), rng.standard_normal((n, h))


def _tanh_regression(W, b, X, Y, bug=False):
    """0.5 * mean squared error of tanh(X W + b): (loss, dW, db)."""
    z = np.tanh(X @ W + b)
    r = (z - Y) / len(X)
    dz = r * (1 - z ** 2)
    return 0.5 * np.sum((z - Y) ** 2) / len(X), X.T @ dz, (r if bug else dz).sum(axis=0)


def namedtuple_loss(p, X, Y):
    loss, dW, db = _tanh_regression(p.W, p.b, X, Y)
    return loss, Layer(dW, db)


def namedtuple_loss_bias_wrong(p, X, Y):
    loss, dW, db = _tanh_regression(p.W, p.b, X, Y, bug=True)
    return loss, Layer(W=dW, b=db)  # BUG: db misses tanh'


def namespace_loss(p, X, Y):
    loss, dW, db = _tanh_regression(p.W, p.b, X, Y)
    return loss * p.scale, SimpleNamespace(W=dW * p.scale, b=db * p.scale)


def namespace_loss_bias_wrong(p, X, Y):
    loss, dW, db = _tanh_regression(p.W, p.b, X, Y, bug=True)  # BUG: db misses tanh'
    return loss * p.scale, SimpleNamespace(W=dW * p.scale, b=db * p.scale)


@dataclass
class Weights:
    W: np.ndarray
    b: np.ndarray


def dataclass_loss(p, X, Y):
    loss, dW, db = _tanh_regression(p.W, p.b, X, Y)
    return loss, {"W": dW, "b": db}


def dataclass_loss_bias_wrong(p, X, Y):
    loss, dW, db = _tanh_regression(p.W, p.b, X, Y, bug=True)
    return loss, Weights(dW, db)


def defaultdict_loss(p, X, Y):
    assert isinstance(p, defaultdict)
    loss, dW, db = _tanh_regression(p["W"], p["b"], X, Y)
    return loss, {"W": dW, "b": db}


def _params(kind):
    W, b, X, Y = _data()
    made = {"namedtuple": Layer(W, b), "namespace": SimpleNamespace(W=W, b=b, scale=2.0),
            "dataclass": Weights(W, b), "defaultdict": defaultdict(list, {"W": W, "b": b})}[kind]
    return made, X, Y


@pytest.mark.parametrize("fn, kind, rows", [
    (namedtuple_loss, "namedtuple", ["p.W", "p.b"]),
    (namespace_loss, "namespace", ["p.W", "p.b"]),
    (dataclass_loss, "dataclass", ["p.W", "p.b"]),
    (defaultdict_loss, "defaultdict", ["p['W']", "p['b']"]),
])
def test_the_arrays_of_a_container_are_checked_and_named(fn, kind, rows):
    p, X, Y = _params(kind)
    report = check_loss(fn, p, X, Y)
    assert report.status == "PASS", str(report)
    assert [r.name for r in report.rows] == rows


@pytest.mark.parametrize("fn, kind", [(namedtuple_loss_bias_wrong, "namedtuple"),
                                      (namespace_loss_bias_wrong, "namespace"),
                                      (dataclass_loss_bias_wrong, "dataclass")])
def test_a_wrong_gradient_in_a_container_fails_on_its_own_name(fn, kind):
    p, X, Y = _params(kind)
    report = check_loss(fn, p, X, Y)
    assert report.status == "FAIL"
    assert [r.name for r in report.rows if not r.passed] == ["p.b"], str(report)


@pytest.mark.parametrize("kind", ["namedtuple", "namespace", "dataclass"])
def test_the_users_container_is_left_unchanged(kind):
    p, X, Y = _params(kind)
    W, b = p.W.copy(), p.b.copy()
    check_loss({"namedtuple": namedtuple_loss, "namespace": namespace_loss, "dataclass": dataclass_loss}[kind], p, X, Y)
    assert np.array_equal(p.W, W) and np.array_equal(p.b, b)


# -- graph engines whose nodes keep their value in .value (arrays) or .val (scalars) ------------------------------

class Node:
    """An array graph node: value, grad, parents and the vector-Jacobian product of the operation that made it."""

    def __init__(self, value, parents=(), vjp=None):
        self.value = np.asarray(value, dtype=float)
        self.grad = np.zeros_like(self.value)
        self.parents, self.vjp = parents, vjp

    def backward(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        for node in order:
            node.grad = np.zeros_like(node.value)
        self.grad = np.ones_like(self.value)
        for node in reversed(order):
            if node.vjp is not None:
                for parent, g in zip(node.parents, node.vjp(node.grad)):
                    parent.grad = parent.grad + g


def matmul(a, b):
    return Node(a.value @ b.value, (a, b), lambda g: (g @ b.value.T, a.value.T @ g))


def tanh(a, slope=1.0):
    out = np.tanh(a.value)
    return Node(out, (a,), lambda g: (g * slope * (1 - out ** 2),))


def mean_square(a):
    return Node(np.mean(a.value ** 2), (a,), lambda g: (g * 2 * a.value / a.value.size,))


class Var:
    """A scalar engine in micrograd's manner whose number lives in .val."""

    def __init__(self, val, children=(), local=()):
        self.val, self.grad, self.children, self.local = float(val), 0.0, children, local

    def __add__(self, other):
        return Var(self.val + other.val, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return Var(self.val * other.val, (self, other), (other.val, self.val))

    def sin(self, wrong=False):
        return Var(np.sin(self.val), (self,), (np.sin(self.val) if wrong else np.cos(self.val),))

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for c in v.children:
                    visit(c)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            for c, d in zip(v.children, v.local):
                c.grad += d * v.grad


def _array_engine(slope):
    rng = np.random.default_rng(4)
    W1, W2 = Node(rng.standard_normal((3, 4)) / 2), Node(rng.standard_normal((4, 2)) / 2)
    X = Node(rng.standard_normal((5, 3)))
    return (lambda: mean_square(matmul(tanh(matmul(X, W1), slope), W2))), [W1, W2]


def _scalar_engine(wrong):
    a, b, c = Var(0.3), Var(-1.1), Var(0.8)
    return (lambda: (a * b).sin(wrong) * c + a * a), [a, b, c]


@pytest.mark.parametrize("engine", [_array_engine(1.0), _scalar_engine(False)])
def test_a_graph_engine_keeping_its_value_in_value_or_val_is_checked(engine):
    loss, parameters = engine
    report = check_engine(loss, parameters)
    assert report.status == "PASS", str(report)


@pytest.mark.parametrize("engine", [_array_engine(2.0), _scalar_engine(True)])
def test_a_wrong_rule_in_such_an_engine_fails(engine):
    loss, parameters = engine
    assert check_engine(loss, parameters).status == "FAIL"


@pytest.mark.parametrize("kind", ["namedtuple", "namespace"])
def test_check_function_takes_a_container_as_theta(kind):
    from nngrad import check_function
    p, X, Y = _params(kind)
    f = namedtuple_loss if kind == "namedtuple" else namespace_loss
    report = check_function(lambda q: f(q, X, Y)[0], lambda q: f(q, X, Y)[1], p)
    assert report.status == "PASS", str(report)
    assert [r.name for r in report.rows] == ["theta.W", "theta.b"]
