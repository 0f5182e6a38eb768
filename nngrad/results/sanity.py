"""Points that cannot be: a gradient timed cheaper than one loss evaluation of the same network on the same device.

Every gradient evaluates the network's loss at least once (or does its work and more), so t(gradient) / t(forward)
under 1 means one of the two medians was disturbed: on a loaded machine the forward pass's rounds, timed in one
burst, came out 100-200x slow, and backprop read 0.18 loss evaluations, JAX 0.024. Such a point is flagged, not
dropped: its time is what the clock read, and the flag says why it cannot be trusted and how to re-time it.
"""

from __future__ import annotations

import pandas as pd

from ..methods.base import UNIT

CHEAPEST = 1.0  # no gradient costs less than one loss evaluation of its network
NETWORK = ["depth", "width", "batch", "device"]
RETIME = ("on a quiet machine: `nngrad bench` times such points and their forward pass once more at the end of a run; "
          "if they are still flagged, run the same `nngrad bench` again")


def impossible(points: pd.DataFrame) -> pd.Series:
    """t(gradient) / t(forward) of every measured gradient point (not the forward pass itself) that is under
    CHEAPEST at the same network and device, NaN elsewhere: a Series aligned with ``points``."""
    key = [k for k in NETWORK if k in points]
    ok = points["status"] == "ok"
    forward = points.loc[ok & (points["method"] == UNIT), [*key, "median_s"]].rename(columns={"median_s": "unit_s"})
    ratio = points[key].merge(forward.drop_duplicates(key), on=key, how="left")["unit_s"].to_numpy()
    ratio = pd.Series(points["median_s"].to_numpy(dtype=float) / ratio, index=points.index)
    gradient = ok & (points["method"] != UNIT) & (points["family"] != "function")
    return ratio.where(gradient & (ratio < CHEAPEST))


def flags(points: pd.DataFrame) -> pd.Series:
    """The flag of each point: "impossible: 0.18 loss evaluations (< 1)" for an impossible one, "" elsewhere."""
    return impossible(points).map(lambda r: "" if pd.isna(r) else f"impossible: {r:.2g} loss evaluations (< 1)")


def banner(points: pd.DataFrame) -> str | None:
    """The report's warning naming the impossible points, why they cannot be and how to re-time them; None if none."""
    bad = points[points["flag"].fillna("") != ""] if "flag" in points else points.iloc[:0]
    if bad.empty:
        return None
    where = "; ".join(f"{r.method} at depth {r.depth}, width {r.width}, batch {r.batch}"
                      + (f" on {r.device}" if points["device"].nunique() > 1 else "")
                      + f" ({r.flag.removeprefix('impossible: ').removesuffix(' (< 1)')})" for r in bad.itertuples())
    return (f"{len(bad)} measured point{'s are' if len(bad) > 1 else ' is'} impossible, a gradient cheaper than one "
            f"loss evaluation of the same network: {where}. The forward pass's median there, or the point's own, was "
            f"disturbed (a busy machine slows every round of a burst); their ratios mean nothing (flagged in the "
            f"tables and ringed in the landscape). Re-time them {RETIME}.")
