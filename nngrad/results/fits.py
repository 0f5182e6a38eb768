"""Growth fits: how each method's time grows, measured (least squares in log-log) beside theory.

Theory, per call, from each method's family (methods.base.FAMILIES: work ~ N^k passes): a forward pass,
backprop and the other reverse-mode methods (k = 0) cost ~ sum_i n_i n_{i+1} ~ depth * width^2 (linear in N);
a finite difference or forward mode (k = 1) costs ~ N forward passes ~ depth^2 * width^4 (N^2), so its ratio to
backprop grows like N; an estimator (k = 0: a few random directions, and k N random numbers drawn) costs a
constant number of passes, like backprop, so its ratio to backprop tends to a constant (N^0), however slowly
its cosine with the gradient falls. "theory_sizes" is the same fit applied to the operation counts of the measured sizes
(exact for these networks, where edge layers still matter); "theory_asymptotic" is the large-network limit.

Flagged points (results/sanity.py: a time the run itself disowns) leave every fit, and a ratio leaves when either of
its two points is flagged; ``excluded_flagged`` counts them and ``flagged_as`` says why ("impossible", "2 jax
impossible, 1 backprop busy").

Regimes: points flagged ``overhead_dominated`` are left out of the time fits (regime "compute-bound"). The ratio
is fitted three times: over every point measured for both methods ("all": per-call overhead sits in its numerator
and its denominator), over the compute-bound points only and over the overhead-dominated ones only, since a
single power law across both regimes bends and its residuals are systematic.

Uncertainty: ``stderr`` is the ordinary least-squares error (it assumes independent noise); ``ci_low``, ``ci_high``
are the CONFIDENCE percentile interval of the exponent over RESAMPLES bootstrap resamples of the fit's points
(with replacement, SEED fixed), which stays honest when the residuals are systematic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..methods.base import FAMILIES, REFERENCE
from . import sanity
from .load import paired

MIN_POINTS = 5  # fewer points than this (or than the terms + 3): "not fitted" (3 points gave k = -10.3 [-19.1, -8.84])
MIN_SPREAD = 4.0  # each fitted size must span at least this factor (max / min): a slope over less is noise
RESAMPLES = 1000  # bootstrap resamples of each fit's points
CONFIDENCE = 0.95  # percentile interval of each exponent
SEED = 0  # fixed: the same points always give the same interval
MIN_KEPT = 0.5  # fewer than this fraction of resamples able to fit (the rest rank-deficient): no interval
RANK_TOL = 1e-9  # singular values of the centred log sizes under this (relative, at least absolute) are zero
REGIMES = ("all", "compute-bound", "overhead-dominated")
FIT_COLUMNS = ["method", "model", "regime", "term", "exponent", "ci_low", "ci_high", "stderr", "intercept",
               "theory_sizes", "theory_asymptotic", "points", "excluded_overhead", "excluded_flagged", "flagged_as",
               "note"]


def power_fit(features: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Least squares log y = c + sum_j k_j log x_j. features: (n, m) positive; y: (n,) positive.
    Returns (k (m,), c, OLS standard errors of k (m,), NaN where there are no residual degrees of freedom)."""
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


def bootstrap_exponents(features: np.ndarray, y: np.ndarray, resamples: int = RESAMPLES,
                        seed: int = SEED) -> np.ndarray:
    """The exponents k of power_fit on ``resamples`` resamples of the n points with replacement: (kept, m).
    features: (n, m) positive; y: (n,) positive. Rank-deficient resamples (e.g. every drawn point the same size)
    are dropped. Vectorised: one batched SVD of the centred log sizes (centring removes the intercept)."""
    idx = np.random.default_rng(seed).integers(0, len(y), (resamples, len(y)))  # (R, n)
    logx, logy = np.log(features)[idx], np.log(y)[idx]  # (R, n, m), (R, n)
    logx = logx - logx.mean(axis=1, keepdims=True)  # logy need not be centred: U's columns sum to zero
    u, s, vt = np.linalg.svd(logx, full_matrices=False)  # (R, n, m), (R, m), (R, m, m)
    full = s[:, -1] > RANK_TOL * np.maximum(s[:, 0], 1.0)
    u, s, vt, logy = u[full], s[full], vt[full], logy[full]
    return np.einsum("rji,rj->ri", vt, np.einsum("rnm,rn->rm", u, logy) / s)  # k = V S^-1 U^T y


def bootstrap_interval(features: np.ndarray, y: np.ndarray, resamples: int = RESAMPLES,
                       seed: int = SEED) -> tuple[np.ndarray, np.ndarray, int]:
    """CONFIDENCE percentile interval of each exponent over bootstrap resamples of the points.
    features: (n, m); y: (n,). Returns (low (m,), high (m,), kept resamples); NaN where fewer than
    MIN_KEPT * resamples could be fitted."""
    k = bootstrap_exponents(features, y, resamples, seed)
    if len(k) < max(MIN_KEPT * resamples, 1):
        nan = np.full(features.shape[1], np.nan)
        return nan, nan.copy(), len(k)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(k, [tail, 100 - tail], axis=0)
    return low, high, len(k)


def asymptotic(family: str) -> dict[str, float]:
    """Exponents of depth, width, batch and N in the time per call of a method of ``family`` (NaN if unknown)."""
    k = FAMILIES.get(family, np.nan)
    return {"depth": 1 + k, "width": 2 + 2 * k, "batch": 1, "N": 1 + k}


def growth_fits(points: pd.DataFrame) -> pd.DataFrame:
    """Fitted exponents per method, model and regime, beside theory; one row per (method, model, regime, term),
    with FIT_COLUMNS. Flagged points and ratios resting on one are left out (``excluded_flagged``)."""
    points = sanity.ensured(points)
    measured = points[points["status"] == "ok"]
    families = dict(zip(points["method"], points["family"]))
    rows = []
    for method in measured["method"].unique():
        rows += _time_rows(method, measured[measured["method"] == method], asymptotic(families[method]))
    for method in measured["method"].unique():
        both = paired(points, method, REFERENCE, ("flops", "overhead_dominated", "flag"))
        if method != REFERENCE and not both.empty:
            rows += _ratio_rows(method, both.assign(left_out=sanity.pair_reasons(both, REFERENCE)),
                                asymptotic(families[method])["N"] - 1)
    return pd.DataFrame(rows, columns=FIT_COLUMNS)


def _time_rows(method: str, mine: pd.DataFrame, theory: dict[str, float]) -> list[dict]:
    """Time fits of ``method``'s measured points ``mine`` (P rows): compute-bound, unflagged points only."""
    overhead, flagged = mine["overhead_dominated"].astype(bool), sanity.flagged(mine)
    sel, excluded = mine[~overhead & ~flagged], int((overhead & ~flagged).sum())
    out = mine.loc[flagged, "flag"].map(sanity.kind)
    terms = [t for t in ("depth", "width", "batch") if sel[t].nunique() > 1]
    model = "time ~ " + " * ".join(f"{t}^k" for t in terms) if terms else "time ~ size"
    return (_fit_rows(method, model, "compute-bound", sel, terms, sel["median_s"], excluded, theory, out=out)
            + _fit_rows(method, "time ~ N^k", "compute-bound", sel, ["N"], sel["median_s"], excluded, theory,
                        out=out))


def _ratio_rows(method: str, both: pd.DataFrame, exponent: float) -> list[dict]:
    """Ratio fits t(method) / t(backprop) ~ N^k per regime; both: ``method``'s points merged with the reference's
    (columns with suffix _ref) and ``left_out`` (sanity.pair_reasons). A pair is compute-bound when neither side is
    overhead-dominated; a pair with a flagged side leaves every regime."""
    overhead = both["overhead_dominated"].astype(bool) | both["overhead_dominated_ref"].astype(bool)
    flagged = both["left_out"] != ""
    rows = []
    for regime, keep in zip(REGIMES, (overhead | ~overhead, ~overhead, overhead), strict=True):
        sel = both[keep & ~flagged]
        excluded = int((overhead & ~flagged).sum()) if regime == "compute-bound" else 0
        rows += _fit_rows(method, "ratio ~ N^k", regime, sel, ["N"],
                          sel["ratio"], excluded, {"N": exponent},
                          sel["flops"] / sel["flops_ref"], out=both.loc[keep & flagged, "left_out"])
    return rows


def _positive(values: np.ndarray) -> np.ndarray:
    """Rows of ``values`` ((P,) or (P, m)) whose every entry is finite and positive: what a log-log fit can take."""
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values) & (values > 0)
    return ok if ok.ndim == 1 else ok.all(axis=1)


def _fit_rows(method, model, regime, sel, terms, y, excluded, asymptotic, theory=None,
              out: pd.Series | None = None) -> list[dict]:
    """One row per term of the power fit of y (P,) on sel's sizes (P rows), or one row whose note says why not;
    ``out``: why each flagged point (or ratio) was left out before (counted and tallied in the row)."""
    out = pd.Series(dtype=object) if out is None else out
    features = sel[[{"N": "n_params"}.get(t, t) for t in terms]].to_numpy(dtype=float)
    y = np.asarray(y, dtype=float)
    usable = _positive(features) & _positive(y) if len(sel) else np.zeros(0, dtype=bool)
    features, y = features[usable], y[usable]
    base = {"method": method, "model": model, "regime": regime, "points": len(y), "excluded_overhead": excluded,
            "excluded_flagged": int((out != "").sum()), "flagged_as": sanity.tally(out, most=1)}
    dropped = f"{int((~usable).sum())} without a positive time and size left out" if not usable.all() else ""
    if why := _unfittable(features, terms):
        return [{**base, "term": ",".join(terms) or "-", "note": "; ".join(w for w in (why, dropped) if w)}]
    k, c, se = power_fit(features, y)
    low, high, kept = bootstrap_interval(features, y)
    counted = np.asarray(sel["flops"] if theory is None else theory, dtype=float)[usable]
    k_th = power_fit(features, counted)[0] if _positive(counted).all() else np.full(len(terms), np.nan)
    interval = "" if np.isfinite(low).all() else (
        f"no bootstrap interval: only {kept} of {RESAMPLES} resamples of the {len(y)} points vary enough in size "
        f"to fit (need {MIN_KEPT:.0%})")
    note = "; ".join(w for w in (interval, dropped) if w)
    return [{**base, "term": t, "exponent": k[j], "ci_low": low[j], "ci_high": high[j], "stderr": se[j],
             "intercept": c, "theory_sizes": k_th[j], "theory_asymptotic": asymptotic[t], "note": note}
            for j, t in enumerate(terms)]


def _unfittable(features: np.ndarray, terms: list[str]) -> str:
    """Why the sizes features (P, m) cannot give the exponents of terms, or "" when they can."""
    need = max(MIN_POINTS, len(terms) + 3)
    if not terms or len(features) < need:
        return f"not fitted: not enough points ({len(features)}; need at least {need})"
    centred = np.log(features) - np.log(features).mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    if s[-1] <= RANK_TOL * max(s[0], 1.0):
        return f"not fitted: the {len(features)} points do not vary in {', '.join(terms)}"
    spans = features.max(axis=0) / features.min(axis=0)
    if (narrow := [f"{t} spans only {span:.2g}x ({lo:,.0f} to {hi:,.0f})" for t, span, lo, hi in zip(
            terms, spans, features.min(axis=0), features.max(axis=0), strict=True) if span < MIN_SPREAD]):
        return f"not fitted: {'; '.join(narrow)} over the {len(features)} points; need at least {MIN_SPREAD:g}x"
    return ""
