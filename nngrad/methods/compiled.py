"""Compiled methods (the ``fast`` extra, numba): the whole gradient as ONE compiled call over buffers made once.

``backprop-numba``: nngrad's backprop (one forward pass keeping each layer's output, one backward pass) in one
``@njit(cache=True)`` function, ``np.dot`` inside for the products (BLAS does them). Compile time is paid in
``prepare`` (its first call; 0 s or so from numba's disk cache) and recorded as ``info["compile_s"]``, never inside
a timed call. numba is imported only in ``prepare``: the registry imports without it.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from . import cost
from .base import Call, GradientResult, Method
from .checks import EXACT_TOL, against_backprop
from .peers._common import activations, batch

INSTALL = "pip install 'nngrad[fast]' (or: pip install numba scipy)"
ACTIVATION_CODES = {"identity": 0, "sigmoid": 1, "relu": 2, "tanh": 3}  # dispatched on inside the compiled call
LOSS_CODES = {"mse": 0, "softmax_ce": 1}
DTYPES = (np.float32, np.float64)


def _backprop(x, t, Ws, bs, codes, loss_code, outs, douts, gWs, gbs):  # pragma: no cover (compiled)
    """The loss; writes the gradient into gWs, gbs. x (B, in), t (B, out); Ws, bs, gWs, gbs, outs (B, o_l),
    douts (B, o_l): tuples, one array per Dense layer; codes: ACTIVATION_CODES per layer."""
    depth = len(Ws)
    h = x
    for k in range(depth):
        out = outs[k]
        np.dot(h, Ws[k], out)
        out += bs[k]
        code = codes[k]
        if code == 1:
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[i, j] = 1.0 / (1.0 + np.exp(-out[i, j]))
        elif code == 2:
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    if out[i, j] < 0.0:
                        out[i, j] = 0.0
        elif code == 3:
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[i, j] = np.tanh(out[i, j])
        h = out
    rows, cols = h.shape
    d = douts[depth - 1]
    loss = 0.0
    if loss_code == 0:  # 1/2 mean((h - t)^2); d = (h - t) / h.size
        for i in range(rows):
            for j in range(cols):
                e = h[i, j] - t[i, j]
                loss += e * e
                d[i, j] = e / (rows * cols)
        loss = 0.5 * loss / (rows * cols)
    else:  # mean over the batch of -sum t log softmax(h); d = (softmax(h) - t) / B
        for i in range(rows):
            m = h[i, 0]
            for j in range(1, cols):
                m = max(m, h[i, j])
            s = 0.0
            for j in range(cols):
                s += np.exp(h[i, j] - m)
            log_s = np.log(s)
            for j in range(cols):
                shifted = h[i, j] - m
                loss -= t[i, j] * (shifted - log_s)
                d[i, j] = (np.exp(shifted) / s - t[i, j]) / rows
        loss = loss / rows
    for k in range(depth - 1, -1, -1):
        d, out, code = douts[k], outs[k], codes[k]
        for i in range(d.shape[0]):  # through the activation, from its output
            for j in range(d.shape[1]):
                o = out[i, j]
                if code == 1:
                    d[i, j] *= (1.0 - o) * o
                elif code == 2:
                    if o <= 0.0:
                        d[i, j] = 0.0
                elif code == 3:
                    d[i, j] *= 1.0 - o * o
        np.dot((x if k == 0 else outs[k - 1]).T, d, gWs[k])
        gb = gbs[k]
        gb[:] = 0.0
        for i in range(d.shape[0]):
            gb += d[i]
        if k > 0:
            np.dot(d, Ws[k].T, douts[k - 1])
    return loss


@functools.cache
def kernel():
    """The compiled :func:`_backprop` (numba imported here, on first use)."""
    import numba

    return numba.njit(cache=True)(_backprop)


def why_not(net) -> str | None:
    """None, or why backprop-numba does not apply to ``net``."""
    if unsupported := sorted({a for a in activations(net) if a not in ACTIVATION_CODES}):
        return (f"backprop-numba supports the activations {', '.join(ACTIVATION_CODES)}; this network has "
                f"{', '.join(unsupported)}")
    if net.loss_name not in LOSS_CODES:
        return f"backprop-numba supports the losses {', '.join(LOSS_CODES)}; this network has {net.loss_name}"
    if net.dtype not in DTYPES:
        return f"backprop-numba supports float32 and float64; this network is {net.dtype}"
    return None


def prepare(net, x: np.ndarray, y: np.ndarray) -> Call:
    """One compiled call per gradient over buffers made here; the compile (or the cache's load) is timed here."""
    import numba

    xb, t = batch(net, x, y)
    xb, t = (np.ascontiguousarray(a, dtype=net.dtype) for a in (xb, t))
    grad = np.empty_like(net.params)
    Ws, bs = tuple(d.W for d in net.dense_layers), tuple(d.b for d in net.dense_layers)  # views of net.params
    offsets = np.cumsum([0] + [W.size + b.size for W, b in zip(Ws, bs)])
    gWs = tuple(grad[o:o + W.size].reshape(W.shape) for o, W in zip(offsets, Ws))
    gbs = tuple(grad[o + W.size:o + W.size + b.size] for o, W, b in zip(offsets, Ws, bs))
    outs = tuple(np.empty((xb.shape[0], b.size), net.dtype) for b in bs)
    douts = tuple(np.empty_like(o) for o in outs)
    codes = np.array([ACTIVATION_CODES[a] for a in activations(net)], dtype=np.int64)
    loss_code, run = LOSS_CODES[net.loss_name], kernel()
    args = (xb, t, Ws, bs, codes, loss_code, outs, douts, gWs, gbs)
    start = time.perf_counter()
    run(*args)  # compiles (or loads from the cache) for these types
    info = {"numba": numba.__version__, "compile_s": time.perf_counter() - start}

    def call() -> GradientResult:
        loss = run(*args)
        return GradientResult(grad.copy(), float(loss), "backprop-numba", 1, backward_passes=1, info=info)

    return call


def _cost(net: cost.Network) -> cost.Cost:
    """One call, and backprop's products and element-wise work. The per-call term is one numpy call's price (the
    cost model's own constant for compiled code, issue 30's item 2, is not done yet)."""
    math = cost.forward(net) + cost.backward(net)
    return cost.Cost(1, math.flops, math.elementwise)


BACKPROP = Method(
    name="backprop-numba", family="reverse-mode", prepare=prepare, requires=("numba",), install=INSTALL,
    description="nngrad's backprop compiled by numba: the whole forward and backward pass in one call",
    work_count=lambda n: 1, cost=_cost, why_not=why_not, check=against_backprop(EXACT_TOL),
    color="#08306b", marker="d")  # tracemalloc sees its memory: a call allocates only its gradient's copy, by numpy
