"""How the error of a gradient depends on the step: the V of finite differences (truncation against round-off)
and the flat line of the complex step (no subtraction, no cancellation)."""

from __future__ import annotations

import numpy as np

from ..methods import get
from ..methods.backprop import backprop
from ..methods.checks import relative_error
from .networks import build

STEPS = np.logspace(-20, -1, 39)


def step_methods(methods: list[str], net) -> list[str]:
    """Those of ``methods`` that take a step and are chunked (fast enough to run at every step), applicable."""
    return [m for m in methods if get(m).step is not None and get(m).chunked is not None
            and get(m).why_not(net) is None and get(m).missing() is None]


def accuracy_curve(methods: list[str], depth: int = 3, width: int = 16, batch: int = 4, seed: int = 0,
                   dtype: str = "float64") -> list[dict]:
    """Norm-wise relative error against backprop (in ``dtype``, as the method) over the step eps, one row per
    method and step, the method's default step among them."""
    net, x, y = build(depth, width, batch, seed=seed, dtype=dtype)
    exact = backprop(net, x, y)[1]
    rows = []
    for name in step_methods(methods, net):
        method = get(name)
        default = method.step(net.dtype)
        for eps in sorted({*map(float, STEPS), default}):
            grad = method.prepare(net, x, y, eps=eps)().grad
            rows.append({"method": name, "eps": eps, "error": relative_error(grad, exact), "default_eps": default,
                         "depth": depth, "width": width, "batch": batch, "dtype": dtype})
    return rows
