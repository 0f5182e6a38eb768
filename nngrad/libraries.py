"""The array libraries nngrad computes with: each one small registered unit that carries everything about itself.

A unit says which device kinds its arrays live on (``devices``) and where it is the default library
(``default_on``), how to install it, how to open it on a device (its namespace through array-api-compat and its
own device object), and what the device can do: ``synchronize``, ``free_bytes``, ``peak_memory``, whether a CUDA
graph can record work on it (``can_capture``) and what a benchmark records of the device (``describe_device``).
It also reads its arrays back: ``owns``, ``where`` and ``to_numpy``. ``@register`` adds a unit to LIBRARIES;
:mod:`nngrad.backend` and everything above it take libraries from there and never ask for one by name.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from types import ModuleType

import numpy as np

from .errors import MissingPackage, UserError

LIBRARIES: dict[str, Library] = {}
KINDS = {"cpu": "the CPU", "cuda": "a CUDA device"}  # the device kinds, in words
COMPAT_INSTALL = "pip install array-api-compat"


class NoDevice(UserError, RuntimeError):
    """The device asked for is not there (no CUDA device, or not that many)."""


def register(cls: type[Library]) -> type[Library]:
    """Add an array library unit to LIBRARIES under its ``name``."""
    LIBRARIES[cls.name] = cls()
    return cls


def require(package: str, install: str) -> None:
    """MissingPackage saying ``install`` when ``package`` cannot be imported."""
    if importlib.util.find_spec(package) is None:
        raise MissingPackage(f"{package} is not installed: {install}")


def of_array(a) -> Library | None:
    """The unit whose arrays ``a`` is one of, None for a library nngrad does not compute with (JAX's, say)."""
    module = type(a).__module__.split(".")[0]
    return next((unit for unit in LIBRARIES.values() if unit.module == module), None)


class Library:
    """What every unit declares; the defaults are a host library's (no queue to wait for, the host's memory)."""

    name: str
    module: str  # the top-level module its array types live in
    install: str
    devices: tuple[str, ...] = ("cpu",)  # device kinds ("cpu", "cuda") its arrays live on
    default_on: tuple[str, ...] = ()  # device kinds where it is the library a bare device label means

    def open(self, kind: str, index: int | None) -> tuple[str, ModuleType, object]:
        """(the device's name, e.g. "cuda:0", the namespace, the library's own device object) on device ``kind``
        number ``index`` (the current one when None); NoDevice when it is not there."""
        raise NotImplementedError

    def can_capture(self, device: str) -> bool:
        """Can a CUDA graph record work on its arrays on ``device``?"""
        return False

    def synchronize(self, native) -> None:
        """Wait for the device's queued work (nothing to wait for on the host)."""

    def free_bytes(self, native) -> int | None:
        """Bytes free for new arrays where its arrays live (the host's memory by default)."""
        from ._validate import available_memory

        return available_memory()

    def peak_memory(self, native, call: Callable, traced: bool) -> tuple[object, int | None]:
        """(call(), the bytes it allocated at its peak, or None where this library cannot tell)."""
        return call(), None

    def describe_device(self, native) -> dict:
        """What a benchmark records of the device beyond the library and its version."""
        return {"name": _cpu_name()}

    def where(self, a) -> str:
        """The device array ``a`` lives on, e.g. "cpu", "cuda:0"."""
        return "cpu"

    def to_numpy(self, a) -> np.ndarray:
        """A numpy copy of ``a``."""
        return np.from_dlpack(a)


@register
class Numpy(Library):
    name = module = "numpy"
    install = "pip install numpy"
    default_on = ("cpu",)

    def open(self, kind, index):
        return "cpu", np, None

    def peak_memory(self, native, call, traced):
        """tracemalloc's peak when ``traced``: it sees numpy's allocations, not a peer library's."""
        if not traced:
            return call(), None
        import tracemalloc

        tracemalloc.start()
        try:
            result = call()
            return result, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def to_numpy(self, a):
        return np.asarray(a)


@register
class Torch(Library):
    name = module = "torch"
    install = "pip install 'nngrad[gpu]' (a CUDA build of PyTorch)"
    devices = ("cpu", "cuda")
    default_on = ("cuda",)

    def open(self, kind, index):
        import array_api_compat.torch as xp
        import torch

        if kind == "cpu":
            return "cpu", xp, torch.device("cpu")
        if not torch.cuda.is_available():
            raise NoDevice("no CUDA device: torch.cuda.is_available() is False")
        count = torch.cuda.device_count()
        index = torch.cuda.current_device() if index is None else index
        if index >= count:
            raise NoDevice(f"no CUDA device {index}: torch sees {count} (cuda:0 to cuda:{count - 1})")
        return f"cuda:{index}", xp, torch.device("cuda", index)

    def can_capture(self, device):
        return device != "cpu"

    def _on_cuda(self, native) -> bool:
        return native is not None and native.type == "cuda"

    def synchronize(self, native):
        if self._on_cuda(native):
            import torch

            torch.cuda.synchronize(native)

    def free_bytes(self, native):
        if not self._on_cuda(native):
            return super().free_bytes(native)
        import torch

        return int(torch.cuda.mem_get_info(native)[0])

    def peak_memory(self, native, call, traced):
        """The CUDA allocator's peak on a CUDA device; on the CPU torch's allocations are not seen."""
        if not self._on_cuda(native):
            return call(), None
        import torch

        self.synchronize(native)
        torch.cuda.reset_peak_memory_stats(native)
        before = torch.cuda.memory_allocated(native)
        result = call()  # a prepared call on a device ends synchronised
        return result, int(torch.cuda.max_memory_allocated(native) - before)

    def describe_device(self, native):
        if not self._on_cuda(native):
            return super().describe_device(native)
        import torch

        props = torch.cuda.get_device_properties(native)
        return {"name": props.name, "memory_bytes": int(props.total_memory),
                "capability": f"{props.major}.{props.minor}", "cuda": torch.version.cuda, "driver": _driver_version()}

    def where(self, a):
        return str(a.device)

    def to_numpy(self, a):
        return a.detach().cpu().numpy()


@register
class ArrayApiStrict(Library):
    """The array API standard and nothing more, on the CPU: it proves the core uses only the standard."""

    name = module = "array_api_strict"
    install = "pip install array-api-strict"

    def open(self, kind, index):
        import array_api_strict

        return "cpu", array_api_strict, array_api_strict.Device("CPU_DEVICE")


@register
class Cupy(Library):
    name = module = "cupy"
    install = "pip install cupy-cuda12x"
    devices = ("cuda",)

    def open(self, kind, index):
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
        return f"cuda:{index}", xp, cupy.cuda.Device(index)

    # can_capture stays False: CuPy refuses to record cuBLAS in a CUDA graph (docs/devices.md)

    def synchronize(self, native):
        native.synchronize()

    def free_bytes(self, native):
        return int(native.mem_info[0])

    def describe_device(self, native):
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(native.id)
        return {"name": props["name"].decode(), "memory_bytes": int(props["totalGlobalMem"]),
                "capability": f"{props['major']}.{props['minor']}", "cuda": cupy.cuda.runtime.runtimeGetVersion(),
                "driver": _driver_version()}

    def where(self, a):
        return f"cuda:{a.device.id}"

    def to_numpy(self, a):
        return a.get()


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
