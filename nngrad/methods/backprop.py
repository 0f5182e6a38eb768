"""Reverse mode, by hand: one forward pass that keeps its intermediates, one backward pass (the chain rule)."""

from __future__ import annotations

import numpy as np

from ..backend import namespace
from . import cost
from .base import Call, GradientResult, Method
from .checks import along_directions


def backprop_gradient(net, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """(loss, grad (N,)): one forward pass keeping intermediates, one backward pass (the chain rule).

    Also leaves ``dW`` and ``db`` on every Dense layer.
    """
    x, y = net.check_data(x, y)
    return backprop(net, x, y)


def backprop(net, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """:func:`backprop_gradient` of already-checked (x, y)."""
    loss, grad = backprop_arrays(net, x, y)
    return float(loss), grad


def backprop_arrays(net, x: np.ndarray, y: np.ndarray):
    """(loss as a 0-d array, grad (N,)) of already-checked (x, y), both where the network lives: nothing comes
    back to the host, so a CUDA graph can record it (methods/captured.py)."""
    loss = net.loss_layer.value(net.trace(x)[0][-1], y)
    dout = net.loss_layer.backward(1.0)
    for layer in reversed(net.layers):
        dout = layer.backward(dout)
    if isinstance(dout, np.ndarray):
        grad = np.concatenate([part for d in net.dense_layers for part in (d.dW.ravel(), d.db)])
    else:  # any array API namespace
        xp = namespace(dout)
        grad = xp.concat([part for d in net.dense_layers for part in (xp.reshape(d.dW, (-1,)), d.db)])
    return loss, grad


def prepare(net, x: np.ndarray, y: np.ndarray) -> Call:
    def call() -> GradientResult:
        loss, grad = backprop(net, x, y)
        return GradientResult(grad, loss, "backprop", 1, backward_passes=1)

    return call


METHOD = Method(
    name="backprop", array_api=True, family="reverse-mode", prepare=prepare,
    description="nngrad's backpropagation: one forward pass keeping intermediates, one backward pass",
    work_count=lambda n: 1, cost=lambda net: cost.forward(net) + cost.backward(net),
    check=along_directions(), color="#1f77b4", marker="s")
