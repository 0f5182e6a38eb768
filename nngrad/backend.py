"""Where arrays live: a device ("cpu", "cuda", "cuda:N"), the array library that computes there, and moving
arrays to it. numpy on the CPU by default; PyTorch tensors on a CUDA device (or on the CPU when asked for);
CuPy on a CUDA device when asked for; array_api_strict on the CPU to prove the core uses only the array API standard. The core reaches every library
through one namespace (array-api-compat); plain numpy keeps its own (numpy >= 2 is a standard namespace)."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from .errors import InvalidValue, MissingPackage, UserError

DEVICES = ("cpu", "cuda", "cuda:N")
LIBRARIES = ("numpy", "torch", "array_api_strict", "cupy")
INSTALL = {"torch": "pip install 'nngrad[gpu]' (a CUDA build of PyTorch)", "cupy": "pip install cupy-cuda12x",
           "array_api_strict": "pip install array-api-strict", "array_api_compat": "pip install array-api-compat"}
_NUMPY_IS_STANDARD = int(np.__version__.split(".")[0]) >= 2
_NUMPY_TYPES = (np.ndarray, np.generic)


class NoDevice(UserError, RuntimeError):
    """The device asked for is not there (no CUDA device, or not that many)."""


def parse_device(device: str) -> tuple[str, int | None]:
    """"cpu" -> ("cpu", None); "cuda" -> ("cuda", None); "cuda:N" -> ("cuda", N); InvalidValue otherwise."""
    if isinstance(device, str):
        text = device.strip().lower()
        if text == "cpu":
            return "cpu", None
        if m := re.fullmatch(r"cuda(?::(\d+))?", text):
            return "cuda", None if m.group(1) is None else int(m.group(1))
    raise InvalidValue(f"device must be one of {', '.join(DEVICES)}; got {device!r}")


def parse_label(spec: str) -> tuple[str, str | None]:
    """A place to compute, as a benchmark labels it: "DEVICE" (its default library) or "LIBRARY@DEVICE", e.g.
    "cuda" -> ("cuda", None), "torch@cpu" -> ("cpu", "torch"); InvalidValue naming the forms otherwise."""
    if isinstance(spec, str) and "@" in spec:
        library, _, device = spec.partition("@")
        library = library.strip().lower()
        if library not in LIBRARIES:
            raise InvalidValue(f"device must be DEVICE or LIBRARY@DEVICE with LIBRARY one of {', '.join(LIBRARIES)}; "
                               f"got {spec!r}")
        parse_device(device)
        return device.strip().lower(), library
    parse_device(spec)
    return spec.strip().lower(), None


def from_label(spec: str) -> Backend:
    """The Backend a benchmark's device label ``spec`` names ("cpu", "cuda", "cuda:1", "torch@cpu", ...)."""
    return backend(*parse_label(spec))


def target(spec: str) -> Backend:
    """The old name of :func:`from_label` (deprecated: a target is a performance target)."""
    import warnings

    warnings.warn("nngrad.backend.target is now from_label (a target is a performance target); target goes in the "
                  "next release", DeprecationWarning, stacklevel=2)
    return from_label(spec)


def _require(package: str) -> None:
    if importlib.util.find_spec(package) is None:
        raise MissingPackage(f"{package} is not installed: {INSTALL.get(package, 'pip install ' + package)}")


@dataclass(frozen=True)
class Backend:
    """An array library on a device: ``xp`` its namespace, ``device`` "cpu" or "cuda:N", ``native`` the
    library's own device object (what ``xp.asarray(..., device=)`` takes)."""

    library: str
    device: str
    xp: ModuleType
    native: object = None

    @property
    def is_numpy(self) -> bool:
        return self.library == "numpy"

    @property
    def on_host(self) -> bool:
        """Its arrays are in the host's memory (the CPU), not a device's."""
        return self.device == "cpu"

    @property
    def can_capture(self) -> bool:
        """A CUDA graph can record work on its arrays: torch on a CUDA device (CuPy cannot record cuBLAS)."""
        return self.library == "torch" and not self.on_host

    def peak_memory(self, call: Callable, traced: bool = True) -> tuple[object, int | None]:
        """(call(), the bytes it allocated at its peak): the device allocator's on a CUDA device through torch,
        tracemalloc's on numpy (when ``traced``: it sees numpy's allocations, not a peer library's), else None."""
        if self.can_capture:
            import torch

            self.synchronize()
            torch.cuda.reset_peak_memory_stats(self.native)
            before = torch.cuda.memory_allocated(self.native)
            result = call()  # a prepared call on a device ends synchronised
            return result, int(torch.cuda.max_memory_allocated(self.native) - before)
        if not (self.is_numpy and traced):
            return call(), None
        import tracemalloc

        tracemalloc.start()
        try:
            result = call()
            return result, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def __str__(self) -> str:
        return f"{self.library} on {self.device}"

    @property
    def label(self) -> str:
        """How a benchmark names it: the device alone with its default library ("cpu", "cuda:0"), else
        "LIBRARY@DEVICE" ("torch@cpu", "cupy@cuda:0"); :func:`from_label` reads it back."""
        default = "numpy" if self.device == "cpu" else "torch"
        return self.device if self.library == default else f"{self.library}@{self.device}"

    def describe(self) -> dict:
        """What a benchmark records of it: the library and its version; on a CUDA device its name, memory,
        compute capability, and the CUDA and driver versions."""
        module = __import__(self.library)
        info = {"label": self.label, "library": self.library, "version": getattr(module, "__version__", "?"),
                "device": self.device}
        if self.device == "cpu":
            return {**info, "name": _cpu_name()}
        if self.library == "torch":
            import torch

            props = torch.cuda.get_device_properties(self.native)
            info.update(name=props.name, memory_bytes=int(props.total_memory), capability=f"{props.major}.{props.minor}",
                        cuda=torch.version.cuda)
        else:
            import cupy

            props = cupy.cuda.runtime.getDeviceProperties(self.native.id)
            info.update(name=props["name"].decode(), memory_bytes=int(props["totalGlobalMem"]),
                        capability=f"{props['major']}.{props['minor']}", cuda=cupy.cuda.runtime.runtimeGetVersion())
        return {**info, "driver": _driver_version()}

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
        if self.can_capture:  # torch on a CUDA device
            import torch

            return int(torch.cuda.mem_get_info(self.native)[0])
        if self.library == "cupy":
            return int(self.native.mem_info[0])
        from ._validate import available_memory

        return available_memory()

    def synchronize(self) -> None:
        """Wait for the device's queued work (a no-op on the CPU): call it before reading a clock."""
        if self.can_capture:  # torch on a CUDA device
            import torch

            torch.cuda.synchronize(self.native)
        elif self.library == "cupy":
            self.native.synchronize()


def _cpu_name() -> str | None:
    """The CPU's model name (/proc/cpuinfo), else platform's processor, else None."""
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), None)
    except OSError:
        import platform

        return platform.processor() or None


def _driver_version() -> str | None:
    """The NVIDIA driver's version (nvidia-smi), None where it cannot be asked."""
    import subprocess

    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.splitlines()[0].strip() if out.strip() else None


def backend(device: str = "cpu", library: str | None = None) -> Backend:
    """The array library ``library`` (default: numpy on "cpu", torch on "cuda") on ``device``; one-line errors for
    an unknown device or library, a missing package, or a missing CUDA device."""
    kind, index = parse_device(device)
    if library is None:
        library = "numpy" if kind == "cpu" else "torch"
    if library not in LIBRARIES:
        raise InvalidValue(f"backend must be one of {', '.join(LIBRARIES)}; got {library!r}")
    if library == "numpy":
        if kind != "cpu":
            raise InvalidValue(f"numpy arrays live on the CPU only; got device {device!r} (use backend 'torch')")
        return Backend("numpy", "cpu", np)
    _require("array_api_compat")
    if library == "array_api_strict":
        if kind != "cpu":
            raise InvalidValue(f"array_api_strict arrays live on the CPU only; got device {device!r}")
        _require("array_api_strict")
        import array_api_strict

        return Backend("array_api_strict", "cpu", array_api_strict, array_api_strict.Device("CPU_DEVICE"))
    if library == "cupy":
        return _cupy(kind, index, device)
    _require("torch")
    import array_api_compat.torch as xp
    import torch

    if kind == "cpu":
        return Backend("torch", "cpu", xp, torch.device("cpu"))
    if not torch.cuda.is_available():
        raise NoDevice("no CUDA device: torch.cuda.is_available() is False")
    count = torch.cuda.device_count()
    index = torch.cuda.current_device() if index is None else index
    if index >= count:
        raise NoDevice(f"no CUDA device {index}: torch sees {count} (cuda:0 to cuda:{count - 1})")
    return Backend("torch", f"cuda:{index}", xp, torch.device("cuda", index))


def _cupy(kind: str, index: int | None, device: str) -> Backend:
    """CuPy on CUDA device ``index`` (the current one when None)."""
    if kind != "cuda":
        raise InvalidValue(f"cupy arrays live on a CUDA device only; got device {device!r}")
    _require("cupy")
    import array_api_compat.cupy as xp
    import cupy

    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError:
        count = 0
    if count == 0:
        raise NoDevice("no CUDA device: cupy.cuda.runtime.getDeviceCount() is 0")
    index = cupy.cuda.runtime.getDevice() if index is None else index
    if index >= count:
        raise NoDevice(f"no CUDA device {index}: cupy sees {count} (cuda:0 to cuda:{count - 1})")
    return Backend("cupy", f"cuda:{index}", xp, cupy.cuda.Device(index))


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
    if isinstance(a, np.ndarray | np.generic):
        return "numpy on cpu"
    module = type(a).__module__.split(".")[0]
    if module == "torch":
        return f"torch on {a.device}"
    if module == "array_api_strict":
        return "array_api_strict on cpu"
    if module == "cupy":
        return f"cupy on cuda:{a.device.id}"
    return f"{module} on {getattr(a, 'device', '?')}"


def to_numpy(a) -> np.ndarray:
    """A numpy copy (or the array itself, for numpy) of an array of any supported library on any device."""
    if isinstance(a, np.ndarray):
        return a
    module = type(a).__module__.split(".")[0]
    if module == "torch":
        return a.detach().cpu().numpy()
    if module == "cupy":
        return a.get()
    if module in ("jax", "jaxlib"):
        return np.asarray(a)
    return np.from_dlpack(a)


def is_cuda(label: str) -> bool:
    """Does a benchmark's device label ("cpu", "cuda:0", "torch@cpu", "cupy@cuda:1") name a CUDA device?"""
    device, _ = parse_label(label)
    return parse_device(device)[0] == "cuda"
