"""A term of the backward missing or extra: where a failing input's gradient (of the output's shape) differs from
the numerical one by exactly dout times an array the forward keeps (z, r, the input itself), times 1 minus one, or
by dout itself, element by element, that term is a path from the input to the output left out of the backward (a
GRU's direct path z * h_prev, a residual block's skip connection) or counted twice."""

from __future__ import annotations

import numpy as np

from .evidence import Evidence, Failure
from .findings import Finding
from .slots import float_arrays


def diagnose(e: Evidence) -> list[Finding]:
    """A "missing-term" finding for each failing input it explains."""
    inputs = [f for f in e.failing if f.x is not None]
    if not inputs or not e.subject.owners:
        return []
    context = e.subject.context()  # a forward at the checked point: what it keeps is this point's
    if context is None or context.dout is None or np.ndim(context.dout) == 0:
        return []
    dout = np.asarray(context.dout, dtype=float)
    kept = [(f"self.{s.label}", np.asarray(s.get(), dtype=float)) for owner in e.subject.owners
            for s in float_arrays(owner) if s.get().shape == dout.shape]
    found = []
    for f in inputs:
        if f.claimed.size == dout.size and (words := _term(e, f, dout.reshape(-1), kept)):
            found.append(Finding("missing-term", words))
    return found


def _term(e: Evidence, f: Failure, dout: np.ndarray, kept: list[tuple[str, np.ndarray]]) -> str | None:
    a, n = f.claimed, f.numerical
    allowed = e.rtol * (np.abs(a) + np.abs(n)) + e.own(f)
    d = n - a  # what yours lacks
    if np.all(np.abs(d) <= allowed):
        return None
    values = [(label, v.reshape(-1)) for label, v in kept if not any(v is op.values for op in e.subject.operands)]
    candidates = [("", np.ones_like(dout))] + values + [(f"(1 - {label})", 1 - v) for label, v in values]
    for label, c in candidates:
        term = dout * c
        for sign, what in ((1.0, "misses"), (-1.0, "has an extra")):
            if np.all(np.abs(d - sign * term) <= allowed + 1e-6 * np.abs(term)):
                return _words(f.row.name, f.operand.label, label, what)
    return None


def _words(name: str, x: str, label: str, what: str) -> str:
    term = f"dout * {label}" if label else "dout itself"
    path = ("the identity path (a skip or residual connection: out = ... + " + x + ")" if not label else
            f"a path on which the output moves with {x} times {label} (out = ... + {label} * {x}: a gate's direct "
            "path, or the product rule's other term)")
    fix = "add it" if what == "misses" else "it is counted twice or does not exist: remove it"
    return (f"{name} {what} {term}, element by element (the numerical gradient minus yours is exactly that): the term "
            f"of {path}, {'left out of' if what == 'misses' else 'added to'} the backward: {fix}")
