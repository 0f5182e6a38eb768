"""How the gradients a user's function returns are read, for a functional pair's backward and a loss function.

One gradient or several, by position or by name:

- an array, a number, or a list/tuple of numbers (a pure-Python vector) is ONE gradient; so is a pure-Python
  nested list of numbers as deep as the first input (a matrix given as a list of rows);
- a tuple or list of arrays (or of lists of numbers) is SEVERAL, in the order of the float inputs; so is a tuple of
  numbers where the inputs it would belong to are all scalars (``(dw, db)`` for a 0-d w and b);
- a dict ``{name: gradient}`` is read by the inputs' names: a key ``W1``, ``dW1``, ``d_W1``, ``grad_W1`` or
  ``W1_grad`` is the gradient of input W1; other keys (``dA0``) are not gradients of an input and are named.

The result maps an input's position among the float inputs to its gradient; positions absent were not returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Number

import numpy as np

from ..errors import InvalidValue


@dataclass
class Returned:
    """The gradients read: ``grads[i]`` belongs to the i-th float input; ``ignored``: dict keys that name no
    input; ``how``: "by position" or "by name"."""

    grads: dict[int, object]
    ignored: list[str] = field(default_factory=list)
    how: str = "by position"


def read(value, names: list[str], shapes: list[tuple[int, ...]]) -> Returned:
    """``value`` (what the code returned as its gradients) read against the float inputs named ``names`` of
    shapes ``shapes`` (in order)."""
    if isinstance(value, dict):
        return _by_name(value, names)
    return Returned(dict(enumerate(_by_position(value, shapes))))


def several(values: tuple, shapes: list[tuple[int, ...]]) -> Returned:
    """A flat return ``(loss, g1, ..., gk)``: ``values`` = (g1, ..., gk), read as one tuple of gradients (a tuple
    of numbers stays one gradient, as ``read`` says)."""
    return Returned(dict(enumerate(_by_position(tuple(values), shapes))))


def _by_position(value, shapes: list[tuple[int, ...]]) -> list:
    if not isinstance(value, (list, tuple)) or not value:
        return [value]
    if all(_scalar(v) for v in value):
        scalars = len(value) <= len(shapes) and all(s == () for s in shapes[:len(value)])
        return list(value) if scalars and len(value) > 1 else [value]
    if isinstance(value, list) and shapes and _nested_numbers(value, len(shapes[0])):
        return [value]
    return list(value)


def _scalar(v) -> bool:
    return isinstance(v, Number) or (isinstance(v, np.ndarray) and v.ndim == 0)


def _nested_numbers(value: list, ndim: int) -> bool:
    """A pure-Python nested list (no arrays inside) of numbers, regular, ``ndim`` deep (ndim >= 2)."""
    if ndim < 2 or not all(isinstance(v, (list, tuple)) for v in value):
        return False
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged: several gradients of different shapes
        return False
    return arr.dtype.kind in "biuf" and arr.ndim == ndim and not _holds_arrays(value)


def _holds_arrays(value) -> bool:
    if isinstance(value, np.ndarray):
        return True
    return isinstance(value, (list, tuple)) and any(_holds_arrays(v) for v in value)


PREFIXES = ("", "d", "d_", "grad_", "grad")
SUFFIXES = ("_grad", "_gradient")


def _by_name(value: dict, names: list[str]) -> Returned:
    keys = {str(k): k for k in value}
    grads, used = {}, set()
    for i, name in enumerate(names):
        candidates = [p + name for p in PREFIXES] + [name + s for s in SUFFIXES]
        found = next((c for c in candidates if c in keys), None)
        if found is not None:
            grads[i] = value[keys[found]]
            used.add(found)
    if not grads:
        raise InvalidValue(f"the gradients were returned as a dict with keys {', '.join(map(str, keys)) or '(none)'}, "
                           f"none named after a float input ({', '.join(names)}): name each gradient after its "
                           f"input, e.g. {{'d{names[0]}': ...}}")
    return Returned(grads, sorted(set(keys) - used), "by name")
