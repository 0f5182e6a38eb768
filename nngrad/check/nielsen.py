"""Nielsen's *Neural Networks and Deep Learning* (network.py, network2.py) as a Subject: a ``Network`` whose
``weights[l]`` (n_out, n_in) and ``biases[l]`` (n_out, 1) are lists of arrays, ``feedforward(a)`` and
``backprop(x, y) -> (nabla_b, nabla_w)`` for one sample, a column. Samples are the columns of x (n_in, m) and y
(n_out, m); the cost and the nablas are summed over them, as ``update_mini_batch`` does. The cost is
``net.cost.fn(a, y)`` where the network has a cost class (network2), else network.py's quadratic cost
0.5 * ||a - y||^2 (whose derivative ``cost_derivative`` returns)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidValue
from .findings import Finding
from .slots import Saved, Slot
from .subject import Claim, Operand, Subject, restore_changed


def takes(net) -> bool:
    """Is ``net`` a network in Nielsen's style (weights and biases lists, feedforward and backprop)?"""
    return (all(isinstance(getattr(net, a, None), (list, tuple)) for a in ("weights", "biases"))
            and all(callable(getattr(net, m, None)) for m in ("feedforward", "backprop")))


def columns(name: str, values: np.ndarray, rows: int, what: str) -> np.ndarray:
    """``values`` as samples in columns, (rows, m): a 1-D array of ``rows`` is one sample."""
    if values.ndim == 1 and values.shape[0] == rows:
        return values.reshape(rows, 1)
    if values.ndim != 2 or values.shape[0] != rows:
        raise InvalidValue(f"{name} has shape {values.shape}; expected ({rows}, m): {what}, one sample per column")
    return values


class NielsenSubject(Subject):
    """Rows weights[0], biases[0], weights[1], ...: the arrays in the network's own lists, perturbed in place."""

    def __init__(self, net, x: np.ndarray, y: np.ndarray) -> None:
        slots = [Slot(getattr(net, attr), l, attr) for l in range(len(net.weights)) for attr in ("weights", "biases")]
        if len(net.weights) != len(net.biases) or not slots:
            raise InvalidValue(f"{type(net).__name__} has {len(net.weights)} weights and {len(net.biases)} biases; "
                               "expected one of each per layer")
        if bad := [s.label for s in slots if not (isinstance(s.get(), np.ndarray) and s.get().dtype.kind == "f")]:
            raise InvalidValue(f"{type(net).__name__}.{bad[0]} is not a float array")
        self.net, self.slots, self.saved = net, slots, Saved.of(slots)
        self.x = columns("x", x, net.weights[0].shape[1], f"{net.weights[0].shape[1]} inputs (weights[0]'s columns)")
        self.y = columns("y", y, net.weights[-1].shape[0], f"{net.weights[-1].shape[0]} outputs (weights[-1]'s rows)")
        if self.y.shape[1] != self.x.shape[1]:
            raise InvalidValue(f"x has {self.x.shape[1]} samples (columns) and y {self.y.shape[1]}; expected as many")
        self.title = f"network {type(net).__name__}"
        self.operands = [Operand(s.label, s.label, s.get(), "parameter", s) for s in slots]
        self.owners = (net,)
        fn = getattr(getattr(net, "cost", None), "fn", None)
        self.cost = fn if callable(fn) else _quadratic
        self.cost_words = (f"net.cost.fn(a, y) ({getattr(net.cost, '__name__', type(net.cost).__name__)})"
                           if callable(fn) else "0.5 * ||a - y||^2, network.py's quadratic cost (cost_derivative's)")

    def _samples(self):
        for j in range(self.x.shape[1]):
            yield self.x[:, j:j + 1].copy(), self.y[:, j:j + 1].copy()

    def evaluate(self) -> float:
        self.before()
        return float(sum(np.sum(self.cost(self.net.feedforward(x), y)) for x, y in self._samples()))

    def claim(self) -> Claim:
        nabla_b = nabla_w = None
        for x, y in self._samples():
            self.before()
            b, w = _nablas(self.net, self.net.backprop(x, y), len(self.net.weights))
            nabla_b = b if nabla_b is None else [s + v for s, v in zip(nabla_b, b)]
            nabla_w = w if nabla_w is None else [s + v for s, v in zip(nabla_w, w)]
        m = self.x.shape[1]
        claim = Claim({}, how=f"backprop(x, y) for each of the {m} sample{'s' * (m > 1)} (columns of x), nabla_b and "
                      f"nabla_w summed as update_mini_batch does; cost: {self.cost_words}")
        for l in range(len(nabla_w)):
            claim.grads[f"weights[{l}]"], claim.grads[f"biases[{l}]"] = nabla_w[l], nabla_b[l]
        claim.findings += restore_changed(self.saved, "backprop", "an update inside backprop?",
                                          "update in update_mini_batch")
        return claim

    def batch(self) -> int | None:
        return self.x.shape[1] if self.x.shape[1] > 1 else None

    def first_sample(self) -> NielsenSubject | None:
        return NielsenSubject(self.net, self.x[:, :1].copy(), self.y[:, :1].copy()) if self.batch() else None

    def diagnose(self, failing: list[str]) -> list[Finding]:
        from .network_check import boundary

        where = boundary({op.name: int(op.slot.key) + 1 for op in self.operands}, failing)
        return [Finding("located", where)] if where else []

    def stack(self):
        """The network as a stack of layers (nngrad.check.stack): weights[l], biases[l], samples as columns."""
        from .stack import Stack

        def output() -> np.ndarray:
            return np.hstack([np.asarray(self.net.feedforward(x), dtype=float).reshape(-1, 1)
                              for x, _ in self._samples()])

        def cost(a: np.ndarray) -> float:
            return float(sum(np.sum(self.cost(a[:, j:j + 1], self.y[:, j:j + 1])) for j in range(a.shape[1])))

        return Stack(list(self.net.weights), list(self.net.biases),
                     [(f"weights[{l}]", f"biases[{l}]") for l in range(len(self.net.weights))], self.x, output, cost,
                     self.y.astype(float))

    def restore(self) -> None:
        self.saved.restore()


def _quadratic(a, y) -> float:
    return 0.5 * float(np.sum((np.asarray(a, dtype=float) - y) ** 2))


def _nablas(net, result, layers: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    if not (isinstance(result, (tuple, list)) and len(result) == 2
            and all(isinstance(r, (tuple, list)) and len(r) == layers for r in result)):
        raise InvalidValue(f"{type(net).__name__}.backprop(x, y) returned {_kind(result)}; expected (nabla_b, "
                           f"nabla_w), two lists of {layers} arrays (one per layer)")
    return ([np.array(v, dtype=float, copy=True) for v in result[0]],
            [np.array(v, dtype=float, copy=True) for v in result[1]])


def _kind(value) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}" + (
            f" ({', '.join(str(len(v)) if isinstance(v, (tuple, list)) else type(v).__name__ for v in value)})"
            if value else "")
    return f"a {type(value).__name__}"
