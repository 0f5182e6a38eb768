"""Batched finite differences: the same N+1 (or 2N) loss evaluations, many per numpy call.

Perturbing W[r, c] (or b[c]) of Dense layer l by s changes only column c of that layer's
pre-activation, by s * h_l[:, r] (or s): the layers before l are not recomputed, and the next
layer's pre-activation changes by a rank-one term, dh (B,) outer W_{l+1}[c, :]. K perturbed
networks are evaluated together as stacked (K, B, width) arrays, K bounded by ``max_bytes``.
"""

from __future__ import annotations

import numpy as np

from ._progress import progress_bar
from .losses import cross_entropy, mse, one_hot
from .network import DNN

_LIVE_ARRAYS = 4  # (K, B, width) arrays alive at once in a chunk, for the memory bound


def chunk_size(net: DNN, batch: int, max_bytes: int) -> int:
    """How many perturbed networks one chunk evaluates at once."""
    per_network = _LIVE_ARRAYS * batch * max(net.sizes) * net.dtype.itemsize
    return max(1, max_bytes // per_network)


def batched_differences(
    net: DNN, x: np.ndarray, y: np.ndarray, scheme: str, eps: float, max_bytes: int, progress: bool = False
) -> tuple[np.ndarray, float | None, int]:
    """(grad (N,), base loss or None, loss evaluations) for already-checked x (B, in) or (in,) and y."""
    if x.ndim == 1:  # one sample: add the batch axis
        x, y = x[None], y[None]
    if net.loss_name == "softmax_ce" and y.ndim == 1:  # integer labels
        y = one_hot(y, net.num_output).astype(net.dtype)
    loss_of = mse if net.loss_name == "mse" else cross_entropy
    dense, acts = net.dense_layers, [a.function for a in net.activations]
    last = len(dense) - 1

    hs, zs = [x], []  # h_l: input of Dense layer l (h_0 = x); z_l: its pre-activation
    for layer, act in zip(dense, acts):
        zs.append(hs[-1] @ layer.W + layer.b)
        hs.append(act(zs[-1]))

    def losses(l: int, h_aug: np.ndarray, rows: np.ndarray, cols: np.ndarray, step: float) -> np.ndarray:
        """Losses (K,) of the K networks whose layer-l parameter (rows[k], cols[k]) moved by step."""
        col = act_l = acts[l](zs[l][:, cols].T + step * h_aug[:, rows].T)  # new column c of h_{l+1}: (K, B)
        if l == last:
            out = np.repeat(hs[-1][None], len(cols), axis=0)
            out[np.arange(len(cols)), :, cols] = act_l
        else:
            dh = col - hs[l + 1][:, cols].T  # (K, B)
            out = acts[l + 1](zs[l + 1] + dh[:, :, None] * dense[l + 1].W[cols][:, None, :])  # rank-one update
            for m in range(l + 2, last + 1):
                out = acts[m](out @ dense[m].W + dense[m].b)
        return loss_of(out, y)

    grad = np.empty(net.num_params, dtype=np.float64)
    base = float(loss_of(hs[-1], y)) if scheme == "forward" else None
    count = 1 if scheme == "forward" else 0
    k = chunk_size(net, x.shape[0], max_bytes)
    bar = progress_bar(net.num_params, progress, "batched differences", "param")
    offset = 0
    for l, layer in enumerate(dense):
        n_in, n_out = layer.shape
        size = (n_in + 1) * n_out  # W (row-major) then b: flat index p -> row p // n_out, column p % n_out
        h_aug = np.concatenate([hs[l], np.ones((x.shape[0], 1), dtype=x.dtype)], axis=1)  # row n_in is b's "input"
        for start in range(0, size, k):
            rows, cols = np.divmod(np.arange(start, min(start + k, size)), n_out)
            plus = losses(l, h_aug, rows, cols, eps)
            if scheme == "forward":
                g = (plus - base) / eps
            else:
                g = (plus - losses(l, h_aug, rows, cols, -eps)) / (2 * eps)
            count += len(rows) * (1 if scheme == "forward" else 2)
            grad[offset + start:offset + start + len(rows)] = g
            if bar is not None:
                bar.update(len(rows))
        offset += size
    if bar is not None:
        bar.close()
    return grad.astype(net.dtype, copy=False), base, count
