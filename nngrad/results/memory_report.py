"""The memory study's frame (nngrad.methods.memory.grid) -> its figure (peak bytes of one step against batch, a
panel per depth, measured as markers, predicted as lines) and report.md (the table, the model's worst factor, the
issue's target). Pure but for ``write``, which writes memory.csv, memory.png and report.md into a folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._figures import require, save
from .._files import write_atomic
from .._words import plural
from ..methods.memory import OUTPUTS, VARIANTS
from .markdown import markdown_table
from .plots import _style

COLUMNS = ("method", "k", "depth", "width", "batch", "N", "measured_bytes", "predicted_bytes", "weights_bytes")
MIB = 2.0**20
TARGET = 1 / 3  # the issue's: one SPSA step's peak memory at most a third of backprop's
TARGET_AT = {"batch": 256, "depth": 10}
# a variant's look beyond its method's colour: marker, line style of the prediction, filled?
LOOKS = {"backprop": ("s", "-", True), "spsa": (">", "-", True), "spsa-in-place": (">", "--", False),
         "forward-gradient": ("p", "-", True), "mezo": ("*", ":", True)}


def what(frame: pd.DataFrame) -> str:
    """What is measured and predicted, in words, for the report."""
    width = ", ".join(str(w) for w in sorted(set(frame["width"]))) or "?"
    return ("What is measured: tracemalloc's peak of what ONE step allocates (the method's call and the SGD update "
            "in place); the weights, the batch and what the previous step left on the layers existed before and are "
            f"not counted. The network: {width} inputs, hidden ReLU layers of {width} units (depth: the table), "
            f"{OUTPUTS} outputs, softmax cross-entropy, float64. Predicted: each method's memory model "
            "(nngrad/methods/memory.py: its formula in each model's docstring).")


def colour(label: str) -> str:
    """The variant's colour: its method's (MeZO's step is SPSA's)."""
    variant = VARIANTS.get(label)
    return _style(variant.method or "spsa")["color"] if variant else _style(label)["color"]


def figure(frame: pd.DataFrame, title: str = "Peak memory of one step") -> Figure:
    """Peak MiB of one step against batch, log-log, one panel per depth: measured as markers, predicted as lines."""
    require("frame", frame, COLUMNS)
    depths = sorted(set(frame["depth"]))
    fig = Figure(figsize=(4.2 * max(len(depths), 1) + 2.8, 4.6), dpi=120, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, max(len(depths), 1), sharey=True, squeeze=False)[0]
    width = ", ".join(str(w) for w in sorted(set(frame["width"])))
    fig.suptitle(f"{title} (width {width}): measured (markers) and predicted by the model (lines)", fontsize=11)
    for ax, depth in zip(axes, depths):
        rows = frame[frame["depth"] == depth]
        for label in [v for v in VARIANTS if v in set(rows["method"])] + sorted(set(rows["method"]) - set(VARIANTS)):
            mine = rows[rows["method"] == label].sort_values("batch")
            marker, ls, filled = LOOKS.get(label, ("o", "-", True))
            c = colour(label)
            ax.plot(mine["batch"], mine["predicted_bytes"] / MIB, ls=ls, color=c, lw=1.3, alpha=0.8)
            ax.plot(mine["batch"], mine["measured_bytes"] / MIB, ls="none", marker=marker, ms=8, color=c,
                    mfc=c if filled else "white", label=label if ax is axes[0] else "_nolegend_")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(sorted(set(rows["batch"])), [str(b) for b in sorted(set(rows["batch"]))])
        ax.set_title(f"depth {depth} (N = {int(rows['N'].iloc[0]):,})", fontsize=9)
        ax.set_xlabel("batch size (samples)")
        ax.grid(True, which="major", alpha=0.45)
        ax.grid(True, which="minor", alpha=0.12)
    axes[0].set_ylabel("peak memory of one step (MiB)")
    axes[-1].plot([], [], color="0.3", lw=1.3, label="line: predicted\n(same colour and style)")
    handles = [h for ax in axes for h in ax.get_legend_handles_labels()[0]]
    labels = [lab for ax in axes for lab in ax.get_legend_handles_labels()[1]]
    fig.legend(handles, labels, loc="outside right upper", fontsize=8)
    return fig


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """The report's table: one row per measurement, MiB, and measured / predicted."""
    return pd.DataFrame({"method": frame["method"], "k": frame["k"], "depth": frame["depth"],
                         "batch": frame["batch"], "N": frame["N"], "measured MiB": frame["measured_bytes"] / MIB,
                         "predicted MiB": frame["predicted_bytes"] / MIB,
                         "measured / predicted": frame["measured_bytes"] / frame["predicted_bytes"]})


def target_rows(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Per method other than backprop at the target's batch and depth: its peak over backprop's, of the step alone
    and with the weights added, and whether the step alone is within TARGET; None where the grid lacks that point
    or backprop there."""
    at = frame[(frame["batch"] == TARGET_AT["batch"]) & (frame["depth"] == TARGET_AT["depth"])]
    base = at[at["method"] == "backprop"]
    if not len(base) or len(at) < 2:
        return None
    b = base.iloc[0]
    others = at[at["method"] != "backprop"]
    step = others["measured_bytes"] / b["measured_bytes"]
    whole = (others["measured_bytes"] + others["weights_bytes"]) / (b["measured_bytes"] + b["weights_bytes"])
    return pd.DataFrame({"method": others["method"], "step / backprop's": step,
                         "with the weights / backprop's": whole,
                         "at most a third?": np.where(step <= TARGET, "yes", "no")})


def report(frame: pd.DataFrame) -> str:
    """report.md: what is measured, the target, the model's worst factor, the table."""
    require("frame", frame, COLUMNS)
    factor = frame["measured_bytes"] / frame["predicted_bytes"]
    worst = float(np.max(np.maximum(factor, 1 / factor))) if len(frame) else float("nan")
    lines = ["# Peak memory of one training step", "", what(frame), "",
             f"{plural(len(frame), 'measurement')}; the model is within a factor {worst:.2f} of every one "
             "(measured / predicted in the table).", "", "## The issue's target", ""]
    targets = target_rows(frame)
    if targets is None:
        lines += [f"Not judged: the grid has no batch {TARGET_AT['batch']} at depth {TARGET_AT['depth']} with "
                  "backprop and another method (run the default grid)."]
    else:
        lines += [f"At batch {TARGET_AT['batch']}, depth {TARGET_AT['depth']}: one step's peak against backprop's "
                  "(the target: at most a third, judged on the step alone; with the weights added for those who "
                  "count the model too).", "", markdown_table(targets, ".3f"), "",
                  "What nngrad's methods keep: all three draw N-sized directions and return the gradient as an "
                  "N-vector (a method's contract); `spsa` also makes 2k moved copies of the weights; `spsa-in-place` "
                  "keeps the estimate and one direction (its losses evaluated one layer at a time); "
                  "`forward-gradient`'s "
                  "primal pass keeps z and h of every layer. `mezo` is MeZO's fused step (memory.mezo_step): "
                  "directions regenerated per parameter array, the update applied direction by direction, no "
                  "N-sized array at all."]
    lines += ["", "## Every measurement", "", markdown_table(table(frame)), "", "![memory](memory.png)", ""]
    return "\n".join(lines)


def write(frame: pd.DataFrame, folder: Path) -> Path:
    """memory.csv, memory.png and report.md in ``folder`` (made if missing); returns report.md's path."""
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "memory.csv", frame.to_csv(index=False))
    save(figure(frame), folder / "memory.png")
    write_atomic(folder / "report.md", report(frame))
    return folder / "report.md"
