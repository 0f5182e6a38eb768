"""What a training came to, before and after: how long it should take, and whether it learned."""

from __future__ import annotations

import math
import time

import pandas as pd

CHANCE_MARGIN = 1.5  # a test accuracy under 1.5 x chance (1 / classes) did not learn


def expected_seconds(net, x, y, batch_size: int, lr: float, gradient: str, epochs: int,
                     **options) -> tuple[float, float]:
    """(seconds the training should take, seconds of one step), from one step of ``gradient`` (its ``options``)
    on a copy of ``net`` with the first ``batch_size`` samples of x: (n, in), y: (n,)."""
    from .descent import gradient_descent

    batch = min(batch_size, len(y))
    start = time.perf_counter()
    gradient_descent(net.copy(), x[:batch], y[:batch], lr, gradient, **options)
    step = time.perf_counter() - start
    return step * math.ceil(len(y) / batch) * epochs, step


def training_failed(history: pd.DataFrame, num_classes: int, lr: float) -> str | None:
    """Why a training did not learn (its loss rose, or its test accuracy stayed near chance), or None."""
    first, last = history.iloc[0], history.iloc[-1]
    chance = 1 / num_classes
    if last["test_accuracy"] < CHANCE_MARGIN * chance:
        return (f"training ended no better than chance: test accuracy {100 * last['test_accuracy']:.1f}% with "
                f"{num_classes} classes ({100 * chance:.0f}% by guessing); with the loss at {last['loss']:.3g}, the "
                f"learning rate {lr:g} is probably too large (or too small): try another")
    if last["loss"] > first["loss"]:
        return (f"the training loss rose from {first['loss']:.3g} to {last['loss']:.3g}: the learning rate {lr:g} "
                "is probably too large")
    return None
