"""A stored run -> summary.csv, fits.csv, the plots (PNG) and report.md, without re-running anything."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import plots, runfiles
from .fits import cost_model
from .results import OVERHEAD_FLOPS, Run, load_run

SUMMARY_COLUMNS = ["method", "depth", "width", "batch", "n_params", "status", "median_s", "iqr_s", "rounds",
                   "iterations", "loss_evaluations", "gflops", "peak_memory_bytes", "gradient_error", "predicted_s",
                   "overhead_dominated", "message"]


def summary_table(points: pd.DataFrame) -> pd.DataFrame:
    """One tidy row per point; skipped points carry their predicted time and the reason."""
    return points[SUMMARY_COLUMNS].rename(columns={"n_params": "N", "message": "note"})


def middle(values: pd.Series) -> int:
    """The middle of the sorted distinct values (the upper one of two): the fixed size of a 1-D plot."""
    distinct = sorted(values.dropna().unique())
    return int(distinct[len(distinct) // 2])


def figures(run: Run, fits: pd.DataFrame) -> dict[str, object]:
    p, label = run.points, run.label
    width, depth = middle(p["width"]), middle(p["depth"])
    figs = {
        "time_vs_depth.png": plots.time_vs_depth(p, width, label),
        "time_vs_width.png": plots.time_vs_width(p, depth, label),
        "cost_gap.png": plots.cost_gap(p, fits, label),
        "loss_evaluations.png": plots.loss_evaluations(p, label),
        "memory_vs_depth.png": plots.memory_vs_depth(p, width, label),
    }
    if not run.accuracy.empty:
        figs["accuracy.png"] = plots.accuracy(run.accuracy, label)
    return figs


def build_report(source: str | Path, out: str | Path | None = None) -> Path:
    """Write summary.csv, fits.csv, *.png and report.md for a run folder or benchmark JSON; returns report.md."""
    source = Path(source)
    run = load_run(source)
    out = Path(out) if out else (source if source.is_dir() else source.with_name(f"{source.stem}-report"))
    out.mkdir(parents=True, exist_ok=True)
    fits = cost_model(run.points)
    summary = summary_table(run.points)
    runfiles.write_atomic(out / "summary.csv", summary.to_csv(index=False))
    runfiles.write_atomic(out / "fits.csv", fits.to_csv(index=False))
    images = figures(run, fits)
    for name, fig in images.items():
        plots.save(fig, out / name)
    runfiles.write_atomic(out / "report.md", markdown(run, summary, fits, list(images)))
    return out / "report.md"


def headline(points: pd.DataFrame) -> str:
    """The gap at the largest network where both numerical-loop and backprop were measured."""
    ok = points[points["status"] == "ok"]
    bp = ok[ok["method"] == "backprop"][["depth", "width", "batch", "median_s"]]
    both = ok[ok["method"] == "numerical-loop"].merge(bp, on=["depth", "width", "batch"], suffixes=("", "_bp"))
    if both.empty:
        return "No network had both numerical-loop and backprop measured."
    top = both.loc[both["n_params"].idxmax()]
    d, w, b = int(top["depth"]), int(top["width"]), int(top["batch"])
    return (f"At the largest network measured with both (depth {d}, width {w}, batch {b}, N = {int(top['n_params'])}), "
            f"the finite-difference gradient (loop) took {top['median_s']:.3g} s and backprop "
            f"{top['median_s_bp']:.3g} s: **{top['median_s'] / top['median_s_bp']:.0f}x** slower.")


def markdown(run: Run, summary: pd.DataFrame, fits: pd.DataFrame, images: list[str]) -> str:
    skipped = summary[summary["status"] == "skipped"]
    failed = summary[summary["status"].isin(["failed", "not run"])]
    cfg = run.config
    lines = [
        f"# nngrad benchmark: {run.name}", "",
        f"{run.label}", "",
        (f"Sweep: depths {cfg.get('depths')}, widths {cfg.get('widths')}, batches {cfg.get('batches')}, "
        f"methods {cfg.get('methods')}, budget {cfg.get('budget_s')} s per call. "
        "Times are medians of one call (IQR in the table); the numerical methods are forward differences "
        "(N+1 loss evaluations) at eps = sqrt(machine eps), each checked against backprop before timing."), "",
        headline(run.points), "",
    ]
    titles = {"time_vs_depth.png": "Time per gradient vs depth", "time_vs_width.png": "Time per gradient vs width",
              "cost_gap.png": "The cost gap: numerical / backprop", "loss_evaluations.png": "Loss evaluations",
              "memory_vs_depth.png": "Peak memory of one gradient", "accuracy.png": "Accuracy vs step (eps)"}
    for name in images:
        lines += [f"## {titles.get(name, name)}", "", f"![{titles.get(name, name)}]({name})", ""]
    lines += ["## Cost model", "",
              ("Exponents of time per call, fitted by least squares in log-log, beside theory: `theory_sizes` is the "
              "same fit on the operation counts of these exact networks, `theory_asymptotic` the large-network limit "
              f"(forward and backprop ~ depth x width^2 ~ N; finite differences ~ N x forward ~ N^2). Points whose "
              f"forward pass does under {OVERHEAD_FLOPS:.3g} flop are dominated by per-call overhead and kept out "
              "(`excluded_overhead`)."), "",
              fits.drop(columns=["intercept"]).to_markdown(index=False, floatfmt=".3g") if not fits.empty
              else "_no fit: not enough measured points_", ""]
    if not skipped.empty:
        lines += ["## Skipped (predicted, not run)", "",
                  skipped[["method", "depth", "width", "batch", "N", "predicted_s", "note"]]
                  .to_markdown(index=False, floatfmt=".3g"), ""]
    if not failed.empty:
        lines += ["## Failed or not run", "",
                  failed[["method", "depth", "width", "batch", "N", "status", "note"]].to_markdown(index=False), ""]
    measured = summary[summary["status"] == "ok"].drop(columns=["status", "note"])
    lines += ["## Measured points", "", measured.to_markdown(index=False, floatfmt=".3g"), "",
              "Compare another run with this one: `nngrad compare THIS_RUN OTHER_RUN`.", ""]
    return "\n".join(lines)
