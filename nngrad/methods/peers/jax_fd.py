"""JAX finite differences as people write them: ``jit(vmap(loss))`` over perturbed parameter vectors
theta + h e_i, a chunk of them per dispatch, then (L(theta + h e_i) - L(theta)) / h. Every evaluation is a full
forward pass (no reuse of the unperturbed layers, which is what numerical-batched adds), on the network's device.
Compilation (one shape per chunk size) is done in prepare and recorded apart (``compile_s``)."""

from __future__ import annotations

import math
import time

import numpy as np

from ...backend import to_numpy
from .. import cost
from ..base import Call, GradientResult, Method
from ..checks import FINITE_DIFFERENCE_TOL, against_backprop
from ..prefix import DEFAULT_MAX_BYTES
from ..schemes import SCHEMES
from ._common import INSTALL, arrays
from .jax import loss_on_device, why_not

FORWARD = SCHEMES["forward"]


def chunk(n: int, batch: int, width: int, itemsize: int, max_bytes: int) -> int:
    """Perturbed vectors per dispatch: each holds a copy of theta (n) and its activations (4 x batch x width)."""
    return max(1, min(n, max_bytes // (itemsize * (n + 4 * batch * width))))


def prepare(net, x: np.ndarray, y: np.ndarray, eps: float | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Call:
    jax, device, value = loss_on_device(net, x, y)
    import jax.numpy as jnp

    h = FORWARD.default_eps(net.dtype) if eps is None else float(eps)
    shapes = [p.shape for p in arrays(net)]
    bounds = np.cumsum([0] + [math.prod(s) for s in shapes])

    def loss(theta):
        return value([theta[a:b].reshape(s) for a, b, s in zip(bounds[:-1], bounds[1:], shapes, strict=True)])

    def perturbed(theta, indices):  # (K,) parameter indices -> (K,) losses
        return jax.vmap(lambda i: loss(theta.at[i].add(h)))(indices)

    n = net.num_params
    k = chunk(n, x.shape[0] if x.ndim == 2 else 1, max(net.sizes), net.dtype.itemsize, max_bytes)
    starts = range(0, n, k)
    chunks = [jax.device_put(np.arange(s, min(s + k, n)), device) for s in starts]
    base, many = jax.jit(loss), jax.jit(perturbed)
    theta = jax.device_put(to_numpy(net.params), device)
    start = time.perf_counter()
    jax.block_until_ready((base(theta), *(many(theta, c) for c in {len(c): c for c in chunks}.values())))
    info = {"jax": jax.__version__, "compile_s": time.perf_counter() - start, "jax_device": str(device), "chunk": k}

    def call() -> GradientResult:
        theta = jax.device_put(to_numpy(net.params), device)  # net.params as they are now (base.Method's contract)
        l0 = base(theta)
        grad = (jnp.concatenate([many(theta, c) for c in chunks]) - l0) / h
        out = net.backend.asarray(np.array(grad)) if net.device == "cpu" else grad  # a writable copy
        return GradientResult(out, float(l0), "jax-fd", n + 1, info=info)

    return call


def work(net: cost.Network, max_bytes: int = DEFAULT_MAX_BYTES) -> cost.Cost:
    """N + 1 full forward passes (their products and element-wise work), each perturbed copy of theta written
    (N x N numbers), theta's transfer, one dispatch per chunk, the base loss and the gathering."""
    n, one = net.n_params, cost.forward(net)
    dispatches = math.ceil(n / chunk(n, net.batch, net.width, net.itemsize, max_bytes))
    return cost.Cost(0, (n + 1) * one.flops, (n + 1) * one.elementwise + cost.PASS * n * n, dispatches + 4, "jax")


METHOD = Method(
    name="jax-fd", family="finite-difference", exact=False, prepare=prepare, requires=("jax",), install=INSTALL,
    description="JAX forward differences as usually written: jit(vmap(loss)) over theta + h e_i in chunks, every "
                "evaluation a full forward pass (no prefix reuse), on the network's device",
    work_count=FORWARD.evaluations, cost=work, options=("eps", "max_bytes"), step=FORWARD.default_eps,
    check=against_backprop(FINITE_DIFFERENCE_TOL, FORWARD), why_not=why_not, array_api=True,
    traced_memory=False, color="#98df8a", marker="<")
