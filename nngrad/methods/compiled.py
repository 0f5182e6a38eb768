"""Compiled methods (the ``fast`` extra, numba, runtime "numba"): the whole gradient as ONE compiled call over
buffers made once, in ``prepare``.

``forward-numba``: one loss evaluation, compiled: the unit a compiled gradient's cost is measured in.
``backprop-numba``: nngrad's backprop (one forward pass keeping each layer's output, one backward pass).
Their code is in compiled_kernels.py (``np.dot`` inside for the products: BLAS does them). Compile time is paid in
``prepare`` (its first call; about 0 s from numba's disk cache) and recorded as ``info["compile_s"]``, never inside
a timed call. numba is imported only in ``prepare``: the registry imports without it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import cost
from .base import Call, Check, GradientResult, Method
from .checks import EXACT_TOL, against_backprop
from .peers._common import activations, batch

INSTALL = "pip install 'nngrad[fast]' (or: pip install numba scipy)"
ACTIVATION_CODES = {"identity": 0, "sigmoid": 1, "relu": 2, "tanh": 3}  # dispatched on inside the compiled call
LOSS_CODES = {"mse": 0, "softmax_ce": 1}
DTYPES = (np.float32, np.float64)
RUNTIME = "numba"


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
    views shaped as Ws and bs; codes (one per layer) and loss_code."""

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
                   grad, gWs, gbs)

    @property
    def network(self) -> tuple:
        """The arguments every kernel starts with: (x, t, Ws, bs, codes, loss_code)."""
        return self.x, self.t, self.Ws, self.bs, self.codes, self.loss_code


def compiled(kernel, args: tuple) -> dict:
    """Call ``kernel(*args)`` once (numba compiles it for these types, or loads it from its disk cache) and return
    what to record: {"numba": version, "compile_s": seconds}."""
    import numba

    start = time.perf_counter()
    kernel(*args)
    return {"numba": numba.__version__, "compile_s": time.perf_counter() - start}


def prepare_forward(net, x: np.ndarray, y: np.ndarray) -> Call:
    """One compiled loss evaluation over buffers made here."""
    from . import compiled_kernels as k

    b = Buffers.of(net, x, y)
    args = (*b.network, b.outs, b.douts[-1])
    info = compiled(k.forward, args)

    def call() -> GradientResult:
        return GradientResult(None, float(k.forward(*args)), "forward-numba", 1, info=info)

    return call


def prepare_backprop(net, x: np.ndarray, y: np.ndarray) -> Call:
    """One compiled call per gradient over buffers made here."""
    from . import compiled_kernels as k

    b = Buffers.of(net, x, y)
    args = (*b.network, b.outs, b.douts, b.gWs, b.gbs)
    info = compiled(k.backprop, args)

    def call() -> GradientResult:
        loss = k.backprop(*args)
        return GradientResult(b.grad.copy(), float(loss), "backprop-numba", 1, backward_passes=1, info=info)

    return call


# The cost of a compiled call (cost.py's three terms at the constants measured inside compiled code,
# sweep/compiled_machine.py): its calls are the operations its kernel issues, each one unit of the compiled call
# constant (an np.dot of tiny matrices, about 60 ns): every np.dot, every loop over an array (an activation, its
# derivative, the bias's add and its gradient, the loss), every array the kernel receives (numba unboxes each one:
# measured about 70 ns, 1 unit); plus its ENTRY, the call from Python (numba's dispatch, the wrapper's GradientResult
# and copy): units measured once on a tiny network (sweep/compiled_machine.entry_units; Python 3.11, numba 0.68),
# a property of the code like cost.CALLS. On tiny networks of 2 to 17 layers the predictions came within 13%.
ENTRY = {"forward": 8, "backprop": 19}


def forward_operations(layers: int) -> dict[str, int]:
    """What compiled_kernels.forward issues on ``layers`` Dense layers: arrays received (x, t, codes, d, and
    W, b, out per layer), np.dot calls, loops (bias add and activation per layer, the loss)."""
    return {"arrays": 4 + 3 * layers, "dots": layers, "loops": 2 * layers + 1}


def backprop_operations(layers: int) -> dict[str, int]:
    """What compiled_kernels.backprop issues on ``layers`` Dense layers: arrays received (x, t, codes, and W, b, out,
    dout, gW, gb per layer), np.dot calls (the forward product, dW, and dx but for the first layer), loops (bias add,
    activation; derivative, gb's zeroing and row sum per layer; the loss)."""
    return {"arrays": 3 + 6 * layers, "dots": 3 * layers - 1, "loops": 5 * layers + 1}


def compiled_cost(entry: float, operations: dict[str, int], math: cost.Cost) -> cost.Cost:
    """One compiled call: ``entry`` units and one unit per operation (``operations``: counts by kind) as its
    calls, and the products and element-wise work of ``math`` (the algorithm's, as its numpy twin declares it)."""
    return cost.Cost(entry + sum(operations.values()), math.flops, math.elementwise)


def _backprop_cost(net: cost.Network) -> cost.Cost:
    """One compiled forward and backward pass: backprop's arithmetic, its kernel's operations."""
    math = cost.forward(net) + cost.backward(net)
    return compiled_cost(ENTRY["backprop"], backprop_operations(len(net.layers)), math)


def _forward_cost(net: cost.Network) -> cost.Cost:
    """One compiled loss evaluation: a loss evaluation's arithmetic, its kernel's operations."""
    return compiled_cost(ENTRY["forward"], forward_operations(len(net.layers)), cost.forward(net))


COMMON = dict(requires=("numba",), install=INSTALL, why_not=why_not, runtime=RUNTIME)
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
