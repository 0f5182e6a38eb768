"""JAX: jax.value_and_grad of the same loss, jit-compiled (compilation before the first call, timed apart),
64-bit floats enabled for float64 networks (``jax_enable_x64`` is a process-wide setting: it stays on), on the
network's device: JAX's CPU for a CPU network, its GPU N for a network on cuda:N (a CUDA build of jaxlib).

``prepare`` compiles; each call hands the weights as they are to the compiled gradient (on the CPU the numpy arrays
themselves, which jit's dispatch takes in C++: a jax.device_put of the list first cost 230 µs a call on the classic
network, more than the gradient; on a GPU one transfer of the whole list), so that a prepared call computes the
gradient at ``net.params`` as they are when it is called (the contract of every method, base.Method)."""

from __future__ import annotations

import importlib.util
import time

import numpy as np

from ...backend import to_numpy
from ..base import Call, GradientResult, Method
from ._common import INSTALL, PEER_CHECK, activations, arrays, batch, numpy_like_loss, reverse_cost


def loss_on_device(net, x: np.ndarray, y: np.ndarray) -> tuple:
    """(jax, the JAX device of the network, loss(params) of the batch there, params = [W_0, b_0, ...]), with
    64-bit floats on for a float64 network (else JAX silently computes in float32)."""
    import jax

    if net.dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    device = _device(jax, net.device)
    xb, t = (jax.device_put(a, device) for a in batch(net, to_numpy(x), to_numpy(y)))
    return jax, device, numpy_like_loss(jnp, activations(net), net.loss_name, xb, t)


def prepare(net, x: np.ndarray, y: np.ndarray) -> Call:
    jax, device, value = loss_on_device(net, x, y)
    import jax.numpy as jnp

    traced = 0

    def loss(params):
        nonlocal traced
        traced += 1  # runs while tracing: the compiled gradient holds exactly this many loss evaluations
        return value(params)

    compiled = jax.jit(jax.value_and_grad(loss))  # a concatenate inside the jit made XLA's CPU code ~50x slower
    on_cpu = net.device == "cpu"

    def params() -> list:  # the weights as they are now: numpy's own on the CPU, one transfer of the list elsewhere
        weights = [to_numpy(p) for p in arrays(net)]
        return weights if on_cpu else jax.device_put(weights, device)

    start = time.perf_counter()
    jax.block_until_ready(compiled(params()))
    info = {"jax": jax.__version__, "compile_s": time.perf_counter() - start, "jax_device": str(device)}
    per_call = traced  # loss evaluations in one call of the compiled gradient

    def call() -> GradientResult:
        v, g = compiled(params())
        if on_cpu:  # numpy gathers faster than an XLA concatenate on the CPU
            return GradientResult(net.backend.asarray(np.concatenate([np.asarray(gi).ravel() for gi in g])), float(v),
                                  "jax", per_call, info=info)
        return GradientResult(jnp.concatenate([gi.ravel() for gi in g]), float(v), "jax", per_call, info=info)

    return call


def _gpus(jax) -> list:
    """JAX's GPUs (none without a CUDA build of jaxlib)."""
    try:
        return jax.devices("gpu")
    except RuntimeError:
        return []


def why_not(net) -> str | None:
    """None where JAX can compute on the network's device: its CPU always, cuda:N with a CUDA build of jaxlib."""
    if net.device == "cpu" or importlib.util.find_spec("jax") is None:
        return None
    import jax

    count = len(_gpus(jax))
    if int(net.device.partition(":")[2] or 0) >= count:
        return (f"jax sees {count} GPU(s), so it cannot run on {net.device}: a CUDA build of jaxlib is needed "
                "(pip install 'jax[cuda12]')")
    return None


def _device(jax, device: str):
    """JAX's device for nngrad's ``device`` ("cpu" or "cuda:N"; :func:`why_not` said it is there)."""
    return jax.devices("cpu")[0] if device == "cpu" else _gpus(jax)[int(device.partition(":")[2] or 0)]


METHOD = Method(
    name="jax", family="reverse-mode", prepare=prepare, requires=("jax",), install=INSTALL,
    description="jax.value_and_grad of the same loss, jit-compiled (compile time recorded apart), on the "
                "network's device, in the network's precision (64-bit floats enabled for float64)",
    work_count=lambda n: 1, check=PEER_CHECK, array_api=True, why_not=why_not,
    cost=reverse_cost("jax", lambda net: 2 + 2 * len(net.layers), lambda net: 2 * len(net.layers) + 2),  # the weights'
    # transfer, one dispatch, the arrays brought back, gathered by numpy
    traced_memory=False, color="#2ca02c", marker="p")
