"""check_engine: a scalar autograd engine in micrograd's style, through its Values.

The adapter: ``loss()`` builds the expression from the parameters' current ``.data`` and returns the output
Value; ``parameters`` are the leaf Values (``model.parameters()``, or a dict of named lists of them). nngrad
writes ``.data``, zeroes every ``.grad``, calls ``loss().backward()`` and reads ``.grad``: the engine's own
backward rules are what is checked. When the loss's gradient disagrees, each operator of the Value class is
checked alone (``a + b``, ``a * b``, ``a ** 2``, ``tanh``...), with two distinct operands and with one operand
used twice, so the report names the operator whose local derivative is wrong, a ``self.grad = ...`` that should
be ``+=``, or a backward that does not visit the graph in topological order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _validate as validate
from ..errors import InvalidType, InvalidValue
from .arrays import MODES
from .findings import Finding
from .judge import judge
from .report import GradientReport
from .subject import Claim, Operand, Subject

X, Y, H = 0.7, -1.3, 1e-6  # the operands of the operator probes, and their central difference's step
# name -> (the operation on Values or floats, binary?)
OPERATORS: dict[str, tuple[Callable, bool]] = {
    "a + b": (lambda a, b: a + b, True), "a * b": (lambda a, b: a * b, True), "a - b": (lambda a, b: a - b, True),
    "a / b": (lambda a, b: a / b, True), "a ** 2": (lambda a, b: a ** 2, False),
    "a ** 3": (lambda a, b: a ** 3, False), "-a": (lambda a, b: -a, False), "2 * a": (lambda a, b: 2 * a, False),
    "2 + a": (lambda a, b: 2 + a, False), "1 - a": (lambda a, b: 1 - a, False), "1 / a": (lambda a, b: 1 / a, False),
    "a.tanh()": (lambda a, b: a.tanh(), False), "a.relu()": (lambda a, b: a.relu(), False),
    "a.exp()": (lambda a, b: a.exp(), False), "a.log()": (lambda a, b: a.log(), False),
    "a.sigmoid()": (lambda a, b: a.sigmoid(), False),
}
FLOATS = {"a.tanh()": np.tanh, "a.relu()": lambda v: max(v, 0.0), "a.exp()": np.exp, "a.log()": np.log,
          "a.sigmoid()": lambda v: 1 / (1 + np.exp(-v))}


def check_engine(loss: Callable[[], object], parameters, mode: str = "auto", eps: float | None = None,
                 rtol: float | None = None, atol: float | None = None, seed: int = 0) -> GradientReport:
    """Check a micrograd-style engine's gradients of ``loss()`` with respect to ``parameters`` (a list of Values,
    a dict of named lists, or a model with ``parameters()``): one row per list."""
    if not callable(loss):
        raise InvalidType(f"loss must be a function that builds the expression and returns its Value, got a "
                          f"{type(loss).__name__}")
    validate.choice("mode", mode, MODES)
    eps = None if eps is None else validate.positive_float("eps", eps)
    return judge(EngineSubject(loss, _groups(parameters)), mode, eps, rtol, atol, seed)


def _groups(parameters) -> dict[str, list]:
    if callable(getattr(parameters, "parameters", None)):
        parameters = parameters.parameters()
    groups = dict(parameters) if isinstance(parameters, dict) else {"parameters": list(parameters)}
    for name, values in groups.items():
        values = list(values)
        if not values or not all(hasattr(v, "data") and hasattr(v, "grad") for v in values):
            raise InvalidType(f"parameters {name!r} must be a non-empty list of Values (objects with .data and "
                              ".grad)")
        groups[name] = values
    return groups


class EngineSubject(Subject):
    def __init__(self, loss: Callable[[], object], groups: dict[str, list]) -> None:
        self.loss, self.groups = loss, groups
        self.saved = {k: [(v.data, v.grad) for v in vs] for k, vs in groups.items()}
        self.operands = [Operand(name, name, np.array([float(v.data) for v in vs])) for name, vs in groups.items()]
        self.value_type = type(next(iter(groups.values()))[0])
        self.title = f"scalar engine {self.value_type.__name__}"

    def _build(self):
        for op, values in zip(self.operands, self.groups.values()):
            for v, x in zip(values, op.values):
                v.data = float(x)
        self.before()
        out = self.loss()
        if not hasattr(out, "data") or not callable(getattr(out, "backward", None)):
            raise InvalidValue(f"loss() returned a {type(out).__name__}; it must return the output Value (with .data "
                               "and .backward())")
        return out

    def evaluate(self) -> float:
        return float(self._build().data)

    def claim(self) -> Claim:
        out = self._build()
        for values in self.groups.values():
            for v in values:
                v.grad = 0.0
        out.backward()
        return Claim({op.name: np.array([float(v.grad) for v in vs]) for op, vs in zip(self.operands,
                                                                                         self.groups.values())},
                     how="every .grad zeroed, loss().backward(), the parameters' .grad read")

    def diagnose(self, failing: list[str]) -> list[Finding]:
        return probe_operators(self.value_type)

    def restore(self) -> None:
        for name, values in self.groups.items():
            for v, (data, grad) in zip(values, self.saved[name]):
                v.data, v.grad = data, grad


def probe_operators(value_type: type) -> list[Finding]:
    """Each operator of ``value_type`` alone, with distinct operands and with one operand used twice; and a small
    graph whose nodes are used several times (the topological order)."""
    found, twice = [], {}
    for name, (op, binary) in OPERATORS.items():
        alone = _probe(value_type, op, name, binary, reuse=False)
        if alone is None:
            continue  # the engine has no such operator
        if alone:
            found.append(Finding("op", f"{value_type.__name__}'s {name} has a wrong backward: {alone}"))
        elif binary and (again := _probe(value_type, op, name, binary, reuse=True)):
            twice[name] = again
    if twice:
        found.append(Finding("overwritten", f"{value_type.__name__}'s {', '.join(twice)} right with two operands but "
                             f"wrong with one used twice ({next(iter(twice.values()))}): a _backward sets .grad = ... "
                             "instead of adding to it (+=)"))
    if not found:
        order = _probe_order(value_type)
        if order:
            found.append(Finding("op", f"every operator of {value_type.__name__} is right alone, but a graph that uses "
                                 f"a node several times is not ({order}): backward must visit the nodes in reverse "
                                 "topological order, each once"))
    return found


def _probe(value_type: type, op: Callable, name: str, binary: bool, reuse: bool) -> str | None:
    """"" if the operator's gradients are right, what is wrong otherwise, None if the engine lacks it."""
    try:
        a = value_type(X)
        b = a if reuse else value_type(Y)
        out = op(a, b)
        a.grad = b.grad = 0.0
        out.backward()
        got = [float(a.grad)] if reuse or not binary else [float(a.grad), float(b.grad)]
    except Exception:  # noqa: BLE001 - an operator the engine does not have, or cannot take
        return None
    f = _on_floats(op, name)
    if reuse:
        want = [(f(X + H, X + H) - f(X - H, X - H)) / (2 * H)]
    else:
        want = [(f(X + H, Y) - f(X - H, Y)) / (2 * H)] + ([(f(X, Y + H) - f(X, Y - H)) / (2 * H)] if binary else [])
    bad = [f"d/d{v} = {g:.6g}, expected {w:.6g}" for v, g, w in zip("ab", got, want)
           if not np.isclose(g, w, rtol=1e-5, atol=1e-7)]
    return "; ".join(bad)


def _on_floats(op: Callable, name: str) -> Callable[[float, float], float]:
    if name in FLOATS:
        return lambda a, b: float(FLOATS[name](a))
    return lambda a, b: float(op(a, b))


def _probe_order(value_type: type) -> str:
    """d/da of (a*b + a) * (a*b) + a, a graph where a and a*b feed several nodes."""
    def f(a, b):
        ab = a * b
        return (ab + a) * ab + a

    try:
        a, b = value_type(X), value_type(Y)
        out = f(a, b)
        a.grad = b.grad = 0.0
        out.backward()
        got = float(a.grad)
    except Exception:  # noqa: BLE001
        return ""
    want = (f(X + H, Y) - f(X - H, Y)) / (2 * H)
    return "" if np.isclose(got, want, rtol=1e-5, atol=1e-7) else f"d/da = {got:.6g}, expected {want:.6g}"
