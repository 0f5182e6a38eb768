"""Gradient descent driven by any of nngrad's own gradient methods, and mini-batch training that records loss,
accuracy and time."""

from __future__ import annotations

import time

import numpy as np

from .. import _validate as validate
from .._progress import progress_bar
from ..backend import namespace
from ..errors import InvalidType, InvalidValue
from ..methods import GradientResult, check_options, get, registered
from ..methods import gradient as compute_gradient
from ..methods.estimators import generator
from ..model.network import DNN
from .equivalents import Ratios, measure_ratios


def training_gradients() -> list[str]:
    """The methods that can drive training: nngrad's own gradient methods (the peers are for timing)."""
    return [name for name, m in registered().items() if m.family != "function" and not m.requires]


def _gradient_method(name: str) -> str:
    validate.choice("gradient", name, training_gradients())
    return name


def descent_step(net: DNN, x: np.ndarray, y: np.ndarray, lr: float = 0.01, gradient: str = "backprop",
                 **options) -> GradientResult:
    """One step params -= lr * dL/dparams; the step's GradientResult, what it counted, with ``.loss`` the loss
    before the step (evaluated, and counted as one more loss evaluation, when the method does not return it).
    Arguments as for :func:`gradient_descent`."""
    lr = validate.positive_float("lr", lr)
    result = compute_gradient(net, x, y, _gradient_method(gradient), **options)
    if result.loss is None:
        result.loss, result.loss_evaluations = net.loss(x, y), result.loss_evaluations + 1
    loss, grad = result.loss, result.grad
    with np.errstate(over="ignore", invalid="ignore"):
        stepped = net.params - lr * grad  # a new array: net.params change only once the step is known finite
    xp = namespace(stepped)
    if not (np.isfinite(loss) and bool(xp.all(xp.isfinite(stepped)))):
        raise FloatingPointError(f"the loss, its gradient or the step is not finite (loss={loss}); parameters left "
                                 "unchanged: try a lower learning rate")
    net.params[...] = stepped
    return result


def gradient_descent(net: DNN, x: np.ndarray, y: np.ndarray, lr: float = 0.01, gradient: str = "backprop",
                     **options) -> float:
    """One step params -= lr * dL/dparams; returns the loss before the step (:func:`descent_step` returns what
    the step counted too).

    ``gradient``: one of :func:`training_gradients` ("backprop", "numerical-loop", "spsa", ...); ``options`` go
    to it (e.g. ``eps=1e-4``; an estimator given no ``rng`` draws the same directions at every call: pass one
    numpy Generator to every step, as :func:`train` does). On bad input, or when the loss or gradient is not
    finite, nothing is changed.
    """
    return descent_step(net, x, y, lr, gradient, **options).loss


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
    ratios: Ratios | None = None,
    **options,
):
    """Mini-batch gradient descent on the ``gradient`` method (``options`` go to it); one row per epoch (a
    pandas DataFrame).

    x (n, in), y targets as for ``net.loss``. ``batch_size=None`` takes all n samples per step; otherwise
    the samples are shuffled every epoch (``seed``). A method that takes ``rng`` (the estimators: spsa,
    forward-gradient) gets one numpy Generator at every step, so new random directions each step: a child of
    ``seed``'s SeedSequence (independent of the shuffling; fresh entropy when ``seed`` is None), or the
    ``rng=`` given (a Generator, used as is, or a seed). Columns: epoch, loss (mean over the epoch's steps,
    each taken before its update), for "softmax_ce" accuracy on x, then test_loss and test_accuracy when a test
    set is given; the epoch's work as counted by its steps: loss_evaluations, tangent_passes, backward_passes
    and equivalents (their sum in loss evaluations, priced by ``ratios``: measured once on the first batch
    before training unless given, stored in ``history.attrs["ratios"]``), cumulative_steps and
    cumulative_equivalents (since the start), and elapsed_s: seconds spent in the steps so far (evaluation and
    the ratios' measurement not counted). If the loss becomes NaN or inf, training stops, the parameters are
    restored to their values before training, and FloatingPointError says at which epoch. Ctrl-C restores them
    too, unless ``keep_on_interrupt``: then the finished epochs are returned (``history.attrs["interrupted"]``
    is True) and the parameters are those after the last finished step.
    """
    import pandas as pd

    epochs = validate.positive_int("epochs", epochs)
    lr = validate.positive_float("lr", lr)
    method = get(_gradient_method(gradient))
    check_options(method, options)  # before the first epoch, not at its first step
    seed = _seed(seed)
    if ratios is not None and not isinstance(ratios, Ratios):
        raise InvalidType(f"ratios must be nngrad's Ratios (train.equivalents), got {type(ratios).__name__}")
    x, y = net.check_data(x, y)
    if x.ndim == 1:
        x, y = x[None, ...], y[None, ...]
    n = x.shape[0]
    batch_size = n if batch_size is None else min(validate.positive_int("batch_size", batch_size), n)
    if (x_test is None) != (y_test is None):
        raise InvalidValue("x_test and y_test go together: give both or neither")
    if x_test is not None:
        x_test, y_test = net.check_data(x_test, y_test)
    if "rng" in method.options:
        options = {**options, "rng": directions(seed, options.get("rng"))}
    classify = net.loss_name == "softmax_ce" and namespace(y).isdtype(y.dtype, "integral")
    rng = np.random.default_rng(seed)
    ratios = ratios or measure_ratios(net, x[:batch_size, ...], y[:batch_size, ...])
    saved = namespace(net.params).asarray(net.params, copy=True)
    rows: list[dict] = []
    bar = progress_bar(epochs, progress, f"training ({gradient})", "epoch")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging loss is caught below, by value
            for epoch in range(1, epochs + 1):
                rows.append(_epoch(net, x, y, x_test, y_test, rng, batch_size, classify, epoch,
                                   lambda xb, yb: descent_step(net, xb, yb, lr, gradient, **options)))
                if bar is not None:
                    bar.update()
                    bar.set_postfix({k: f"{v:.4g}" for k, v in rows[-1].items() if k in SHOWN})
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
    return _history(pd.DataFrame(rows), ratios, epochs)


SHOWN = ("loss", "accuracy", "test_loss", "test_accuracy")  # what the progress bar shows of an epoch's row
COUNTS = ("loss_evaluations", "tangent_passes", "backward_passes")  # a step's work, as its GradientResult counts it


def _seed(seed: object) -> int | None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
        raise InvalidType(f"seed must be a non-negative integer or None, got {seed!r}")
    return None if seed is None else int(seed)


def directions(seed: int | None, rng: object = None) -> np.random.Generator:
    """The one Generator an estimator draws its directions from at every step of a training: ``rng`` given (a
    Generator as is, a seed turned into one), else the first child of ``seed``'s SeedSequence, a stream
    independent of the shuffling's (``np.random.default_rng(seed)``)."""
    if rng is not None:
        return generator(rng)  # one line for anything but a Generator or a seed
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def _history(history, ratios: Ratios, epochs: int):
    """The epochs' rows -> the history: equivalents priced by ``ratios``, cumulative columns, elapsed_s last."""
    history["equivalents"] = ratios.equivalents(*(history[c] for c in COUNTS))
    history["cumulative_steps"] = history.pop("steps").cumsum()
    history["cumulative_equivalents"] = history["equivalents"].cumsum()
    history["elapsed_s"] = history.pop("step_s").cumsum()
    history.attrs["interrupted"] = len(history) < epochs
    history.attrs["ratios"] = ratios.to_dict()
    return history


def _epoch(net, x, y, x_test, y_test, rng, batch_size, classify, epoch, step) -> dict:
    """One pass over (x, y) in shuffled mini-batches; the row of the history (step_s: this epoch's steps; the
    work its steps counted)."""
    n = x.shape[0]
    order = rng.permutation(n) if batch_size < n else np.arange(n)
    start, total, work = time.perf_counter(), 0.0, dict.fromkeys(COUNTS, 0)
    if not isinstance(x, np.ndarray):  # the indices where the data are
        order = net.backend.asarray(order)
    xp = namespace(x)
    for s in range(0, n, batch_size):
        idx = order[s:min(s + batch_size, n)]  # array_api_strict refuses a stop past the end
        result = step(xp.take(x, idx, axis=0), xp.take(y, idx, axis=0))
        total += result.loss * idx.shape[0]
        for count in COUNTS:
            work[count] += getattr(result, count)
    net.backend.synchronize()  # the last step's update counted in this epoch's time
    row = {"epoch": epoch, "loss": total / n, "step_s": time.perf_counter() - start}
    if classify:
        row["accuracy"] = accuracy(net, x, y)
    if x_test is not None:
        row["test_loss"] = net.evaluate(x_test, y_test)
        if classify:
            row["test_accuracy"] = accuracy(net, x_test, y_test)
    return {**row, **work, "steps": -(-n // batch_size)}
