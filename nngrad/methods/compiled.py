"""Compiled methods (the ``fast`` extra, numba, runtime "numba"): the whole gradient as ONE compiled call over
buffers made once, in ``prepare``.

``forward-numba``: one loss evaluation, compiled: the unit a compiled gradient's cost is measured in.
``backprop-numba``: nngrad's backprop (one forward pass keeping each layer's output, one backward pass).
``forward-mode-numba``, ``numerical-batched-numba``: forward mode's N tangent passes and forward differences'
N + 1 loss evaluations with prefix reuse (prefix.py), K perturbed networks stacked per product as their numpy twins.
Their code is in compiled_kernels.py (``np.dot`` inside for the products: BLAS does them). Compile time is paid in
``prepare`` (its first call, in ``one_call``; about 0 s from numba's disk cache) and recorded as
``info["compile_s"]``, never inside a timed call. numba is imported only in ``prepare``: the registry imports without it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import _validate as validate
from . import batched, cost, forward_mode
from .base import Call, Check, GradientResult, Method
from .checks import EXACT_TOL, FINITE_DIFFERENCE_TOL, against_backprop
from .schemes import SCHEMES
from .peers._common import activations, batch

INSTALL = "pip install 'nngrad[fast]' (or: pip install numba scipy)"
ACTIVATION_CODES = {"identity": 0, "sigmoid": 1, "relu": 2, "tanh": 3}  # dispatched on inside the compiled call
LOSS_CODES = {"mse": 0, "softmax_ce": 1}
DTYPES = (np.float32, np.float64)
RUNTIME = "numba"
CHUNK_BYTES = 128 * 2**10  # one stacked array of the O(N) kernels (measured: 32 KiB to 512 KiB alike, 64 MiB slower)


def why_not(net) -> str | None:
    """None, or why the compiled methods do not apply to ``net``."""
    if unsupported := sorted({a for a in activations(net) if a not in ACTIVATION_CODES}):
        return (f"numba's compiled code supports the activations {', '.join(ACTIVATION_CODES)}; this network has "
                f"{', '.join(unsupported)}")
    if net.loss_name not in LOSS_CODES:
        return f"numba's compiled code supports the losses {', '.join(LOSS_CODES)}; this network has {net.loss_name}"
    if net.dtype not in DTYPES:
        return f"numba's compiled code supports float32 and float64; this network is {net.dtype}"
    return None


@dataclass(frozen=True)
class Buffers:
    """What a compiled call reads and writes, made once: x (B, in), t (B, out), Ws and bs (views of net.params, so
    that a call sees the parameters as they are), outs and douts (B, o) per layer, grad (N,) with gWs and gbs its
    views shaped as Ws and bs; codes (one per layer) and loss_code; bits (B * width,) int64: the compiled sigmoid's
    scratch."""

    x: np.ndarray
    t: np.ndarray
    Ws: tuple
    bs: tuple
    codes: np.ndarray
    loss_code: int
    outs: tuple
    douts: tuple
    grad: np.ndarray
    gWs: tuple
    gbs: tuple
    bits: np.ndarray

    @classmethod
    def of(cls, net, x: np.ndarray, y: np.ndarray) -> Buffers:
        xb, t = batch(net, x, y)
        xb, t = (np.ascontiguousarray(a, dtype=net.dtype) for a in (xb, t))
        grad = np.empty_like(net.params)
        Ws, bs = tuple(d.W for d in net.dense_layers), tuple(d.b for d in net.dense_layers)
        offsets = np.cumsum([0] + [W.size + b.size for W, b in zip(Ws, bs)])
        gWs = tuple(grad[o:o + W.size].reshape(W.shape) for o, W in zip(offsets, Ws))
        gbs = tuple(grad[o + W.size:o + W.size + b.size] for o, W, b in zip(offsets, Ws, bs))
        outs = tuple(np.empty((xb.shape[0], b.size), net.dtype) for b in bs)
        codes = np.array([ACTIVATION_CODES[a] for a in activations(net)], dtype=np.int64)
        return cls(xb, t, Ws, bs, codes, LOSS_CODES[net.loss_name], outs, tuple(np.empty_like(o) for o in outs),
                   grad, gWs, gbs, np.empty(xb.shape[0] * max(net.sizes), np.int64))

    @property
    def network(self) -> tuple:
        """The arguments every kernel starts with: (x, t, Ws, bs, codes, loss_code)."""
        return self.x, self.t, self.Ws, self.bs, self.codes, self.loss_code


def one_call(name: str, kernel, args: tuple, grad: np.ndarray | None, loss_evaluations: int,
             **counts: int) -> Call:
    """The prepared call of a compiled method ``name``: ``kernel(*args)`` (the loss; the gradient written into
    ``grad``, None for a loss alone), its work counted (``counts``: tangent_passes, backward_passes). ``kernel`` is
    called once here (numba compiles it for these types, or loads it from its disk cache), and what to record is
    kept: {"numba": version, "compile_s": seconds, "blas": the BLAS its np.dot calls}."""
    import numba

    start = time.perf_counter()
    kernel(*args)
    info = {"numba": numba.__version__, "compile_s": time.perf_counter() - start, "blas": scipy_blas()}

    def call() -> GradientResult:
        loss = float(kernel(*args))
        return GradientResult(None if grad is None else grad.copy(), loss, name, loss_evaluations, **counts,
                              info=info)

    return call


def scipy_blas() -> str:
    """The BLAS numba's np.dot calls (SciPy's, through scipy.linalg.cython_blas: a library and a thread pool of its
    own beside numpy's), in words: "openblas 0.3.30 SkylakeX, 2 threads"; "unknown" where threadpoolctl cannot
    tell."""
    from threadpoolctl import threadpool_info

    found = [i for i in threadpool_info() if i.get("user_api") == "blas" and "scipy" in str(i.get("filepath"))]
    return (", ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}, {i.get('num_threads')} "
                      f"threads" for i in found) or "unknown")


def prepare_forward(net, x: np.ndarray, y: np.ndarray) -> Call:
    """One compiled loss evaluation over buffers made here."""
    from . import compiled_kernels as k

    b = Buffers.of(net, x, y)
    return one_call("forward-numba", k.forward, (*b.network, b.outs, b.douts[-1], b.bits), None, 1)


def prepare_backprop(net, x: np.ndarray, y: np.ndarray) -> Call:
    """One compiled call per gradient over buffers made here."""
    from . import compiled_kernels as k

    b = Buffers.of(net, x, y)
    return one_call("backprop-numba", k.backprop, (*b.network, b.outs, b.douts, b.gWs, b.gbs, b.bits), b.grad, 1,
                    backward_passes=1)


def chunk_size(sizes: tuple[int, ...], batch: int, itemsize: int) -> int:
    """Networks per stacked product of the O(N) kernels: a (chunk * batch, width) array within CHUNK_BYTES, and
    no more than the largest layer's parameters."""
    largest = max((i + 1) * o for i, o in zip(sizes[:-1], sizes[1:]))
    return min(largest, max(1, CHUNK_BYTES // (batch * max(sizes) * itemsize)))


@dataclass(frozen=True)
class Stacked:
    """What the O(N) kernels add to Buffers, made once: zs and slopes (B, o) per layer (pre-activations and the
    activations' derivatives), g (B, out), chunk (networks per stacked product: a stacked (chunk * B, width) array
    within CHUNK_BYTES, in the core's own cache; the numpy twins' 64 MiB chunks were slower here), a and b flat
    buffers of chunk * B * width numbers, column (chunk, B), losses (chunk,), bits (chunk * B * width,) int64: the
    vectorized sigmoid's scratch."""

    zs: tuple
    slopes: tuple
    g: np.ndarray
    chunk: int
    a: np.ndarray
    b: np.ndarray
    column: np.ndarray
    losses: np.ndarray
    bits: np.ndarray

    @classmethod
    def of(cls, net, buffers: Buffers) -> Stacked:
        rows, width, dtype = buffers.x.shape[0], max(net.sizes), net.dtype
        chunk = chunk_size(tuple(net.sizes), rows, dtype.itemsize)
        return cls(tuple(np.empty_like(o) for o in buffers.outs), tuple(np.empty_like(o) for o in buffers.outs),
                   np.empty_like(buffers.t), chunk, np.empty(chunk * rows * width, dtype),
                   np.empty(chunk * rows * width, dtype), np.empty((chunk, rows), dtype), np.empty(chunk, dtype),
                   np.empty(chunk * rows * width, np.int64))


def prepare_forward_mode(net, x: np.ndarray, y: np.ndarray) -> Call:
    """Forward mode in one compiled call per gradient over buffers made here."""
    from . import compiled_kernels as k

    b = Buffers.of(net, x, y)
    s = Stacked.of(net, b)
    args = (*b.network, s.zs, b.outs, s.slopes, s.g, b.grad, s.chunk, s.a, s.b, s.bits)
    return one_call("forward-mode-numba", k.tangents, args, b.grad, 1, tangent_passes=b.grad.size)


def prepare_batched(net, x: np.ndarray, y: np.ndarray, eps: float | None = None) -> Call:
    """Forward differences in one compiled call per gradient over buffers made here; ``eps``: the step (default
    sqrt(u) of the network's dtype, as numerical-batched)."""
    from . import compiled_kernels as k

    step = SCHEMES["forward"].default_eps(net.dtype) if eps is None else validate.positive_float("eps", eps)
    b = Buffers.of(net, x, y)
    s = Stacked.of(net, b)
    args = (*b.network, s.zs, b.outs, s.slopes, s.g, b.grad, net.dtype.type(step), s.chunk, s.a, s.b, s.column,
            s.losses, s.bits)
    return one_call("numerical-batched-numba", k.differences, args, b.grad,
                    SCHEMES["forward"].evaluations(b.grad.size))


# The cost of a compiled call (cost.py's three terms at the constants measured inside compiled code,
# sweep/compiled_machine.py): its calls are the operations its kernel issues, each one unit of the compiled call
# constant (an np.dot of tiny matrices, about 60 ns): every np.dot, every loop over an array (an activation, its
# derivative, the bias's add and its gradient, the loss), every array the kernel receives (numba unboxes each one:
# measured about 70 ns, 1 unit); plus its ENTRY, the call from Python (numba's dispatch, the wrapper's GradientResult
# and copy): units measured once (Python 3.11, numba 0.6x), a property of the code like cost.CALLS: for forward and
# backprop the intercept of a line through networks of width 2, batch 1 and 2 to 17 Dense layers (measured units
# 12.7 + 7.0 per layer and 19.6 + 15.8 per layer, against 6 + 6 and 4 + 14 operations declared), for the O(N)
# kernels sweep/compiled_machine.entry_units on the tiny network (their calls are a small part of their time).
ENTRY = {"forward": 7, "backprop": 16, "forward-mode": 13, "numerical-batched": 15}


def forward_operations(net: cost.Network) -> dict[str, int]:
    """What compiled_kernels.forward issues on ``net``'s Dense layers: arrays received (x, t, codes, d, bits, and
    W, b, out per layer), np.dot calls, loops (bias add and activation per layer, the loss)."""
    layers = len(net.layers)
    return {"arrays": 5 + 3 * layers, "dots": layers, "loops": 2 * layers + 1}


def backprop_operations(net: cost.Network) -> dict[str, int]:
    """What compiled_kernels.backprop issues on ``net``'s Dense layers: arrays received (x, t, codes, bits, and W, b,
    out, dout, gW, gb per layer), np.dot calls (the forward product, dW, and dx but for the first layer), loops (bias
    add, activation; derivative, gb's zeroing and row sum per layer; the loss)."""
    layers = len(net.layers)
    return {"arrays": 4 + 6 * layers, "dots": 3 * layers - 1, "loops": 5 * layers + 1}


def compiled_cost(entry: float, operations: dict[str, int], math: cost.Cost) -> cost.Cost:
    """One compiled call: ``entry`` units and one unit per operation (``operations``: counts by kind) as its
    calls, and the products and element-wise work of ``math`` (the algorithm's, as its numpy twin declares it)."""
    return cost.Cost(entry + sum(operations.values()), math.flops, math.elementwise)


def _backprop_cost(net: cost.Network) -> cost.Cost:
    """One compiled forward and backward pass: backprop's arithmetic, its kernel's operations."""
    math = cost.forward(net) + cost.backward(net)
    return compiled_cost(ENTRY["backprop"], backprop_operations(net), math)


def _forward_cost(net: cost.Network) -> cost.Cost:
    """One compiled loss evaluation: a loss evaluation's arithmetic, its kernel's operations."""
    return compiled_cost(ENTRY["forward"], forward_operations(net), cost.forward(net))


def _chunks(net: cost.Network) -> list[int]:
    """The chunks of each Dense layer's parameters the O(N) kernels stack."""
    chunk = chunk_size(net.sizes, net.batch, net.itemsize)
    return [-(-(i + 1) * o // chunk) for i, o, _ in net.layers]


def forward_mode_operations(net: cost.Network) -> dict[str, int]:
    """What compiled_kernels.tangents issues: arrays received (x, t, codes, g, grad, a, b, bits, and W, b, z, out,
    slope per layer); the kept pass (a product, 5 loops per layer, the loss); per chunk of layer l < last: the
    rank-one loop, a product and a loop per later layer, the tangents' dot with g; of the last layer: one loop."""
    depth, chunks = len(net.layers), _chunks(net)
    per_chunk = [(depth - l - 2, 2 + 2 * (depth - l - 2)) if l < depth - 1 else (0, 1) for l in range(depth)]
    return {"arrays": 8 + 5 * depth, "dots": depth + sum(c * d for c, (d, _) in zip(chunks, per_chunk)),
            "loops": 5 * depth + 1 + sum(c * n for c, (_, n) in zip(chunks, per_chunk))}


def batched_operations(net: cost.Network) -> dict[str, int]:
    """What compiled_kernels.differences issues: arrays received (x, t, codes, d, grad, a, b, column, losses, bits,
    and W, b, z, out, slope per layer); the kept pass (a product, 5 loops per layer, the loss); per chunk of layer l:
    the new column and its activation, the rank-one loop and its activation (l < last) or the output copied
    (last), a product, the bias and the activation per later layer, the chunk's losses and gradient."""
    depth, chunks = len(net.layers), _chunks(net)
    chunk = chunk_size(net.sizes, net.batch, net.itemsize)
    per_chunk = [(depth - l - 2, 4 + 2 * (depth - l - 2)) if l < depth - 1 else (0, 3) for l in range(depth)]
    return {"arrays": 10 + 5 * depth, "dots": depth + sum(c * d for c, (d, _) in zip(chunks, per_chunk)),
            "loops": 5 * depth + 1 + sum(c * (n + 1 + chunk) for c, (_, n) in zip(chunks, per_chunk))}


def _forward_mode_cost(net: cost.Network) -> cost.Cost:
    """One compiled call of N tangent passes: forward mode's arithmetic (its numpy twin's), its kernel's
    operations."""
    return compiled_cost(ENTRY["forward-mode"], forward_mode_operations(net), forward_mode.work(net))


def _batched_cost(net: cost.Network) -> cost.Cost:
    """One compiled call of N + 1 loss evaluations: forward differences' arithmetic (numerical-batched's), its
    kernel's operations."""
    return compiled_cost(ENTRY["numerical-batched"], batched_operations(net), batched.NUMERICAL.cost(net))


# np.dot inside numba calls SciPy's BLAS: without SciPy numba refuses to compile it
COMMON = dict(requires=("numba", "scipy"), install=INSTALL, why_not=why_not, runtime=RUNTIME)
FORWARD = Method(
    name="forward-numba", family="function", prepare=prepare_forward, compiles="forward", **COMMON,
    description="one loss evaluation compiled by numba, in one call: the unit of cost of the compiled methods",
    work_count=lambda n: 1, cost=_forward_cost, check=Check("none (one loss evaluation)"),
    color="#3f3f3f", marker="h")
BACKPROP = Method(
    name="backprop-numba", family="reverse-mode", prepare=prepare_backprop, compiles="backprop", **COMMON,
    description="nngrad's backprop compiled by numba: the whole forward and backward pass in one call",
    work_count=lambda n: 1, cost=_backprop_cost, check=against_backprop(EXACT_TOL),
    color="#08306b", marker="d")  # tracemalloc sees its memory: a call allocates only its gradient's copy, by numpy
FORWARD_MODE = Method(
    name="forward-mode-numba", family="forward-mode", prepare=prepare_forward_mode, compiles="forward-mode", **COMMON,
    description="forward mode compiled by numba: N tangent passes, stacked with prefix reuse, in one call",
    work_count=lambda n: n, work_unit="tangent passes", cost=_forward_mode_cost, check=against_backprop(EXACT_TOL),
    color="#54278f", marker="X")
NUMERICAL = Method(
    name="numerical-batched-numba", family="finite-difference", prepare=prepare_batched,
    compiles="numerical-batched", exact=False, options=("eps",), step=SCHEMES["forward"].default_eps, **COMMON,
    description="forward differences (N+1 loss evaluations) compiled by numba: stacked with prefix reuse, in one call",
    work_count=SCHEMES["forward"].evaluations, cost=_batched_cost,
    check=against_backprop(FINITE_DIFFERENCE_TOL, SCHEMES["forward"]), color="#a63603", marker="D")
