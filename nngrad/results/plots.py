"""Benchmark DataFrames -> matplotlib figures. Pure: each function builds and returns a new ``Figure``
(no pyplot, no global state, no GUI backend); ``save`` writes one to PNG atomically.

Conventions in every plot: one colour and marker per method, as the method declares it (methods.base.Method);
measured points are filled with q1..q3 error bars; skipped points are predictions (hollow markers on a dashed
line at ``predicted_s``), or, where there is no prediction (memory), named in the legend only; failed points
are never drawn as timings, only as an 'x' on the x axis; a point the run flagged (``flagged``), or a ratio
resting on one, is ringed (``_ring``: one mark and one legend entry counting them, in every figure) and no line
fitted or anchored in a figure uses it. Where there is nothing to plot the
figure says so; bad arguments (not a DataFrame, missing columns, wrong types) raise ValueError naming them.
"""

from __future__ import annotations

import math
import numbers
import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter, NullLocator

from .._figures import check_type as _check
from .._figures import figure as _figure
from .._figures import finish as _finish
from .._figures import positive as _positive
from .._figures import require as _require
from .._figures import save
from .._words import plural
from ..methods import registered
from ..methods.base import FAMILIES, REFERENCE
from ..methods.prefix import DEFAULT_MAX_BYTES
from ..methods.runtimes import DEFAULT as DEFAULT_RUNTIME
from ..methods.runtimes import RUNTIMES
from .load import paired
from .sanity import flagged, runtimes_of

_OTHER = [{"color": c, "marker": m} for c, m in (("#8c564b", "P"), ("#393b79", "8"), ("#637939", "x"),
                                                  ("#843c39", "1"))]  # methods this nngrad does not know
FIT_MODEL, FIT_TERM = "ratio ~ N^k", "N"
MIB = 2.0**20
_N_LABEL = "N, number of parameters (count)"
# what the "vs depth/width" plots show: (column, scale, q1/q3 columns, prediction column, y label, title)
_QUANTITIES = {
    "time": ("median_s", 1.0, ("q1_s", "q3_s"), "predicted_s", "time per call (s)", "Time per call"),
    "memory": ("peak_memory_bytes", 1 / MIB, (), None, "peak memory (MiB)", "Peak memory"),
}
_X_LABELS = {"depth": "depth (hidden layers)", "width": "width (units per hidden layer)"}

RING = {"ls": "none", "marker": "o", "ms": 15, "mfc": "none", "mec": "#d62728", "mew": 1.6}  # a flagged point

__all__ = ["accuracy", "cost_gap", "device_gap", "flagged", "landscape", "memory_vs_depth", "overlay", "overlay_gap",
           "predicted_vs_measured", "save", "time_vs_depth", "time_vs_width", "work"]


def _ring_label(points: int, ratios: int | None = None, detail: str = "", of: int | None = None) -> str:
    """The legend entry of the rings: how many flagged points the figure draws (``ratios``: how many ratios drawn
    rest on them; ``of``: how many the run flagged in all, the report's count, when the figure draws fewer), and
    that every verdict left them out."""
    what = plural(points, "flagged point") + (f" {detail}" if detail else "")
    if of is not None and of > points:
        what = f"{points:,} of the run's {plural(of, 'flagged point')}" + (f" {detail}" if detail else "")
    if ratios is not None:
        what = f"{plural(ratios, 'ratio')} resting on {what}"
    return f"ringed: {what},\nleft out of every verdict: see report"


def _ring(ax: Axes, x, y, label: str | None) -> None:
    """Ring each (x, y) (a flagged point, or a ratio resting on one) the same way in every figure; ``label``: the
    legend entry (``_ring_label``), None for none (a panel of a figure whose legend says it once)."""
    if len(x):
        ax.plot(np.asarray(x, float), np.asarray(y, float), label=label if label else "_nolegend_", **RING)


def _ordered(values: pd.Series) -> list[str]:
    """Registered methods in registration order, then any others sorted."""
    present = set(values)
    return [m for m in registered() if m in present] + sorted(present - set(registered()), key=str)


def _style(method: str) -> dict[str, str]:
    """The colour and marker ``method`` declares; a fixed one per unknown name."""
    if (m := registered().get(method)) is not None:
        return {"color": m.color, "marker": m.marker}
    return _OTHER[sum(map(ord, str(method))) % len(_OTHER)]


def _family(points: pd.DataFrame, method: str) -> str:
    """The family of ``method``: from the points' ``family`` column, else from the registry."""
    if "family" in points and (known := points.loc[points["method"] == method, "family"].dropna()).size:
        return str(known.iloc[0])
    m = registered().get(method)
    return m.family if m is not None else "unknown"


def _grows_with_n(points: pd.DataFrame, method: str) -> bool:
    """Does the method's work grow with N (finite differences, forward mode)?"""
    return FAMILIES.get(_family(points, method), 0) >= 1


def _main_batch(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of the batch size with the most points (the sweep's grid, not a few extra networks at other
    batches); the smallest such batch on a tie."""
    if not len(rows):
        return rows
    counts = rows["batch"].value_counts()
    return rows[rows["batch"] == counts[counts == counts.max()].index.min()]


def _int_axis(ax: Axes, values: pd.Series, log: bool) -> None:
    """Integer x ticks at the swept values: log base 2 when ``log`` (and all > 0), else linear."""
    ticks = sorted({int(v) for v in values})
    if log and ticks and ticks[0] > 0:
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _round(value: float, _: object = None) -> str:
    """A tick label written out: "2,000", "15", "1.5", "0.05"."""
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def _log_log(ax: Axes) -> None:
    """Both axes log, each labelled at its major ticks only (a labelled minor tick such as 3x10^2 collides with
    10^3); an axis spanning 100x or less at round numbers written out ("2,000", "0.5"): 1, 2, 5 per decade, or
    finer where those give fewer than 3 ticks, at most 6 of them."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        axis.set_minor_formatter(NullFormatter())
        if hi / lo > 100:
            continue
        decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
        for mantissas in ((1, 2, 5), (1, 2, 3, 5), (1, 1.5, 2, 3, 4, 5, 6, 8)):
            ticks = [m * 10.0**k for k in decades for m in mantissas if lo <= m * 10.0**k <= hi]
            if len(ticks) >= 3:
                break
        axis.set_major_locator(FixedLocator(ticks[::math.ceil(len(ticks) / 6)] if ticks else []))
        axis.set_major_formatter(FuncFormatter(_round))


def _series(ax: Axes, rows: pd.DataFrame, x: str, y: str, band: tuple[str, ...], predicted: str | None,
            of: int | None = None) -> int:
    """Per method: measured line with q1..q3 error bars, skipped rows as dashed hollow predictions, failed
    rows as an 'x' on the x axis; flagged measurements ringed. Returns how many points were drawn as
    measurements or predictions."""
    drawn, rings = 0, []
    for method in _ordered(rows["method"]):
        style = _style(method)
        rows_m = rows[rows["method"] == method].sort_values(x)
        measured = rows_m[y].where((rows_m["status"] == "ok") & _positive(rows_m[y]))  # NaN: a gap in the line
        ok = rows_m[measured.notna()]
        if len(ok):
            ax.plot(rows_m[x], measured, ls="-", label=method, **style)
            if band:
                yv = ok[y].to_numpy(float)
                err = np.nan_to_num(np.clip([yv - ok[band[0]], ok[band[1]] - yv], 0, None))
                ax.errorbar(ok[x], yv, yerr=err, fmt="none", ecolor=style["color"], capsize=2, lw=1)
        skip = rows_m.iloc[:0]
        if predicted is not None:
            skip = rows_m[(rows_m["status"] == "skipped") & _positive(rows_m[predicted])]
        elif len(unrun := rows_m[rows_m["status"] == "skipped"]):  # no prediction to draw: in the legend only,
            where = ", ".join(str(int(v)) for v in unrun[x])  # a mark in the axes would read as a value
            ax.plot([], [], ls="none", mfc="none", label=f"{method}: not run at {x} {where}", **style)
        if len(skip):
            xs, ys = list(skip[x]), list(skip[predicted])
            before = ok[ok[x] < xs[0]]
            if len(before):  # dashed joint from the last measurement, without a marker on it
                xs.insert(0, before[x].iloc[-1])
                ys.insert(0, before[y].iloc[-1])
            marks = list(range(len(xs) - len(skip), len(xs)))
            ax.plot(xs, ys, ls="--", mfc="none", markevery=marks, label=f"{method} (predicted, not run)", **style)
        failed = rows_m[rows_m["status"] == "failed"]
        if len(failed):  # x in data, y in axes coordinates: on the x axis, never at a time
            ax.plot(failed[x], np.zeros(len(failed)), ls="none", marker="x", ms=8, mew=2, color=style["color"],
                    clip_on=False, transform=ax.get_xaxis_transform(), label=f"{method} (failed)")
        drawn += len(ok) + len(skip)
        rings.append(ok[flagged(ok)])
    if rings and len(bad := pd.concat(rings)):
        _ring(ax, bad[x], bad[y], _ring_label(len(bad), of=of))
    return drawn


def _versus(points: pd.DataFrame, x: str, fixed: str, value: int, label: str, quantity: str) -> Figure:
    """``quantity`` vs ``x`` at ``fixed == value`` and the main batch there (the one with most points), one series per method."""
    y, scale, band, predicted, ylabel, what = _QUANTITIES[quantity]
    extra = (predicted,) if predicted else ()
    _require("points", points, ("method", "depth", "width", "batch", "status", y, *band, *extra))
    _check(fixed, value, numbers.Integral, "an integer")
    rows = _main_batch(points[points[fixed] == value])
    rows = rows.assign(**{c: rows[c] * scale for c in (y, *band)})
    batch = f", batch {rows['batch'].iloc[0]}" if len(rows) else ""
    fig, ax = _figure(f"{what} vs {x} ({fixed} {value}{batch})", label, (9, 5))
    if not _series(ax, rows, x, y, band, predicted, of=int(flagged(points).sum())):
        n_failed = int((rows["status"] == "failed").sum())
        note = f" ({n_failed} failed)" if n_failed else ""
        return _finish(fig, ax, _X_LABELS[x], ylabel, f"no measured points at {fixed} {value}{note}")
    ax.set_yscale("log")
    lo, hi = rows[x].min(), rows[x].max()
    _int_axis(ax, rows[x], log=x == "width" or (lo > 0 and hi / lo >= 4))
    return _finish(fig, ax, _X_LABELS[x], ylabel, outside=True)


def time_vs_depth(points: pd.DataFrame, width: int, label: str) -> Figure:
    """Seconds per call vs depth at ``width`` (the batch with most points), one line per method; log y."""
    return _versus(points, "depth", "width", width, label, "time")


def time_vs_width(points: pd.DataFrame, depth: int, label: str) -> Figure:
    """Seconds per call vs width at ``depth`` (the batch with most points), one line per method; log-log."""
    return _versus(points, "width", "depth", depth, label, "time")


def memory_vs_depth(points: pd.DataFrame, width: int, label: str, bound_bytes: int | None = DEFAULT_MAX_BYTES
                    ) -> Figure:
    """Peak memory (MiB) vs depth at ``width`` (the batch with most points), one line per method; log y; points not run are
    named in the legend (no mark in the axes, where it would read as a value); a dotted line at the batched methods' memory bound (``bound_bytes``)."""
    fig = _versus(points, "depth", "width", width, label, "memory")
    ax = fig.get_axes()[0]
    if bound_bytes and ax.get_lines():
        ax.axhline(bound_bytes / MIB, ls=":", color="0.3", lw=1,
                   label=f"memory bound of a batched chunk ({bound_bytes / MIB:g} MiB, max_bytes)")
        _finish(fig, ax, ax.get_xlabel(), ax.get_ylabel(), outside=True)
    return fig


def _fit(fits: pd.DataFrame | None, method: str) -> pd.Series | None:
    """The ``ratio ~ N^k`` fit row of ``method`` over all its points, if ``fits`` has a finite one."""
    if fits is None:
        return None
    rows = fits[(fits["method"] == method) & (fits["model"] == FIT_MODEL) & (fits["term"] == FIT_TERM)]
    if "regime" in rows:
        rows = rows[rows["regime"] == "all"]
    rows = rows[np.isfinite(rows["exponent"].astype(float)) & np.isfinite(rows["intercept"].astype(float))]
    return rows.iloc[0] if len(rows) else None


def _interval(fit: pd.Series) -> str:
    """'[0.91, 1.05] (95% bootstrap)', or '± stderr' for fits made before the bootstrap."""
    if np.isfinite(fit.get("ci_low", np.nan)):
        return f"[{fit['ci_low']:.2f}, {fit['ci_high']:.2f}] (95%)"
    return f"± {fit['stderr']:.2f}"


_GAP_KEY = ["depth", "width", "batch"]
_GAP_LABEL = "time ratio method / backprop (s/s)"


def _ratio(points: pd.DataFrame, method: str, reference: str) -> pd.DataFrame:
    """Measured ``method`` rows matched to ``reference`` at the same depth, width and batch (each device with its
    own reference): n_params, ratio, work, ``flagged`` (either point is) and ``sources`` (the flagged points it
    rests on: a frozenset of (method, depth, width, batch[, device])), sorted by N."""
    pts = points[_positive(points["median_s"])]
    both = paired(pts.assign(flagged=flagged(pts)), method, reference, ("flagged",)).sort_values("n_params")
    work = next((both[c] for c in ("work", "loss_evaluations") if c in both), pd.Series(np.nan, index=both.index))
    key = [k for k in (*_GAP_KEY, "device") if k in both]
    sources = [frozenset({(m, *at)} if mine else set()) | frozenset({(reference, *at)} if ref else set())
               for m, at, mine, ref in zip(both["method"], both[key].itertuples(index=False, name=None),
                                           both["flagged"], both["flagged_ref"])]
    return pd.DataFrame({"n_params": both["n_params"].astype(float), "ratio": both["ratio"],
                         "work": pd.to_numeric(work, errors="coerce").astype(float),
                         "flagged": both["flagged"] | both["flagged_ref"], "sources": sources}, index=both.index)


def _flagged_ratios(ratios: list[pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """The flagged rows of ``ratios`` (frames of ``_ratio``) and how many flagged points they rest on."""
    bad = pd.concat([r[r["flagged"]] for r in ratios]) if ratios else pd.DataFrame(columns=["sources"])
    return bad, len(frozenset().union(*bad["sources"]))


def _ring_ratios(ax: Axes, ratios: list[pd.DataFrame], of: int | None = None) -> None:
    """Ring every flagged ratio of ``ratios`` (frames of ``_ratio``); one legend entry counting the ratios and
    the flagged points they rest on (``of``: the run's flagged points in all)."""
    bad, points = _flagged_ratios(ratios)
    if len(bad):
        _ring(ax, bad["n_params"], bad["ratio"], _ring_label(points, len(bad), of=of))


def _estimator(points: pd.DataFrame, method: str) -> bool:
    """Is ``method`` an estimator (SPSA, the forward gradient: a few random directions, whatever N is)?"""
    return _family(points, method) == "estimator"


def _gap_methods(points: pd.DataFrame) -> list[str]:
    """The methods the cost gap shows: those whose work grows with N, and the estimators (whose work does not:
    their ratio to backprop stays flat), in registry order."""
    return [m for m in _ordered(points["method"]) if _grows_with_n(points, m) or _estimator(points, m)]


def cost_gap(points: pd.DataFrame, fits: pd.DataFrame | None, label: str) -> Figure:
    """Median time ratio method / backprop vs N, log-log, at matching (depth, width, batch), for every method
    whose work grows with N (finite differences, forward mode) and every estimator (flat: a few directions whatever
    N is); the fitted ``ratio ~ N^k`` lines from ``fits`` when given, and the theoretical slope-1 line through
    the O(N) methods' unflagged points; a ratio resting on a flagged point
    (among them any O(N) method timed cheaper than backprop) is ringed, and the axis keeps ratio 1 in view."""
    _require("points", points, ("method", *_GAP_KEY, "n_params", "status", "median_s"))
    if fits is not None:
        _require("fits", fits, ("method", "model", "term", "exponent", "intercept", "stderr"))
    fig, ax = _figure("Cost gap: time of each O(N) gradient (and estimator) / backprop vs number of parameters",
                      label, (9, 5))
    drawn, o_n = [], []  # every ratio drawn; those of the O(N) methods (the theory line's)
    for method in _gap_methods(points):
        gap = _ratio(points, method, REFERENCE)
        if gap.empty:
            continue
        style = _style(method)
        ax.plot(gap["n_params"], gap["ratio"], ls="none", label=method + (" (estimator)" if _estimator(
            points, method) else ""), **style)
        drawn.append(gap)
        if _grows_with_n(points, method):
            o_n.append(gap)
        if (fit := _fit(fits, method)) is not None:
            grid = np.geomspace(gap["n_params"].min(), gap["n_params"].max(), 50)
            ax.plot(grid, np.exp(fit["intercept"]) * grid ** fit["exponent"], color=style["color"], lw=1.2,
                    label=f"fit {method}: ratio ∝ N^k, k = {fit['exponent']:.2f} {_interval(fit)}")
    if not drawn:
        return _finish(fig, ax, _N_LABEL, _GAP_LABEL,
                       "no O(N) method and backprop measured\nat the same depth, width, batch")
    _ring_ratios(ax, drawn, of=int(flagged(points).sum()))
    good = pd.concat(o_n)[lambda f: ~f["flagged"]] if o_n else pd.DataFrame()
    if len(good):  # the geometric mean of the O(N) methods' unflagged points anchors the theory line
        n, ratio = good["n_params"].to_numpy(float), good["ratio"].to_numpy(float)
        n0, r0 = np.exp(np.log(n).mean()), np.exp(np.log(ratio).mean())
        grid = np.geomspace(n.min(), n.max(), 50)
        ax.plot(grid, r0 * grid / n0, ls="--", color="0.5",
                label="theory: ratio ∝ N (slope 1; placed through the\nunflagged points' geometric mean: "
                      "the constant is not theory)")
    ax.axhline(1, ls="-.", color="0.6", lw=1, label="ratio 1: as fast as backprop\n(below it: flagged where the "
                                                    "cost model rules it out)")
    _log_log(ax)
    return _finish(fig, ax, _N_LABEL, _GAP_LABEL, outside=True)


CHEAP_GRADIENT_BOUND = 5  # reverse mode costs at most ~5 function evaluations (Griewank & Walther)
_LANDSCAPE_LABEL = "time of one gradient / time of one loss evaluation (s/s)"


def _landscape_panels(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(runtime, its rows) for each runtime of ``rows`` whose unit (forward pass) and another method were measured,
    in RUNTIMES' order; numpy's alone (as before runtimes) when no runtime has both."""
    runtime = runtimes_of(rows)
    panels = [(name, rows[runtime == name]) for name in RUNTIMES]
    panels = [(name, mine) for name, mine in panels
              if RUNTIMES[name].unit in set(mine["method"]) and mine["method"].nunique() > 1]
    return panels or [(DEFAULT_RUNTIME, rows[runtime == DEFAULT_RUNTIME])]


def landscape(points: pd.DataFrame, label: str, options: dict | None = None) -> Figure:
    """The cost of every method in units of one loss evaluation, t(method) / t(forward) at the same (depth,
    width, batch) vs N, log-log (the batch with most points): the standard figure of automatic differentiation. Beside
    each O(N) method its theory, c x (counted work), with c its measured constant per pass (the median of
    ratio / work over the unflagged ratios: 1 for the textbook loop, below 1 where passes are batched); the
    cheap-gradient bound (5) and one loss evaluation (1) for reference; ratios resting on a flagged point ringed.
    One panel per runtime measured with its forward pass (methods/runtimes.py: numpy's methods over numpy's forward
    pass, compiled ones over the compiled forward pass), side by side on one y axis: the lesson with and without the
    interpreter. Where estimators were measured, a panel below shows what their low cost buys: each checked
    estimate's cosine with backprop's gradient against N, beside its prediction sqrt(k / (k + N + 1)) (k from
    ``options``, the run's method options: {method: {"k": ...}}; 1 by default)."""
    _require("points", points, ("method", *_GAP_KEY, "n_params", "status", "median_s"))
    rows = _main_batch(points[points["status"] == "ok"])
    quality, panels = _quality_rows(rows), _landscape_panels(rows)
    wide = len(panels)
    size = (9 + 4.5 * (wide - 1), (9 if len(quality) else 5.5) + (1.5 if wide > 1 else 0))
    fig, ax = _figure("The cost of a gradient in loss evaluations" + (", and what an estimate is worth"
                                                                       if len(quality) else ""), label, size)
    grid = fig.add_gridspec(2 if len(quality) else 1, wide, height_ratios=(3, 2) if len(quality) else None,
                            hspace=0.95 if len(quality) and wide > 1 else None)  # room for the legends between
    ax.set_subplotspec(grid[0, 0])
    axes = [ax] + [fig.add_subplot(grid[0, k], sharey=ax) for k in range(1, wide)]
    for a in axes[1:]:  # gridded as _figure grids the first
        a.grid(True, which="major", alpha=0.45)
        a.grid(True, which="minor", alpha=0.12)
    if len(quality):
        _quality_panel(fig.add_subplot(grid[1, :]), quality, options or {})
    drawn = [_landscape_panel(a, mine, name, of=int(flagged(points).sum()), titled=wide > 1)
             for a, (name, mine) in zip(axes, panels)]
    if not any(drawn):
        return _finish(fig, ax, _N_LABEL, _LANDSCAPE_LABEL, "no method measured beside the forward pass")
    for a, n in zip(axes, drawn):
        if n:
            a.set_xlim(min(n) / 1.5, max(n) * 1.5)
        _log_log(a)
    if wide == 1:
        return _finish(fig, ax, _N_LABEL, _LANDSCAPE_LABEL, outside=True)
    fig.suptitle(f"{fig.get_suptitle()}: with and without the interpreter\n{label}", fontsize=12)
    for a in axes:  # side by side: each legend under its panel, never over the next one
        _finish(fig, a, _N_LABEL, _LANDSCAPE_LABEL if a is ax else "")
        if a.get_legend() is not None:
            a.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), borderaxespad=0, framealpha=0.9,
                     ncols=2)  # under the axis label, in two columns: short enough to stay above the panel below
    return fig


def _landscape_panel(ax: Axes, rows: pd.DataFrame, runtime: str, of: int, titled: bool) -> list[float]:
    """One runtime's landscape in ``ax``: each of its methods over its unit, the theory lines of its O(N) methods,
    the bound and one loss evaluation, the flagged ratios ringed (``of``: the run's flagged points); returns the N of
    the ratios drawn (empty: nothing drawn)."""
    unit, drawn = RUNTIMES[runtime].unit, []
    if titled:
        ax.set_title(f"{RUNTIMES[runtime].label}:\nover {unit}", fontsize=9, color="0.1")
    for method in _ordered(rows["method"]):
        if method == unit:
            continue
        ratio = _ratio(rows, method, unit)
        if ratio.empty:
            continue
        style = _style(method)
        ax.plot(ratio["n_params"], ratio["ratio"], ls="none", ms=6, label=method, **style)
        drawn.append(ratio)
        good = ratio[~ratio["flagged"] & (ratio["work"] > 0)]
        if _grows_with_n(rows, method) and len(good):
            per_pass = float(np.median(good["ratio"] / good["work"]))
            work = ratio[ratio["work"] > 0].drop_duplicates("n_params")
            ax.plot(work["n_params"], per_pass * work["work"], ls="--", lw=1, color=style["color"],
                    label=f"  {per_pass:.2g} × ({_work_formula(rows, method)})")
    if not drawn:
        return []
    _ring_ratios(ax, drawn, of=of)
    ax.axhline(CHEAP_GRADIENT_BOUND, ls=":", color="0.3", lw=1, label="cheap-gradient bound (5)")
    ax.axhline(1, ls="-.", color="0.6", lw=1, label="one loss evaluation")
    return list(pd.concat(drawn)["n_params"].to_numpy(float))


_QUALITY_LABEL = "cosine of one estimate with backprop's gradient (1: exact)"


def _quality_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The measured estimator points of ``rows`` whose cosine was recorded."""
    if "cosine" not in rows:
        return rows.iloc[0:0]
    cosine = pd.to_numeric(rows["cosine"], errors="coerce")
    keep = rows["method"].map(lambda m: _estimator(rows, m)) & np.isfinite(cosine)
    return rows[keep.astype(bool)]


def _quality_panel(ax: Axes, quality: pd.DataFrame, options: dict) -> None:
    """Each estimator's recorded cosines against N (log-log; a cosine <= 0 sits at the panel's floor, said in its
    legend entry; the second estimator hollow: drawn from the same seed, SPSA's and the forward gradient's
    directions are the same, and so nearly their cosines), its prediction (a root mean square: one estimate
    scatters about it) as a dashed line."""
    from ..methods.estimators import predicted_cosine

    cosine = pd.to_numeric(quality["cosine"], errors="coerce")
    floor = max(float(cosine[cosine > 0].min()) / 3 if (cosine > 0).any() else 1e-3, 1e-6)
    for i, method in enumerate(_ordered(quality["method"])):  # the second hollow: from one seed, they coincide
        mine = quality[quality["method"] == method]
        c = pd.to_numeric(mine["cosine"], errors="coerce")
        opts = options.get(method, {})
        k, kind = int(opts.get("k", 1)), str(opts.get("directions", "gaussian"))
        below = int((c <= 0).sum())
        ax.plot(mine["n_params"], c.clip(lower=floor), ls="none", ms=6,
                label=f"{method} (k = {k})" + (f": {below} at the floor, cosine <= 0" if below else ""),
                **_style(method), **({"mfc": "none", "mew": 1.3} if i else {}))
        n = np.geomspace(quality["n_params"].min(), quality["n_params"].max(), 50)
        ax.plot(n, [predicted_cosine(k, int(v), kind) for v in n], ls="--", lw=1, color=_style(method)["color"],
                label=f"  predicted sqrt(k / (k + N {'+' if kind == 'gaussian' else '-'} 1)): typical, one estimate")
    ax.grid(True, which="major", alpha=0.45)
    _log_log(ax)
    ax.set_ylim(top=1.05)
    _finish(ax.figure, ax, _N_LABEL, _QUALITY_LABEL, outside=True)


def _work_formula(points: pd.DataFrame, method: str) -> str:
    """The counted work of ``method`` as a formula ("N + 1 loss evaluations") from the registry, else "work"."""
    m = registered().get(method)
    return m.work_count_label() if m is not None else "counted work"


def overlay_gap(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str, label: str) -> Figure:
    """Two runs' method / backprop time ratios vs N, log-log, for the O(N) methods: run A filled markers,
    run B hollow ones."""
    for name, frame in (("a", a), ("b", b)):
        _require(name, frame, ("method", *_GAP_KEY, "n_params", "status", "median_s"))
    fig, ax = _figure(f"Cost gap: {name_a} vs {name_b}", label, (9, 5))
    drawn, rings = 0, []
    for frame, name, mfc in ((a, name_a, None), (b, name_b, "none")):
        mine = []
        for method in _gap_methods(frame):
            gap = _ratio(frame, method, REFERENCE)
            if len(gap):
                ax.plot(gap["n_params"], gap["ratio"], mfc=mfc, label=f"{method} — {name}",
                        **{**_style(method), "ls": "none"})
                mine.append(gap)
            drawn += len(gap)
        rings.append((name, *_flagged_ratios(mine)))
    if not drawn:
        return _finish(fig, ax, _N_LABEL, _GAP_LABEL, f"no O(N) method and backprop points in {name_a} or {name_b}")
    if len(bad := pd.concat([r for _, r, _ in rings])):
        each = ", ".join(f"{name}: {n}" for name, _, n in rings)
        _ring(ax, bad["n_params"], bad["ratio"], _ring_label(sum(n for *_, n in rings), len(bad), f"({each})"))
    _log_log(ax)
    return _finish(fig, ax, _N_LABEL, _GAP_LABEL, outside=True)


def work(points: pd.DataFrame, label: str, options: dict | None = None) -> Figure:
    """Counted work per call (loss evaluations; tangent passes for forward mode) vs N, log-log: one small panel
    per method (so that equal counts never hide one another), each with the work its method declares (an
    estimator's per direction, times the run's k: ``options``, the run's method options)."""
    column = "work" if "work" in points else "loss_evaluations"
    _require("points", points, ("method", "n_params", "status", column))
    rows = points[(points["status"] == "ok") & _positive(points[column]) & _positive(points["n_params"])]
    title, xlabel, ylabel = "Work per gradient vs number of parameters", _N_LABEL, "work per call (count)"
    methods = _ordered(rows["method"])
    if not methods:
        fig, ax = _figure(title, label)
        return _finish(fig, ax, xlabel, ylabel, "no measured work counts")
    cols = min(4, len(methods))
    rows_n = -(-len(methods) // cols)
    fig = Figure(figsize=(2.6 * cols + 0.6, 2.2 * rows_n + 0.9), dpi=120)  # fixed margins: constrained layout of
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.7 / (2.2 * rows_n + 0.9), top=1 - 0.75 / (2.2 * rows_n + 0.9),
                        hspace=0.35, wspace=0.12)  # a dozen panels costs seconds
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows_n, cols, sharex=True, sharey=True, squeeze=False).ravel()
    fig.suptitle(f"{title}\n{label}", fontsize=11)
    n = np.geomspace(rows["n_params"].min(), rows["n_params"].max(), 50)
    bad = rows[flagged(rows)]
    for ax, method in zip(axes, methods):
        m = rows[rows["method"] == method]
        ax.plot(m["n_params"], m[column], ls="none", ms=5, **_style(method))
        ringed = bad[bad["method"] == method]
        _ring(ax, ringed["n_params"], ringed[column], None)
        declared = registered().get(method)
        k = int((options or {}).get(method, {}).get("k", 1)) if _estimator(rows, method) else 1
        if declared is not None:
            ax.plot(n, [max(declared.work_count(int(v)) * k, 1) for v in n], ls="--", color="0.4", lw=1)
        ax.set_title(f"{method}: {_work_formula(rows, method)}" + (f" x k, k = {k}" if k != 1 else ""), fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="major", alpha=0.45)
    for ax in axes[len(methods):]:
        ax.set_visible(False)
    fig.supxlabel(xlabel, fontsize=10)
    fig.supylabel(f"{ylabel}; dashed: declared", fontsize=10)
    if len(bad):  # said once, in the figure's bottom right corner, under the panels
        fig.legend(handles=[Line2D([], [], **RING)], labels=[_ring_label(len(bad), of=int(flagged(points).sum()))], loc="lower right", fontsize=7.5,
                   frameon=False, borderaxespad=0.2)
    return fig


_DEFAULT_NETWORK = {"activation": "sigmoid", "loss": "mse"}  # what the accuracy study used before it recorded it


def _network(acc: pd.DataFrame) -> str:
    """'relu activation, softmax_ce loss' of the study's rows; the default network's, said so, for a run older
    than the rows naming it."""
    said = {c: sorted(map(str, acc[c].dropna().unique())) if c in acc else [] for c in _DEFAULT_NETWORK}
    if not any(said.values()):
        return "{activation} activation, {loss} loss (the default network: the run did not record it)".format(
            **_DEFAULT_NETWORK)
    return f"{'/'.join(said['activation']) or '?'} activation, {'/'.join(said['loss']) or '?'} loss"


def accuracy(acc: pd.DataFrame, label: str) -> Figure:
    """Relative gradient error vs step eps, log-log, per method: the V of finite differences (round-off falls,
    truncation rises with eps) against the flat complex step, on the study's network (its activation and loss in
    the title); a dotted vertical line at each default step; a method the network refused (column ``refused``,
    eps and error NaN) has no curve, and the legend says why."""
    _require("acc", acc, ("method", "eps", "error", "default_eps", "depth", "width", "batch"))
    where = ", ".join(f"{c} {'/'.join(str(v) for v in sorted(acc[c].dropna().unique()))}"
                      for c in ("depth", "width", "batch"))
    title = f"Gradient error vs step: {_network(acc)}\n({where})" if len(acc) else "Gradient error vs step"
    fig, ax = _figure(title, label, (9, 5))
    xlabel, ylabel = "step eps (parameter units)", "relative error ‖g − g_backprop‖ / ‖g_backprop‖ (1)"
    rows = acc[_positive(acc["eps"]) & _positive(acc["error"])]
    why = acc["refused"].fillna("").astype(str) if "refused" in acc else pd.Series("", index=acc.index)
    refused = {m: textwrap.fill(f"{m}: no curve: {w}", 46) for m, w in zip(acc["method"], why) if w}
    if rows.empty:
        return _finish(fig, ax, xlabel, ylabel, "\n".join(["no accuracy measurements", *refused.values()]))
    for k, method in enumerate(_ordered(rows["method"])):
        style = _style(method)
        s = rows[rows["method"] == method].sort_values("eps")
        ax.plot(s["eps"], s["error"], ls="-", ms=4, label=method, **style)
        default = s["default_eps"][_positive(s["default_eps"])]
        if len(default):
            d = float(default.iloc[0])
            ax.axvline(d, ls=":", color=style["color"], lw=1.2)
            ax.text(d, 0.97 - 0.07 * k, f" default ≈ {d:.1e}", transform=ax.get_xaxis_transform(), ha="left",
                    va="top", fontsize=7.5, color=style["color"])
    for method, why in refused.items():  # in the legend only: a mark in the axes would read as a value
        ax.plot([], [], ls="none", mfc="none", label=why, **_style(method))
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _finish(fig, ax, f"{xlabel}\n← round-off dominates at small steps; truncation at large ones →", ylabel,
                   outside=True)


def overlay(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str, label: str) -> Figure:
    """Two runs' median time vs N, log-log, per method (the batch with most points in each run): run A filled markers,
    run B hollow ones (markers only: points of one N differ in depth and width); measured (ok) rows only."""
    for name, frame, run in (("a", a, name_a), ("b", b, name_b)):
        _require(name, frame, ("method", "n_params", "batch", "status", "median_s"))
        _check(f"name_{name}", run, str, "a string")
    fig, ax = _figure(f"Time per call vs number of parameters: {name_a} vs {name_b}", label, (9, 5))
    drawn, rings = 0, []
    for frame, name, mfc in ((a, name_a, None), (b, name_b, "none")):
        ok = _main_batch(frame[(frame["status"] == "ok") & _positive(frame["median_s"])
                                   & _positive(frame["n_params"])])
        for method in _ordered(ok["method"]):
            m = ok[ok["method"] == method].sort_values("n_params")
            ax.plot(m["n_params"], m["median_s"], mfc=mfc, label=f"{method} — {name}",
                    **{**_style(method), "ls": "none"})
            drawn += len(m)
        rings.append(ok[flagged(ok)])
    if not drawn:
        return _finish(fig, ax, _N_LABEL, "median time per call (s)", f"no measured points in {name_a} or {name_b}")
    bad = pd.concat(rings)
    if len(bad):
        _ring(ax, bad["n_params"], bad["median_s"], _ring_label(
            len(bad), detail=f"({name_a}: {len(rings[0])}, {name_b}: {len(rings[1])})"))
    _log_log(ax)
    return _finish(fig, ax, _N_LABEL, "median time per call (s)", outside=True)


def predicted_vs_measured(points: pd.DataFrame, label: str, band: float = 0.3) -> Figure:
    """Measured median time per call against the cost model's prediction, every measured point of every method,
    log-log: the diagonal (a perfect prediction) and the +-``band`` band around it."""
    _require("points", points, ("method", "status", "median_s", "model_s"))
    fig, ax = _figure("The cost model against the measurements", label, (8, 6))
    rows = points[(points["status"] == "ok") & _positive(points["median_s"]) & _positive(points["model_s"])]
    if rows.empty:
        return _finish(fig, ax, "predicted time per call (s)", "measured time per call (s)",
                       "no measured point has a cost-model prediction (a run from before the model)")
    for method in _ordered(rows["method"]):
        sel = rows[rows["method"] == method]
        ax.plot(sel["model_s"], sel["median_s"], ls="none", ms=5, alpha=0.85, label=method, **_style(method))
    bad = rows[flagged(rows)]
    _ring(ax, bad["model_s"], bad["median_s"], _ring_label(len(bad), of=int(flagged(points).sum())))
    lo = min(rows["model_s"].min(), rows["median_s"].min()) / 2
    hi = max(rows["model_s"].max(), rows["median_s"].max()) * 2
    line = np.array([lo, hi])
    ax.plot(line, line, color="0.2", lw=1, label="measured = predicted")
    ax.fill_between(line, line / (1 + band), line * (1 + band), color="0.5", alpha=0.15, lw=0,
                    label=f"within ±{band:.0%}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    return _finish(fig, ax, "predicted time per call (s), cost model", "measured median time per call (s)",
                   outside=True)


_DEVICE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
_DEVICE_METHODS = {"numerical-batched": (False, "o"), "forward-mode": (True, "^")}  # hollow?, marker


def device_gap(points: pd.DataFrame, knees: dict[str, float | None], label: str) -> Figure:
    """The cost gap of every device in one figure: t(method) / t(backprop) on the same device vs N, log-log, for
    the batched finite difference (filled circles) and forward mode (hollow triangles), one colour per device; ``knees`` (device ->
    N, or None) are drawn as dotted verticals: where that device's finite difference starts to grow with N."""
    _require("points", points, ("method", "device", *_GAP_KEY, "n_params", "status", "median_s"))
    fig, ax = _figure("Cost gap per device: time of an O(N) gradient / backprop on the same device", label, (9, 5))
    drawn = []
    for k, device in enumerate(dict.fromkeys(points["device"])):
        color, mine = _DEVICE_COLORS[k % len(_DEVICE_COLORS)], points[points["device"] == device]
        for method, (hollow, marker) in _DEVICE_METHODS.items():
            gap = _ratio(_main_batch(mine), method, REFERENCE)
            if not gap.empty:
                ax.plot(gap["n_params"], gap["ratio"], ls="none", marker=marker, color=color, label=f"{method} on {device}",
                        **({"mfc": "none"} if hollow else {}))
                drawn.append(gap)
        if knees.get(device):
            ax.axvline(knees[device], ls=":", color=color, lw=1.2,
                       label=f"{device}: finite difference grows with N from N ≈ {knees[device]:,.0f}")
    if not drawn:
        return _finish(fig, ax, _N_LABEL, _GAP_LABEL, "no O(N) method and backprop measured on the same device")
    _ring_ratios(ax, drawn)
    _log_log(ax)
    return _finish(fig, ax, _N_LABEL, "time ratio method / backprop on its device (s/s)", outside=True)
