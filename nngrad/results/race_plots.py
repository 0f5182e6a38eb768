"""A race's files (curves.csv, race.csv, race.json: docs/estimators.md) -> its figures. Pure: nothing here reads a
file or a clock; each function builds and returns a new ``Figure`` (``save`` in nngrad._figures writes one).

Every figure draws one line per method@k in the method's own colour (its registered colour and marker), k told
apart by the line style; the median over the final phase's seeds thick, each seed thin. A value that is not a
finite positive number (a diverged run's NaN or inf, a missed target's inf) is never drawn as a value: the line
breaks there, and the legend says what was missed. Legends sit beside the axes, never over the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from .._figures import check_type, figure, finish, positive, require
from .._words import plural
from .plots import _log_log, _ordered, _style

CURVES = ("task", "width", "N", "method", "k", "lr", "seed", "phase", "step", "equivalents", "train_loss",
          "test_accuracy")
RACE = ("task", "width", "N", "method", "k", "lr", "target", "target_loss", "seeds", "reached", "steps",
        "equivalents", "budget_equivalents", "budget_steps", "step_penalty")
TARGETS = ("T90", "T99")
TARGET_STYLE = {"T90": "--", "T99": ":"}
K_STYLES = ("-", "--", ":", "-.")  # k = 1 (or the smallest k), then the next ones
REFERENCE = "backprop"
EQUIVALENTS = "loss-evaluation equivalents (forward passes)"
STEPS = "steps"
LOSS = "training loss (whole training set)"
ACCURACY = "test accuracy (fraction of the test set)"
PENALTY = "step penalty at T90 (steps / backprop's steps)"
N_LABEL = "N, number of parameters (count)"


def race_figures(curves: pd.DataFrame, race: pd.DataFrame, meta: dict) -> dict[str, Figure]:
    """{file name: Figure} of a race: per width (a suffix ``_w<width>`` when the race has several), the loss
    against equivalents and against steps, and the test accuracy against equivalents (skipped where there is
    no test set); with several N, the step penalty against N. ``curves``, ``race``: the frames of curves.csv and
    race.csv; ``meta``: race.json's dict."""
    require("curves", curves, CURVES)
    require("race", race, RACE)
    check_type("meta", meta, dict, "a dict (race.json)")
    final = curves[curves["phase"] == "final"]
    widths = sorted({int(w) for w in final["width"]}) or [None]
    out: dict[str, Figure] = {}
    for width in widths:
        suffix = f"_w{width}" if len(widths) > 1 else ""
        rows = final if width is None else final[final["width"] == width]
        results = race if width is None else race[race["width"] == width]
        out[f"loss_vs_equivalents{suffix}.png"] = loss_vs_equivalents(rows, results, meta)
        out[f"loss_vs_steps{suffix}.png"] = loss_vs_steps(rows, results, meta)
        if has_test_set(rows):
            out[f"accuracy_vs_equivalents{suffix}.png"] = accuracy_vs_equivalents(rows, results, meta)
    if race["N"].nunique() > 1:
        out["step_penalty_vs_n.png"] = step_penalty_vs_n(race, meta)
    return out


def has_test_set(curves: pd.DataFrame) -> bool:
    """Does any checkpoint carry a finite test accuracy?"""
    return bool(np.isfinite(pd.to_numeric(curves["test_accuracy"], errors="coerce").astype(float)).any())


def entries(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """The (method, k) pairs of ``frame``: registered methods in registration order, k ascending."""
    return [(m, int(k)) for m in _ordered(frame["method"])
            for k in sorted({int(k) for k in frame.loc[frame["method"] == m, "k"]})]


def name(method: str, k: int) -> str:
    """"backprop" (an exact method, k = 0) or "spsa k=16"."""
    return f"{method} k={k}" if k else method


def line_styles(frame: pd.DataFrame) -> dict[int, str]:
    """k -> line style: exact methods (k = 0) and the smallest k solid, the larger ones dashed, dotted, ..."""
    ks = sorted({int(k) for k in frame["k"] if int(k) > 0})
    return {0: "-"} | {k: K_STYLES[i % len(K_STYLES)] for i, k in enumerate(ks)}


def finite(values) -> np.ndarray:
    """``values`` as floats, NaN where not finite and > 0 (a gap in a log-scale line, never a value)."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").astype(float)
    return v.where(positive(v)).to_numpy()


def median_curve(runs: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Columns ``step``, x, y: per checkpoint step, the medians over the seeds, at the steps every seed recorded.
    A NaN training loss (a diverged seed) counts as inf: worse than any, never skipped."""
    seeds = runs["seed"].nunique()
    values = runs.astype({x: float, y: float})
    if y == "train_loss":
        values[y] = values[y].fillna(np.inf)
    grouped = values.groupby("step")
    med = grouped.agg({c: "median" for c in dict.fromkeys((x, y)) if c != "step"})
    return med[grouped["seed"].nunique() == seeds].reset_index()


def outcome(results: pd.DataFrame, method: str, k: int) -> str:
    """"T90 3/3, T99 0/3" from race.csv's rows of method@k ("" when it has none)."""
    rows = results[(results["method"] == method) & (results["k"] == k)]
    parts = [f"{t} {int(r['reached'])}/{int(r['seeds'])}" for t in TARGETS
             for _, r in rows[rows["target"] == t].iterrows()]
    return ", ".join(parts)


def targets(results: pd.DataFrame, meta: dict) -> dict[str, float]:
    """{target: loss} from race.csv's rows (one width's), else race.json's ``targets``."""
    found = {t: float(results.loc[results["target"] == t, "target_loss"].iloc[0]) for t in TARGETS
             if (results["target"] == t).any()}
    return found or {t: float(v) for t, v in (meta.get("targets") or {}).items()}


def budget(results: pd.DataFrame, meta: dict, column: str) -> float | None:
    """The race's budget (``budget_equivalents`` or ``budget_steps``) from race.csv, else race.json; None if absent."""
    values = finite(results[column]) if len(results) else np.array([])
    values = values[np.isfinite(values)]
    if values.size:
        return float(values.max())
    value = meta.get(column)
    return float(value) if isinstance(value, int | float) and np.isfinite(value) and value > 0 else None


def caption(curves: pd.DataFrame, meta: dict) -> str:
    """The figure's caption line: task, width and N, seeds, and an unfinished race said so."""
    task = meta.get("task") or (str(curves["task"].iloc[0]) if len(curves) else "race")
    where = ""
    if len(curves) and curves["width"].nunique() == 1:
        where = f", width {int(curves['width'].iloc[0])}, N = {int(curves['N'].iloc[0]):,}"
    seeds = curves.groupby(["method", "k"])["seed"].nunique().max() if len(curves) else 0
    runs = f"; medians over {plural(int(seeds), 'seed')} (thick), each seed (thin)" if seeds else ""
    return f"{task}{where}{runs}" + ("" if meta.get("finished", True) else "; UNFINISHED race: partial results")


def draw_runs(ax: Axes, curves: pd.DataFrame, results: pd.DataFrame, x: str, y: str, at: str | None) -> int:
    """Per method@k, each seed thin and the median thick; where ``at`` (race.csv's column of the same
    quantity as x) is given, the method's marker where it first holds each target (median over seeds; a
    missed target is not drawn). Returns the number of lines drawn."""
    styles, drawn = line_styles(curves), 0
    for method, k in entries(curves):
        runs = curves[(curves["method"] == method) & (curves["k"] == k)]
        style, ls = _style(method), styles[k]
        for _, seed in runs.groupby("seed"):
            seed = seed.sort_values("step")
            ax.plot(finite(seed[x]), finite(seed[y]), ls=ls, lw=0.6, alpha=0.35, color=style["color"])
        med = median_curve(runs, x, y)
        lr = runs["lr"].iloc[0]
        label = f"{name(method, k)}, lr {lr:g}" + (f": {said}" if (said := outcome(results, method, k)) else "")
        ax.plot(finite(med[x]), finite(med[y]), ls=ls, lw=2, color=style["color"], label=label)
        drawn += 1
        if at is not None:
            hits = results[(results["method"] == method) & (results["k"] == k)]
            hx, hy = finite(hits[at]), finite(hits["target_loss"])
            if (kept := np.isfinite(hx) & np.isfinite(hy)).any():  # a miss (inf) is no point at all
                ax.plot(hx[kept], hy[kept], ls="none", marker=style["marker"], ms=8, color=style["color"],
                        mec="black", mew=0.6)
    return drawn


def guides(ax: Axes, levels: dict[str, float], vertical: float | None, what: str) -> None:
    """The targets as grey horizontal lines and ``vertical`` (the budget) as a vertical one, each labelled in the
    legend (a label in the axes would sit on some curve: where they cross the targets is the race)."""
    for target, level in levels.items():
        if np.isfinite(level) and level > 0:
            ax.axhline(level, color="0.35", lw=1, ls=TARGET_STYLE.get(target, "-."), label=f"{target} = {level:.3g}")
    if vertical is not None:
        ax.axvline(vertical, color="0.2", lw=1.2, ls="-.", label=f"{what}: {vertical:,.0f}")


def hit_note(ax: Axes) -> None:
    """One legend entry saying what the big markers are."""
    ax.plot([], [], ls="none", marker="o", ms=8, color="0.6", mec="black", mew=0.6,
            label="marker: where the median run first holds\na target to the end (misses not drawn)")


def loss_vs_equivalents(curves: pd.DataFrame, results: pd.DataFrame, meta: dict) -> Figure:
    """Training loss against cumulative loss-evaluation equivalents, log-log: targets and budget drawn."""
    return _loss_against(curves, results, meta, "Training loss against cost", ("equivalents", "equivalents"),
                         EQUIVALENTS, ("budget_equivalents", "budget (equivalents)"))


def loss_vs_steps(curves: pd.DataFrame, results: pd.DataFrame, meta: dict) -> Figure:
    """Training loss against steps, log-log (the cost per step factored out: what is left is the estimators'
    step penalty); targets and the step cap drawn."""
    return _loss_against(curves, results, meta, "Training loss against steps (cost per step factored out)",
                         ("step", "steps"), STEPS, ("budget_steps", "step cap (steps)"))


def _loss_against(curves: pd.DataFrame, results: pd.DataFrame, meta: dict, title: str, x: tuple[str, str],
                  xlabel: str, cap: tuple[str, str]) -> Figure:
    """Training loss against ``x`` (curves' column, the race column of the first hold), log-log; the targets and
    ``cap`` (the budget's column, its legend label) drawn."""
    fig, ax = figure(title, caption(curves, meta), (10, 5.5))
    if not draw_runs(ax, curves, results, x[0], "train_loss", x[1]):
        return finish(fig, ax, xlabel, LOSS, "no final-phase runs recorded")
    guides(ax, targets(results, meta), budget(results, meta, cap[0]), cap[1])
    hit_note(ax)
    _log_log(ax)
    return finish(fig, ax, xlabel, LOSS, outside=True)


def accuracy_vs_equivalents(curves: pd.DataFrame, results: pd.DataFrame, meta: dict) -> Figure:
    """Test accuracy against loss-evaluation equivalents (log x); the budget drawn."""
    fig, ax = figure("Test accuracy against cost", caption(curves, meta), (10, 5.5))
    draw_runs(ax, curves, results, "equivalents", "test_accuracy", None)
    guides(ax, {}, budget(results, meta, "budget_equivalents"), "budget (equivalents)")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    return finish(fig, ax, EQUIVALENTS, ACCURACY, outside=True)


PENALTY_MARGIN = 1.5  # the step-penalty axes reach this factor beyond the drawn values


def step_penalty_vs_n(race: pd.DataFrame, meta: dict) -> Figure:
    """The step penalty at T90 (steps / backprop's steps) against N per estimator (method@k, k > 0), log-log,
    with lines proportional to N and to sqrt(N) through the first point drawn; a miss named in the legend."""
    rows = race[(race["target"] == "T90") & (race["k"] > 0)].sort_values("N")
    task = meta.get("task") or (str(race["task"].iloc[0]) if len(race) else "race")
    fig, ax = figure("Step penalty against N", f"{task} task: medians over seeds of steps to hold T90", (9, 5))
    styles, first = line_styles(rows), None
    for method, k in entries(rows):
        mine = rows[(rows["method"] == method) & (rows["k"] == k)]
        y = finite(mine["step_penalty"])
        missed = mine.loc[np.isnan(y), "N"]
        label = name(method, k) + (f" (missed at N = {', '.join(f'{int(n):,}' for n in missed)})" if len(missed)
                                   else "")
        hollow = {"mfc": "none", "ms": 11, "mew": 1.5} if first is not None else {"ms": 7}  # coinciding stay seen
        ax.plot(mine["N"].to_numpy(float), y, ls=styles[k], lw=1, marker=_style(method)["marker"],
                color=_style(method)["color"], label=label, **hollow)
        if first is None and np.isfinite(y).any():
            first = (float(mine["N"].to_numpy(float)[np.isfinite(y)][0]), float(y[np.isfinite(y)][0]))
    if first is None:
        return finish(fig, ax, N_LABEL, PENALTY, "no estimator reached T90 at any N: no step penalty to draw")
    n = np.geomspace(rows["N"].min(), rows["N"].max(), 50)
    drawn = [finite(rows["step_penalty"])]
    for power, what, ls in ((1.0, "N", "--"), (0.5, "sqrt(N)", ":")):
        reference = first[1] * (n / first[0]) ** power
        ax.plot(n, reference, color="black", lw=1.2, ls=ls, label=f"proportional to {what} (through the first point)",
                zorder=3)  # over the estimators' lines: a reference the data lie on stays visible
        drawn.append(reference)
    values = np.concatenate(drawn)
    values = values[np.isfinite(values) & (values > 0)]
    ax.set_yscale("log")
    ax.set_ylim(values.min() / PENALTY_MARGIN, values.max() * PENALTY_MARGIN)  # no point on the frame
    ax.set_xlim(rows["N"].min() / PENALTY_MARGIN, rows["N"].max() * PENALTY_MARGIN)
    _log_log(ax)
    at = race.drop_duplicates("N").sort_values("N")
    ax.set_xticks(at["N"].to_numpy(float), [f"{int(n):,}\n(width {int(w)})" for n, w in zip(at["N"], at["width"])])
    ax.xaxis.set_minor_locator(NullLocator())
    return finish(fig, ax, N_LABEL, PENALTY, outside=True)
