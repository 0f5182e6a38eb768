"""check_function: a scalar function of one array and the gradient claimed for it, against central differences;
with ``parts``, a user's whole network given as a loss of its flat parameter vector, checked part by part."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _validate as validate
from ..errors import InvalidType, InvalidValue
from .arrays import MODES
from .findings import Finding
from .judge import judge
from .pair_check import LossSubject
from .trees import is_tree
from .report import GradientReport
from .subject import Claim, Operand, Subject


def check_function(f: Callable[[np.ndarray], float], grad_f: Callable[[np.ndarray], np.ndarray], theta,
                   parts: list[tuple[str, tuple[int, ...]]] | dict[str, tuple[int, ...]] | None = None,
                   mode: str = "auto", eps: float | None = None, rtol: float | None = None,
                   atol: float | None = None, seed: int = 0) -> GradientReport:
    """Check ``grad_f(theta)`` (theta's shape) against central differences of ``f(theta)`` (a scalar).

    parts: [(name, shape), ...] or {name: shape} splitting the flat theta in order (W1, b1, W2, ...): one row
    each, as for a network given as a loss of its flat parameter vector. mode: "full", "fast" (random directions
    per part) or "auto". f and grad_f get a copy of theta: the user's array is never changed; a theta given as a
    pure-Python list reaches them as a list at every call, and a gradient returned as a list is read as an array.
    """
    if not (callable(f) and callable(grad_f)):
        raise InvalidType(f"f and grad_f must be callables, got {type(f).__name__} and {type(grad_f).__name__}")
    validate.choice("mode", mode, MODES)
    eps = None if eps is None else validate.positive_float("eps", eps)
    if is_tree(theta):
        if parts is not None:
            raise InvalidValue("parts splits a flat theta; theta is a list (or tree) of arrays, each already a part: drop parts")
        return judge(_listed(f, grad_f, theta), mode, eps, rtol, atol, seed)
    original = validate.numeric_array("theta", theta)
    work = np.array(original, dtype=original.dtype if original.dtype.kind == "f" else np.float64, copy=True)
    subject = FunctionSubject(f, grad_f, work, _parts(parts, work), listed=isinstance(theta, list))
    return judge(subject, mode, eps, rtol, atol, seed)


def _listed(f: Callable, grad_f: Callable, theta) -> Subject:
    """theta a list of arrays ([W1, b1, W2, b2]) or a tree of them ([(W1, b1), (W2, b2)]): f(theta) the loss,
    grad_f(theta) the gradients in the same structure; the rows theta[0], theta[0][1], ..."""
    def f_and_grad(theta):
        return f(theta), grad_f(theta)

    f_and_grad.__name__ = f"{getattr(f, '__name__', 'f')} and {getattr(grad_f, '__name__', 'grad_f')}"
    return LossSubject(f_and_grad, (theta,))


class FunctionSubject(Subject):
    """f and grad_f at our copy of theta, split into named parts."""

    title = "a function of theta"

    def __init__(self, f, grad_f, work: np.ndarray, parts: list[tuple[str, tuple[int, ...], int, int]],
                 listed: bool = False) -> None:
        self.f, self.grad_f, self.work, self.saved, self.listed = f, grad_f, work, work.copy(), listed
        flat = work.reshape(-1)
        self.operands = [Operand(name, name, flat[start:stop].reshape(shape)) for name, shape, start, stop in parts]

    def evaluate(self) -> float:
        return float(self.f(self._theta()))  # a copy: an f that changes its argument cannot move the point

    def _theta(self):
        """Theta as the user's code takes it: a list where they passed one, else a copy of ours."""
        return self.work.tolist() if self.listed else self.work.copy()

    def claim(self) -> Claim:
        theta = self.work.tolist() if self.listed else self.work
        self.f(theta)
        analytic = np.asarray(self.grad_f(theta), dtype=float)
        claim = Claim({}, how="f(theta) returned the loss; grad_f(theta) returned its gradient")
        if not np.array_equal(self.work, self.saved, equal_nan=True):
            claim.findings.append(Finding("params-changed", "f or grad_f changed theta in place: the checker "
                                          "restored it"))
            self.work[...] = self.saved
        if analytic.shape != self.work.shape:
            claim.grads[self.operands[0].name] = analytic
            for op in self.operands[1:]:
                claim.missing[op.name] = f"grad_f returned shape {analytic.shape}, not theta's {self.work.shape}"
            return claim
        flat, start = analytic.reshape(-1), 0
        for op in self.operands:
            claim.grads[op.name] = flat[start:start + op.values.size].reshape(op.values.shape)
            start += op.values.size
        return claim

    def restore(self) -> None:
        self.work[...] = self.saved


def _parts(parts, theta: np.ndarray) -> list[tuple[str, tuple[int, ...], int, int]]:
    """(name, shape, start, stop) of each part of the flat theta; one part "theta" when none are given."""
    if parts is None:
        return [("theta", theta.shape, 0, theta.size)]
    items = list(parts.items()) if isinstance(parts, dict) else list(parts)
    out, offset = [], 0
    for name, shape in items:
        shape = tuple(int(s) for s in np.atleast_1d(shape))
        size = int(np.prod(shape))
        out.append((str(name), shape, offset, offset + size))
        offset += size
    if offset != theta.size:
        raise InvalidValue(f"parts must cover theta exactly: their sizes add up to {offset}, theta has {theta.size} "
                           "elements")
    return out
