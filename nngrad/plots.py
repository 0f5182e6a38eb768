"""Benchmark DataFrames -> matplotlib figures. Pure: each function builds and returns a new ``Figure``
(no pyplot, no global state, no GUI backend); ``save`` writes one to PNG atomically.

Conventions in every plot: one colour and marker per method (``METHOD_STYLE``); measured points are filled
with q1..q3 error bars; skipped points are predictions (hollow markers on a dashed line at ``predicted_s``);
failed points are never drawn as timings, only as an 'x' on the x axis. Where there is nothing to plot the
figure says so; bad arguments (not a DataFrame, missing columns, wrong types) raise ValueError naming them.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from .runfiles import atomic_path

METHOD_STYLE: dict[str, dict[str, str]] = {
    "forward": {"color": "#555555", "marker": "o"},
    "backprop": {"color": "#1f77b4", "marker": "s"},
    "numerical-loop": {"color": "#d62728", "marker": "^"},
    "numerical-batched": {"color": "#ff7f0e", "marker": "D"},
}
SCHEME_STYLE: dict[str, dict[str, str]] = {
    "forward": {"color": "#9467bd", "marker": "o"},
    "central": {"color": "#2ca02c", "marker": "s"},
}
_OTHER = {"color": "#8c564b", "marker": "P"}  # a method or scheme this module does not know
FIT_MODEL, FIT_TERM = "ratio ~ N^k", "N"
MIB = 2.0**20
_N_LABEL = "N, number of parameters (count)"
# what the "vs depth/width" plots show: (column, scale, q1/q3 columns, prediction column, y label, title)
_QUANTITIES = {
    "time": ("median_s", 1.0, ("q1_s", "q3_s"), "predicted_s", "time per call (s)", "Time per call"),
    "memory": ("peak_memory_bytes", 1 / MIB, (), None, "peak memory (MiB)", "Peak memory"),
}
_X_LABELS = {"depth": "depth (hidden layers)", "width": "width (units per hidden layer)"}


def _require(name: str, frame: object, columns: Iterable[str]) -> pd.DataFrame:
    """Return ``frame`` if it is a DataFrame holding ``columns``, else raise ValueError naming what is wrong."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")  # noqa: TRY004 (API: ValueError)
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s): {', '.join(missing)}")
    return frame


def _check(name: str, value: object, kind: type, what: str) -> None:
    """Raise ValueError unless ``value`` is a ``kind`` (bools refused), saying it must be ``what``."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"{name} must be {what}, got {type(value).__name__} {value!r}")  # noqa: TRY004 (API: ValueError)


def _positive(values: pd.Series) -> pd.Series:
    """Mask of finite values > 0 (the only ones a log axis can show)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return (v > 0) & np.isfinite(v)


def _style(method: str, table: dict[str, dict[str, str]] = METHOD_STYLE) -> dict[str, str]:
    return table.get(method, _OTHER)


def _ordered(values: pd.Series, table: dict[str, dict[str, str]] = METHOD_STYLE) -> list[str]:
    """Known names in ``table`` order, then any others sorted."""
    present = set(values)
    return [m for m in table if m in present] + sorted(present - set(table), key=str)


def _smallest_batch(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["batch"] == rows["batch"].min()] if len(rows) else rows


def _figure(title: str, label: str) -> tuple[Figure, Axes]:
    """A new 7x4.5 in figure with one gridded axes: ``title`` on top, ``label`` as the caption line below it."""
    _check("label", label, str, "a string")
    fig = Figure(figsize=(7, 4.5), dpi=120, layout="constrained")
    FigureCanvasAgg(fig)  # savefig/draw without any global backend
    ax = fig.add_subplot()
    fig.suptitle(title, fontsize=12)
    ax.set_title(label, fontsize=8, color="0.35")
    ax.grid(True, which="major", alpha=0.45)
    ax.grid(True, which="minor", alpha=0.12)
    return fig, ax


def _finish(fig: Figure, ax: Axes, xlabel: str, ylabel: str, empty: str | None = None) -> Figure:
    """Label the axes; add the legend, or, when nothing was plotted, a message saying so."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if empty is not None:
        ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="0.3")
        ax.set_xticks([])
        ax.set_yticks([])
    elif labels := ax.get_legend_handles_labels()[1]:
        ax.legend(fontsize=8, ncols=2 if len(labels) > 5 else 1, framealpha=0.9)
    return fig


def _int_axis(ax: Axes, values: pd.Series, log: bool) -> None:
    """Integer x ticks at the swept values: log base 2 when ``log`` (and all > 0), else linear."""
    ticks = sorted({int(v) for v in values})
    if log and ticks and ticks[0] > 0:
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _series(ax: Axes, rows: pd.DataFrame, x: str, y: str, band: tuple[str, ...], predicted: str | None) -> int:
    """Per method: measured line with q1..q3 error bars, skipped rows as dashed hollow predictions, failed
    rows as an 'x' on the x axis. Returns how many points were drawn as measurements or predictions."""
    drawn = 0
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
    return drawn


def _versus(points: pd.DataFrame, x: str, fixed: str, value: int, label: str, quantity: str) -> Figure:
    """``quantity`` vs ``x`` at ``fixed == value`` and the smallest batch there, one series per method."""
    y, scale, band, predicted, ylabel, what = _QUANTITIES[quantity]
    extra = (predicted,) if predicted else ()
    _require("points", points, ("method", "depth", "width", "batch", "status", y, *band, *extra))
    _check(fixed, value, numbers.Integral, "an integer")
    rows = _smallest_batch(points[points[fixed] == value])
    rows = rows.assign(**{c: rows[c] * scale for c in (y, *band)})
    batch = f", batch {rows['batch'].iloc[0]}" if len(rows) else ""
    fig, ax = _figure(f"{what} vs {x} ({fixed} {value}{batch})", label)
    if not _series(ax, rows, x, y, band, predicted):
        n_failed = int((rows["status"] == "failed").sum())
        note = f" ({n_failed} failed)" if n_failed else ""
        return _finish(fig, ax, _X_LABELS[x], ylabel, f"no measured points at {fixed} {value}{note}")
    ax.set_yscale("log")
    lo, hi = rows[x].min(), rows[x].max()
    _int_axis(ax, rows[x], log=x == "width" or (lo > 0 and hi / lo >= 4))
    return _finish(fig, ax, _X_LABELS[x], ylabel)


def time_vs_depth(points: pd.DataFrame, width: int, label: str) -> Figure:
    """Seconds per call vs depth at ``width`` (smallest batch), one line per method; log y."""
    return _versus(points, "depth", "width", width, label, "time")


def time_vs_width(points: pd.DataFrame, depth: int, label: str) -> Figure:
    """Seconds per call vs width at ``depth`` (smallest batch), one line per method; log-log."""
    return _versus(points, "width", "depth", depth, label, "time")


def memory_vs_depth(points: pd.DataFrame, width: int, label: str) -> Figure:
    """Peak memory (MiB) vs depth at ``width`` (smallest batch), one line per method; log y."""
    return _versus(points, "depth", "width", width, label, "memory")


def _fit(fits: pd.DataFrame | None, method: str) -> pd.Series | None:
    """The ``ratio ~ N^k`` fit row of ``method``, if ``fits`` has a finite one."""
    if fits is None:
        return None
    rows = fits[(fits["method"] == method) & (fits["model"] == FIT_MODEL) & (fits["term"] == FIT_TERM)]
    rows = rows[np.isfinite(rows["exponent"].astype(float)) & np.isfinite(rows["intercept"].astype(float))]
    return rows.iloc[0] if len(rows) else None


_GAP_KEY = ["depth", "width", "batch"]
_GAP_LABEL = "time ratio numerical / backprop (s/s)"


def _gap(points: pd.DataFrame, method: str) -> pd.DataFrame:
    """Measured ``method`` rows matched to backprop at the same depth, width and batch: n_params, ratio (by N)."""
    ok = points[(points["status"] == "ok") & _positive(points["median_s"])]
    backprop = ok.loc[ok["method"] == "backprop", [*_GAP_KEY, "median_s"]].rename(columns={"median_s": "backprop_s"})
    both = ok[ok["method"] == method].merge(backprop, on=_GAP_KEY).sort_values("n_params")
    return pd.DataFrame({"n_params": both["n_params"].astype(float), "ratio": both["median_s"] / both["backprop_s"]})


def cost_gap(points: pd.DataFrame, fits: pd.DataFrame | None, label: str) -> Figure:
    """Median time ratio numerical / backprop vs N, log-log, at matching (depth, width, batch); the fitted
    ``ratio ~ N^k`` lines from ``fits`` when given, and the theoretical slope-1 line through the points."""
    _require("points", points, ("method", *_GAP_KEY, "n_params", "status", "median_s"))
    if fits is not None:
        _require("fits", fits, ("method", "model", "term", "exponent", "intercept", "stderr"))
    fig, ax = _figure("Cost gap: numerical / backprop time vs number of parameters", label)
    measured = []
    for method in ("numerical-loop", "numerical-batched"):
        gap = _gap(points, method)
        if gap.empty:
            continue
        n, ratio = gap["n_params"].to_numpy(), gap["ratio"].to_numpy()
        style = _style(method)
        ax.plot(n, ratio, ls="none", label=method, **style)
        measured.append((n, ratio))
        if (fit := _fit(fits, method)) is not None:
            grid = np.geomspace(n.min(), n.max(), 50)
            ax.plot(grid, np.exp(fit["intercept"]) * grid ** fit["exponent"], color=style["color"], lw=1.5,
                    label=f"fit {method}: ratio ∝ N^k, k = {fit['exponent']:.2f} ± {fit['stderr']:.2f}")
    if not measured:
        return _finish(fig, ax, _N_LABEL, _GAP_LABEL,
                       "no numerical and backprop points measured\nat the same depth, width, batch")
    n, ratio = (np.concatenate(v) for v in zip(*measured, strict=True))
    n0, r0 = np.exp(np.log(n).mean()), np.exp(np.log(ratio).mean())  # geometric mean anchors the theory line
    grid = np.geomspace(n.min(), n.max(), 50)
    ax.plot(grid, r0 * grid / n0, ls="--", color="0.5", label="theory: ratio ∝ N (slope 1)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _finish(fig, ax, _N_LABEL, _GAP_LABEL)


def overlay_gap(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str, label: str) -> Figure:
    """Two runs' numerical / backprop time ratios vs N, log-log: run A filled markers, run B hollow ones."""
    for name, frame in (("a", a), ("b", b)):
        _require(name, frame, ("method", *_GAP_KEY, "n_params", "status", "median_s"))
    fig, ax = _figure(f"Cost gap: {name_a} vs {name_b}", label)
    drawn = 0
    for frame, name, mfc in ((a, name_a, None), (b, name_b, "none")):
        for method in ("numerical-loop", "numerical-batched"):
            gap = _gap(frame, method)
            ax.plot(gap["n_params"], gap["ratio"], mfc=mfc, label=f"{method} — {name}", **{**_style(method), "ls": "none"})
            drawn += len(gap)
    if not drawn:
        return _finish(fig, ax, _N_LABEL, _GAP_LABEL, f"no numerical and backprop points in {name_a} or {name_b}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _finish(fig, ax, _N_LABEL, _GAP_LABEL)


def loss_evaluations(points: pd.DataFrame, label: str) -> Figure:
    """Counted loss evaluations per call vs N, log-log, per method; reference lines N + 1, 2N and 1."""
    _require("points", points, ("method", "n_params", "status", "loss_evaluations"))
    rows = points[(points["status"] == "ok") & _positive(points["loss_evaluations"]) & _positive(points["n_params"])]
    fig, ax = _figure("Loss evaluations per call vs number of parameters", label)
    xlabel, ylabel = _N_LABEL, "loss evaluations per call (count)"
    if rows.empty:
        return _finish(fig, ax, xlabel, ylabel, "no measured loss-evaluation counts")
    for i, method in enumerate(_ordered(rows["method"])):
        m = rows[rows["method"] == method].sort_values("n_params")  # shrinking markers keep equal counts visible
        ax.plot(m["n_params"], m["loss_evaluations"], ls="none", ms=9 - 1.5 * i, label=method, **_style(method))
    n = np.geomspace(rows["n_params"].min(), rows["n_params"].max(), 50)
    ax.plot(n, n + 1, ls="--", color="0.4", lw=1, label="N + 1 (forward differences)")
    ax.plot(n, 2 * n, ls=":", color="0.4", lw=1.2, label="2N (central differences)")
    ax.plot(n, np.ones_like(n), ls="-.", color="0.4", lw=1, label="1 (backprop, forward)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _finish(fig, ax, xlabel, ylabel)


def accuracy(acc: pd.DataFrame, label: str) -> Figure:
    """Relative gradient error vs step eps, log-log, per scheme (the V: round-off falls, truncation rises with
    eps); a dotted vertical line at each scheme's default eps."""
    _require("acc", acc, ("scheme", "eps", "error", "default_eps", "depth", "width", "batch"))
    where = ", ".join(f"{c} {'/'.join(str(v) for v in sorted(acc[c].dropna().unique()))}" for c in ("depth", "width", "batch"))
    fig, ax = _figure(f"Finite-difference gradient error vs step ({where})" if len(acc) else "Finite-difference gradient error vs step", label)
    xlabel, ylabel = "step eps (parameter units)", "relative error ‖g_fd − g_bp‖ / ‖g_bp‖ (1)"
    rows = acc[_positive(acc["eps"]) & _positive(acc["error"])]
    if rows.empty:
        return _finish(fig, ax, xlabel, ylabel, "no accuracy measurements")
    for scheme in _ordered(rows["scheme"], SCHEME_STYLE):
        style = _style(scheme, SCHEME_STYLE)
        s = rows[rows["scheme"] == scheme].sort_values("eps")
        ax.plot(s["eps"], s["error"], ls="-", label=f"{scheme} differences", **style)
        default = s["default_eps"][_positive(s["default_eps"])]
        if len(default):
            d = float(default.iloc[0])
            ax.axvline(d, ls=":", color=style["color"], lw=1.2)
            ax.text(d, 0.97, f"{scheme} default ≈ {d:.1e} ", transform=ax.get_xaxis_transform(), rotation=90,
                    ha="right", va="top", fontsize=8, color=style["color"])
    ax.text(0.02, 0.03, "← round-off dominates", transform=ax.transAxes, fontsize=8, color="0.35")
    ax.text(0.98, 0.03, "truncation dominates →", transform=ax.transAxes, fontsize=8, color="0.35", ha="right")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _finish(fig, ax, xlabel, ylabel)


def overlay(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str, label: str) -> Figure:
    """Two runs' median time vs N, log-log, per method (smallest batch of each run): run A filled markers,
    run B hollow ones (markers only: points of one N differ in depth and width); measured (ok) rows only."""
    for name, frame, run in (("a", a, name_a), ("b", b, name_b)):
        _require(name, frame, ("method", "n_params", "batch", "status", "median_s"))
        _check(f"name_{name}", run, str, "a string")
    fig, ax = _figure(f"Time per call vs number of parameters: {name_a} vs {name_b}", label)
    drawn = 0
    for frame, name, mfc in ((a, name_a, None), (b, name_b, "none")):
        ok = _smallest_batch(frame[(frame["status"] == "ok") & _positive(frame["median_s"]) & _positive(frame["n_params"])])
        for method in _ordered(ok["method"]):
            m = ok[ok["method"] == method].sort_values("n_params")
            ax.plot(m["n_params"], m["median_s"], mfc=mfc, label=f"{method} — {name}", **{**_style(method), "ls": "none"})
            drawn += len(m)
    if not drawn:
        return _finish(fig, ax, _N_LABEL, "median time per call (s)", f"no measured points in {name_a} or {name_b}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _finish(fig, ax, _N_LABEL, "median time per call (s)")


def save(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Write ``fig`` to ``path`` as PNG atomically: a temporary file in the same folder, renamed over ``path``."""
    _check("fig", fig, Figure, "a matplotlib Figure")
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
