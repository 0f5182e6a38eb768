"""One loss evaluation: no gradient, the unit every gradient's cost is measured in."""

from __future__ import annotations

import numpy as np

from . import cost
from .base import Call, Check, GradientResult, Method


def prepare(net, x: np.ndarray, y: np.ndarray) -> Call:
    def call() -> GradientResult:
        return GradientResult(None, net.evaluate(x, y), "forward", 1)

    return call


METHOD = Method(
    name="forward", array_api=True, family="function", prepare=prepare,
    description="one loss evaluation (a forward pass and the loss), no gradient: the unit of cost",
    work_count=lambda n: 1, cost=cost.forward, check=Check("none (one loss evaluation)"),
    color="#555555", marker="o")
