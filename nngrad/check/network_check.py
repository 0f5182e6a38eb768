"""gradient_check: backprop against a finite difference, per layer and per W/b, with a verdict.

An element passes when |a - n| <= atol + rtol * (|a| + |n|) (a: analytic, n: numerical).
The relative part alone is meaningless where gradients vanish (deep sigmoid networks reach
1e-15 in their first layers, below the finite difference's round-off), so the absolute part
covers the finite difference's own error there. Reported relative error: |a - n| / max(|a| + |n|, tiny).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as validate
from ..methods.backprop import backprop_gradient
from ..methods.finite_differences import VARIANTS, numerical_gradient
from ..methods.schemes import scheme as get_scheme
from ..model.network import DNN

TINY = np.finfo(np.float64).tiny


@dataclass
class ParamError:
    """The errors of one parameter array (W or b of one Dense layer)."""

    layer: int
    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numerical: float
    passed: bool


@dataclass
class GradientReport:
    """What :func:`gradient_check` found; ``str(report)`` is a readable table."""

    rows: list[ParamError]
    scheme: str
    eps: float
    rtol: float
    atol: float
    method: str
    loss_evaluations: int
    num_params: int
    near_kinks: int
    analytic: np.ndarray = field(repr=False)
    numerical: np.ndarray = field(repr=False)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def max_abs_error(self) -> float:
        return max(r.max_abs_error for r in self.rows)

    @property
    def max_rel_error(self) -> float:
        return max(r.max_rel_error for r in self.rows)

    def to_frame(self):
        """One row per parameter array (a pandas DataFrame)."""
        import pandas as pd

        return pd.DataFrame([vars(r) for r in self.rows])

    def __str__(self) -> str:
        head = (f"gradient check: backprop vs {self.scheme} differences ({self.method}), eps={self.eps:.3g}, "
                f"N={self.num_params}, {self.loss_evaluations} loss evaluations\n"
                f"pass when |a-n| <= atol + rtol*(|a|+|n|), rtol={self.rtol:g}, atol={self.atol:g}\n")
        lines = [(f"{'layer':>5} {'param':<5} {'shape':<10} {'max abs err':>11} {'max rel err':>11} "
                  f"{'worst index':<12} {'analytic':>12} {'numerical':>12}  verdict")]
        for r in self.rows:
            lines.append(f"{r.layer:>5} {r.name:<5} {'x'.join(map(str, r.shape)):<10} {r.max_abs_error:>11.2e} "
                         f"{r.max_rel_error:>11.2e} {r.worst_index!s:<12} {r.analytic:>12.5e} "
                         f"{r.numerical:>12.5e}  {'ok' if r.passed else 'FAIL'}")
        tail = f"\nresult: {'PASS' if self.passed else 'FAIL'}"
        if self.near_kinks:
            tail += (f"\nnote: {self.near_kinks} ReLU input(s) lie within {KINK_REACH:g}*eps of the kink at 0; "
                     "a finite difference that crosses a kink disagrees with backprop without any bug "
                     "(try init='he', another seed or a smaller eps)")
        return head + "\n".join(lines) + tail


KINK_REACH = 10.0


def gradient_check(
    net: DNN,
    x: np.ndarray,
    y: np.ndarray,
    scheme: str = "central",
    eps: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    method: str = "loop",
    progress: bool = False,
) -> GradientReport:
    """Compare backprop with a finite-difference gradient of ``net.loss(x, y)``.

    eps=None takes the scheme's optimal step for the parameters' dtype (see ``default_eps``);
    rtol/atol=None take the scheme's defaults for the dtype (``Scheme.tolerance``).
    Warns when the parameters are not float64: finite differences in float32 lose most digits.
    """
    formula = get_scheme(scheme)
    validate.choice("method", method, VARIANTS)
    eps = formula.default_eps(net.dtype) if eps is None else validate.positive_float("eps", eps)
    d_rtol, d_atol = formula.tolerance(net.dtype)
    rtol = d_rtol if rtol is None else _tolerance("rtol", rtol)
    atol = d_atol if atol is None else _tolerance("atol", atol)
    if net.dtype != np.float64:
        warnings.warn(f"net.params are {net.dtype}, not float64: finite differences lose most digits in low "
                      "precision; build the network with dtype=float64 for a meaningful check", stacklevel=2)
    _, analytic = backprop_gradient(net, x, y)  # also checks x and y
    near_kinks = _near_kinks(net, net.check_x(x), KINK_REACH * eps)
    num = numerical_gradient(net, x, y, scheme=scheme, eps=eps, method=method, progress=progress)
    rows, offset = [], 0
    for k, layer in enumerate(net.dense_layers):
        for name, shape in (("W", layer.W.shape), ("b", layer.b.shape)):
            size = int(np.prod(shape))
            a = analytic[offset:offset + size].astype(np.float64)
            n = num.grad[offset:offset + size].astype(np.float64)
            offset += size
            rows.append(_param_error(k, name, shape, a, n, rtol, atol))
    return GradientReport(rows, scheme, eps, rtol, atol, method, num.loss_evaluations, net.num_params,
                          near_kinks, analytic, num.grad)


def _tolerance(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not value >= 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def _param_error(layer: int, name: str, shape: tuple, a: np.ndarray, n: np.ndarray,
                 rtol: float, atol: float) -> ParamError:
    err = np.abs(a - n)
    scale = np.abs(a) + np.abs(n)
    rel = err / np.maximum(scale, TINY)
    excess = err / np.maximum(atol + rtol * scale, TINY)  # > 1: fails
    worst = int(np.argmax(excess))
    return ParamError(layer, name, tuple(shape), float(err.max()), float(rel.max()),
                      tuple(int(i) for i in np.unravel_index(worst, shape)), float(a[worst]), float(n[worst]),
                      bool(excess[worst] <= 1.0))


def _near_kinks(net: DNN, x: np.ndarray, reach: float) -> int:
    """How many ReLU inputs (pre-activations of non-analytic layers) lie within ``reach`` of 0."""
    _, zs = net.trace(x)
    return sum(int((np.abs(z) <= reach).sum()) for z, act in zip(zs, net.activations) if not act.analytic)
