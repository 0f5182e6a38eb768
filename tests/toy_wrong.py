"""A toy method whose gradient is wrong by a factor 2, registered on import: every point of it fails its check."""

from nngrad.methods import register
from nngrad.methods.backprop import backprop
from nngrad.methods.base import GradientResult, Method
from nngrad.methods.checks import against_backprop
from nngrad.model.counts import forward_flops

NAME = "toy-wrong"


def prepare(net, x, y):
    def call() -> GradientResult:
        loss, grad = backprop(net, x, y)
        return GradientResult(2 * grad, loss, NAME, 1)

    return call


METHOD = register(Method(name=NAME, family="reverse-mode", prepare=prepare, description="backprop doubled (a toy)",
                         work_count=lambda n: 1, flops=lambda sizes, batch: 3 * forward_flops(sizes, batch),
                         check=against_backprop(1e-10)))
