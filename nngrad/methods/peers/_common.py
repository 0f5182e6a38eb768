"""What every peer needs: the network as plain arrays, the batch as the loss takes it, and the loss itself
written once for numpy-like namespaces (jax.numpy, autograd.numpy)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...model.activations import ACTIVATIONS
from ...model.losses import LOSSES
from ...model.network import network_output
from .. import cost
from ..checks import EXACT_TOL, against_backprop

INSTALL = "pip install 'nngrad[peers]' (or: pip install torch==2.13.0 jax autograd scipy)"
PEER_CHECK = against_backprop(EXACT_TOL)  # every peer against backprop, float64


def reverse_cost(library: str, library_calls: float, numpy_calls: float = 0.0):
    """The cost of a peer's reverse-mode gradient: ``library_calls(net)`` calls of its library (and
    ``numpy_calls(net)`` of numpy's), the products and element-wise work of nngrad's backprop."""
    def work(net: cost.Network) -> cost.Cost:
        math = cost.forward(net) + cost.backward(net)
        return cost.Cost(numpy_calls(net) if callable(numpy_calls) else numpy_calls, math.flops, math.elementwise,
                         library_calls(net), library)

    return work


def activations(net) -> list[str]:
    """The activation of each Dense layer, by name."""
    return [net.activation] * net.hidden_depth + [net.output_activation]


def batch(net, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Checked (x, y) as 2-D arrays: x (B, in) and targets (B, out), one-hot rows for softmax cross-entropy."""
    if x.ndim == 1:
        x, y = x[None], np.asarray(y)[None]
    return x, net.loss_layer.as_rows(y, net.num_output).astype(net.dtype, copy=False)


def blas_threads() -> int | None:
    """Threads of numpy's BLAS (threadpoolctl), to give a peer the same."""
    from threadpoolctl import threadpool_info

    threads = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return threads[0] if threads else None


def numpy_like_loss(xp, acts: list[str], loss: str, x, t):
    """loss(params) for params = [W_0, b_0, W_1, b_1, ...], written with the numpy-like namespace ``xp``: each
    activation's and the loss's own form (nngrad.model.activations, losses)."""
    forms = [ACTIVATIONS[a].numpy_like(xp) for a in acts]
    objective = LOSSES[loss].numpy_like(xp)

    def value(params):
        return objective(peer_output(x, params, forms, lambda wb, h: h @ wb[0] + wb[1]), t)

    return value


def peer_output(x, params: list, forms: list[Callable], affine: Callable):
    """The network's output (its one forward pass, model.network.layer_passes) in a peer's library: params [W_0,
    b_0, ...], ``forms`` the activations' forms there, ``affine((W, b), h)`` its h @ W + b."""
    return network_output(x, zip(zip(params[::2], params[1::2]), forms), affine, lambda form, z: form(z))


def arrays(net) -> list[np.ndarray]:
    """[W_0, b_0, W_1, b_1, ...]: views of net.params, in its layout."""
    return [p for d in net.dense_layers for p in (d.W, d.b)]
