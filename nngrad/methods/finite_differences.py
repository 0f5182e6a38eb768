"""The textbook finite difference: one parameter perturbed in place at a time, the loss evaluated again.

``numerical_gradient`` is the classic API (loop or batched, forward or central); ``numerical-loop`` is the
registered method (forward differences, N + 1 loss evaluations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import _validate as validate
from .._progress import progress_bar
from ..errors import InvalidType, InvalidValue
from . import cost
from .base import Call, GradientResult, Method
from .checks import FINITE_DIFFERENCE_TOL, against_backprop
from .prefix import DEFAULT_MAX_BYTES
from .schemes import SCHEMES, default_eps
from .schemes import scheme as get_scheme

VARIANTS = ("loop", "batched")


@dataclass
class NumericalGradient:
    """A finite-difference gradient and what it cost.

    ``loss`` is L(params) for every scheme (the central scheme evaluates it once more, beside its 2N differences).
    ``loss_evaluations`` is counted as they happen.
    """

    grad: np.ndarray
    loss: float
    loss_evaluations: int
    scheme: str
    eps: float
    variant: str


def numerical_gradient(
    net,
    x: np.ndarray,
    y: np.ndarray,
    scheme: str = "forward",
    eps: float | None = None,
    variant: str = "loop",
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = False,
    method: str | None = None,
) -> NumericalGradient:
    """Finite-difference gradient of ``net.loss(x, y)`` with respect to ``net.params``.

    eps=None: the step that balances truncation and round-off for the scheme and the parameters' dtype
    (sqrt(u) forward, u^(1/3) central; the classic lesson's 1e-4 is a fine explicit choice in float64).
    scheme "forward": (L(p + eps e_i) - L(p)) / eps, exactly N + 1 loss evaluations;
    scheme "central": (L(p + eps e_i) - L(p - eps e_i)) / (2 eps), exactly 2N, and L(p) once (the
    ``loss`` every scheme returns): 2N + 1.
    variant "loop": the textbook algorithm, one scalar perturbed in place at a time and always
    restored exactly; "batched": the same evaluations, many perturbed networks per numpy call,
    reusing the unperturbed activations before the perturbed layer, in chunks of at most
    ``max_bytes`` of working memory. ``progress=True`` shows a progress bar (tqdm, on a terminal).
    ``method=`` is the old name of ``variant=`` (deprecated: a method is a registered gradient method).
    """
    variant = validate.renamed("method", "variant", method, variant, "loop", "a method is a registered gradient "
                               "method; this picks the finite difference's variant")
    formula = get_scheme(scheme)
    validate.choice("variant", variant, VARIANTS)
    eps = formula.default_eps(net.dtype) if eps is None else validate.positive_float("eps", eps)
    step_resolves("eps", eps, net.params)
    validate.positive_int("max_bytes", max_bytes)
    x, y = net.check_data(x, y)
    if variant == "loop":
        grad, loss, count = finite_difference(lambda p: net.evaluate(x, y), net.params, scheme, eps, progress)
    else:
        from .batched import differences

        result = differences(net, x, y, scheme, eps, max_bytes, progress)
        grad, loss, count = result.grad, result.loss, result.loss_evaluations
    if loss is None:  # central differences never evaluate L(p): once more, so every scheme returns the same fields
        loss, count = float(net.evaluate(x, y)), count + 1
    return NumericalGradient(grad, loss, count, scheme, eps, variant)


def finite_difference(
    f: Callable[[np.ndarray], float],
    theta: np.ndarray,
    scheme: str = "central",
    eps: float | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, float | None, int]:
    """(grad, f(theta) or None, evaluations) of a scalar function f of the array ``theta``.

    ``theta`` (any shape) is perturbed in place one element at a time and each element is
    restored exactly, even when f raises; grad has theta's shape. f(theta) is returned for the
    forward scheme (it is its base evaluation), None for the central one.
    """
    forward = get_scheme(scheme).base_evaluation
    if not isinstance(theta, np.ndarray) or theta.dtype.kind != "f":
        raise InvalidType(f"theta must be a floating-point numpy array (it is perturbed in place), got "
                          f"{getattr(theta, 'dtype', type(theta).__name__)}")
    eps = default_eps(scheme, theta.dtype) if eps is None else validate.positive_float("eps", eps)
    step_resolves("eps", eps, theta)
    flat = theta.reshape(-1)  # a view: writing flat[i] perturbs theta
    if not np.shares_memory(flat, theta):
        raise InvalidValue("theta must be a contiguous array that can be perturbed in place")
    count = 0

    def evaluate() -> float:
        nonlocal count
        count += 1
        return f(theta)

    grad = np.empty(flat.size, dtype=np.float64)
    base = evaluate() if forward else None
    bar = progress_bar(flat.size, progress, "finite differences", "param")
    for i in range(flat.size):
        old = flat[i]
        try:
            flat[i] = old + eps
            plus = evaluate()
            if forward:
                grad[i] = (plus - base) / eps
            else:
                flat[i] = old - eps
                grad[i] = (plus - evaluate()) / (2 * eps)
        finally:
            flat[i] = old
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return grad.reshape(theta.shape).astype(theta.dtype, copy=False), base, count


def step_resolves(name: str, eps: float, theta: np.ndarray) -> None:
    """Raise if the step vanishes against some parameters (theta + eps == theta): their differences would be 0."""
    lost = int(np.count_nonzero(theta + np.asarray(eps, dtype=theta.dtype) == theta))
    if lost:
        raise InvalidValue(f"{name}={eps:g} is lost against {lost} of {theta.size} parameters (theta + {name} == "
                           f"theta in {theta.dtype}): their finite differences would be 0; use a step of at least "
                           f"{np.finfo(theta.dtype).eps * float(np.abs(theta).max()):.1e} (the default is the "
                           "scheme's optimal step)")


def prepare_loop(net, x: np.ndarray, y: np.ndarray, eps: float | None = None) -> Call:
    eps = SCHEMES["forward"].default_eps(net.dtype) if eps is None else validate.positive_float("eps", eps)

    def call() -> GradientResult:
        grad, loss, count = finite_difference(lambda p: net.evaluate(x, y), net.params, "forward", eps)
        return GradientResult(grad, loss, "numerical-loop", count)

    return call


METHOD = Method(
    name="numerical-loop", family="finite-difference", exact=False, per_parameter=True, prepare=prepare_loop, options=("eps",),
    description="the textbook forward difference: perturb one parameter in place, evaluate the loss again (N+1)",
    work_count=SCHEMES["forward"].evaluations,
    cost=lambda net: cost.forward(net) * (net.n_params + 1) + cost.passes(3, 0) * net.n_params,  # + a step in place
    check=against_backprop(FINITE_DIFFERENCE_TOL, SCHEMES["forward"]), step=SCHEMES["forward"].default_eps,
    color="#d62728", marker="^")
