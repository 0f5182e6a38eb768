"""Gradient descent driven by either gradient, and a training loop that records loss and time."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import _validate as check
from .gradients import METHODS, SCHEMES, backprop_gradient, numerical_gradient
from .network import DNN

GRADIENTS = ("backprop", "numerical")


def gradient_descent(
    net: DNN,
    x: np.ndarray,
    y: np.ndarray,
    lr: float = 0.01,
    gradient: str = "backprop",
    scheme: str = "forward",
    eps: float = 1e-4,
    method: str = "loop",
) -> float:
    """One step params -= lr * dL/dparams; returns the loss before the step.

    ``gradient="numerical"`` uses ``numerical_gradient(net, x, y, scheme, eps, method)``.
    On bad input (or a non-finite gradient) nothing is changed.
    """
    lr = check.positive_float("lr", lr)
    check.choice("gradient", gradient, GRADIENTS)
    if gradient == "backprop":
        loss, grad = backprop_gradient(net, x, y)
    else:
        check.choice("scheme", scheme, SCHEMES)
        check.choice("method", method, METHODS)
        result = numerical_gradient(net, x, y, scheme=scheme, eps=eps, method=method)
        grad = result.grad
        loss = result.loss if result.loss is not None else net.loss(x, y)
    if not (np.isfinite(loss) and np.isfinite(grad).all()):
        raise FloatingPointError(f"the loss or its gradient is not finite (loss={loss}); parameters left unchanged: "
                                 "try a lower learning rate")
    net.params -= lr * grad
    return loss


def train(
    net: DNN,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int = 100,
    lr: float = 0.01,
    gradient: str = "backprop",
    batch_size: int | None = None,
    seed: int | None = None,
    **numerical,
) -> pd.DataFrame:
    """Train for ``epochs``; one row per epoch: epoch, loss (mean over the epoch's steps, each taken
    before its update), elapsed_s (since the start). ``batch_size=None`` takes the whole batch per step;
    otherwise samples are shuffled each epoch (``seed``). Extra keywords go to :func:`gradient_descent`.
    """
    epochs = check.positive_int("epochs", epochs)
    x, y = net.check_data(x, y)
    if x.ndim == 1:
        x, y = x[None], y[None]
    n = x.shape[0]
    batch_size = n if batch_size is None else min(check.positive_int("batch_size", batch_size), n)
    rng = np.random.default_rng(seed)
    rows, start = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n) if batch_size < n else np.arange(n)
        total = 0.0
        for s in range(0, n, batch_size):
            idx = order[s:s + batch_size]
            total += gradient_descent(net, x[idx], y[idx], lr, gradient, **numerical) * len(idx)
        rows.append({"epoch": epoch, "loss": total / n, "elapsed_s": time.perf_counter() - start})
    return pd.DataFrame(rows)
