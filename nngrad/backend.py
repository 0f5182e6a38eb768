"""Where arrays live: a device ("cpu", "cuda", "cuda:N") and the array library that computes there (numpy on the
CPU by default, torch on a CUDA device; each library is a unit in :mod:`nngrad.libraries`). The core reaches
every library through one namespace (array-api-compat); plain numpy keeps its own (numpy >= 2 is a standard
namespace)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from .errors import InvalidValue
from .libraries import COMPAT_INSTALL, KINDS, LIBRARIES, Library, NoDevice, of_array, require

__all__ = [
    "Backend",
    "NoDevice",
    "backend",
    "describe",
    "from_label",
    "is_cuda",
    "namespace",
    "parse_device",
    "parse_label",
    "to_numpy",
]

DEVICES = tuple(form for kind in KINDS for form in ((kind,) if kind == "cpu" else (kind, f"{kind}:N")))
_NUMPY_IS_STANDARD = int(np.__version__.split(".")[0]) >= 2
_NUMPY_TYPES = (np.ndarray, np.generic)


def parse_device(device: str) -> tuple[str, int | None]:
    """"cpu" -> ("cpu", None); "cuda" -> ("cuda", None); "cuda:N" -> ("cuda", N) (any kind the libraries know, see
    :data:`nngrad.libraries.KINDS`); InvalidValue otherwise."""
    if isinstance(device, str):
        kind, _, number = device.strip().lower().partition(":")
        if kind == "cpu" and not _:
            return "cpu", None
        if kind in KINDS and kind != "cpu" and (not _ or re.fullmatch(r"\d+", number)):
            return kind, int(number) if _ else None
    raise InvalidValue(f"device must be one of {', '.join(DEVICES)}; got {device!r}")


def parse_label(spec: str) -> tuple[str, str | None]:
    """A place to compute, as a benchmark labels it: "DEVICE" (its default library) or "LIBRARY@DEVICE", e.g.
    "cuda" -> ("cuda", None), "torch@cpu" -> ("cpu", "torch"); InvalidValue naming both forms otherwise."""
    forms = (f"DEVICE ({', '.join(DEVICES)}) or LIBRARY@DEVICE (LIBRARY one of {', '.join(LIBRARIES)}, "
             "e.g. torch@cpu)")
    library, at, device = spec.rpartition("@") if isinstance(spec, str) else ("", "", spec)
    library = library.strip().lower()
    if (at and library not in LIBRARIES) or not isinstance(device, str):
        raise InvalidValue(f"device must be {forms}; got {spec!r}")
    try:
        parse_device(device)
    except InvalidValue:
        raise InvalidValue(f"device must be {forms}; got {spec!r}") from None
    return device.strip().lower(), library or None


def from_label(spec: str) -> Backend:
    """The Backend a benchmark's device label ``spec`` names ("cpu", "cuda", "cuda:1", "torch@cpu", ...)."""
    return backend(*parse_label(spec))


def target(spec: str) -> Backend:
    """The old name of :func:`from_label` (deprecated: a target is a performance target)."""
    import warnings

    warnings.warn("nngrad.backend.target is now from_label (a target is a performance target); target goes in the "
                  "next release", DeprecationWarning, stacklevel=2)
    return from_label(spec)


@dataclass(frozen=True)
class Backend:
    """An array library on a device: ``xp`` its namespace, ``device`` "cpu" or "cuda:N", ``native`` the
    library's own device object (what ``xp.asarray(..., device=)`` takes)."""

    library: str
    device: str
    xp: ModuleType
    native: object = None

    @property
    def unit(self) -> Library:
        """The registered unit of its library (:mod:`nngrad.libraries`): what its device can do."""
        return LIBRARIES[self.library]

    @property
    def is_numpy(self) -> bool:
        return self.library == "numpy"

    @property
    def on_host(self) -> bool:
        """Its arrays are in the host's memory (the CPU), not a device's."""
        return self.device == "cpu"

    @property
    def can_capture(self) -> bool:
        """A CUDA graph can record work on its arrays (torch on a CUDA device; CuPy cannot record cuBLAS)."""
        return self.unit.can_capture(self.device)

    def peak_memory(self, call: Callable, traced: bool = True) -> tuple[object, int | None]:
        """(call(), the bytes it allocated at its peak): the device allocator's on a CUDA device through torch,
        tracemalloc's on numpy (when ``traced``: it sees numpy's allocations, not a peer library's), else None."""
        return self.unit.peak_memory(self.native, call, traced)

    def __str__(self) -> str:
        return f"{self.library} on {self.device}"

    @property
    def label(self) -> str:
        """How a benchmark names it: the device alone with its default library ("cpu", "cuda:0"), else
        "LIBRARY@DEVICE" ("torch@cpu", "cupy@cuda:0"); :func:`from_label` reads it back."""
        kind = parse_device(self.device)[0]
        return self.device if kind in self.unit.default_on else f"{self.library}@{self.device}"

    def describe(self) -> dict:
        """What a benchmark records of it: the library and its version; on a CUDA device its name, memory,
        compute capability, and the CUDA and driver versions."""
        module = __import__(self.unit.module)
        return {"label": self.label, "library": self.library, "version": getattr(module, "__version__", "?"),
                "device": self.device, **self.unit.describe_device(self.native)}

    def dtype(self, dtype: np.dtype | type):
        """The library's dtype of numpy ``dtype`` (float32, float64, complex64, complex128, int64, bool)."""
        return getattr(self.xp, np.dtype(dtype).name)

    def asarray(self, a, dtype=None):
        """``a`` (numpy, list or this library's array on this device) as this library's array here."""
        if self.is_numpy:
            return np.asarray(a, dtype=dtype)
        dtype = None if dtype is None else self.dtype(dtype)
        return self.xp.asarray(a, dtype=dtype, device=self.native)

    def free_bytes(self) -> int | None:
        """Bytes free for new arrays where this backend's arrays live (a CUDA device's memory, or the host's)."""
        return self.unit.free_bytes(self.native)

    def synchronize(self) -> None:
        """Wait for the device's queued work (a no-op on the CPU): call it before reading a clock."""
        self.unit.synchronize(self.native)


def backend(device: str = "cpu", library: str | None = None) -> Backend:
    """The array library ``library`` (default: the device's own, numpy on "cpu", torch on "cuda") on ``device``;
    one-line errors for an unknown device or library, a missing package, or a missing CUDA device."""
    kind, index = parse_device(device)
    if library is None:
        library = next(name for name, unit in LIBRARIES.items() if kind in unit.default_on)
    if library not in LIBRARIES:
        raise InvalidValue(f"backend must be one of {', '.join(LIBRARIES)}; got {library!r}")
    unit = LIBRARIES[library]
    if kind not in unit.devices:
        others = [name for name, u in LIBRARIES.items() if kind in u.devices]
        raise InvalidValue(f"{library} arrays live on {' or '.join(KINDS[k] for k in unit.devices)} only; got device "
                           f"{device!r} "
                           f"(use backend {' or '.join(repr(o) for o in others)})")
    if library != "numpy":
        require("array_api_compat", COMPAT_INSTALL)
        require(unit.module, unit.install)
    where, xp, native = unit.open(kind, index)
    return Backend(library, where, xp, native)


def namespace(*arrays) -> ModuleType:
    """The array namespace of ``arrays``: numpy itself for numpy arrays (numpy >= 2), else array-api-compat's."""
    for a in arrays:  # a loop, not all(...): this runs in inner loops
        if not isinstance(a, _NUMPY_TYPES):
            break
    else:
        if _NUMPY_IS_STANDARD:
            return np
    import array_api_compat

    return array_api_compat.array_namespace(*arrays)


def describe(a) -> str:
    """Where array ``a`` lives, e.g. "numpy on cpu", "torch on cuda:0"."""
    if isinstance(a, _NUMPY_TYPES):
        return "numpy on cpu"
    unit = of_array(a)
    if unit is None:
        return f"{type(a).__module__.split('.')[0]} on {getattr(a, 'device', '?')}"
    return f"{unit.name} on {unit.where(a)}"


def to_numpy(a) -> np.ndarray:
    """A numpy copy (or the array itself, for numpy) of an array of any supported library on any device (JAX's
    included)."""
    if isinstance(a, np.ndarray):
        return a
    unit = of_array(a)
    return np.asarray(a) if unit is None else unit.to_numpy(a)


def is_cuda(label: str) -> bool:
    """Does a benchmark's device label ("cpu", "cuda:0", "torch@cpu", "cupy@cuda:1") name a CUDA device?"""
    device, _ = parse_label(label)
    return parse_device(device)[0] == "cuda"
