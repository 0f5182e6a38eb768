"""The deep-learning specialisation's functions as a Subject: a ``parameters`` dict (W1 (n1, n0), b1 (n1, 1), ...),
``forward(X, parameters) -> (AL, caches)`` (L_model_forward), ``cost(AL, Y) -> cost`` (compute_cost) and
``backward(AL, Y, caches) -> grads`` (L_model_backward) with dW1, db1, ... (dA0 and other keys ignored). X (n_x, m)
and Y (n_y, m) hold the samples as columns; they are passed as given (integer labels stay integers)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from ..errors import InvalidType, InvalidValue
from .findings import Finding
from .slots import Saved, Slot
from .subject import Claim, Operand, Subject, restore_changed


class SpecialisationSubject(Subject):
    """Rows W1, b1, W2, ...: the arrays of the user's parameters dict, perturbed in place."""

    def __init__(self, parameters: dict, X: np.ndarray, Y: np.ndarray, forward: Callable, cost: Callable,
                 backward: Callable) -> None:
        if not isinstance(parameters, dict):
            raise InvalidType(f"with forward, cost and backward, check_network takes the parameters dict (W1, b1, "
                              f"...), got a {type(parameters).__name__}")
        slots = [Slot(parameters, k, "parameters") for k, v in parameters.items()
                 if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
        if not slots:
            raise InvalidValue("parameters holds no float arrays (W1, b1, ...)")
        if X.ndim != 2:
            raise InvalidValue(f"X has shape {X.shape}; expected (n_x, m), one sample per column")
        self.parameters, self.X, self.Y = parameters, X, Y
        self.forward, self.cost, self.backward = forward, cost, backward
        self.saved = Saved.of(slots)
        self.operands = [Operand(str(s.key), s.label, s.get(), "parameter", s) for s in slots]
        self.title = f"{_name(forward)} / {_name(cost)} / {_name(backward)}"

    def _forward(self):
        self.before()
        result = self.forward(self.X.copy(), self.parameters)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise InvalidValue(f"{_name(self.forward)}(X, parameters) returned "
                               f"{f'a tuple of {len(result)}' if isinstance(result, tuple) else type(result).__name__}"
                               "; expected (AL, caches)")
        return result

    def evaluate(self) -> float:
        AL, _ = self._forward()
        value = self.cost(AL, self.Y.copy())
        if np.size(value) != 1:
            raise InvalidValue(f"{_name(self.cost)}(AL, Y) returned shape {np.shape(value)}; expected a number")
        return float(np.asarray(value).reshape(()))

    def claim(self) -> Claim:
        AL, caches = self._forward()
        grads = self.backward(AL, self.Y.copy(), caches)
        if not isinstance(grads, dict):
            raise InvalidValue(f"{_name(self.backward)}(AL, Y, caches) returned a {type(grads).__name__}; expected a "
                               "dict of gradients (dW1, db1, ...)")
        claim = Claim({}, how=f"{_name(self.forward)}(X, parameters) returned (AL, caches); {_name(self.cost)}(AL, Y) "
                      f"the cost; {_name(self.backward)}(AL, Y, caches) returned grads with "
                      f"{', '.join('d' + op.name for op in self.operands)}"
                      + ("; Y (integer labels) passed as given" if self.Y.dtype.kind in "iub" else ""))
        for op in self.operands:
            value = grads.get(f"d{op.name}", grads.get(op.name))
            if value is None:
                claim.missing[op.name] = (f"grads has no entry 'd{op.name}' (it has "
                                          f"{', '.join(map(repr, grads)) or 'none'})")
            else:
                claim.grads[op.name] = np.array(value, copy=True)
        claim.findings += restore_changed(self.saved, "the forward or backward", "an update inside?",
                                          "update in update_parameters")
        return claim

    def batch(self) -> int | None:
        return self.X.shape[1] if self.X.shape[1] > 1 else None

    def first_sample(self) -> SpecialisationSubject | None:
        m = self.batch()
        if not m or self.Y.ndim != 2 or self.Y.shape[1] != m:
            return None
        return SpecialisationSubject(self.parameters, self.X[:, :1].copy(), self.Y[:, :1].copy(), self.forward,
                                     self.cost, self.backward)

    def diagnose(self, failing: list[str]) -> list[Finding]:
        from .network_check import boundary

        numbered = {op.name: int(m.group(1)) for op in self.operands if (m := re.search(r"(\d+)$", op.name))}
        where = boundary(numbered, failing) if len(numbered) == len(self.operands) else ""
        return [Finding("located", where)] if where else []

    def stack(self):
        """The network as a stack of layers (nngrad.check.stack): W1, b1, W2, ..., samples as columns; None where the
        parameters are not exactly W1, b1, ..., WL, bL."""
        from .stack import Stack

        layers = len(self.operands) // 2
        names = [(f"W{l}", f"b{l}") for l in range(1, layers + 1)]
        if sorted(op.name for op in self.operands) != sorted(n for pair in names for n in pair):
            return None
        Y = np.asarray(self.Y, dtype=float)
        return Stack([self.parameters[w] for w, _ in names], [self.parameters[b] for _, b in names], names,
                     np.asarray(self.X, dtype=float), lambda: np.asarray(self._forward()[0], dtype=float),
                     lambda a: float(np.asarray(self.cost(a, self.Y.copy())).reshape(())), Y)

    def restore(self) -> None:
        self.saved.restore()


def _name(function) -> str:
    return getattr(function, "__name__", type(function).__name__)
