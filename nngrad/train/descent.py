"""Gradient descent driven by any of nngrad's own gradient methods, and mini-batch training that records loss,
accuracy and time."""

from __future__ import annotations

import time

import numpy as np

from .. import _validate as validate
from .._progress import progress_bar
from ..backend import namespace
from ..errors import InvalidValue
from ..methods import check_options, get, registered
from ..methods import gradient as compute_gradient
from ..model.network import DNN


def training_gradients() -> list[str]:
    """The methods that can drive training: nngrad's own gradient methods (the peers are for timing)."""
    return [name for name, m in registered().items() if m.family != "function" and not m.requires]


def _gradient_method(name: str) -> str:
    validate.choice("gradient", name, training_gradients())
    return name


def gradient_descent(net: DNN, x: np.ndarray, y: np.ndarray, lr: float = 0.01, gradient: str = "backprop",
                     **options) -> float:
    """One step params -= lr * dL/dparams; returns the loss before the step.

    ``gradient``: one of :func:`training_gradients` ("backprop", "numerical-loop", "complex-step", ...);
    ``options`` go to it (e.g. ``eps=1e-4``). On bad input, or when the loss or gradient is not finite,
    nothing is changed.
    """
    lr = validate.positive_float("lr", lr)
    result = compute_gradient(net, x, y, _gradient_method(gradient), **options)
    grad = result.grad
    loss = result.loss if result.loss is not None else net.loss(x, y)
    with np.errstate(over="ignore", invalid="ignore"):
        stepped = net.params - lr * grad  # a new array: net.params change only once the step is known finite
    xp = namespace(stepped)
    if not (np.isfinite(loss) and bool(xp.all(xp.isfinite(stepped)))):
        raise FloatingPointError(f"the loss, its gradient or the step is not finite (loss={loss}); parameters left "
                                 "unchanged: try a lower learning rate")
    net.params[...] = stepped
    return loss


def accuracy(net: DNN, x: np.ndarray, labels: np.ndarray) -> float:
    """Share of samples whose largest output is the label; x (B, in), labels (B,) integers."""
    xp = namespace(x)
    return float(xp.mean(xp.astype(xp.argmax(net.trace(x)[0][-1], axis=-1) == labels, xp.float64)))


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
    keep_on_interrupt: bool = False,
    **options,
):
    """Mini-batch gradient descent on the ``gradient`` method (``options`` go to it); one row per epoch (a
    pandas DataFrame).

    x (n, in), y targets as for ``net.loss``. ``batch_size=None`` takes all n samples per step; otherwise
    the samples are shuffled every epoch (``seed``). Columns: epoch, loss (mean over the epoch's steps,
    each taken before its update), for "softmax_ce" accuracy on x, then test_loss and test_accuracy when
    a test set is given, and elapsed_s: seconds spent in the steps so far (evaluation is not counted).
    If the loss becomes NaN or inf, training stops, the parameters are restored to their values before
    training, and FloatingPointError says at which epoch. Ctrl-C restores them too, unless
    ``keep_on_interrupt``: then the finished epochs are returned (``history.attrs["interrupted"]`` is True) and
    the parameters are those after the last finished step.
    """
    import pandas as pd

    epochs = validate.positive_int("epochs", epochs)
    lr = validate.positive_float("lr", lr)
    check_options(get(_gradient_method(gradient)), options)  # before the first epoch, not at its first step
    x, y = net.check_data(x, y)
    if x.ndim == 1:
        x, y = x[None, ...], y[None, ...]
    n = x.shape[0]
    batch_size = n if batch_size is None else min(validate.positive_int("batch_size", batch_size), n)
    if (x_test is None) != (y_test is None):
        raise InvalidValue("x_test and y_test go together: give both or neither")
    if x_test is not None:
        x_test, y_test = net.check_data(x_test, y_test)
    classify = net.loss_name == "softmax_ce" and namespace(y).isdtype(y.dtype, "integral")
    rng = np.random.default_rng(seed)
    saved = namespace(net.params).asarray(net.params, copy=True)
    rows: list[dict] = []
    bar = progress_bar(epochs, progress, f"training ({gradient})", "epoch")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging loss is caught below, by value
            for epoch in range(1, epochs + 1):
                rows.append(_epoch(net, x, y, x_test, y_test, rng, batch_size, classify, epoch,
                                   lambda xb, yb: gradient_descent(net, xb, yb, lr, gradient, **options)))
                if bar is not None:
                    bar.update()
                    bar.set_postfix({k: f"{v:.4g}" for k, v in rows[-1].items() if k not in ("epoch", "step_s")})
    except FloatingPointError:
        net.params = saved
        raise FloatingPointError(f"training diverged at epoch {epoch}: the loss or its gradient became NaN or inf "
                                 f"(learning rate {lr:g}); parameters restored to their values before training. "
                                 "Try a lower learning rate.") from None
    except KeyboardInterrupt:
        if not (keep_on_interrupt and rows):
            net.params = saved
            raise
    except BaseException:  # any other failure: a failed call leaves net.params as they were
        net.params = saved
        raise
    finally:
        if bar is not None:
            bar.close()
    history = pd.DataFrame(rows)
    history.attrs["interrupted"] = len(rows) < epochs
    history["elapsed_s"] = history.pop("step_s").cumsum()
    return history


def _epoch(net, x, y, x_test, y_test, rng, batch_size, classify, epoch, step) -> dict:
    """One pass over (x, y) in shuffled mini-batches; the row of the history (elapsed_s: this epoch's steps)."""
    n = x.shape[0]
    order = rng.permutation(n) if batch_size < n else np.arange(n)
    start, total = time.perf_counter(), 0.0
    if not isinstance(x, np.ndarray):  # the indices where the data are
        order = net.backend.asarray(order)
    xp = namespace(x)
    for s in range(0, n, batch_size):
        idx = order[s:s + batch_size]
        total += step(xp.take(x, idx, axis=0), xp.take(y, idx, axis=0)) * idx.shape[0]
    net.backend.synchronize()  # the last step's update counted in this epoch's time
    row = {"epoch": epoch, "loss": total / n, "step_s": time.perf_counter() - start}
    if classify:
        row["accuracy"] = accuracy(net, x, y)
    if x_test is not None:
        row["test_loss"] = net.evaluate(x_test, y_test)
        if classify:
            row["test_accuracy"] = accuracy(net, x_test, y_test)
    return row
