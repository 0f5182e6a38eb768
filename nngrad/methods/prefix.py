"""Many perturbed networks per numpy call, reusing the unperturbed forward pass before the perturbed layer.

Moving W[r, c] (or b[c]) of Dense layer l by s changes only column c of that layer's pre-activation, by
s * h_l[:, r] (or s): the layers before l are not recomputed, and the next layer's pre-activation changes by a
rank-one term, dh (B,) outer W_{l+1}[c, :]. K networks are evaluated together as stacked (K, B, width) arrays,
K bounded by a memory budget. The finite differences, the complex step and forward mode all run on this.

numpy arrays take the fast paths (fancy indexing, activations written in place with ``out=``); the arrays of any
other array API namespace (torch on a CUDA device, array_api_strict) take the standard's functions (``take``,
new arrays), the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import _validate as validate
from .._progress import progress_bar
from ..backend import namespace
from ..model.network import network_output
from . import cost
from .base import Call, GradientResult

DEFAULT_MAX_BYTES = 64 * 2**20  # working memory of one chunk
LIVE_ARRAYS = 4  # (K, B, width) arrays alive at once in a chunk, for the memory bound
LIVE_ARRAYS_STANDARD = 8  # the same off numpy: no out= buffers, so each activation makes its temporaries


class Prefix:
    """The unperturbed forward pass of one checked batch, kept: x (B, in) or (in,), y targets.

    Layer l's parameters are the flat indices [0, (n_in + 1) * n_out) of that layer: W (row-major) then b,
    so index p is row p // n_out, column p % n_out (row n_in: the bias, whose "input" is 1).
    """

    def __init__(self, net, x: np.ndarray, y: np.ndarray) -> None:
        self.numpy = isinstance(x, np.ndarray)
        xp = self.xp = namespace(x)
        if x.ndim == 1:  # one sample: add the batch axis
            x, y = x[None, ...], (np.asarray(y) if self.numpy else y)[None, ...]
        self.loss_layer = net.loss_layer
        y_checked = net.loss_layer.as_rows(y, net.num_output)
        self.y = y_checked.astype(x.dtype, copy=False) if self.numpy else xp.astype(y_checked, x.dtype)
        self.dense, self.acts = net.dense_layers, net.activations
        self.hs, self.zs = net.trace(x)  # h_l: input of Dense layer l (h_0 = x); z_l: its pre-activation
        self.targets = y  # as checked, for the loss layer
        self.device = None if self.numpy else _device(x)
        ones = np.ones((x.shape[0], 1), dtype=x.dtype) if self.numpy else xp.ones((x.shape[0], 1), dtype=x.dtype,
                                                                                  device=self.device)
        self.h_aug = [xp.concat([h, ones], axis=1) for h in self.hs[:-1]]  # column n_in: b's "input"
        self._cast: dict = {}  # (id of an array, dtype) -> the array in that dtype (complex weights, off numpy)
        self.layer_sizes = [(d.W.shape[0] + 1) * d.W.shape[1] for d in self.dense]  # in the order of net.params
        self.batch, self.width = x.shape[0], max(h.shape[1] for h in self.hs)

    def base_loss(self) -> float:
        """L at the unperturbed parameters, from the kept output (one loss evaluation; the loss layer then holds
        what its backward needs: dL/d output)."""
        return float(self.loss_layer.forward(self.hs[-1], self.targets))

    def index(self, l: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) of layer l's parameters start..stop-1."""
        if self.numpy:
            return np.divmod(np.arange(start, stop), self.dense[l].W.shape[1])
        p = self.xp.arange(start, stop, device=self.device)
        return p // self.dense[l].W.shape[1], p % self.dense[l].W.shape[1]

    def columns(self, a: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """a[:, cols].T: (K, B) from a (B, n)."""
        return a[:, cols].T if self.numpy else self.xp.take(a, cols, axis=1).T

    def rows(self, w: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """w[rows]: (K, m) from w (n, m)."""
        return w[rows] if self.numpy else self.xp.take(w, rows, axis=0)

    def cast(self, a: np.ndarray, dtype) -> np.ndarray:
        """``a`` in ``dtype`` (complex weights for complex activations: torch multiplies only equal dtypes), kept."""
        if self.numpy or a.dtype == dtype:
            return a
        key = (id(a), dtype)
        if key not in self._cast:
            self._cast[key] = (a, self.xp.astype(a, dtype))  # a kept alive: its id stays its own
        return self._cast[key][1]

    def losses(self, l: int, start: int, stop: int, step: complex) -> np.ndarray:
        """Losses (K,) of the networks whose layer-l parameter p (start <= p < stop) moved by ``step`` (real, or
        imaginary for the complex step: then the losses are complex)."""
        rows, cols = self.index(l, start, stop)
        h = self.h_aug[l]
        if not self.numpy and isinstance(step, complex):
            h = self.cast(h, complex_dtype(self.xp, h.dtype))
        col = self.columns(h, rows) * step  # (K, B): the change of z_l[:, c]
        col += self.columns(self.zs[l], cols)
        return self.loss_layer.function(self.outputs(l, cols, self.acts[l].inplace(col)), self.y)  # new h_{l+1}[:, c]

    def losses_from(self, l: int, dz: np.ndarray) -> np.ndarray:
        """Losses (K,) of the networks whose layer-l pre-activation is z_l + dz[k]; dz: (K, B, n_l), real or complex
        (a change of layer l's W by V gives dz = h_l @ V, of its b by v gives dz = v)."""
        return self.loss_layer.function(self.suffix(l + 1, self.acts[l].inplace(self.zs[l] + dz)), self.y)

    def suffix(self, m: int, out: np.ndarray) -> np.ndarray:
        """Outputs (K, B, out) of stacked inputs ``out`` (K, B, n) of Dense layer m through the layers from m on:
        one matrix product per layer for all K networks, the rest in place."""
        return network_output(out, zip(self.dense[m:], self.acts[m:]), self._stacked_affine, _in_place)

    def _stacked_affine(self, dense, out: np.ndarray) -> np.ndarray:
        """out @ W + b for K stacked networks (K, B, n): one matrix product, the bias added in place."""
        out = matmul_stacked(out, self.cast(dense.W, out.dtype))
        out += dense.b
        return out

    def outputs(self, l: int, cols: np.ndarray, col: np.ndarray) -> np.ndarray:
        """Outputs (K, B, out) of the networks whose column cols[k] of h_{l+1} is col[k] (K, B)."""
        last, k = len(self.dense) - 1, cols.shape[0]
        if l == last:
            if not self.numpy:  # the output with column cols[k] replaced, for each k: no scattered writes
                xp, h = self.xp, self.hs[-1]
                hit = cols[:, None, None] == xp.arange(h.shape[1], dtype=cols.dtype, device=self.device)
                return xp.where(hit, col[:, :, None], xp.astype(h, col.dtype)[None, ...])
            out = np.repeat(self.hs[-1][None].astype(col.dtype, copy=False), k, axis=0)
            out[np.arange(k), :, cols] = col
            return out
        col -= self.columns(self.hs[l + 1], cols)  # (K, B): a rank-one change of the next pre-activation
        z = col[:, :, None] * self.rows(self.cast(self.dense[l + 1].W, col.dtype), cols)[:, None, :]
        z += self.zs[l + 1]
        return self.suffix(l + 2, self.acts[l + 1].inplace(z))


def _in_place(act, z: np.ndarray) -> np.ndarray:
    return act.inplace(z)  # numpy: in place (the same array); other namespaces: a new one


def matmul_stacked(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(K, B, n) @ (n, m) as one (K*B, n) @ (n, m) matrix product -> (K, B, m)."""
    k, b, n = a.shape
    if not isinstance(a, np.ndarray):
        xp = namespace(a)
        return xp.reshape(xp.reshape(a, (k * b, n)) @ w, (k, b, w.shape[1]))
    return (a.reshape(k * b, n) @ w).reshape(k, b, w.shape[1])


def complex_dtype(xp, real_dtype):
    """The complex dtype of a real one: complex128 for float64, complex64 for float32."""
    return xp.complex128 if real_dtype == xp.float64 else xp.complex64


def _device(a):
    from array_api_compat import device

    return device(a)


def chunk_size(prefix: Prefix, itemsize: int, max_bytes: int) -> int:
    """How many networks one chunk evaluates at once within ``max_bytes`` (at least one)."""
    if not prefix.numpy:
        return max(1, max_bytes // (LIVE_ARRAYS_STANDARD * prefix.batch * prefix.width * itemsize))
    return networks_per_chunk(prefix.batch, prefix.width, itemsize, max_bytes)


def networks_per_chunk(batch: int, width: int, itemsize: int, max_bytes: int) -> int:
    """Networks per chunk: LIVE_ARRAYS arrays (K, batch, width) of ``itemsize`` bytes within ``max_bytes``."""
    return max(1, max_bytes // (LIVE_ARRAYS * batch * width * itemsize))


def chunked_cost(net: cost.Network, kernel: Callable[[int, int], cost.Cost], itemsize: int,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> cost.Cost:
    """The cost of a Chunked gradient: the kept forward pass, then ``kernel(l, k)`` for each chunk of k networks
    of layer l (and the chunk's own bookkeeping)."""
    per_chunk = networks_per_chunk(net.batch, net.width, itemsize, max_bytes)
    total = cost.prefix(net) + cost.Cost(cost.CALLS["chunked"])
    for l, (i, o, _) in enumerate(net.layers):
        full, rest = divmod((i + 1) * o, per_chunk)
        total += (kernel(l, per_chunk) + cost.passes(cost.CALLS["chunk"], per_chunk)) * full
        if rest:
            total += kernel(l, rest) + cost.passes(cost.CALLS["chunk"], rest)
    return total


class Kernel:
    """Computes the gradient entries (stop - start,) of layer l's parameters start..stop-1 of one batch, counting
    its work as it goes; ``loss`` is L at the unperturbed parameters when the method computes it."""

    loss: float | None = None
    loss_evaluations: int = 0
    tangent_passes: int = 0

    def __call__(self, l: int, start: int, stop: int) -> np.ndarray:
        raise NotImplementedError


@dataclass
class Chunked:
    """A gradient computed layer by layer in chunks of ``chunk`` networks by ``kernel``."""

    prefix: Prefix
    kernel: Kernel
    chunk: int

    def gradient(self, progress: bool = False, desc: str = "gradient", layers=None) -> np.ndarray:
        """The whole gradient (N,), in the layout of net.params; with ``layers``, only the entries of those Dense
        layers are computed (the others stay NaN)."""
        sizes, p = self.prefix.layer_sizes, self.prefix
        layers = range(len(sizes)) if layers is None else layers
        if p.numpy:
            grad = np.full(sum(sizes), np.nan)
        else:
            grad = p.xp.full(sum(sizes), float("nan"), dtype=p.xp.float64, device=p.device)
        bar = progress_bar(sum(sizes[l] for l in layers), progress, desc, "param")
        offsets = [0, *np.cumsum(sizes).tolist()]
        for l in layers:
            for start in range(0, sizes[l], self.chunk):
                stop = min(start + self.chunk, sizes[l])
                grad[offsets[l] + start:offsets[l] + stop] = self.kernel(l, start, stop)
                if bar is not None:
                    bar.update(stop - start)
        if bar is not None:
            bar.close()
        return grad


def step_and_memory(eps: float | None, max_bytes: int, default_eps: float) -> dict:
    """The checked options of a chunked method: its step (``default_eps`` when None) and memory bound."""
    return {"eps": default_eps if eps is None else validate.positive_float("eps", eps),
            "max_bytes": validate.positive_int("max_bytes", max_bytes)}


@dataclass(frozen=True)
class ChunkedMethod:
    """A method computed in chunks: ``build(net, x, y, eps, max_bytes) -> Chunked`` on already-checked data,
    with the step ``default_eps(dtype)`` when none is given."""

    name: str
    build: Callable[..., Chunked]
    default_eps: Callable[[np.dtype], float]

    def job(self, net, x: np.ndarray, y: np.ndarray, eps: float | None = None,
            max_bytes: int = DEFAULT_MAX_BYTES) -> Chunked:
        """The chunks of one gradient."""
        return self.build(net, x, y, **step_and_memory(eps, max_bytes, self.default_eps(net.dtype)))

    def prepare(self, net, x: np.ndarray, y: np.ndarray, eps: float | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES, progress: bool = False) -> Call:
        """Checks the options once; each call builds the prefix and runs every chunk."""
        options = step_and_memory(eps, max_bytes, self.default_eps(net.dtype))

        def call() -> GradientResult:
            job = self.build(net, x, y, **options)
            grad = job.gradient(progress, self.name)
            p = job.prefix
            grad = grad.astype(net.dtype, copy=False) if p.numpy else p.xp.astype(grad, net.params.dtype)
            k = job.kernel
            return GradientResult(grad, k.loss, self.name, k.loss_evaluations, k.tangent_passes)

        return call
