"""A term of the backward missing or extra: where a failing input's gradient (of the output's shape) differs from
the numerical one by exactly dout times an array the forward keeps (z, r, the input itself), times 1 minus one, or
by dout itself, element by element, that term is a path from the input to the output left out of the backward (a
GRU's direct path z * h_prev, a residual block's skip connection) or counted twice."""

from __future__ import annotations

import numpy as np

from .evidence import Evidence, Failure
from .findings import Finding
from .slots import float_arrays
from ..tolerances import PREDICTED, WELL_ABOVE


def diagnose(e: Evidence) -> list[Finding]:
    """A "missing-term" finding for each failing input it explains: a term of dout times a kept array, else an
    error constant along one axis (a term through a mean over that axis)."""
    return _kept_terms(e) or [finding for f in e.failing if f.x is not None and (finding := along_axis(e, f))]


def along_axis(e: Evidence, f: Failure) -> Finding | None:
    """A "missing-term" finding where the error of a failing input (numerical minus yours) is one constant along an
    axis, different from one line to the next: the gradient through a mean or a sum over that axis left out (a
    normalisation's mean term, found inside any larger layer: a pre-norm block's layer norm), or added."""
    shape = tuple(f.row.shape)
    a, n = f.claimed, f.numerical
    if len(shape) < 2 or a.size != int(np.prod(shape)):
        return None
    allowed = e.allowed(f).reshape(shape)
    d = (n - a).reshape(shape)
    if np.all(np.abs(d) <= allowed) or np.all(np.abs(d - d.mean()) <= allowed):
        return None  # no error, or one constant everywhere (a shift: no axis to name)
    for axis in sorted(range(len(shape)), key=lambda k: -k):  # the last axis (features) first
        if shape[axis] < 2:
            continue
        line = d.mean(axis=axis, keepdims=True)
        if np.all(np.abs(d - line) <= allowed) and np.abs(line).max() > WELL_ABOVE * allowed.max():
            which = f"axis {axis}" + (" (the last)" if axis == len(shape) - 1 else " (the batch)" if axis == 0 else "")
            return Finding("missing-term", f"{f.row.name} is off by one number per line along {which} of "
                           f"{shape}: the error (numerical minus yours) is constant along that axis and changes "
                           "from one line to the next: a term through a mean or a sum over that axis is left out "
                           "of the backward (a normalisation's mean term, - mean(dxhat) / std over the normalised "
                           "axis; a centring x - mean(x)), or added")
    return None


def _kept_terms(e: Evidence) -> list[Finding]:
    """A "missing-term" finding for each failing input whose error is dout times an array the layer keeps."""
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
    allowed = e.allowed(f)
    d = n - a  # what yours lacks
    if np.all(np.abs(d) <= allowed):
        return None
    values = [(label, v.reshape(-1)) for label, v in kept if not any(v is op.values for op in e.subject.operands)]
    candidates = [("", np.ones_like(dout))] + values + [(f"(1 - {label})", 1 - v) for label, v in values]
    for label, c in candidates:
        term = dout * c
        for sign, what in ((1.0, "misses"), (-1.0, "has an extra")):
            if np.all(np.abs(d - sign * term) <= allowed + PREDICTED * np.abs(term)):
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
