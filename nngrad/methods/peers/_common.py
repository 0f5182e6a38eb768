"""What every peer needs: the network as plain arrays, the batch as the loss takes it, and the loss itself
written once for numpy-like namespaces (jax.numpy, autograd.numpy)."""

from __future__ import annotations

import numpy as np

from ...model.counts import forward_flops
from ..checks import EXACT_TOL, against_backprop

INSTALL = "pip install 'nngrad[peers]' (or: pip install torch==2.13.0 jax autograd scipy)"
PEER_CHECK = against_backprop(EXACT_TOL)  # every peer against backprop, float64


def reverse_flops(sizes: list[int], batch: int) -> int:
    """A reverse-mode gradient: the forward pass and two products per layer backward."""
    return 3 * forward_flops(sizes, batch)


def activations(net) -> list[str]:
    """The activation of each Dense layer, by name."""
    return [net.activation] * net.hidden_depth + [net.output_activation]


def batch(net, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Checked (x, y) as 2-D arrays: x (B, in) and targets (B, out), one-hot rows for softmax cross-entropy."""
    if x.ndim == 1:
        x, y = x[None], np.asarray(y)[None]
    return x, net.loss_layer.targets(y, net.num_output).astype(net.dtype, copy=False)


def blas_threads() -> int | None:
    """Threads of numpy's BLAS (threadpoolctl), to give a peer the same."""
    from threadpoolctl import threadpool_info

    threads = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return threads[0] if threads else None


def numpy_like_loss(xp, acts: list[str], loss: str, x, t):
    """loss(params) for params = [W_0, b_0, W_1, b_1, ...], written with the numpy-like namespace ``xp``."""
    functions = {"sigmoid": lambda z: 0.5 * (xp.tanh(0.5 * z) + 1.0),
                 "relu": lambda z: xp.where(z > 0, z, 0.0),  # derivative 0 at the kink, as nngrad's Relu (maximum: 1/2)
                 "identity": lambda z: z}
    layers = [functions[a] for a in acts]

    def value(params):
        h = x
        for k, act in enumerate(layers):
            h = act(h @ params[2 * k] + params[2 * k + 1])
        if loss == "mse":
            return 0.5 * xp.mean((h - t) ** 2)
        shifted = h - xp.max(h, axis=-1, keepdims=True)
        log_p = shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))
        return -xp.mean(xp.sum(t * log_p, axis=-1))

    return value


def arrays(net) -> list[np.ndarray]:
    """[W_0, b_0, W_1, b_1, ...]: views of net.params, in its layout."""
    return [p for d in net.dense_layers for p in (d.W, d.b)]
