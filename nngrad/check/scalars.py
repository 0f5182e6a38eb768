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
    return found + counts(subject)


def shares(numbers_held) -> list[tuple[str, float]]:
    """Those of ``numbers_held`` (as ``held`` gives them) that are a mask's share of ones (``counts``)."""
    return [(name, value) for name, value in numbers_held if name.endswith(".size")]


def _share(c: float, name: str, value: float) -> str | None:
    """Words for ``c`` equal to a mask's share of ones ``name`` = mask.sum() / mask.size (or its reciprocal)."""
    mask = name.split(".sum()")[0]
    if np.isclose(c, value, rtol=FACTOR):
        return (f"{name} = {value:.4g}: divided by every position ({mask}.size) where the loss divides by the "
                f"ones {mask} lets through ({mask}.sum()): the mean taken over the padding too?")
    if np.isclose(c, 1 / value, rtol=FACTOR):
        return (f"{mask}.size / {mask}.sum() = {1 / value:.4g}: divided by the ones {mask} lets through "
                f"({mask}.sum()) where the loss divides by every position ({mask}.size)?")
    return None


def counts(subject) -> list[tuple[str, float]]:
    """(name, value): for each 0/1 array the code reads and the check holds fixed (a padding mask), the share of
    its ones, ``mask.sum() / mask.size`` (a mean over every position where the loss means over the real ones)."""
    from .loss_patterns import held_arrays  # it reads the diagnostics' helpers: imported when first asked

    found = []
    for name, v in held_arrays(subject):
        ones = np.count_nonzero(v)
        if v.size > 1 and 0 < ones < v.size and np.all((v == 0) | (v == 1)):
            found.append((f"{name}.sum() / {name}.size", ones / v.size))
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
        if name.endswith(".size") and (share := _share(c, name, value)):
            return share
        if np.isclose(c, value, rtol=FACTOR):
            return f"{name} = {value:g}: a 1/{name} left out, or {name} applied where it does not belong?"
        if np.isclose(c, 1 / value, rtol=FACTOR):
            return f"1/{name} with {name} = {value:g}: {name} left out, or a 1/{name} applied twice?"
    return None
