"""The three machine constants of the cost model (methods/cost.py), measured by short microbenchmarks at the
start of a run: the fixed cost of a numpy call on small arrays, the matrix-product rate at the sweep's shapes, and
the rate of the element-wise sigmoid over arrays like the sweep's, each in the run's dtype (float64 by default; a
float32 run is priced with float32's constants: its GEMM rate is about twice float64's). The machine is first kept busy
for WARM_UP_S (an idle CPU starts at a low clock: measured cold, the constants came out 50% slow), then each
constant is the best of repeats: what the machine can do, as a point's median is on a quiet machine. A peer's library (torch, jax, autograd) issues its
own calls: their fixed cost is measured on that peer's gradient of a tiny network.

On another array library or a device (a GPU through torch) the same three constants are measured with that
library's operations, the device synchronised before every clock read: the fixed cost of a call is then a
kernel launch, and the rates are measured at sizes large enough to fill the device (DEVICE_GEMM_SHAPES,
DEVICE_ELEMENTS)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .. import _validate as validate
from ..backend import Backend, backend
from ..methods import get
from ..methods.base import Method
from ..methods.cost import Constants, Network
from ..model.layers import Sigmoid
from . import compiled_machine
from .config import DTYPES
from .networks import build

NUMPY = backend("cpu")

REPEATS = 7
WARM_UP_S = 0.5
TRIALS = 3  # the three microbenchmarks are run this many times in turn, the best of each kept
GEMM_SHAPES = ((16, 64), (16, 256), (2048, 16), (2048, 64))  # (rows, width): (rows, w) @ (w, w)
ELEMENTS = (2**12, 2**16, 2**20)  # sigmoid over arrays this long
DEVICE_GEMM_SHAPES = ((2**14, 256), (2**16, 256), (2**14, 1024))  # on a device: its rate at full occupancy
DEVICE_ELEMENTS = (2**20, 2**22, 2**24)
SMALLEST_NET = (1, 2, 1, 2, 2)  # depth, width, batch, inputs, outputs of the network a peer's cost per call is timed on


def best_of(fn: Callable[[], object], repeats: int = REPEATS, min_s: float = 2e-3,
            sync: Callable[[], None] = lambda: None) -> float:
    """Seconds of one fn() call, the best of ``repeats``, each repeat looping fn until it lasts ``min_s``;
    ``sync()`` (a device's wait) runs before every clock read."""
    def loop(loops: int) -> float:
        sync()
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        sync()
        return time.perf_counter() - t0

    fn()
    loops = 1
    while loop(loops) < min_s:
        loops *= 2
    return float(np.min([loop(loops) / loops for _ in range(repeats)]))


def warm_up(seconds: float = WARM_UP_S) -> None:
    """Keep the CPU busy with products and exps for ``seconds``, so that it runs at its working clock."""
    a = np.random.default_rng(0).random((256, 256))
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        np.exp(a @ a / 256)


def call_seconds(where: Backend = NUMPY, dtype: str = "float64") -> float:
    """Seconds per call on small arrays of ``dtype``: a layer's operations (product, add, exp, multiply) on (1, 4)."""
    rng, xp = np.random.default_rng(0), where.xp
    x, w, b = (where.asarray(rng.normal(size=s).astype(dtype)) for s in ((1, 4), (4, 4), 4))

    def four_calls():
        z = x @ w + b
        return xp.exp(z) * z

    return best_of(four_calls, sync=where.synchronize) / 4


def method_call_seconds(method: Method, where: Backend, dtype: str = "float64") -> float:
    """Seconds per declared call of ``method``'s own code off numpy: its gradient of a tiny network there (every
    array a few numbers: nothing but calls) over the calls its cost declares. Each call pays what nngrad's code
    pays there (the array-api namespace lookup, the library's dispatch, on a device the kernel launch), and the
    CALLS table, numpy's, is corrected per method: the standard's generic paths make calls of their own."""
    net, x, y = tiny(where, dtype)
    return best_of(method.prepare(net, x, y)) / method.cost(Network.of(net, SMALLEST_NET[2])).calls


def own_call_seconds(where: Backend, dtype: str = "float64") -> float:
    """Seconds per call off numpy: that of nngrad's backprop (method_call_seconds)."""
    return method_call_seconds(get("backprop"), where, dtype)


def gemm_flop_rate(where: Backend = NUMPY, dtype: str = "float64") -> float:
    """flop/s of ``dtype`` matrix products (rows, w) @ (w, w) at the sweep's shapes on the CPU, at shapes that fill
    the device elsewhere (median over the shapes)."""
    rng, rates = np.random.default_rng(0), []
    for rows, width in GEMM_SHAPES if where.device == "cpu" else DEVICE_GEMM_SHAPES:
        a, w = (where.asarray(rng.normal(size=s).astype(dtype)) for s in ((rows, width), (width, width)))
        if where.is_numpy:
            out = np.empty((rows, width), dtype=dtype)
            seconds = best_of(lambda a=a, w=w, out=out: np.matmul(a, w, out=out))
        else:
            seconds = best_of(lambda a=a, w=w: a @ w, sync=where.synchronize)
        rates.append(2 * rows * width * width / seconds)
    return float(np.median(rates))


def elementwise_seconds(where: Backend = NUMPY, dtype: str = "float64") -> float:
    """Seconds per element of nngrad's in-place sigmoid over ``dtype`` (a new array off numpy), the median over
    array lengths (applied again and again to one array: its values stay in (0, 1), where exp costs what it costs
    anywhere)."""
    rng = np.random.default_rng(0)
    lengths = ELEMENTS if where.device == "cpu" else DEVICE_ELEMENTS
    arrays = [where.asarray(rng.normal(size=n).astype(dtype)) for n in lengths]
    return float(np.median([best_of(lambda buf=buf: Sigmoid.inplace(buf), sync=where.synchronize) / n
                            for buf, n in zip(arrays, lengths, strict=True)]))


def tiny(where: Backend = NUMPY, dtype: str = "float64") -> tuple:
    """(net, x, y) of the SMALLEST_NET network on ``where``, in ``dtype``."""
    net, x, y = build(*SMALLEST_NET, dtype=dtype)
    if where.is_numpy:
        return net, x, y
    net = net.to(where.device, where.library)
    return (net, *net.check_data(x, y))


def library_call_seconds(method: Method, numpy_only: Constants, where: Backend = NUMPY,
                         dtype: str = "float64") -> float:
    """Seconds per call of the library of a peer ``method``: its gradient of a tiny network (every array a few
    numbers: nothing but calls) timed, less what numpy's part of its declared cost predicts, over the library
    calls it declares."""
    net, x, y = tiny(where, dtype)
    work = method.cost(Network.of(net, SMALLEST_NET[2]))
    seconds = best_of(method.prepare(net, x, y)) - replace(work, library_calls=0).seconds(numpy_only)
    return max(seconds, 0.0) / work.library_calls


def proc_stat() -> str:
    """The first line of /proc/stat: the machine's CPU time by kind (user nice system idle iowait ...), in ticks."""
    with open("/proc/stat") as f:
        return f.readline()


def proc_pid_stat(pid: int | str) -> str:
    """/proc/PID/stat: one process's state, its CPU time (utime, stime) in ticks among the fields."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read()


def machine_ticks(read: Callable[[], str] = proc_stat) -> tuple[int, int] | None:
    """(all ticks, idle ticks) of every CPU so far from ``read()`` (/proc/stat's first line), None where there is
    none. Time waiting for the disk (iowait) is idle time, not work."""
    try:
        fields = [int(v) for v in read().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields), fields[3] + (fields[4] if len(fields) > 4 else 0)


def process_ticks(pid: int | str, read: Callable[[int | str], str] = proc_pid_stat) -> int | None:
    """Ticks of CPU time (user + system, all its threads) process ``pid`` used so far; None where it cannot be
    read (no /proc, the process gone)."""
    try:
        fields = read(pid).rpartition(")")[2].split()  # after the command's name, which may hold spaces
        return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)
    except (OSError, ValueError, IndexError):
        return None


def others_load(seconds: float = 0.5, read: Callable[[], str] = proc_stat) -> float | None:
    """The fraction of the machine's CPU time that other processes used over ``seconds`` while this one slept
    (from two samples of ``read()``, /proc/stat's first line; None where there is none): how busy the machine is
    before or after a run."""
    first = machine_ticks(read)
    time.sleep(seconds)
    second = machine_ticks(read)
    if first is None or second is None or second[0] == first[0]:
        return None
    return 1.0 - (second[1] - first[1]) / (second[0] - first[0])


@dataclass(frozen=True)
class CpuSample:
    """The machine's ticks so far (all, idle) and those of nngrad's own processes (``ours``)."""

    total: int
    idle: int
    ours: int


def cpu_sample(pids: tuple[int | str, ...], read: Callable[[], str] = proc_stat,
               read_process: Callable[[int | str], str] = proc_pid_stat) -> CpuSample | None:
    """The machine's ticks and those of the processes ``pids`` (nngrad's own: the suite and its parent), None
    where /proc/stat or one of them cannot be read."""
    machine = machine_ticks(read)
    own = [process_ticks(pid, read_process) for pid in pids]
    if machine is None or None in own:
        return None
    return CpuSample(*machine, sum(own))


LOAD_WINDOW_TICKS = 100  # fewer machine ticks than this (0.5 s of 2 CPUs at 100 Hz) and a share is tick noise


def load_window(history: list[CpuSample], after: CpuSample | None) -> CpuSample | None:
    """The sample to measure others' share from up to ``after``: the latest of ``history`` (oldest first) at
    least LOAD_WINDOW_TICKS before it, else the oldest. A point timed in 2 ms spans no tick of /proc/stat: its
    share is measured over the half second that ends with its rounds instead (its own window when longer)."""
    if after is None or not history:
        return None
    earlier = [s for s in history if s is not None and after.total - s.total >= LOAD_WINDOW_TICKS]
    return earlier[-1] if earlier else next((s for s in history if s is not None), None)


def others_share(before: CpuSample | None, after: CpuSample | None) -> float | None:
    """The fraction of the machine's CPUs that processes other than nngrad's own used between two samples (1.0:
    every CPU): the machine's busy ticks less nngrad's, over all ticks. None without two samples or a tick between
    them."""
    if before is None or after is None or after.total <= before.total:
        return None
    total = after.total - before.total
    busy = total - (after.idle - before.idle)
    return min(max((busy - (after.ours - before.ours)) / total, 0.0), 1.0)  # the two counts round apart: clipped


def measure(methods: tuple[str, ...] = (), where: Backend = NUMPY, dtype: str = "float64") -> Constants:
    """The machine constants of ``where`` (numpy on the CPU by default) in ``dtype`` (the run's precision), and
    the per-call cost of the library of each of ``methods`` that issues its own calls (a peer), and the same three
    constants inside compiled code where one of ``methods`` is compiled (runtime "numba") and numba is installed
    (compiled_machine.py): a second or two in all."""
    dtype = validate.choice("dtype", dtype, DTYPES)
    warm_up()
    calls = call_seconds if where.is_numpy else own_call_seconds
    trials = [(calls(where, dtype), gemm_flop_rate(where, dtype), elementwise_seconds(where, dtype))
              for _ in range(TRIALS)]
    numpy_only = Constants(min(t[0] for t in trials), max(t[1] for t in trials), min(t[2] for t in trials))
    libraries, own = {}, {}
    runtimes = {compiled_machine.RUNTIME: compiled_machine.measure(TRIALS, dtype)} if (
        where.is_numpy and compiled_machine.available()
        and any(get(name).runtime == compiled_machine.RUNTIME for name in methods)) else {}
    for name in methods:
        method = get(name)
        work = method.cost(Network((2, 2, 2), 1)) if method.cost else None  # SMALLEST_NET's shape
        if (work is None or method.missing() is not None or not (where.is_numpy or method.array_api)
                or method.why_not(tiny(where, dtype)[0]) is not None):
            continue
        if work.library_calls and work.library not in libraries:
            libraries[work.library] = library_call_seconds(method, numpy_only, where, dtype)
        elif not work.library_calls and not where.is_numpy:
            own[name] = method_call_seconds(method, where, dtype)
    return replace(numpy_only, library_call_s=libraries, method_call_s=own, runtimes=runtimes)
