"""The complex step: dL/dp_i = Im L(p + i h e_i) / h. No subtraction, so no cancellation: exact to rounding
at any tiny h (Squire & Trapp 1998). N complex loss evaluations, batched with prefix reuse (prefix.py).

It needs a loss that is analytic in the parameters: sigmoid, identity, MSE and softmax cross-entropy are;
ReLU is not (a kink at 0), so ReLU networks are refused.
"""

from __future__ import annotations

import numpy as np

from . import cost
from .base import Method
from .checks import EXACT_TOL, against_backprop
from .prefix import Chunked, ChunkedMethod, Kernel, Prefix, chunk_size, chunked_cost
from .schemes import COMPLEX_STEP


class ComplexStep(Kernel):
    """Im L(p + i h e_i) / h for a chunk of parameters, from one stacked complex loss evaluation."""

    def __init__(self, prefix: Prefix, eps: float) -> None:
        self.prefix, self.eps = prefix, eps

    def __call__(self, l: int, start: int, stop: int) -> np.ndarray:
        losses = self.prefix.losses(l, start, stop, 1j * self.eps)
        self.loss_evaluations += losses.shape[0]
        xp = self.prefix.xp
        if self.loss is None:  # Re L(p + i h e_i) = L(p) - O(h^2): the loss, to rounding
            self.loss = float(xp.real(losses[0]))
        return xp.imag(losses) / self.eps


def build(net, x: np.ndarray, y: np.ndarray, eps: float, max_bytes: int) -> Chunked:
    prefix = Prefix(net, x, y)
    return Chunked(prefix, ComplexStep(prefix, eps), chunk_size(prefix, 2 * net.dtype.itemsize, max_bytes))


def why_not(net) -> str | None:
    """Why the complex step does not apply to ``net`` (a non-analytic activation), or None."""
    kinks = sorted({type(a).__name__ for a in net.activations if not getattr(a, "analytic", False)})
    if kinks:
        return (f"complex-step needs a loss analytic in the parameters, but {', '.join(kinks)} has a kink (no complex "
                "extension); use forward-mode or central-batched for this network")
    return None


def work(net: cost.Network) -> cost.Cost:
    """N complex loss evaluations, in chunks of complex numbers (twice the bytes)."""
    def kernel(l: int, k: int) -> cost.Cost:
        return cost.perturbed_losses(net, l, k, complex_=True) + cost.passes(2, 2 * k)

    return chunked_cost(net, kernel, 2 * net.itemsize)


COMPLEX_STEP_METHOD = ChunkedMethod("complex-step", build, lambda dtype: COMPLEX_STEP)

METHOD = Method(
    name="complex-step", array_api=True, family="finite-difference", options=("eps", "max_bytes"),
    prepare=COMPLEX_STEP_METHOD.prepare, chunked=COMPLEX_STEP_METHOD.job, step=COMPLEX_STEP_METHOD.default_eps,
    why_not=why_not,
    description="Im L(p + i h e_i) / h, h = 1e-20: N complex loss evaluations, exact to rounding (analytic losses)",
    work_count=lambda n: n, cost=work,
    check=against_backprop(EXACT_TOL), color="#17becf", marker="*")
