"""Gradient descent driven by either gradient, and mini-batch training that records loss, accuracy and time."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import _validate as check
from ._progress import progress_bar
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
    On bad input, or when the loss or gradient is not finite, nothing is changed.
    """
    lr = check.positive_float("lr", lr)
    check.choice("gradient", gradient, GRADIENTS)
    check.choice("scheme", scheme, SCHEMES)
    check.choice("method", method, METHODS)
    check.positive_float("eps", eps)
    if gradient == "backprop":
        loss, grad = backprop_gradient(net, x, y)
    else:
        result = numerical_gradient(net, x, y, scheme=scheme, eps=eps, method=method)
        grad = result.grad
        loss = result.loss if result.loss is not None else net.loss(x, y)
    if not (np.isfinite(loss) and np.isfinite(grad).all()):
        raise FloatingPointError(f"the loss or its gradient is not finite (loss={loss}); parameters left unchanged: "
                                 "try a lower learning rate")
    net.params -= lr * grad
    return loss


def accuracy(net: DNN, x: np.ndarray, labels: np.ndarray) -> float:
    """Share of samples whose largest output is the label; x (B, in), labels (B,) integers."""
    return float(np.mean(np.argmax(net._forward(x), axis=-1) == labels))


def train(
    net: DNN,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int = 100,
    lr: float = 0.01,
    gradient: str = "backprop",
    batch_size: int | None = None,
    seed: int | None = None,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    progress: bool = False,
    scheme: str = "forward",
    eps: float = 1e-4,
    method: str = "loop",
) -> pd.DataFrame:
    """Mini-batch gradient descent; one row per epoch.

    x (n, in), y targets as for ``net.loss``. ``batch_size=None`` takes all n samples per step; otherwise
    the samples are shuffled every epoch (``seed``). Columns: epoch, loss (mean over the epoch's steps,
    each taken before its update), for "softmax_ce" accuracy on x, then test_loss and test_accuracy when
    a test set is given, and elapsed_s: seconds spent in the steps so far (evaluation is not counted).
    If the loss becomes NaN or inf, training stops, the parameters are restored to their values before
    training, and FloatingPointError says at which epoch.
    """
    epochs = check.positive_int("epochs", epochs)
    lr = check.positive_float("lr", lr)
    check.choice("gradient", gradient, GRADIENTS)
    check.choice("scheme", scheme, SCHEMES)
    check.choice("method", method, METHODS)
    eps = check.positive_float("eps", eps)
    x, y = net.check_data(x, y)
    if x.ndim == 1:
        x, y = x[None], y[None]
    n = x.shape[0]
    batch_size = n if batch_size is None else min(check.positive_int("batch_size", batch_size), n)
    if (x_test is None) != (y_test is None):
        raise ValueError("x_test and y_test go together: give both or neither")
    if x_test is not None:
        x_test, y_test = net.check_data(x_test, y_test)
    classify = net.loss_name == "softmax_ce" and np.issubdtype(y.dtype, np.integer)
    rng = np.random.default_rng(seed)
    saved = net.params.copy()
    rows: list[dict] = []
    bar = progress_bar(epochs, progress, f"training ({gradient})", "epoch")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging loss is caught below, by value
            for epoch in range(1, epochs + 1):
                rows.append(_epoch(net, x, y, x_test, y_test, rng, batch_size, classify, epoch,
                                   lambda xb, yb: gradient_descent(net, xb, yb, lr, gradient, scheme, eps, method)))
                if bar is not None:
                    bar.update()
                    bar.set_postfix({k: f"{v:.4g}" for k, v in rows[-1].items() if k not in ("epoch", "step_s")})
    except FloatingPointError:
        net.params = saved
        raise FloatingPointError(f"training diverged at epoch {epoch}: the loss or its gradient became NaN or inf "
                                 f"(learning rate {lr:g}); parameters restored to their values before training. "
                                 "Try a lower learning rate.") from None
    finally:
        if bar is not None:
            bar.close()
    history = pd.DataFrame(rows)
    history["elapsed_s"] = history.pop("step_s").cumsum()
    return history


def _epoch(net, x, y, x_test, y_test, rng, batch_size, classify, epoch, step) -> dict:
    """One pass over (x, y) in shuffled mini-batches; the row of the history (elapsed_s: this epoch's steps)."""
    n = x.shape[0]
    order = rng.permutation(n) if batch_size < n else np.arange(n)
    start, total = time.perf_counter(), 0.0
    for s in range(0, n, batch_size):
        idx = order[s:s + batch_size]
        total += step(x[idx], y[idx]) * len(idx)
    row = {"epoch": epoch, "loss": total / n, "step_s": time.perf_counter() - start}
    if classify:
        row["accuracy"] = accuracy(net, x, y)
    if x_test is not None:
        row["test_loss"] = net._loss(x_test, y_test)
        if classify:
            row["test_accuracy"] = accuracy(net, x_test, y_test)
    return row
