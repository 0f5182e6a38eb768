"""PyTorch autograd, eager, on the network's device: the same weights (a numpy network's are shared with
net.params, no copy; a torch network's are its own tensors, on the CPU or a CUDA device), the same batch, the
dtype of the network, and on the CPU as many threads as numpy's BLAS (``torch.set_num_threads``: a process-wide
setting). The gradient comes back where the network's parameters live."""

from __future__ import annotations

import numpy as np

from ...backend import to_numpy
from ..base import Call, GradientResult, Method
from ._common import INSTALL, PEER_CHECK, activations, arrays, batch, blas_threads, reverse_cost


def prepare(net, x: np.ndarray, y: np.ndarray) -> Call:
    import torch

    where, own = net.backend, net.backend.library == "torch"
    device = where.native if own else torch.device("cpu")
    threads = blas_threads() or torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(threads)
    params = [(p.detach() if own else torch.as_tensor(to_numpy(p))).requires_grad_() for p in arrays(net)]  # views
    xb, t = (torch.as_tensor(a, device=device) for a in batch(net, to_numpy(x), to_numpy(y)))
    functions = {"sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda z: z}
    layers = [functions[a] for a in activations(net)]
    mse = net.loss_name == "mse"
    info = {"torch": torch.__version__, "threads": threads if device.type == "cpu" else None}
    count = 0

    def loss():
        nonlocal count
        count += 1
        h = xb
        for k, act in enumerate(layers):
            h = act(torch.addmm(params[2 * k + 1], h, params[2 * k]))
        return 0.5 * ((h - t) ** 2).mean() if mse else -(t * torch.log_softmax(h, dim=-1)).sum(dim=-1).mean()

    def call() -> GradientResult:
        nonlocal count
        count = 0
        value = loss()
        grad = torch.cat([g.reshape(-1) for g in torch.autograd.grad(value, params)])
        grad = grad if own else where.asarray(grad.numpy())
        return GradientResult(grad, float(value.detach()), "torch", count, info=info)

    return call


METHOD = Method(
    name="torch", family="reverse-mode", prepare=prepare, requires=("torch",), install=INSTALL, array_api=True,
    description="PyTorch autograd (eager) on the network's device, same weights, dtype and (CPU) thread count",
    work_count=lambda n: 1, check=PEER_CHECK,
    # per layer: addmm and the activation, and their 4 backward operations; the loss's 4 and theirs; the gathering
    cost=reverse_cost("torch", lambda net: 6 * len(net.layers) + 8 + 2 * len(net.layers) + 4),
    traced_memory=False, color="#e377c2", marker="h")
