"""Every way to get a gradient, each a small registered unit (base.Method). ``gradient`` runs any of them;
``list_methods`` says which are available here. Adding a method: one module declaring a ``Method``, one line
in ``BUILTIN`` below (or ``register(method)`` from your own code), and its tests."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidType, InvalidValue, MissingPackage
from . import (backprop, batched, captured, compiled, complex_step, estimators, finite_differences, forward_mode,
               forward_pass)
from .base import FAMILIES, GradientResult, Method, get, register, registered, unregister
from .peers import autograd, jax, jax_fd, scipy, torch

# each compiled method right after its numpy twin
BUILTIN = (forward_pass.METHOD, backprop.METHOD, compiled.FORWARD, compiled.BACKPROP,
           finite_differences.METHOD, batched.NUMERICAL, compiled.NUMERICAL, batched.CENTRAL, complex_step.METHOD,
           forward_mode.METHOD, compiled.FORWARD_MODE, estimators.SPSA, estimators.FORWARD_GRADIENT,
           torch.METHOD, jax.METHOD, jax_fd.METHOD, autograd.METHOD, scipy.METHOD,
           captured.BACKPROP, captured.TORCH)
for _method in BUILTIN:
    register(_method)


def gradient(net, x: np.ndarray, y: np.ndarray, method: str = "backprop", **options) -> GradientResult:
    """The gradient of ``net.loss(x, y)`` by the registered ``method`` (see :func:`list_methods`).

    x: (B, num_input) or (num_input,); y: targets as for ``net.loss``. Returns a GradientResult: ``.grad`` (N,) in
    the layout of ``net.params``, ``.loss_evaluations`` (and ``.tangent_passes``) counted as they happen,
    ``.method``. ``options`` are the method's own (e.g. ``eps``, ``max_bytes``). Raises ImportError when the
    method's package is missing, ValueError when it does not apply to ``net``; ``net.params`` never change.
    """
    m = get(method)
    check_options(m, options)
    if reason := m.missing():
        raise MissingPackage(reason)
    x, y = net.check_data(x, y)
    if reason := m.why_not(net):
        raise InvalidValue(reason)
    return m.prepare(net, x, y, **options)()


def check_options(m: Method, options: dict) -> None:
    """Raise naming the options ``m`` does not take, and those it does."""
    if unknown := sorted(set(options) - set(m.options)):
        takes = f"its options are {', '.join(m.options)}" if m.options else "it takes no options"
        raise InvalidType(f"method {m.name!r} got unknown option(s) {', '.join(unknown)}; {takes}")


def available_methods() -> list[str]:
    """Names of the registered methods whose packages are installed here, in registration order."""
    return [name for name, m in registered().items() if m.missing() is None]


def gradient_methods() -> list[str]:
    """Names of the registered methods that compute a gradient (every family but "function")."""
    return [name for name, m in registered().items() if m.family != "function"]


def list_methods():
    """A DataFrame, one row per registered method: name, family, work (what it counts, and how it grows),
    available here (bool), reason (when not: the missing package and how to install it, or the CUDA device a CUDA
    graph needs), description."""
    import pandas as pd

    rows = [{"name": m.name, "family": m.family, "work": m.work_count_label(), "available": why is None,
             "reason": why or "", "description": m.description}
            for m in registered().values() for why in (m.unavailable(),)]
    return pd.DataFrame(rows)


__all__ = ["FAMILIES", "GradientResult", "Method", "available_methods", "get", "gradient", "gradient_methods",
           "list_methods",
           "register", "registered", "unregister"]
