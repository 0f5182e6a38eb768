"""Training histories -> learning-curve figures (pure: each returns a new matplotlib Figure)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

from .._figures import figure, finish, require

HEADROOM = 0.04  # above 100% on the accuracy axis, as a fraction of the span shown below it


def learning_curve(history: pd.DataFrame, label: str) -> Figure:
    """Loss per epoch (log scale) and, where present, train and test accuracy on a second axis."""
    require("history", history, ("epoch", "loss"))
    fig, ax = figure("Learning curve", label, (9, 4.5))
    ax.plot(history["epoch"], history["loss"], color="#1f77b4", label="training loss")
    if "test_loss" in history:
        ax.plot(history["epoch"], history["test_loss"], color="#1f77b4", ls="--", label="test loss")
    ax.set_yscale("log")
    if {"accuracy", "test_accuracy"} & set(history.columns):
        acc = ax.twinx()
        for column, ls in (("accuracy", "-"), ("test_accuracy", "--")):
            if column in history:
                acc.plot(history["epoch"], 100 * history[column], color="#2ca02c", ls=ls,
                         label=column.replace("_", " "))
        acc.set_ylabel("accuracy (%)", color="#2ca02c")
        low = max(acc.get_ylim()[0], 0)
        acc.set_ylim(low, 100 + HEADROOM * (100 - low))  # a line at 100% sits below the frame, not on it
        acc.yaxis.set_major_locator(FixedLocator([t for t in acc.get_yticks() if t <= 100]))  # no tick beyond 100%
        handles, labels = ax.get_legend_handles_labels()
        more = acc.get_legend_handles_labels()
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss (mean over the epoch's steps)")
        acc.legend(handles + more[0], labels + more[1], fontsize=8, loc="upper left", bbox_to_anchor=(1.1, 1.0),
                   borderaxespad=0)  # beside the axes: it covers no curve
        return fig
    return finish(fig, ax, "epoch", "loss (mean over the epoch's steps)", outside=True)


def classic_curves(history: pd.DataFrame, label: str) -> Figure:
    """Loss against the seconds of training, log-log, of each depth: backprop (solid) and the finite difference
    (markers) follow the same curve, but the finite difference takes a thousand times longer to get there."""
    require("history", history, ("epoch", "loss", "depth", "gradient", "elapsed_s"))
    fig, ax = figure("Backprop and finite differences learn the same; one takes far longer", label, (9, 4.5))
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for k, (depth, rows) in enumerate(history.groupby("depth")):
        for gradient, curve in rows.groupby("gradient"):
            numerical = gradient != "backprop"
            ax.plot(curve["elapsed_s"], curve["loss"], color=colors[k % len(colors)], ls="none" if numerical else "-",
                    marker="o" if numerical else None, ms=3, markevery=5, label=f"depth {depth}, {gradient}")
    ax.set_xscale("log")
    return finish(fig, ax, "training time (s, cumulative)", "loss (MSE, 1/2 mean squared error)", outside=True)
