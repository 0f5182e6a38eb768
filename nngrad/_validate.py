"""Argument checks shared by the public API: each raises with the argument's name and what was expected."""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable

import numpy as np

from .errors import InvalidType, InvalidValue


def positive_int(name: str, value: object) -> int:
    """Return ``value`` as an int, or raise if it is not a positive integer (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidType(f"{name} must be a positive integer, got {value!r} ({type(value).__name__})")
    if value <= 0:
        raise InvalidValue(f"{name} must be a positive integer, got {value}")
    return int(value)


def positive_float(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidType(f"{name} must be a positive number, got {value!r} ({type(value).__name__})")
    if not np.isfinite(value) or value <= 0:
        raise InvalidValue(f"{name} must be a positive finite number, got {value}")
    return float(value)


def renamed(old: str, new: str, value, current, default, why: str):
    """The value of a keyword renamed from ``old`` to ``new``: ``value`` (given as ``old``) with a DeprecationWarning
    saying so, else ``current``; given both ways, an error."""
    if value is None:
        return current
    if current != default:
        raise InvalidValue(f"{old}= and {new}= are one option: give {new}= alone")
    import warnings

    warnings.warn(f"{old}= is now {new}= ({why}); {old}= goes in the next release", DeprecationWarning, stacklevel=3)
    return value


def choice(name: str, value: object, valid: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``valid``, else raise naming the valid choices."""
    valid = list(valid)
    if not isinstance(value, str) or value not in valid:
        raise InvalidValue(f"{name} must be one of {', '.join(repr(v) for v in valid)}; got {value!r}")
    return value


def numeric_array(name: str, value: object, dtype: np.dtype | type | None = None) -> np.ndarray:
    """Return ``value`` as a finite numeric array (of ``dtype`` when given), or raise."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise InvalidType(f"{name} must be a real numeric array: {exc}") from None
    if arr.dtype == object or np.iscomplexobj(arr) or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InvalidType(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    finite(name, arr)
    return arr


def finite(name: str, arr: np.ndarray) -> None:
    """Raise ValueError if ``arr`` holds NaN or inf, saying how many and where the first one is."""
    if np.issubdtype(arr.dtype, np.inexact):
        bad = ~np.isfinite(arr)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise InvalidValue(
                f"{name} must be finite, but {int(bad.sum())} value(s) are NaN or inf "
                f"(first at index {first if arr.ndim != 1 else first[0]})"
            )


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux MemAvailable, else free physical pages), or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def fits_in_memory(what: str, nbytes: float, free: int | None = None, memory: str = "memory",
                   remedy: str = "use a smaller network or batch") -> None:
    """Raise ValueError, before anything is allocated, if ``what`` needs more memory than the machine has free
    (or than ``free`` bytes of ``memory``, e.g. a device's)."""
    free = available_memory() if free is None else free
    if free is not None and nbytes > free:
        where = "this machine has" if memory == "memory" else "the device has"
        raise InvalidValue(f"{what} would need {_size(nbytes)} of {memory}, and {where} {_size(free)} "
                           f"available: {remedy}")


def _size(nbytes: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.1f} {unit}"
    return f"{nbytes:,.0f} bytes"
