"""PyTorch autograd, eager, on the network's device: the same weights (a numpy network's are shared with
net.params, no copy; a torch network's are its own tensors, on the CPU or a CUDA device), the same batch, the
dtype of the network, and on the CPU as many threads as numpy's BLAS (``torch.set_num_threads``: a process-wide
setting). The gradient comes back where the network's parameters live."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...backend import to_numpy
from ...model.activations import ACTIVATIONS
from ...model.losses import LOSSES
from ..base import Call, GradientResult, Method
from ._common import INSTALL, PEER_CHECK, activations, arrays, batch, blas_threads, peer_output, reverse_cost


def autograd_gradient(net, x: np.ndarray, y: np.ndarray) -> tuple[Callable, dict]:
    """(gradient() -> (loss, grad (N,)) as tensors where the network's parameters live and the number of loss
    evaluations it ran, what to record): torch autograd of the network's loss, set up once."""
    import torch

    where, own = net.backend, net.backend.library == "torch"
    device = where.native if own else torch.device("cpu")
    threads = blas_threads() or torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(threads)
    params = [(p.detach() if own else torch.as_tensor(to_numpy(p))).requires_grad_() for p in arrays(net)]  # views
    xb, t = (torch.as_tensor(a, device=device) for a in batch(net, to_numpy(x), to_numpy(y)))
    layers = [ACTIVATIONS[a].torch(torch) for a in activations(net)]
    objective = LOSSES[net.loss_name].torch(torch)

    def gradient():
        value = objective(peer_output(xb, params, layers, lambda wb, h: torch.addmm(wb[1], h, wb[0])), t)
        return value.detach(), torch.cat([g.reshape(-1) for g in torch.autograd.grad(value, params)])

    return gradient, {"torch": torch.__version__, "threads": threads if device.type == "cpu" else None}


def prepare(net, x: np.ndarray, y: np.ndarray) -> Call:
    gradient, info = autograd_gradient(net, x, y)
    own = net.backend.library == "torch"

    def call() -> GradientResult:
        loss, grad = gradient()
        return GradientResult(grad if own else net.backend.asarray(grad.numpy()), float(loss), "torch", 1,
                              backward_passes=1, info=info)

    return call


METHOD = Method(
    name="torch", family="reverse-mode", prepare=prepare, requires=("torch",), install=INSTALL, array_api=True,
    description="PyTorch autograd (eager) on the network's device, same weights, dtype and (CPU) thread count",
    work_count=lambda n: 1, check=PEER_CHECK,
    # per layer: addmm and the activation, and their 4 backward operations; the loss's 4 and theirs; the gathering
    cost=reverse_cost("torch", lambda net: 6 * len(net.layers) + 8 + 2 * len(net.layers) + 4),
    traced_memory=False, color="#e377c2", marker="h")
