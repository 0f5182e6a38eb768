"""HIPS autograd: reverse mode by tracing the same loss written with autograd.numpy."""

from __future__ import annotations

import numpy as np

from ..base import Call, GradientResult, Method
from ._common import INSTALL, PEER_CHECK, activations, arrays, batch, numpy_like_loss, reverse_cost


def prepare(net, x: np.ndarray, y: np.ndarray) -> Call:
    import autograd
    import autograd.numpy as anp

    xb, t = batch(net, x, y)
    value = numpy_like_loss(anp, activations(net), net.loss_name, xb, t)
    count = 0

    def loss(params):
        nonlocal count
        count += 1
        return value(params)

    value_and_grad = autograd.value_and_grad(loss)
    params = arrays(net)  # views of net.params: autograd never writes to them

    def call() -> GradientResult:
        nonlocal count
        count = 0
        v, g = value_and_grad(params)
        return GradientResult(np.concatenate([gi.ravel() for gi in g]), float(v), "autograd", count)

    return call


METHOD = Method(
    name="autograd", family="reverse-mode", prepare=prepare, requires=("autograd",), install=INSTALL,
    description="HIPS autograd: reverse mode traced through the same loss in autograd.numpy",
    work_count=lambda n: 1, check=PEER_CHECK, color="#7f7f7f", marker="d",
    # per layer: product, add and the sigmoid's 4 operations, each traced and differentiated; the loss's 4
    cost=reverse_cost("autograd", lambda net: 2 * (6 * len(net.layers) + 4), lambda net: 2 * len(net.layers) + 1))
