"""The cost model: how each method's time grows, measured (least squares in log-log) beside theory.

Theory, per call, from each method's family (methods.base.FAMILIES: work ~ N^k passes): a forward pass,
backprop and the other reverse-mode methods (k = 0) cost ~ sum_i n_i n_{i+1} ~ depth * width^2 (linear in N);
a finite difference or forward mode (k = 1) costs ~ N forward passes ~ depth^2 * width^4 (N^2), so its ratio to
backprop grows like N (fitted on every point measured for both: per-call overhead is in its numerator and
its denominator). "theory_sizes" is the same fit applied to the operation counts of the measured sizes
(exact for these networks, where edge layers still matter); "theory_asymptotic" is the large-network limit.
Points dominated by per-call overhead are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..methods.base import FAMILIES, REFERENCE
from .load import KEY, OVERHEAD_FLOPS

MIN_POINTS = 3
FIT_COLUMNS = ["method", "model", "term", "exponent", "stderr", "intercept", "theory_sizes", "theory_asymptotic",
               "points", "excluded_overhead", "note"]


def power_fit(features: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Least squares log y = c + sum_j k_j log x_j. features: (n, m) positive; y: (n,) positive.
    Returns (k (m,), c, standard errors of k (m,), NaN where there are no residual degrees of freedom)."""
    X = np.column_stack([np.ones(len(y)), np.log(features)])
    coef, *_ = np.linalg.lstsq(X, np.log(y), rcond=None)
    dof = len(y) - X.shape[1]
    if dof > 0:
        residual = np.log(y) - X @ coef
        cov = residual @ residual / dof * np.linalg.pinv(X.T @ X)
        stderr = np.sqrt(np.diag(cov))[1:]
    else:
        stderr = np.full(X.shape[1] - 1, np.nan)
    return coef[1:], float(coef[0]), stderr


def asymptotic(family: str) -> dict[str, float]:
    """Exponents of depth, width, batch and N in the time per call of a method of ``family`` (NaN if unknown)."""
    k = FAMILIES.get(family, np.nan)
    return {"depth": 1 + k, "width": 2 + 2 * k, "batch": 1, "N": 1 + k}


def cost_model(points: pd.DataFrame) -> pd.DataFrame:
    """Fitted exponents per method and model, beside theory; one row per (method, model, term)."""
    rows = []
    measured = points[points["status"] == "ok"]
    usable = measured[~measured["overhead_dominated"].astype(bool)]
    families = dict(zip(points["method"], points["family"]))
    for method in measured["method"].unique():
        sel, theory = usable[usable["method"] == method], asymptotic(families[method])
        excluded = int(((measured["method"] == method) & measured["overhead_dominated"].astype(bool)).sum())
        terms = [t for t in ("depth", "width", "batch") if sel[t].nunique() > 1]
        rows += _fit_rows(method, "time ~ " + " * ".join(f"{t}^k" for t in terms) if terms else "time ~ size",
                          sel, terms, sel["median_s"], excluded, theory)
        rows += _fit_rows(method, "time ~ N^k", sel, ["N"], sel["median_s"], excluded, theory)
    # the ratio keeps every point: per-call overhead sits in both its numerator and its denominator
    reference = measured[measured["method"] == REFERENCE][[*KEY[1:], "median_s", "flops"]]
    for method in measured["method"].unique():
        both = measured[measured["method"] == method].merge(reference, on=KEY[1:], suffixes=("", "_ref"))
        if method == REFERENCE or both.empty:
            continue
        rows += _fit_rows(method, "ratio ~ N^k", both, ["N"], both["median_s"] / both["median_s_ref"], 0,
                          {"N": asymptotic(families[method])["N"] - 1}, both["flops"] / both["flops_ref"])
    return pd.DataFrame(rows, columns=FIT_COLUMNS)


def _fit_rows(method, model, sel, terms, y, excluded, asymptotic, theory=None) -> list[dict]:
    columns = {"N": "n_params"}
    base = {"method": method, "model": model, "points": len(sel), "excluded_overhead": excluded}
    if not terms or len(sel) < MIN_POINTS or len(sel) <= len(terms):
        return [{**base, "term": ",".join(terms) or "-", "note": f"not enough points to fit (need > {len(terms)} "
                 f"and >= {MIN_POINTS} above {OVERHEAD_FLOPS:.3g} flop per forward pass)"}]
    features = sel[[columns.get(t, t) for t in terms]].to_numpy(dtype=float)
    k, c, se = power_fit(features, np.asarray(y, dtype=float))
    k_th, _, _ = power_fit(features, np.asarray(sel["flops"] if theory is None else theory, dtype=float))
    return [{**base, "term": t, "exponent": k[j], "stderr": se[j], "intercept": c, "theory_sizes": k_th[j],
             "theory_asymptotic": asymptotic[t], "note": ""} for j, t in enumerate(terms)]
