"""A term of a loss on a softmax's probabilities whose gradient was given with respect to the probabilities, not
chained through the softmax to the logits. For an input z (N, C) of a loss (a scalar output), p = softmax(z) over
the last axis, J = diag(p) - p p^T its Jacobian (symmetric): where yours = true + g - J g for a term g that is one
function of p element by element (a + b log p + c p + d / p: the derivative of a sum over p_i f(p_i), an entropy's
-(log p + 1)), yours holds g where J g belongs."""

from __future__ import annotations

import numpy as np

from ..tolerances import FEWEST_FIT, PREDICTED
from .evidence import Evidence, Failure
from .findings import Finding

BASIS = (("1", lambda p: np.ones_like(p)), ("log p", np.log), ("p", lambda p: p), ("1/p", lambda p: 1 / p))


def diagnose(e: Evidence) -> list[Finding]:
    """A "derivative" finding for each failing input of a loss whose error is such an unchained term."""
    try:
        context = e.subject.context()
    except Exception:  # noqa: BLE001 - a diagnosis may fail, the check may not
        return []
    if context is None or not (context.dout is None or np.ndim(context.dout) == 0):
        return []
    return [Finding("derivative", words) for f in e.failing if (words := unchained(e, f))]


def _jacobian_times(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """J g for each row: p (g - sum(p g)), shapes (N, C)."""
    return p * (g - (p * g).sum(axis=-1, keepdims=True))


def unchained(e: Evidence, f: Failure) -> str | None:
    """Words where f's error (yours - numerical) is g - J g for g = sum_k c_k phi_k(p), else None."""
    from .diagnostics import number  # it imports this module

    x = np.asarray(f.operand.values, dtype=float)  # an input, or a parameter the loss takes as its logits
    if x.ndim != 2 or x.shape[1] < 3 or x.size < FEWEST_FIT * len(BASIS):
        return None
    z = x - x.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    if p.min() <= 0:
        return None
    d = (f.claimed - f.numerical).reshape(x.shape)
    allowed = e.allowed(f).reshape(x.shape)
    phis = [phi(p) for _, phi in BASIS]
    columns = np.stack([(g - _jacobian_times(p, g)).reshape(-1) for g in phis], axis=1)
    coef = np.linalg.lstsq(columns, d.reshape(-1), rcond=None)[0]
    fit = (columns @ coef).reshape(x.shape)
    if not np.all(np.abs(d - fit) <= allowed + PREDICTED * np.abs(fit)) or np.abs(fit).max() <= allowed.max():
        return None
    if abs(coef[0]) and not any(abs(k) * np.abs(phi).max() > allowed.max() for k, phi in zip(coef[1:], phis[1:])):
        return None  # a constant alone: an offset, said elsewhere
    direct = np.linalg.lstsq(np.stack([g.reshape(-1) for g in phis], axis=1), d.reshape(-1), rcond=None)[0]
    if np.all(np.abs(d - sum(k * g for k, g in zip(direct, phis))) <= allowed):
        return None  # an extra term of p itself, not an unchained one
    g = " + ".join(f"{number(k)} {name}" if name != "1" else number(k) for (name, _), k in zip(BASIS, coef)
                   if abs(k) * np.abs(phis[[n for n, _ in BASIS].index(name)]).max() > allowed.max())
    return (f"{f.row.name} holds a term g = {g} (p = softmax({f.operand.label}) over its last axis) where the "
            f"term's gradient with respect to {f.operand.label}, J^T g = p (g - sum(p g)), belongs (yours - numerical "
            f"= g - J^T g, J the softmax's Jacobian): the derivative of a function of the probabilities taken with "
            f"respect to p and not chained through the softmax (an entropy's dH/dp = -(log p + 1) used as dH/dz)")
