"""Batched finite differences: the same N + 1 (forward) or 2N (central) loss evaluations as the loop, many
perturbed networks per numpy call, reusing the unperturbed activations before the perturbed layer (prefix.py)."""

from __future__ import annotations

import numpy as np

from . import cost
from .base import GradientResult, Method
from .checks import FINITE_DIFFERENCE_TOL, against_backprop
from .prefix import DEFAULT_MAX_BYTES, Chunked, ChunkedMethod, Kernel, Prefix, chunk_size, chunked_cost
from .schemes import SCHEMES


class Differences(Kernel):
    """Forward or central differences of a chunk of parameters, from one (or two) stacked loss evaluations."""

    def __init__(self, prefix: Prefix, central: bool, eps: float) -> None:
        self.prefix, self.eps, self.central = prefix, eps, central
        if not central:
            self.loss, self.loss_evaluations = prefix.base_loss(), 1

    def __call__(self, l: int, start: int, stop: int) -> np.ndarray:
        plus = self.prefix.losses(l, start, stop, self.eps)
        self.loss_evaluations += plus.shape[0]
        if not self.central:
            return (plus - self.loss) / self.eps
        minus = self.prefix.losses(l, start, stop, -self.eps)
        self.loss_evaluations += minus.shape[0]
        return (plus - minus) / (2 * self.eps)


def _build(central: bool):
    def build(net, x: np.ndarray, y: np.ndarray, eps: float, max_bytes: int) -> Chunked:
        prefix = Prefix(net, x, y)
        return Chunked(prefix, Differences(prefix, central, eps), chunk_size(prefix, net.dtype.itemsize, max_bytes))

    return build


def _cost(central: bool):
    def work(net: cost.Network) -> cost.Cost:
        differences = 2 if central else 1  # loss evaluations per parameter

        def kernel(l: int, k: int) -> cost.Cost:
            return cost.perturbed_losses(net, l, k) * differences + cost.passes(2 * differences, 2 * k)

        base = cost.Cost() if central else cost.loss(net.loss, 1, net.batch, net.sizes[-1])
        return chunked_cost(net, kernel, net.itemsize) + base

    return work


FORWARD_BATCHED = ChunkedMethod("numerical-batched", _build(False), SCHEMES["forward"].default_eps)
CENTRAL_BATCHED = ChunkedMethod("central-batched", _build(True), SCHEMES["central"].default_eps)


def differences(net, x: np.ndarray, y: np.ndarray, scheme: str, eps: float | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES, progress: bool = False) -> GradientResult:
    """A batched finite difference ("forward" or "central" ``scheme``) of already-checked (x, y)."""
    method = CENTRAL_BATCHED if scheme == "central" else FORWARD_BATCHED
    return method.prepare(net, x, y, eps, max_bytes, progress)()


NUMERICAL = Method(
    name="numerical-batched", array_api=True, family="finite-difference", exact=False, options=("eps", "max_bytes"),
    prepare=FORWARD_BATCHED.prepare, chunked=FORWARD_BATCHED.job, step=FORWARD_BATCHED.default_eps,
    description="forward differences (N+1 loss evaluations), many perturbed networks per numpy call, prefix reuse",
    work_count=SCHEMES["forward"].evaluations, cost=_cost(central=False),
    check=against_backprop(FINITE_DIFFERENCE_TOL, SCHEMES["forward"]), color="#ff7f0e", marker="D")

CENTRAL = Method(
    name="central-batched", array_api=True, family="finite-difference", exact=False, evaluates_loss=False, options=("eps", "max_bytes"),
    prepare=CENTRAL_BATCHED.prepare, chunked=CENTRAL_BATCHED.job, step=CENTRAL_BATCHED.default_eps,
    description="central differences (2N loss evaluations, error O(eps^2)), batched like numerical-batched",
    work_count=SCHEMES["central"].evaluations, cost=_cost(central=True),
    check=against_backprop(FINITE_DIFFERENCE_TOL, SCHEMES["central"]), color="#bcbd22", marker="v")
