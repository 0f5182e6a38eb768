"""A toy gradient method for the registry test, registered when this module is imported (as a method of your own
would be): backprop's gradient computed twice, so that it is slower than backprop by about a forward pass."""

from nngrad.methods import register
from nngrad.methods.backprop import backprop
from nngrad.methods.base import GradientResult, Method
from nngrad.methods.checks import against_backprop
from nngrad.model.counts import forward_flops

NAME = "toy-twice"


def prepare(net, x, y):
    def call() -> GradientResult:
        backprop(net, x, y)
        loss, grad = backprop(net, x, y)
        return GradientResult(grad, loss, NAME, 2)

    return call


METHOD = register(Method(
    name=NAME, family="reverse-mode", prepare=prepare, description="backprop, twice (a toy for the registry test)",
    work_count=lambda n: 2, flops=lambda sizes, batch: 6 * forward_flops(sizes, batch),
    check=against_backprop(1e-12), color="#000000", marker="*"))
