"""check_engine: a scalar autograd engine in micrograd's style, through its Values.

The adapter: ``loss()`` builds the expression from the parameters' current ``.data`` (or ``.value``, ``.val``:
the field a node keeps its value in, see FIELDS) and returns the output Value; ``parameters`` are the leaf Values
(``model.parameters()``, or a dict of named lists of them). nngrad writes that field, zeroes every ``.grad``,
calls ``loss().backward()`` and reads ``.grad``: the engine's own backward rules are what is checked. When the
loss's gradient disagrees, each operator of the Value class is checked alone (``a + b``, ``a * b``, ``a ** 2``,
``tanh``...), with two distinct operands and with one operand used twice, so the report names the operator whose
local derivative is wrong, a ``self.grad = ...`` that should be ``+=``, or a backward that does not visit the graph
in topological order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _validate as validate
from ..errors import InvalidType, InvalidValue
from ..tolerances import ENGINE
from .arrays import MODES
from .findings import Finding
from .judge import judge
from .report import GradientReport
from .subject import Claim, Operand, Subject

FIELDS = ("data", "value", "val")  # where a node keeps its value (micrograd's .data; a graph of Nodes' .value)
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
    if not isinstance(parameters, (dict, list, tuple)):
        raise InvalidType(f"parameters must be a list of Values, a dict of named lists of them, or a model with "
                          f"parameters(), got a {type(parameters).__name__}")
    groups = dict(parameters) if isinstance(parameters, dict) else {"parameters": list(parameters)}
    for name, values in groups.items():
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if not values or not all(field(v) and hasattr(v, "grad") for v in values):
            raise InvalidType(f"parameters {name!r} must be a non-empty list of Values (objects with .grad and their "
                              "value in .data, .value or .val)")
        groups[name] = values
    return groups


class EngineSubject(Subject):
    """A scalar engine (each Value's .data a number): one row per list of Values. An engine on arrays (each
    Tensor's .data an array, micrograd grown up): one row per Tensor, parameters[0], parameters[1], ..."""

    def __init__(self, loss: Callable[[], object], groups: dict[str, list]) -> None:
        self.loss, self.groups = loss, groups
        self.field = field(next(iter(groups.values()))[0])
        data = {name: [_data(name, k, v, self.field) for k, v in enumerate(vs)] for name, vs in groups.items()}
        self.arrays = any(d.ndim for ds in data.values() for d in ds)
        self.saved = {k: [(getattr(v, self.field), v.grad) for v in vs] for k, vs in groups.items()}
        self.value_type = type(next(iter(groups.values()))[0])
        if self.arrays:
            self.members = [(f"{name}[{k}]", v) for name, vs in groups.items() for k, v in enumerate(vs)]
            self.operands = [Operand(label, label, d.astype(float)) for (label, _), d in
                             zip(self.members, (d for ds in data.values() for d in ds))]
            self.title = f"array engine {self.value_type.__name__}"
        else:
            self.operands = [Operand(name, name, np.array([float(d) for d in ds])) for name, ds in data.items()]
            self.title = f"scalar engine {self.value_type.__name__}"

    def _write(self) -> None:
        """The operands' current values into the Values' .data (a fresh array each, of the Value's own kind)."""
        if self.arrays:
            for (_, v), op in zip(self.members, self.operands):
                setattr(v, self.field, op.values.copy())
            return
        for op, values in zip(self.operands, self.groups.values()):
            for v, x in zip(values, op.values):
                setattr(v, self.field, float(x))

    def _build(self):
        self._write()
        self.before()
        out = self.loss()
        if not field(out) or not callable(getattr(out, "backward", None)):
            raise InvalidValue(f"loss() returned a {type(out).__name__}; it must return the output Value (with .data "
                               "and .backward())")
        return out

    def evaluate(self) -> float:
        value = np.asarray(getattr(self._build(), self.field))
        if value.size != 1:
            raise InvalidValue(f"loss() returned a {type(value).__name__} whose .data has shape {value.shape}; it must "
                               "be the scalar loss (sum or mean it)")
        return float(value.reshape(()))

    def claim(self) -> Claim:
        out = self._build()
        for values in self.groups.values():
            for v in values:
                v.grad = np.zeros_like(np.asarray(getattr(v, self.field), dtype=float)) if self.arrays else 0.0
        out.backward()
        how = (f"every .{self.field} written, every .grad zeroed, loss().backward(), the parameters' .grad read")
        if self.arrays:
            return Claim({op.name: _grad(v) for op, (_, v) in zip(self.operands, self.members)}, how=how)
        return Claim({op.name: np.array([float(np.asarray(_grad(v)).reshape(-1)[0]) if np.size(_grad(v)) == 1
                                         else np.nan for v in vs])
                      for op, vs in zip(self.operands, self.groups.values())}, how=how)

    def diagnose(self, failing: list[str]) -> list[Finding]:
        return probe_array_operators(self.value_type) if self.arrays else probe_operators(self.value_type)

    def restore(self) -> None:
        for name, values in self.groups.items():
            for v, (data, grad) in zip(values, self.saved[name]):
                setattr(v, self.field, data)
                v.grad = grad


A = np.array([[0.7, -1.3, 0.4], [-0.2, 0.9, 1.1]])  # the operands of an array engine's operator probes
B = np.array([[0.5, 1.2, -0.8], [1.4, -0.6, 0.3]])
# name -> (the operation on Tensors, b's value (None: unary)); reduced by .sum(), itself probed first
ARRAY_OPERATORS: dict[str, tuple[Callable, np.ndarray | None]] = {
    "a.sum()": (lambda a, b: a.sum(), None), "a.mean()": (lambda a, b: a.mean(), None),
    "(a + b).sum()": (lambda a, b: (a + b).sum(), B), "(a * b).sum()": (lambda a, b: (a * b).sum(), B),
    "(a @ b).sum()": (lambda a, b: (a @ b).sum(), np.vstack([B, A[:1]]).T),  # b square: a transpose shows "(a - b).sum()": (lambda a, b: (a - b).sum(), B),
    "a.relu().sum()": (lambda a, b: a.relu().sum(), None), "a.tanh().sum()": (lambda a, b: a.tanh().sum(), None),
    "a.exp().sum()": (lambda a, b: a.exp().sum(), None), "a.sigmoid().sum()": (lambda a, b: a.sigmoid().sum(), None),
    "(a ** 2).sum()": (lambda a, b: (a ** 2).sum(), None), "(a * a).sum()": (lambda a, b: (a * a).sum(), None),
}


def probe_array_operators(tensor_type: type) -> list[Finding]:
    """Each operator of an engine on arrays alone on small arrays, reduced by the engine's own .sum() (when .sum()
    itself is right): its gradients against central differences of the engine's own forward."""
    found = []
    for name, (op, b) in ARRAY_OPERATORS.items():
        wrong = _probe_array(tensor_type, op, b)
        if wrong:
            found.append(Finding("op", f"{tensor_type.__name__}'s {name} has a wrong backward: {wrong}"))
            if name == "a.sum()":
                break  # every other probe goes through .sum()
    return found


def _probe_array(tensor_type: type, op: Callable, b: np.ndarray | None) -> str:
    """"" when the operator's gradients are right (or the engine lacks it), what is wrong otherwise."""
    def value(x: np.ndarray, y: np.ndarray | None) -> float:
        out = op(tensor_type(x), None if y is None else tensor_type(y))
        return float(np.asarray(getattr(out, field(out))).reshape(()))

    try:
        ta, tb = tensor_type(A.copy()), None if b is None else tensor_type(b.copy())
        out = op(ta, tb)
        want = [_central(lambda v: value(v, b), A)] + ([] if b is None else [_central(lambda v: value(A, v), b)])
        for t in (ta, tb):
            if t is not None:
                t.grad = np.zeros_like(getattr(t, field(t)))
    except Exception:  # noqa: BLE001 - an operator the engine does not have, or cannot take on these shapes
        return ""
    try:
        out.backward()
        got = [np.array(ta.grad, dtype=float)] + ([] if tb is None else [np.array(tb.grad, dtype=float)])
    except Exception as exc:  # noqa: BLE001 - the forward ran: a backward that cannot is the operator's fault
        return f"its backward raised {type(exc).__name__}: {exc}"
    bad = []
    for which, g, w in zip("ab", got, want):
        if g.shape != w.shape:
            bad.append(f"d/d{which} has shape {g.shape}, expected {w.shape}")
        elif not np.allclose(g, w, **ENGINE):
            bad.append(f"d/d{which} = {_words(g, w)}")
    return "; ".join(bad)


def _central(f: Callable[[np.ndarray], float], at: np.ndarray) -> np.ndarray:
    grad, x = np.zeros_like(at), at.copy()
    for i in np.ndindex(at.shape):
        x[i] = at[i] + H
        up = f(x.copy())
        x[i] = at[i] - H
        grad[i] = (up - f(x.copy())) / (2 * H)
        x[i] = at[i]
    return grad


def _words(got: np.ndarray, want: np.ndarray) -> str:
    """How an operator's claimed gradient differs from the true one, in words."""
    if got.ndim == 2 and got.shape == want.shape[::-1] and np.allclose(got, want.T, **ENGINE):
        return "the transpose of the true gradient"
    ratio = np.divide(got, want, out=np.full_like(got, np.nan), where=np.abs(want) > 1e-9)
    if np.all(np.isfinite(ratio)) and np.allclose(ratio, ratio.flat[0], rtol=ENGINE["rtol"]):
        return f"{ratio.flat[0]:.6g} times the true gradient"
    return f"{np.array2string(got, precision=4)}, expected {np.array2string(want, precision=4)}"


def field(node) -> str | None:
    """The attribute ``node`` keeps its value in: the first of FIELDS it has that is not a method; None if none."""
    return next((f for f in FIELDS if hasattr(node, f) and not callable(getattr(node, f))), None)


def _data(group: str, k: int, value, name: str) -> np.ndarray:
    """A Value's .data (``name``) as an array (0-d for a scalar engine); InvalidType when it is not numbers."""
    held = getattr(value, name, None)
    try:
        data = np.asarray(held)
    except (TypeError, ValueError):
        data = None
    if data is None or data.dtype.kind not in "biuf":
        raise InvalidType(f"{group}[{k}].{name} is a {type(held).__name__}; a Value's .{name} must be a number or "
                          "an array of numbers")
    return data


def _grad(value) -> np.ndarray:
    """A Value's .grad as our own float array (what is not numbers as it is: the judge names it)."""
    try:
        return np.array(value.grad, dtype=float, copy=True)
    except (TypeError, ValueError):
        return value.grad


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
           if not np.isclose(g, w, **ENGINE)]
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
    return "" if np.isclose(got, want, **ENGINE) else f"d/da = {got:.6g}, expected {want:.6g}"
