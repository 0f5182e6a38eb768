"""SciPy's finite differences: scipy.optimize.approx_fprime of the loss as a function of the flat parameter
vector (forward differences, N + 1 evaluations, counted through the function it calls)."""

from __future__ import annotations

import numpy as np

from ... import _validate as validate
from .. import cost
from ..base import Call, GradientResult, Method
from ..checks import FINITE_DIFFERENCE_TOL, against_backprop
from ..schemes import SCHEMES
from ._common import INSTALL


def prepare(net, x: np.ndarray, y: np.ndarray, eps: float | None = None) -> Call:
    from scipy.optimize import approx_fprime

    eps = SCHEMES["forward"].default_eps(net.dtype) if eps is None else validate.positive_float("eps", eps)
    work = net.copy()  # approx_fprime hands over perturbed copies of the vector: the user's net is never touched
    count = 0

    def loss(p: np.ndarray) -> float:
        nonlocal count
        count += 1
        work.params[...] = p
        return work.evaluate(x, y)

    def call() -> GradientResult:
        nonlocal count
        count = 0
        grad = approx_fprime(net.params.copy(), loss, eps)
        return GradientResult(grad.astype(net.dtype, copy=False), None, "scipy", count)

    return call


METHOD = Method(
    name="scipy", family="finite-difference", exact=False, evaluates_loss=False, per_parameter=True, prepare=prepare, requires=("scipy",), install=INSTALL,
    options=("eps",), step=SCHEMES["forward"].default_eps,
    description="scipy.optimize.approx_fprime: forward differences of the loss over the flat vector (N+1)",
    work_count=SCHEMES["forward"].evaluations,
    # per evaluation: the loss, approx_fprime's perturbed vector and nngrad's checked copy of it; once: its N x N
    # matrix of steps
    cost=lambda net: (cost.forward(net) + cost.passes(20, 6 * net.n_params)) * (net.n_params + 1)
    + cost.passes(2, net.n_params ** 2),
    check=against_backprop(FINITE_DIFFERENCE_TOL, SCHEMES["forward"]), color="#8c564b", marker="<")
