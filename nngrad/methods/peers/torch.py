"""PyTorch autograd on the CPU: the same weights (shared with net.params, no copy), the same batch, the dtype
of the network, and as many threads as numpy's BLAS (``torch.set_num_threads``: a process-wide setting)."""

from __future__ import annotations

import numpy as np

from ..base import Call, GradientResult, Method
from ._common import INSTALL, PEER_CHECK, activations, arrays, batch, blas_threads, reverse_cost


def prepare(net, x: np.ndarray, y: np.ndarray) -> Call:
    import torch

    threads = blas_threads() or torch.get_num_threads()
    torch.set_num_threads(threads)
    params = [torch.from_numpy(p).requires_grad_() for p in arrays(net)]  # views of net.params
    xb, t = (torch.from_numpy(a) for a in batch(net, x, y))
    functions = {"sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda z: z}
    layers = [functions[a] for a in activations(net)]
    mse = net.loss_name == "mse"
    info = {"torch": torch.__version__, "threads": threads}
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
        grads = torch.autograd.grad(value, params)
        return GradientResult(torch.cat([g.reshape(-1) for g in grads]).numpy(), float(value.detach()), "torch", count,
                              info=info)

    return call


METHOD = Method(
    name="torch", family="reverse-mode", prepare=prepare, requires=("torch",), install=INSTALL,
    description="PyTorch autograd (eager, CPU), same weights, dtype and thread count as numpy's BLAS",
    work_count=lambda n: 1, check=PEER_CHECK,
    # per layer: addmm and the activation, and their 4 backward operations; the loss's 4 and theirs; the gathering
    cost=reverse_cost("torch", lambda net: 6 * len(net.layers) + 8 + 2 * len(net.layers) + 4),
    traced_memory=False, color="#e377c2", marker="h")
