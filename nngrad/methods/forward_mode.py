"""Forward-mode differentiation: a tangent carried through the forward pass gives one directional derivative;
with the N unit vectors e_i as tangents, N tangent passes give the gradient, exact to rounding. The same O(N)
as finite differences, but exact: the cost gap is forward against reverse, not numerical against analytic.

The tangent of parameter W[r, c] of layer l is zero before layer l (prefix reuse, prefix.py); after it,
T <- (T @ W) * act'(z) uses the unperturbed derivatives act'(z), so a tangent pass needs no exp.
"""

from __future__ import annotations

import numpy as np

from . import cost
from .base import Method
from .checks import EXACT_TOL, against_backprop
from .prefix import Chunked, ChunkedMethod, Kernel, Prefix, chunk_size, chunked_cost, matmul_stacked


class Tangents(Kernel):
    """dL/dp for a chunk of parameters of layer l: one tangent pass per parameter, K at a time."""

    def __init__(self, prefix: Prefix) -> None:
        self.prefix = prefix
        self.loss, self.loss_evaluations = prefix.base_loss(), 1  # the primal pass
        self.g = prefix.loss_layer.backward(1.0)  # dL/d output (B, out): the loss's own derivative
        self.d = [a.derivative(z, h) for a, z, h in zip(prefix.acts, prefix.zs, prefix.hs[1:])]  # act'(z_l) (B, n_l)

    def __call__(self, l: int, start: int, stop: int) -> np.ndarray:
        p, last = self.prefix, len(self.prefix.dense) - 1
        if not p.numpy:
            return self.standard(l, start, stop)
        rows, cols = p.index(l, start, stop)
        t = self.d[l][:, cols].T * p.h_aug[l][:, rows].T  # (K, B): tangent of h_{l+1}[:, c], zero elsewhere
        self.tangent_passes += t.shape[0]
        if l == last:
            return (t * self.g[:, cols].T).sum(axis=1)
        tangent = t[:, :, None] * p.dense[l + 1].W[cols][:, None, :]  # (K, B, n): rank one
        tangent *= self.d[l + 1]
        for m in range(l + 2, last + 1):
            tangent = matmul_stacked(tangent, p.dense[m].W)
            tangent *= self.d[m]
        return tangent.reshape(len(cols), -1) @ self.g.ravel()  # dL = <dL/d output, tangent of the output>

    def standard(self, l: int, start: int, stop: int):
        """The same, in the array API standard's functions (torch, CuPy, array_api_strict)."""
        p, last = self.prefix, len(self.prefix.dense) - 1
        xp, (rows, cols) = p.xp, p.index(l, start, stop)
        t = p.columns(self.d[l], cols) * p.columns(p.h_aug[l], rows)
        self.tangent_passes += t.shape[0]
        if l == last:
            return xp.sum(t * p.columns(self.g, cols), axis=1)
        tangent = t[:, :, None] * p.rows(p.dense[l + 1].W, cols)[:, None, :]
        tangent *= self.d[l + 1]
        for m in range(l + 2, last + 1):
            tangent = matmul_stacked(tangent, p.dense[m].W)
            tangent *= self.d[m]
        return xp.reshape(tangent, (cols.shape[0], -1)) @ xp.reshape(self.g, (-1,))


def build(net, x: np.ndarray, y: np.ndarray, eps: float, max_bytes: int) -> Chunked:
    prefix = Prefix(net, x, y)
    return Chunked(prefix, Tangents(prefix), chunk_size(prefix, net.dtype.itemsize, max_bytes))


def work(net: cost.Network) -> cost.Cost:
    """The primal pass's loss and derivatives (dL/d output, act'(z) per layer), then N tangent passes."""
    b = net.batch
    kept = cost.loss(net.loss, 1, b, net.sizes[-1]) + cost.passes(3, 2 * b * net.sizes[-1])
    kept += sum((cost.passes(2, 2 * b * o) for _, o, _ in net.layers), cost.Cost())
    return chunked_cost(net, lambda l, k: cost.tangent_passes(net, l, k), net.itemsize) + kept


FORWARD_MODE = ChunkedMethod("forward-mode", build, lambda dtype: 0.0)  # no step: exact

METHOD = Method(
    name="forward-mode", array_api=True, family="forward-mode", options=("max_bytes",),
    prepare=FORWARD_MODE.prepare, chunked=FORWARD_MODE.job,
    description="forward-mode differentiation: N tangent (Jacobian-vector) passes, batched with prefix reuse, exact",
    work_count=lambda n: n, work_unit="tangent passes", cost=work,
    check=against_backprop(EXACT_TOL), color="#9467bd", marker="X")
