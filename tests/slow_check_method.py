"""A toy method whose gradient check lasts until the progress line has shown it (for the progress line's test),
registered on import. With SHOWN set in the environment (a file's path), the check waits for that file, which the
test writes once a progress line says "checking the gradient" (CEILING_S bounds a hang); without it, a second."""

import os
import time
from pathlib import Path

from nngrad.methods import register
from nngrad.methods.backprop import backprop
from nngrad.methods.base import Check, GradientResult, Method

NAME = "slow-check"
SHOWN = "NNGRAD_TEST_CHECK_SHOWN"
CEILING_S = 60.0  # not a speed limit: only a test that never shows the phase waits this long, then fails


def prepare(net, x, y):
    def call() -> GradientResult:
        loss, grad = backprop(net, x, y)
        return GradientResult(grad, loss, NAME, 1)

    return call


def _slow_error(net, x, y, result):
    if not (shown := os.environ.get(SHOWN)):
        time.sleep(1.0)
        return 0.0, []
    deadline = time.monotonic() + CEILING_S
    while not Path(shown).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return 0.0, []


METHOD = register(Method(
    name=NAME, family="reverse-mode", prepare=prepare, description="backprop, checked slowly (a toy for a test)",
    work_count=lambda n: 1, flops=lambda sizes, batch: 0, check=Check("a second of nothing", 1e-12, _slow_error)))
