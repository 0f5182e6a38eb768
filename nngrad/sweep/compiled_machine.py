"""The cost model's three constants measured inside compiled code (runtime "numba", methods/runtimes.py): compiled
code changes the machine's prices, not the work (methods/cost.py). Each is measured as machine.py measures numpy's,
best of repeats after machine.warm_up, in the run's dtype, a second or so in all:

- the fixed cost of one operation inside a compiled call: ``np.dot`` of (1, 2) by (2, 2) into a preallocated out
  inside ``@njit`` (nothing but the call into BLAS; an array a kernel receives costs about as much to unbox);
- the GEMM rate of ``np.dot`` into a preallocated out inside ``@njit`` at the sweep's shapes (machine.GEMM_SHAPES);
- seconds per element of the compiled sigmoid loop (compiled_kernels.activate) over machine.ELEMENTS elements.

numba is imported only when measuring (the kernels are in compiled_probes.py and compiled_kernels.py)."""

from __future__ import annotations

import importlib.util

import numpy as np

from ..methods.cost import Constants
from . import machine  # machine.py imports this module: its names are read when measuring

RUNTIME = "numba"
LOOPS = 64  # operations per compiled call when timing one: the Python-to-numba entry spread thin
ROW = 64  # the sigmoid's arrays are (n / ROW, ROW)


def available() -> bool:
    """Is numba installed (the compiled constants can be measured)?"""
    return importlib.util.find_spec("numba") is not None


def operation_seconds(dtype: str = "float64") -> float:
    """Seconds per ``np.dot`` of (1, 2) by (2, 2) into out inside compiled code: LOOPS of them in one call."""
    from . import compiled_probes as p

    rng = np.random.default_rng(0)
    a, w, out = (rng.normal(size=s).astype(dtype) for s in ((1, 2), (2, 2), (1, 2)))
    return machine.best_of(lambda: p.dots(a, w, out, LOOPS)) / LOOPS


def gemm_flop_rate(dtype: str = "float64") -> float:
    """flop/s of ``np.dot(a, w, out)`` inside compiled code, a (rows, w) by w (w, w), at machine.GEMM_SHAPES (the
    median over the shapes)."""
    from . import compiled_probes as p

    rng, rates = np.random.default_rng(0), []
    for rows, width in machine.GEMM_SHAPES:
        a, w = (rng.normal(size=s).astype(dtype) for s in ((rows, width), (width, width)))
        out = np.empty((rows, width), dtype=dtype)
        loops = max(1, LOOPS * 64 // (rows * width))  # about as many flops per compiled call at every shape
        seconds = machine.best_of(lambda a=a, w=w, out=out, n=loops: p.dots(a, w, out, n)) / loops
        rates.append(2 * rows * width * width / seconds)
    return float(np.median(rates))


def elementwise_seconds(dtype: str = "float64") -> float:
    """Seconds per element of the compiled sigmoid (compiled_kernels.activate, in place) over arrays of
    machine.ELEMENTS elements, the median over the lengths (its values stay in (0, 1))."""
    from ..methods import compiled_kernels as k

    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(n // ROW, ROW)).astype(dtype) for n in machine.ELEMENTS]
    bits = np.empty(max(machine.ELEMENTS), np.int64)
    return float(np.median([machine.best_of(lambda buf=buf: k.activate(buf, 1, bits)) / buf.size for buf in arrays]))


def entry_units(method, operations: int, c: Constants, dtype: str = "float64") -> float:
    """The ENTRY of a compiled method (methods/compiled.py), in units of ``c.call_s``: its gradient of the tiny
    network machine.SMALLEST_NET timed, less the ``operations`` its kernel issues there. How ENTRY was measured
    (once, like cost.CALLS), for a new compiled method's declaration."""
    net, x, y = machine.tiny(dtype=dtype)
    return machine.best_of(method.prepare(net, x, y)) / c.call_s - operations


def measure(trials: int, dtype: str = "float64") -> Constants:
    """The three constants inside compiled code, each the best of ``trials`` runs of the three in turn (the
    caller has warmed the machine up)."""
    runs = [(operation_seconds(dtype), gemm_flop_rate(dtype), elementwise_seconds(dtype)) for _ in range(trials)]
    return Constants(min(r[0] for r in runs), max(r[1] for r in runs), min(r[2] for r in runs))
