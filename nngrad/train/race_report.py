"""report.md of a race: what was raced and how (rules, grids, budget, ratios, load), one table per target, the
sentence that says it as it is, and the figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._words import plural
from ..methods import get
from .race_plan import TASKS

SHOWN = ("method", "k", "lr", "reached", "steps", "loss_evaluations", "equivalents", "seconds", "peak_MiB",
         "final_loss", "test_accuracy", "step_penalty")


def report(curves: pd.DataFrame, table: pd.DataFrame, meta: dict, figures: list[str], note: str | None = None) -> str:
    """The report's markdown (the race's wall time from race.json's ``wall_s``, summed over the sessions that ran
    its runs; the seconds in steps summed over the runs from ``curves``)."""
    config = meta["config"]
    lines = [f"# The race: {config['task']}", "", *rules(meta), ""]
    if note:
        lines += [note, ""]
    for width, per in meta["widths"].items():
        rows = table[table["width"] == int(width)]
        if len(meta["widths"]) > 1:
            lines += [f"## Width {width} (N = {per['N']:,})", ""]
        lines += grids(per) + [""]
        for target, loss in per["targets"].items():
            part = rows[rows["target"] == target]
            lines += [f"### {target}: train loss <= {loss:.4g}", "", shown(part).to_markdown(index=False,
                                                                                           floatfmt=".4g"), ""]
        lines += [verdict(rows, next(iter(per["targets"]))), ""]
    measured = "; ".join(f"{'' if w == 'all widths' else 'width '}{w}: a backward pass is worth {r['backward_pass']:.2f} loss evaluations, a tangent "
                         f"pass {r['tangent_pass']:.2f}" for w, r in meta.get("ratios_by_width", {"all widths": meta["ratios"]}).items())
    lines += [f"Ratios (measured once per width at the race's start, stored in race.json): {measured}. Machine load (1-minute load average "
              f"per core when each run started): median {np.nanmedian(curves['load']):.2f}, at most "
              f"{np.nanmax(curves['load']):.2f}. Seconds in steps, summed over the runs: {stepped(curves):.0f} s"
              + (f"; wall time of the race: {meta['wall_s']:.0f} s." if meta.get("wall_s") else
                 " (wall time not recorded)."), ""]
    lines += [f"![{name}]({name})" for name in figures]
    return "\n".join(lines) + "\n"


def rules(meta: dict) -> list[str]:
    config = meta["config"]
    budget = meta["budget_equivalents"]
    task = TASKS[config["task"]]
    where = ("given by --budget" if config["budget"] else "what forward differences spend on the lesson's 100 "
             "epochs, 100 (N + 1)" if task.budget is None else "about 2.3x the slowest of the issue's anchors, "
             "forward differences' 260,000 equivalents to T90 on digits")
    return [
        f"Contestants: {', '.join(m if not k else f'{m} k={k}' for m, k in config['contestants'])}; plain SGD (no "
        "momentum: the lesson and the issue's prototype are plain SGD, and momentum would help each contestant "
        "differently). Reference: backprop, tuned first (lowest final train loss among its runs that never "
        f"diverged); targets from the median over its {plural(config['seeds'], 'seed')} of its curves: "
        f"T_p = L0 - p (L0 - L_end). Budget: {budget:,.0f} loss-evaluation equivalents for every contestant "
        f"({where}), capped at {config['max_steps']:,} steps. Each contestant: {config['grid_size']} learning rates "
        "half a decade apart, tuned on seed 0 (fewest equivalents to the first target, held; ties and misses: "
        f"lowest final loss), then run on {plural(config['seeds'], 'seed')}. A target is reached only if held from "
        "that checkpoint to the end of the budget; a miss is infinite; values are medians over seeds (inf when more "
        "than half missed). Checkpoints are geometric in steps (20 a decade); train loss is on the whole training "
        "set, evaluated outside the counts and the clock. Peak memory: one step's gradient, measured once per "
        "contestant (tracemalloc)."]


def grids(per: dict) -> list[str]:
    out = []
    for key, grid in per["lr_grid"].items():
        lr = per["tuned_lr"][key]
        edge = " (at the grid's edge: the best rate may lie outside it)" if lr in (grid[0], grid[-1]) else ""
        out.append(f"- {key}: grid {', '.join(f'{v:g}' for v in grid)}; tuned {lr:g}{edge}; "
                   f"{per['budget_steps'][key]:,} steps")
    return out


def shown(part: pd.DataFrame) -> pd.DataFrame:
    view = part.assign(peak_MiB=part["peak_memory_bytes"] / 2**20,
                       reached=[f"{r}/{s}" for r, s in zip(part["reached"], part["seeds"])])
    view = view[[c for c in SHOWN if c in view]]
    return view.drop(columns=["test_accuracy"]) if view["test_accuracy"].isna().all() else view


def verdict(rows: pd.DataFrame, target: str) -> str:
    """"At T90, estimators cost Ax-Bx backprop's equivalents and Cx-Dx fewer than forward differences" (or what
    missed)."""
    at = rows[rows["target"] == target].set_index(["method", "k"])
    bp = at["equivalents"].get(("backprop", 0), np.inf)
    fd = at["equivalents"].get(("numerical-batched", 0), np.nan)
    est = at[[get(m).family == "estimator" for m, _ in at.index]]["equivalents"]
    if est.empty or not np.isfinite(bp):
        return f"At {target}: no estimator raced, or backprop missed its own target: nothing to compare."
    hit, missed = est[np.isfinite(est)], est[~np.isfinite(est)]
    parts = []
    if len(hit):
        parts.append(f"estimators that reached it cost {hit.min() / bp:.0f}x-{hit.max() / bp:.0f}x backprop's "
                     "equivalents")
        if np.isfinite(fd):
            parts.append(f"{fd / hit.max():.1f}x-{fd / hit.min():.1f}x fewer than forward differences" if fd > hit.max()
                         else f"between {hit.min() / fd:.2g}x and {hit.max() / fd:.2g}x forward differences'")
    if len(missed):
        parts.append("missed (median over seeds): " + ", ".join(m if not k else f"{m} k={k}" for m, k in missed.index))
    return f"At {target}, " + "; ".join(parts) + "."


def stepped(curves: pd.DataFrame) -> float:
    """Seconds spent in the steps of every run (each run's last cumulative ``seconds``), summed; a seed-0 final
    run is its tuning run at the tuned rate (listed in both phases), counted once."""
    keys = [c for c in ("task", "width", "method", "k", "lr", "seed") if c in curves]
    return float(curves.groupby(keys, dropna=False)["seconds"].max().sum())
