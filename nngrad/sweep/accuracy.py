"""How the error of a gradient depends on the step: the V of finite differences (truncation against round-off)
and the flat line of the complex step (no subtraction, no cancellation), on the run's own network."""

from __future__ import annotations

import numpy as np

from ..methods import get
from ..methods.backprop import backprop
from ..methods.checks import relative_error
from .networks import build

STEPS = np.logspace(-20, -1, 39)
SIZE = {"depth": 3, "width": 16, "batch": 4}  # the study's network: small, so every step is cheap


def stepping(methods: list[str]) -> list[str]:
    """Those of ``methods`` that take a step and are chunked (fast enough to run at every step)."""
    return [m for m in methods if get(m).step is not None and get(m).chunked is not None]


def refusal(method: str, net) -> str | None:
    """Why ``method`` cannot run on ``net`` (not applicable, or its library missing), or None."""
    return get(method).why_not(net) or get(method).missing()


def accuracy_curve(methods: list[str], depth: int = 3, width: int = 16, batch: int = 4, seed: int = 0,
                   dtype: str = "float64", activation: str = "sigmoid", loss: str = "mse", num_input: int = 10,
                   num_output: int = 2) -> list[dict]:
    """Norm-wise relative error against backprop (in ``dtype``, as the method) over the step eps, one row per
    method and step, the method's default step among them; a stepping method that cannot run on this network
    gets one row with eps and error None and ``refused`` saying why. Every row names the network."""
    net, x, y = build(depth, width, batch, num_input, num_output, seed, activation, loss, dtype)
    exact = backprop(net, x, y)[1]
    network = {"depth": depth, "width": width, "batch": batch, "dtype": dtype, "activation": activation, "loss": loss}
    rows = []
    for name in stepping(methods):
        if (why := refusal(name, net)) is not None:
            rows.append({"method": name, "eps": None, "error": None, "default_eps": None, **network, "refused": why})
            continue
        method = get(name)
        default = method.step(net.dtype)
        for eps in sorted({*map(float, STEPS), default}):
            grad = method.prepare(net, x, y, eps=eps)().grad
            rows.append({"method": name, "eps": eps, "error": relative_error(grad, exact), "default_eps": default,
                         **network})
    return rows


def accuracy_study(cfg) -> list[dict]:
    """:func:`accuracy_curve` of a sweep's methods on its network (SweepConfig ``cfg``: activation, loss, dtype,
    inputs, outputs and seed), at the study's small size."""
    return accuracy_curve(list(cfg.methods), **SIZE, seed=cfg.seed, dtype=cfg.dtype, activation=cfg.activation,
                          loss=cfg.loss, num_input=cfg.num_input, num_output=cfg.num_output)
