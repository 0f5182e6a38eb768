"""How well the cost model predicted the run: measured time against the model's, per point and per method.

The model (methods/cost.py) is not fitted to the timings: each method states its work, the run measured three
machine constants before timing anything. So the fraction of points it predicts within BAND is a test of the
model, and its misses say where the counts (or the machine) behave otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import sanity

BAND = 0.30  # a prediction within +-30% of the measured median is "inside"
GOAL = 0.90  # the fraction of points the model should predict inside the band
TERMS = {"calls": "fixed cost per call", "flops": "matrix products", "elementwise": "element-wise work"}


def _modelled(points: pd.DataFrame) -> pd.Series:
    """The measured points with a model prediction (flagged or not)."""
    return (points["status"] == "ok") & points["model_s"].notna() & (points["median_s"] > 0)


def predicted_points(points: pd.DataFrame) -> pd.DataFrame:
    """The measured, unflagged points that have a model prediction (a flagged point's time cannot test the model:
    results/sanity.py), with ``error`` = measured / predicted and ``inside`` (within BAND: 1/(1+BAND) <= error <=
    1+BAND)."""
    rows = points[_modelled(points) & ~sanity.flagged(points)].copy()
    rows["error"] = rows["median_s"] / rows["model_s"]
    rows["inside"] = (rows["error"] <= 1 + BAND) & (rows["error"] >= 1 / (1 + BAND))
    return rows


def left_out(points: pd.DataFrame) -> str:
    """"left out: 3 flagged points (impossible)": the predicted points that predicted_points leaves out; "" if none."""
    rows = points[_modelled(points)]
    return sanity.left_out(rows["flag"].map(sanity.kind)) if "flag" in rows else ""


def dominant_share(row, suffix: str = "") -> tuple[str, float]:
    """The term that dominates a point's predicted time and its share of it: ("fixed cost per call", 0.61); ``row``
    holds model_<term>_s<suffix> and model_s<suffix>. ("", NaN) without a prediction."""
    terms = {t: float(row.get(f"model_{t}_s{suffix}", np.nan)) for t in TERMS}
    known = {t: v for t, v in terms.items() if np.isfinite(v)}
    total = float(row.get(f"model_s{suffix}", np.nan))
    if not known or not np.isfinite(total) or total <= 0:
        return "", np.nan
    name = max(known, key=known.get)
    return TERMS[name], known[name] / total


def fraction_inside(points: pd.DataFrame) -> float:
    """The fraction of measured points the model predicted within BAND (NaN if it predicted none)."""
    rows = predicted_points(points)
    return float(rows["inside"].mean()) if len(rows) else np.nan


def by_method(points: pd.DataFrame) -> pd.DataFrame:
    """Per method: points, the fraction inside the band, the median and range of measured / predicted, and which
    term of the model dominates at its smallest and largest network (where its shape comes from)."""
    rows = predicted_points(points)
    out = []
    for method, sel in rows.groupby("method", sort=False):
        small, large = sel.loc[sel["n_params"].idxmin()], sel.loc[sel["n_params"].idxmax()]
        out.append({"method": method, "points": len(sel), "inside": sel["inside"].mean(),
                    "median measured/predicted": sel["error"].median(), "lowest": sel["error"].min(),
                    "highest": sel["error"].max(), "dominant term at smallest N": TERMS.get(small["dominant"], ""),
                    "dominant term at largest N": TERMS.get(large["dominant"], "")})
    return pd.DataFrame(out)


def largest_misses(points: pd.DataFrame, count: int = 8) -> pd.DataFrame:
    """The points the model missed most (largest |log(measured / predicted)|) outside the band, with the term
    that dominates their prediction: the likely reason."""
    rows = predicted_points(points)
    rows = rows[~rows["inside"]]
    rows = rows.assign(miss=np.abs(np.log(rows["error"]))).nlargest(count, "miss")
    return pd.DataFrame({
        "method": rows["method"], "depth": rows["depth"], "width": rows["width"], "batch": rows["batch"],
        "N": rows["n_params"], "measured_s": rows["median_s"], "predicted_s": rows["model_s"],
        "measured/predicted": rows["error"], "dominant term": rows["dominant"].map(TERMS)}).reset_index(drop=True)
