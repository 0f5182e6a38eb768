"""Points the run itself disowns: each measured point's ``flag`` says why its time cannot be trusted ("" when it
can). A flagged point is kept (its time is what the clock read) but takes part in no verdict, headline, fit or
ratio; whatever leaves it out says so with the words built here, and the figures count it with ``count_text``.

The kinds (KINDS), most serious first; a point carries the first that applies:
- "impossible after re-timing": re-timed by ``nngrad bench`` at the end of its run (column ``retimed``) and still
  impossible;
- "impossible": a gradient timed cheaper than one loss evaluation of the same network on the same device, in the
  same runtime (every gradient evaluates the loss at least once; a compiled gradient is compared with the compiled
  forward pass, methods/runtimes.py). On a loaded machine the forward pass's rounds, timed in one burst,
  came out 100-200x slow, and backprop read 0.18 loss evaluations, JAX 0.024;
- "cheaper than backprop": an O(N) method (finite-difference or forward-mode) timed faster than its runtime's
  backprop at the same network and device although it counts at least MIN_WORK loss evaluations or tangent passes
  (backprop costs about 3 loss evaluations in flops: under MIN_WORK a win is possible) and, in a run with the cost model, the model
  predicts it at least MODEL_MARGIN times backprop's time (where backprop's fixed cost per call dominates, at batch 1
  or at depth 1 where prefix reuse leaves the batched methods few matrix products, fewer, larger calls can win);
  An estimator (SPSA, the forward gradient) is never flagged so: it counts a few passes whatever N is, and beating
  backprop per call is what it is for ("impossible" applies to it as to every gradient);
- "busy": other processes used more than BUSY_LOAD of the machine's CPUs while the point was timed (column
  ``others_load``; runs made before it was recorded have no busy flag).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._words import plural
from ..methods.runtimes import DEFAULT as DEFAULT_RUNTIME
from ..methods.runtimes import RUNTIMES
from ..runfiles import BUSY_LOAD  # other processes using more than this share of the CPUs: busy

CHEAPEST = 1.0  # no gradient costs less than one loss evaluation of its network
MIN_WORK = 4  # an O(N) gradient counting this many loss evaluations (or tangent passes) cannot beat backprop's ~3
MODEL_MARGIN = 2.0  # ... unless the cost model predicts it under this many times backprop's time (it errs less)
O_N_FAMILIES = ("finite-difference", "forward-mode")
NETWORK = ["depth", "width", "batch", "device"]
NAMED = 5  # the banner names this many points of a kind, then counts the rest
RETIME = ("on a quiet machine: `nngrad bench` times such points and their forward pass once more at the end of a run; "
          "if they are still flagged, run the same `nngrad bench` again")
KINDS = {  # kind -> (what it means, what to do), in the order a point takes its flag
    "impossible after re-timing": ("timed cheaper than one loss evaluation of the same network, and again when "
                                   "re-timed at the end of the run",
                                   "the machine stayed busy: run the same `nngrad bench` again on a quiet machine"),
    "impossible": ("a gradient timed cheaper than one loss evaluation of the same network (the forward pass's median "
                   "there, or the point's own, was disturbed: a busy machine slows every round of a burst)",
                   f"re-time them {RETIME}"),
    "cheaper than backprop": (f"an O(N) gradient timed faster than backprop on the same network although it counts at "
                              f"least {MIN_WORK} loss evaluations or tangent passes (backprop costs about 3; its "
                              "median or backprop's was disturbed)",
                              "run the same `nngrad bench` again on a quiet machine"),
    "busy": (f"timed while other processes used more than {BUSY_LOAD:.0%} of the machine's CPUs",
             "run again on a quiet machine"),
}


def _ratio_to(points: pd.DataFrame, method: str) -> pd.Series:
    """t(point) / t(``method``) at the same network and device (NaN where ``method`` was not measured there): a
    Series aligned with ``points``."""
    key = [k for k in NETWORK if k in points]
    ok = points["status"] == "ok"
    other = points.loc[ok & (points["method"] == method), [*key, "median_s"]].rename(columns={"median_s": "other_s"})
    other_s = points[key].merge(other.drop_duplicates(key), on=key, how="left")["other_s"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero time: inf or NaN, never under a bound
        return pd.Series(points["median_s"].to_numpy(dtype=float) / other_s, index=points.index)


def runtimes_of(points: pd.DataFrame) -> pd.Series:
    """The runtime of each point (methods/runtimes.py): its ``runtime`` column, numpy where a frame or a row has
    none (an older run), aligned with ``points``."""
    if "runtime" not in points:
        return pd.Series(DEFAULT_RUNTIME, index=points.index, dtype=object)
    return points["runtime"].where(points["runtime"].isin(list(RUNTIMES)), DEFAULT_RUNTIME)


def _ratio_to_own(points: pd.DataFrame, role: str) -> pd.Series:
    """t(point) / t(its runtime's ``role`` method: "unit", its forward pass, or "backprop") at the same network and
    device, NaN where that was not measured: like is compared with like (a compiled gradient with the compiled
    forward pass, never with numpy's), a Series aligned with ``points``."""
    runtime, out = runtimes_of(points), pd.Series(np.nan, index=points.index)
    for name in runtime.unique():
        mine = runtime == name
        out[mine] = _ratio_to(points, getattr(RUNTIMES[name], role))[mine]
    return out


def impossible(points: pd.DataFrame) -> pd.Series:
    """t(gradient) / t(forward pass of its runtime) of every measured gradient point (not a forward pass itself)
    that is under CHEAPEST at the same network and device, NaN elsewhere: a Series aligned with ``points``."""
    ratio = _ratio_to_own(points, "unit")
    gradient = (points["status"] == "ok") & (points["family"] != "function")
    return ratio.where(gradient & (ratio < CHEAPEST))


def cheaper_than_backprop(points: pd.DataFrame) -> pd.Series:
    """t(point) / t(backprop of its runtime) of every measured O(N) point counting at least MIN_WORK loss
    evaluations or tangent passes (and predicted at least MODEL_MARGIN times that backprop's time, where the run
    predicts both) that was timed faster than that backprop at the same network and device, NaN elsewhere
    (aligned)."""
    ratio = _ratio_to_own(points, "backprop")
    o_n = (points["status"] == "ok") & points["family"].isin(O_N_FAMILIES) & (_work(points) >= MIN_WORK)
    if "model_s" in points:  # the model's ratio, where it predicts both: it must rule the win out too
        predicted = _ratio_to_own(points.assign(median_s=points["model_s"]), "backprop")
        o_n &= predicted.isna() | (predicted >= MODEL_MARGIN)
    return ratio.where(o_n & (ratio < 1))


def _work(points: pd.DataFrame) -> pd.Series:
    """Counted work of each point: loss evaluations + tangent passes (0 where neither is known)."""
    cols = [c for c in ("loss_evaluations", "tangent_passes") if c in points]
    return points[cols].apply(pd.to_numeric, errors="coerce").sum(axis=1)  # skips NaN: 0 where none is known


def _column(points: pd.DataFrame, name: str, default) -> pd.Series:
    """A column of ``points`` as numbers, ``default`` where missing (older runs lack the newer columns)."""
    if name not in points:
        return pd.Series(default, index=points.index, dtype=float)
    return pd.to_numeric(points[name], errors="coerce").astype(float).fillna(default)


def flags(points: pd.DataFrame) -> pd.Series:
    """The flag of each point: "<kind>: why" for a point of one of KINDS (the first that applies), "" elsewhere."""
    low, cheap = impossible(points), cheaper_than_backprop(points)
    retimed = _column(points, "retimed", 0.0).astype(bool)
    load = _column(points, "others_load", np.nan).where(points["status"] == "ok")
    work, unit = _work(points), points.get("work_unit", pd.Series("loss evaluations", index=points.index))
    out = pd.Series("", index=points.index, dtype=object)
    busy = load > BUSY_LOAD
    out[busy] = [f"busy: other processes used {v:.0%} of the CPUs (> {BUSY_LOAD:.0%})" for v in load[busy]]
    has = cheap.notna()
    out[has] = [f"cheaper than backprop: {_under(r, 1)}x backprop's time, with {w:,.0f} {u}" for r, w, u in
                zip(cheap[has], work[has], unit[has].fillna("loss evaluations"), strict=True)]
    for kind, rows in (("impossible", low.notna() & ~retimed), ("impossible after re-timing", low.notna() & retimed)):
        out[rows] = [f"{kind}: {_under(r, CHEAPEST)} loss evaluations (< {CHEAPEST:g})" for r in low[rows]]
    return out


def _under(value: float, bound: float) -> str:
    """``value`` (< ``bound``) to 2 significant digits, or as many more as keep it visibly under: 0.39, 0.999
    (17 digits at most: they give back ``value`` itself, the text also of a value not under ``bound``)."""
    return next((text for d in range(2, 17) if float(text := f"{value:.{d}g}") < bound), f"{value:.17g}")


def kind(flag: object) -> str:
    """The kind a flag starts with ("impossible", "busy" ...); "" for no flag."""
    return str(flag).partition(":")[0] if isinstance(flag, str) and flag else ""


def ensured(points: pd.DataFrame) -> pd.DataFrame:
    """``points`` with a ``flag`` column: its own, or "" everywhere for a frame without one."""
    return points if "flag" in points else points.assign(flag="")


def flagged(points: pd.DataFrame) -> pd.Series:
    """True for each flagged point (its ``flag`` non-empty): the one test of "flagged", aligned with ``points``."""
    if "flag" not in points:
        return pd.Series(False, index=points.index)
    return points["flag"].fillna("").astype(str) != ""


def tally(reasons: pd.Series, most: int = 2) -> str:
    """The distinct non-empty reasons with their counts, most frequent first: "2 jax impossible, 1 forward busy"
    (a lone reason without its count); over ``most`` distinct reasons, counted by the kinds they name instead
    ("15 impossible, 6 cheaper than backprop")."""
    reasons = pd.Series([r for r in reasons if r], dtype=object)
    if reasons.nunique() > most:
        reasons = reasons.map(lambda r: " and ".join(k for k in KINDS if _names(r, k)))
    counts = reasons.value_counts(sort=True)
    return ", ".join(f"{n} {r}" if len(counts) > 1 else str(r) for r, n in counts.items())


def _names(reason: str, name: str) -> bool:
    """Whether ``reason`` ("jax impossible and backprop busy") names the kind ``name`` (not merely a longer one)."""
    return any(f" {part}".endswith(f" {name}") for part in reason.split(" and "))


def count_text(points: pd.DataFrame) -> str:
    """"3 flagged points (2 impossible, 1 busy)", "" when none: the count every legend and the banner show."""
    reasons = points["flag"].map(kind) if "flag" in points else pd.Series(dtype=object)
    n = int((reasons != "").sum())
    return f"{plural(n, 'flagged point')} ({tally(reasons)})" if n else ""


def pair_reasons(both: pd.DataFrame, reference: str) -> pd.Series:
    """Why each ratio of ``both`` (paired rows with ``flag`` and ``flag_ref``, see load.paired) is left out:
    "jax impossible", "backprop busy and forward impossible"; "" for a ratio of two unflagged points."""
    mine = [f"{m} {kind(f)}" if kind(f) else "" for m, f in zip(both["method"], both["flag"], strict=True)]
    ref = [f"{reference} {kind(f)}" if kind(f) else "" for f in both["flag_ref"]]
    return pd.Series([" and ".join(p for p in pair if p) for pair in zip(mine, ref, strict=True)], index=both.index,
                     dtype=object)


def left_out(reasons: pd.Series, noun: str = "point", short: bool = False) -> str:
    """"left out: 2 flagged points (jax impossible)" for the non-empty reasons ("2 left out: jax impossible" when
    ``short``, for a table's cell); "" when none."""
    n = int((reasons.fillna("") != "").sum())
    if not n:
        return ""
    if short:
        return f"{n:,} left out: {tally(reasons)}"
    what = plural(n, "flagged point") if noun == "point" else plural(n, noun)
    return f"left out: {what} ({tally(reasons)})"


def not_judged(reasons: pd.Series) -> str:
    """"not judged (every point here is flagged: 2 jax impossible)"."""
    return f"not judged ({all_flagged(reasons)})"


def all_flagged(reasons: pd.Series) -> str:
    """"every point here is flagged: 2 jax impossible": why a row is not judged."""
    return f"every point here is flagged: {tally(reasons)}"


def banner(points: pd.DataFrame) -> str | None:
    """The report's warning, in markdown: how many points are flagged and what that means, then one line per kind
    with its count, up to NAMED of its points, what it means and what to do; None when no point is flagged."""
    bad = points[flagged(points)]
    if bad.empty:
        return None
    several = "device" in points and points["device"].nunique() > 1
    lines = [f"**{count_text(points)}, of {plural(int((points['status'] == 'ok').sum()), 'measured point')}:** "
             "they take part in no verdict, headline, fit or ratio of this report; its tables and figures mark them.",
             ""]
    for name, (means, todo) in KINDS.items():
        mine = bad[bad["flag"].map(kind) == name]
        if mine.empty:
            continue
        named = [f"{r.method} at d{r.depth} w{r.width} b{r.batch}" + (f" on {r.device}" if several else "")
                 + f": {r.flag.partition(': ')[2]}" for r in mine.head(NAMED).itertuples()]
        more = f"; and {len(mine) - NAMED} more: see summary.csv's flag column" if len(mine) > NAMED else ""
        lines.append(f"- **{plural(len(mine), 'point')} {name}**, {means}: {'; '.join(named)}{more}. "
                     f"{todo[0].upper()}{todo[1:]}.")
    return "\n".join(lines)
