"""check_function: a scalar function of one array and the gradient claimed for it, against central differences;
with ``parts``, a user's whole network given as a loss of its flat parameter vector, checked part by part."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _validate as validate
from ..errors import InvalidType, InvalidValue
from ..methods.schemes import SCHEMES
from .diagnostics import common, scaled
from .findings import Finding
from .report import GradientReport
from .targets import MODES, Target, check_targets, resolve_mode, targets_report

SUBJECT = "a function of theta"


def check_function(f: Callable[[np.ndarray], float], grad_f: Callable[[np.ndarray], np.ndarray], theta,
                   parts: list[tuple[str, tuple[int, ...]]] | dict[str, tuple[int, ...]] | None = None,
                   mode: str = "auto", eps: float | None = None, rtol: float | None = None,
                   atol: float | None = None, seed: int = 0) -> GradientReport:
    """Check ``grad_f(theta)`` (theta's shape) against central differences of ``f(theta)`` (a scalar).

    parts: [(name, shape), ...] or {name: shape} splitting the flat theta in order (W1, b1, W2, ...): one row
    each, as for a network given as a loss of its flat parameter vector. mode: "full", "fast" (random directions
    per part) or "auto". f and grad_f get a copy of theta: the user's array is never changed.
    """
    if not (callable(f) and callable(grad_f)):
        raise InvalidType(f"f and grad_f must be callables, got {type(f).__name__} and {type(grad_f).__name__}")
    validate.choice("mode", mode, MODES)
    eps = None if eps is None else validate.positive_float("eps", eps)
    original = validate.numeric_array("theta", theta)
    work = np.array(original, dtype=original.dtype if original.dtype.kind == "f" else np.float64, copy=True)
    named = _parts(parts, work)
    dtype = work.dtype
    try:
        value = float(f(work))
        analytic = np.asarray(grad_f(work), dtype=float)
        found = []
        if not np.array_equal(work, original, equal_nan=True):
            found.append(Finding("params-changed", "f or grad_f changed theta in place: the checker restored it"))
            work[...] = original
        if analytic.shape != work.shape:
            found.append(Finding("shape", f"grad_f returned shape {analytic.shape}; theta has shape {work.shape}"))
            return targets_report(SUBJECT, [], [], found, "not checked", 0, eps, 0.0, atol)
        if not np.allclose(np.asarray(grad_f(work), dtype=float), analytic, rtol=1e-12, atol=0, equal_nan=True):
            found.append(Finding("not-repeatable", "grad_f gave another gradient the second time (state kept between "
                                 "calls?)"))
        work[...] = original
        flat, grad = work.reshape(-1), analytic.reshape(-1)
        targets = [Target(name, shape, flat[start:stop], grad[start:stop]) for name, shape, start, stop in named]
        rtol = rtol if rtol is not None else SCHEMES["central"].tolerance(dtype)[0]
        eps = SCHEMES["central"].default_eps(dtype) if eps is None else eps
        resolved = resolve_mode(mode, targets)
        rows, values, evaluations, kinks = check_targets(lambda: float(f(work)), targets, abs(value), resolved, eps,
                                                         rtol, atol, dtype, seed)
        if resolved == "full":
            found += [s for r, t, n in zip(rows, targets, values) if (s := scaled(r, t.analytic, n, None))]
        found += common(rows, [value, analytic, work], kinks, {dtype})
        return targets_report(SUBJECT, rows, targets, found, "element-wise" if resolved == "full" else "random directions",
                       evaluations + 3, eps, rtol, atol, values)
    finally:
        work[...] = original


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
