"""A toy method whose every gradient sleeps SLEEP_S (for the interruption tests: a sweep of it lasts a known time
whatever the machine's speed), registered on import."""

import time

from nngrad.methods import register
from nngrad.methods.backprop import backprop
from nngrad.methods.base import GradientResult, Method
from nngrad.methods.checks import against_backprop

NAME = "sleepy"
SLEEP_S = 0.05


def prepare(net, x, y):
    def call() -> GradientResult:
        time.sleep(SLEEP_S)
        loss, grad = backprop(net, x, y)
        return GradientResult(grad, loss, NAME, 1)

    return call


METHOD = register(Method(
    name=NAME, family="reverse-mode", prepare=prepare, description=f"backprop after {SLEEP_S} s of sleep (a toy for "
    "the interruption tests)", work_count=lambda n: 1, flops=lambda sizes, batch: 0, check=against_backprop(1e-12)))
