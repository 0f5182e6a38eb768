"""The numbers a checked code holds fixed (a loss's temperature T = 2 passed as an argument, a layer's
``self.steps = 5``, ``lambda_``, ``alpha``), by name: where a gradient is off by a factor equal to one of them,
that number is the likely factor, named rather than guessed."""

from __future__ import annotations

import numbers

import numpy as np

from ..tolerances import FACTOR
from .subject import fixed_inputs


def held(subject) -> list[tuple[str, float]]:
    """(name, value): the plain numbers among the subject's fixed arguments (a function's ``inputs`` by its
    ``names``) and the numeric attributes of the objects it checks (``owners``), booleans and 0 and 1 left out."""
    found = [(name, value) for name, v in fixed_inputs(subject, "argument") if (value := _number(v)) is not None]
    for owner in getattr(subject, "owners", None) or []:
        try:
            attributes = vars(owner)
        except TypeError:
            continue
        found += [(f"self.{n}", value) for n, v in attributes.items() if (value := _number(v)) is not None]
    return found


def _number(v) -> float | None:
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return None
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "fiu":
        v = v.item()
    if isinstance(v, numbers.Real) and float(v) not in (0.0, 1.0) and np.isfinite(float(v)):
        return float(v)
    return None


def equal_to(c: float, numbers_held: list[tuple[str, float]]) -> str | None:
    """Words naming the held number that ``c`` is (or whose reciprocal it is), e.g. "T = 2 (yours lacks a 1/T)"
    or "self.steps = 5", or None."""
    for name, value in numbers_held:
        if np.isclose(c, value, rtol=FACTOR):
            return f"{name} = {value:g}: a 1/{name} left out, or {name} applied where it does not belong?"
        if np.isclose(c, 1 / value, rtol=FACTOR):
            return f"1/{name} with {name} = {value:g}: {name} left out, or a 1/{name} applied twice?"
    return None
