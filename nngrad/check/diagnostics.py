"""Findings about users' code that the numbers alone do not say: a factor off everywhere, all-zero gradients,
NaN or inf, low precision."""

from __future__ import annotations

import numpy as np

from .compare import ArrayCheck
from .findings import Finding


def scaled(row: ArrayCheck, analytic: np.ndarray, numerical: np.ndarray, batch: int | None) -> Finding | None:
    """A "scaled" finding when a failing array's analytic gradient is one constant times the numerical one."""
    a, n = np.asarray(analytic, float).ravel(), np.asarray(numerical, float).ravel()
    big = np.abs(n) > 1e-3 * np.abs(n).max() if n.size and np.abs(n).max() > 0 else np.zeros(n.size, bool)
    if row.verdict != "FAIL" or big.sum() < 1:
        return None
    ratio = a[big] / n[big]
    factor = float(np.median(ratio))
    if not np.allclose(ratio, factor, rtol=1e-3) or np.isclose(factor, 1.0, rtol=1e-3):
        return None
    guesses = {2.0: "a factor 1/2 missing (the 1/2 of 1/2 (h - y)^2?)", 0.5: "a factor 1/2 too many",
               -1.0: "the sign flipped"}
    if batch and batch > 1:
        guesses |= {float(batch): f"a sum over the batch of {batch} where the loss takes the mean",
                    1.0 / batch: f"a mean over the batch of {batch} where the loss takes the sum"}
    guess = next((g for f, g in guesses.items() if np.isclose(factor, f, rtol=1e-3)), "a missing or extra factor")
    return Finding("scaled", f"{row.name} is {factor:.4g} times the numerical gradient everywhere: {guess}")


def common(rows: list[ArrayCheck], values: list[np.ndarray], kinks: list[str], dtypes: set) -> list[Finding]:
    """The findings of any check: NaN or inf in ``values``, every gradient zero, a kink crossed, float32."""
    found = []
    if not all(np.isfinite(np.asarray(v, dtype=float)).all() for v in values):
        found.append(Finding("nonfinite", "a value, input, parameter or gradient is NaN or inf: look for an overflow "
                             "(exp of a large input?) or a division by zero"))
    if rows and all(r.verdict == "zero" for r in rows):
        found.append(Finding("zero-gradient", "every gradient is exactly zero, so their agreement proves nothing "
                             "(dead ReLUs? all-zero inputs?): use inputs and an init that activate the units"))
    if kinks:
        found.append(Finding("kink", f"{', '.join(kinks)}: a finite difference crossed a kink (ReLU at 0?); the "
                             "left and right differences bracket the analytic value: not a bug"))
    if unresolved := [r.name for r in rows if r.verdict == "unresolvable"]:
        found.append(Finding("unresolvable", f"{', '.join(unresolved)}: gradients too small for central "
                             "differences to resolve at this step: scale the inputs up, or check in float64"))
    if any(np.dtype(d) == np.float32 for d in dtypes):
        found.append(Finding("float32", "float32 values: tolerances are widened and finite differences lose most "
                             "digits; check in float64 for a sharp answer"))
    return found
