"""The two ways to get dL/dparams: backpropagation and the finite difference.

Both return a flat gradient (N,) with the layout of ``net.params``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _validate as check
from ._progress import progress_bar
from .network import DNN

SCHEMES = ("forward", "central")
METHODS = ("loop", "batched")
DEFAULT_MAX_BYTES = 64 * 2**20  # working memory of one batched chunk


@dataclass
class NumericalGradient:
    """A finite-difference gradient and what it cost.

    ``loss`` is L(params) for the forward scheme; central differences never evaluate L at the
    unperturbed point, so it is None there. ``loss_evaluations`` is counted as they happen.
    """

    grad: np.ndarray
    loss: float | None
    loss_evaluations: int
    scheme: str
    eps: float
    method: str


def backprop_gradient(net: DNN, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """(loss, grad (N,)): one forward pass keeping intermediates, one backward pass (the chain rule).

    Also leaves ``dW`` and ``db`` on every Dense layer.
    """
    x, y = net.check_data(x, y)
    loss = net._loss(x, y)
    dout = net.loss_layer.backward(1.0)
    for layer in reversed(net.layers):
        dout = layer.backward(dout)
    grad = np.concatenate([part for d in net.dense_layers for part in (d.dW.ravel(), d.db)])
    return loss, grad


def default_eps(scheme: str, dtype: np.dtype | type = np.float64) -> float:
    """The step that balances truncation and round-off: sqrt(u) (forward), u^(1/3) (central), u = machine eps."""
    u = float(np.finfo(dtype).eps)
    return u ** 0.5 if check.choice("scheme", scheme, SCHEMES) == "forward" else u ** (1 / 3)


def numerical_gradient(
    net: DNN,
    x: np.ndarray,
    y: np.ndarray,
    scheme: str = "forward",
    eps: float = 1e-4,
    method: str = "loop",
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = False,
) -> NumericalGradient:
    """Finite-difference gradient of ``net.loss(x, y)`` with respect to ``net.params``.

    scheme "forward": (L(p + eps e_i) - L(p)) / eps, exactly N + 1 loss evaluations;
    scheme "central": (L(p + eps e_i) - L(p - eps e_i)) / (2 eps), exactly 2N.
    method "loop": the textbook algorithm, one scalar perturbed in place at a time and always
    restored exactly; "batched": the same evaluations, many perturbed networks per numpy call,
    reusing the unperturbed activations before the perturbed layer, in chunks of at most
    ``max_bytes`` of working memory. ``progress=True`` shows a progress bar (tqdm, on a terminal).
    """
    check.choice("scheme", scheme, SCHEMES)
    check.choice("method", method, METHODS)
    eps = check.positive_float("eps", eps)
    check.positive_int("max_bytes", max_bytes)
    x, y = net.check_data(x, y)
    if method == "loop":
        grad, loss, count = finite_difference(lambda p: net._loss(x, y), net.params, scheme, eps, progress)
    else:
        from .batched import batched_differences

        grad, loss, count = batched_differences(net, x, y, scheme, eps, max_bytes, progress)
    return NumericalGradient(grad, loss, count, scheme, eps, method)


def finite_difference(
    f: Callable[[np.ndarray], float],
    theta: np.ndarray,
    scheme: str = "central",
    eps: float | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, float | None, int]:
    """(grad, f(theta) or None, evaluations) of a scalar function f of the array ``theta``.

    ``theta`` (any shape) is perturbed in place one element at a time and each element is
    restored exactly, even when f raises; grad has theta's shape. f(theta) is returned for the
    forward scheme (it is its base evaluation), None for the central one.
    """
    check.choice("scheme", scheme, SCHEMES)
    eps = default_eps(scheme, theta.dtype) if eps is None else check.positive_float("eps", eps)
    flat = theta.reshape(-1)  # a view: writing flat[i] perturbs theta
    if not np.shares_memory(flat, theta):
        raise ValueError("theta must be a contiguous array that can be perturbed in place")
    count = 0

    def evaluate() -> float:
        nonlocal count
        count += 1
        return f(theta)

    grad = np.empty(flat.size, dtype=np.float64)
    base = evaluate() if scheme == "forward" else None
    bar = progress_bar(flat.size, progress, "finite differences", "param")
    for i in range(flat.size):
        old = flat[i]
        try:
            flat[i] = old + eps
            plus = evaluate()
            if scheme == "forward":
                grad[i] = (plus - base) / eps
            else:
                flat[i] = old - eps
                grad[i] = (plus - evaluate()) / (2 * eps)
        finally:
            flat[i] = old
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return grad.reshape(theta.shape).astype(theta.dtype, copy=False), base, count

