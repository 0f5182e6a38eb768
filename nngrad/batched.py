"""Batched finite differences: the same N+1 (or 2N) loss evaluations, many per numpy call.

Perturbing W[r, c] (or b[c]) of Dense layer l by s changes only column c of that layer's
pre-activation, by s * h_l[:, r] (or s): the layers before l are not recomputed, and the next
layer's pre-activation changes by a rank-one term, dh (B,) outer W_{l+1}[c, :]. K perturbed
networks are evaluated together as stacked (K, B, width) arrays, K bounded by ``max_bytes``.
"""

from __future__ import annotations

import time

import numpy as np

from ._progress import progress_bar
from .losses import cross_entropy, mse, one_hot
from .network import DNN

_LIVE_ARRAYS = 4  # (K, B, width) arrays alive at once in a chunk, for the memory bound


def chunk_size(net: DNN, batch: int, max_bytes: int) -> int:
    """How many perturbed networks one chunk evaluates at once."""
    per_network = _LIVE_ARRAYS * batch * max(net.sizes) * net.dtype.itemsize
    return max(1, max_bytes // per_network)


class PerturbedNetworks:
    """One batch's unperturbed activations, and the losses of networks with one parameter moved.

    x: (B, in) or (in,), y: targets, both already checked. Layer l's parameters are the flat indices
    [0, (n_in + 1) * n_out) of that layer: W (row-major) then b, so index p is row p // n_out, column p % n_out.
    """

    def __init__(self, net: DNN, x: np.ndarray, y: np.ndarray) -> None:
        if x.ndim == 1:  # one sample: add the batch axis
            x, y = x[None], y[None]
        if net.loss_name == "softmax_ce" and y.ndim == 1:  # integer labels
            y = one_hot(y, net.num_output).astype(net.dtype)
        self.y, self.loss_of = y, (mse if net.loss_name == "mse" else cross_entropy)
        self.dense, self.acts = net.dense_layers, [a.function for a in net.activations]
        self.hs, self.zs = [x], []  # h_l: input of Dense layer l (h_0 = x); z_l: its pre-activation
        for layer, act in zip(self.dense, self.acts):
            self.zs.append(self.hs[-1] @ layer.W + layer.b)
            self.hs.append(act(self.zs[-1]))
        ones = np.ones((x.shape[0], 1), dtype=x.dtype)
        self.h_aug = [np.concatenate([h, ones], axis=1) for h in self.hs[:-1]]  # column n_in: b's "input"

    def base_loss(self) -> float:
        return float(self.loss_of(self.hs[-1], self.y))

    def layer_sizes(self) -> list[int]:
        """Number of parameters of each Dense layer, in the order of net.params."""
        return [(d.W.shape[0] + 1) * d.W.shape[1] for d in self.dense]

    def losses(self, l: int, start: int, stop: int, step: float) -> np.ndarray:
        """Losses (stop - start,) of the networks whose layer-l parameter p (start <= p < stop) moved by step."""
        dense, acts, last = self.dense, self.acts, len(self.dense) - 1
        rows, cols = np.divmod(np.arange(start, stop), dense[l].W.shape[1])
        col = acts[l](self.zs[l][:, cols].T + step * self.h_aug[l][:, rows].T)  # new column c of h_{l+1}: (K, B)
        if l == last:
            out = np.repeat(self.hs[-1][None], len(cols), axis=0)
            out[np.arange(len(cols)), :, cols] = col
        else:
            dh = col - self.hs[l + 1][:, cols].T  # (K, B)
            out = acts[l + 1](self.zs[l + 1] + dh[:, :, None] * dense[l + 1].W[cols][:, None, :])  # rank-one update
            for m in range(l + 2, last + 1):
                out = acts[m](out @ dense[m].W + dense[m].b)
        return self.loss_of(out, self.y)


def batched_differences(
    net: DNN, x: np.ndarray, y: np.ndarray, scheme: str, eps: float, max_bytes: int, progress: bool = False
) -> tuple[np.ndarray, float | None, int]:
    """(grad (N,), base loss or None, loss evaluations) for already-checked x (B, in) or (in,) and y."""
    nets = PerturbedNetworks(net, x, y)
    grad = np.empty(net.num_params, dtype=np.float64)
    base = nets.base_loss() if scheme == "forward" else None
    count = 1 if scheme == "forward" else 0
    k = chunk_size(net, nets.hs[0].shape[0], max_bytes)
    bar = progress_bar(net.num_params, progress, "batched differences", "param")
    offset = 0
    for l, size in enumerate(nets.layer_sizes()):
        for start in range(0, size, k):
            stop = min(start + k, size)
            plus = nets.losses(l, start, stop, eps)
            if scheme == "forward":
                g = (plus - base) / eps
            else:
                g = (plus - nets.losses(l, start, stop, -eps)) / (2 * eps)
            count += (stop - start) * (1 if scheme == "forward" else 2)
            grad[offset + start:offset + stop] = g
            if bar is not None:
                bar.update(stop - start)
        offset += size
    if bar is not None:
        bar.close()
    return grad.astype(net.dtype, copy=False), base, count


def predict_seconds(net: DNN, x: np.ndarray, y: np.ndarray, max_bytes: int, pilot: int = 512) -> float:
    """Predicted seconds of a forward-scheme batched gradient: ``pilot`` perturbed networks of each layer
    are timed (best of two, the first pays for cold memory) and scaled to the layer's parameter count."""
    start = time.perf_counter()
    nets = PerturbedNetworks(net, x, y)
    total = time.perf_counter() - start
    k = min(chunk_size(net, nets.hs[0].shape[0], max_bytes), pilot)
    for l, size in enumerate(nets.layer_sizes()):
        best = np.inf
        for _ in range(2):
            t0 = time.perf_counter()
            nets.losses(l, 0, min(k, size), 1e-8)
            best = min(best, time.perf_counter() - t0)
        total += best * size / min(k, size)
    return total
