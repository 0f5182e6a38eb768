"""A toy method whose gradient check takes a second (for the progress line's test), registered on import."""

import time

from nngrad.methods import register
from nngrad.methods.backprop import backprop
from nngrad.methods.base import Check, GradientResult, Method

NAME = "slow-check"


def prepare(net, x, y):
    def call() -> GradientResult:
        loss, grad = backprop(net, x, y)
        return GradientResult(grad, loss, NAME, 1)

    return call


def _slow_error(net, x, y, result):
    time.sleep(1.5)
    return 0.0, []


METHOD = register(Method(
    name=NAME, family="reverse-mode", prepare=prepare, description="backprop, checked slowly (a toy for a test)",
    work_count=lambda n: 1, flops=lambda sizes, batch: 0, check=Check("a second of nothing", 1e-12, _slow_error)))
