"""Captured mode: a gradient recorded once as a CUDA graph and replayed (torch.cuda.CUDAGraph). At the sizes
people learn with, a GPU gradient is mostly kernel-launch overhead: one eager backprop of the classic network
launches ~60 kernels from Python; a replay launches the whole recorded graph at once (on one H100 a forward pass
took 0.22-0.43 ms eager and 0.036-0.061 ms replayed). Two methods: nngrad's backprop and torch autograd, each
captured; their eager twins are "backprop" and "torch". CUDA devices through torch only: CuPy cannot record
cuBLAS calls in a graph.

What a graph demands: the same shapes and the same arrays on every replay (the network's parameters, x and y
stay where they are; new values written into ``net.params`` are seen by the next replay), and no transfer to
the host while recording. The recording (warm-up on a side stream, then capture) is done once, in prepare, and
recorded apart as ``capture_s``; a call is one replay, then the wait for the device. Its gradient is the graph's
own output array, overwritten by the next call: copy it to keep it."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from . import backprop, cost
from .base import Call, GradientResult, Method
from .peers import torch as torch_peer
from .peers._common import PEER_CHECK

WARM_UP = 3  # eager runs on a side stream before recording: cuBLAS's workspaces and autograd's first-call work
# a replayed kernel costs this fraction of an eager call's fixed cost: an estimate from an earlier study on one H100
# (a forward pass of the depth-5 network, 0.036-0.061 ms replayed against 0.22-0.43 ms eager: about 1/6), until a GPU
# run of nngrad's own measures it (the device constants' per-method call cost then calibrates it)
REPLAYED_CALL = 1 / 6
INSTALL = "pip install 'nngrad[gpu]' (a CUDA build of PyTorch)"


def on_cuda(net) -> str | None:
    """None where a CUDA graph can record the network's gradient (a torch network on a CUDA device), else why not."""
    where = net.backend
    if where.can_capture:
        return None
    return f"a CUDA graph needs a network on a CUDA device through torch (net.to('cuda')); this one is {where}"


def capture(fn: Callable[[], tuple], device) -> tuple[Callable[[], tuple], float]:
    """(replay() -> fn's outputs, recomputed in place, seconds the recording took): ``fn`` (no host transfers,
    the same shapes every time) warmed up on a side stream, then recorded as a CUDA graph on ``device``."""
    import torch

    start = time.perf_counter()
    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        for _ in range(WARM_UP):
            fn()
    torch.cuda.current_stream(device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        outputs = fn()
    torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start

    def replay() -> tuple:
        graph.replay()
        return outputs

    return replay, seconds


def _captured(name: str, gradient: Callable, info: dict, net) -> Call:
    """The call of a captured method: one replay of ``gradient`` (-> (loss, grad) tensors)."""
    replay, seconds = capture(gradient, net.backend.native)
    info = {**info, "capture_s": seconds}

    def call() -> GradientResult:
        loss, grad = replay()
        return GradientResult(grad, float(loss), name, 1, backward_passes=1, info=info)

    return call


def prepare_backprop(net, x: np.ndarray, y: np.ndarray) -> Call:
    import torch

    return _captured("backprop-graph", lambda: backprop.backprop_arrays(net, x, y), {"torch": torch.__version__}, net)


def prepare_torch(net, x: np.ndarray, y: np.ndarray) -> Call:
    gradient, info = torch_peer.autograd_gradient(net, x, y)
    return _captured("torch-graph", gradient, info, net)


def replayed(work: Callable[[cost.Network], cost.Cost]) -> Callable[[cost.Network], cost.Cost]:
    """The cost of ``work`` replayed from a graph: one launch, and each recorded call at REPLAYED_CALL of its cost."""
    def graph(net: cost.Network) -> cost.Cost:
        eager = work(net)
        return cost.Cost(1 + REPLAYED_CALL * (eager.calls + eager.library_calls), eager.flops, eager.elementwise)

    return graph


BACKPROP = Method(
    name="backprop-graph", family="reverse-mode", prepare=prepare_backprop, requires=("torch",), install=INSTALL,
    description="nngrad's backprop recorded once as a CUDA graph and replayed (torch tensors on a CUDA device)",
    work_count=lambda n: 1, check=PEER_CHECK, why_not=on_cuda, array_api=True, cuda_only=True,
    cost=replayed(backprop.METHOD.cost), traced_memory=False, color="#17becf",
    marker="d")
TORCH = Method(
    name="torch-graph", family="reverse-mode", prepare=prepare_torch, requires=("torch",), install=INSTALL,
    description="PyTorch autograd recorded once as a CUDA graph and replayed", work_count=lambda n: 1,
    check=PEER_CHECK, why_not=on_cuda, array_api=True, cuda_only=True,
    cost=replayed(torch_peer.METHOD.cost), traced_memory=False, color="#bcbd22",
    marker="*")
