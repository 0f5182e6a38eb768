"""Training histories -> learning-curve figures (pure: each returns a new matplotlib Figure)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

from .._figures import figure, finish, require
from ..errors import InvalidValue

HEADROOM = 0.04  # above 100% on the accuracy axis, as a fraction of the span shown below it


def learning_curve(history: pd.DataFrame, label: str) -> Figure:
    """Loss per epoch (log scale) and, where present, train and test accuracy on a second axis."""
    require("history", history, ("epoch", "loss"))
    fig, ax = figure("Learning curve", label, (9, 4.5))
    ax.plot(history["epoch"], history["loss"], color="#1f77b4", label="training loss")
    if "test_loss" in history:
        ax.plot(history["epoch"], history["test_loss"], color="#1f77b4", ls="--", label="test loss")
    ax.set_yscale("log")
    _work_axis(ax, history)
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


def _work_axis(ax, history: pd.DataFrame) -> None:
    """A top axis in loss-evaluation equivalents, when every epoch cost the same (then linear in epochs)."""
    if "equivalents" not in history or history["equivalents"].nunique() != 1 or not history["equivalents"].iloc[0] > 0:
        return
    per_epoch = float(history["equivalents"].iloc[0])
    top = ax.secondary_xaxis("top", functions=(lambda e: e * per_epoch, lambda w: w / per_epoch))
    top.set_xlabel(f"work (loss-evaluation equivalents; {per_epoch:,.4g} an epoch)", fontsize=8)
    top.tick_params(labelsize=8)


AGAINST = {"elapsed_s": "training time (s, cumulative)",
           "cumulative_equivalents": "work (loss-evaluation equivalents, cumulative)"}


def classic_curves(history: pd.DataFrame, label: str, against: str = "elapsed_s",
                   title: str = "Backprop and finite differences learn the same; one takes far longer") -> Figure:
    """Loss of each depth and gradient against ``against`` (the seconds of training, or the work in
    loss-evaluation equivalents), log-log: backprop solid, the other gradient dashed with markers (a finite
    difference follows backprop's curve a thousand times further right; an estimator its own curve)."""
    if against not in AGAINST:
        raise InvalidValue(f"against must be one of {', '.join(AGAINST)}, got {against!r}")
    require("history", history, ("epoch", "loss", "depth", "gradient", against))
    fig, ax = figure(title, label, (9, 4.5))
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for k, (depth, rows) in enumerate(history.groupby("depth")):
        for gradient, curve in rows.groupby("gradient"):
            other = gradient != "backprop"
            ax.plot(curve[against], curve["loss"], color=colors[k % len(colors)], ls="--" if other else "-",
                    lw=1 if other else 1.5, marker="o" if other else None, ms=3, markevery=5,
                    label=f"depth {depth}, {gradient}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return finish(fig, ax, AGAINST[against], "loss (MSE, 1/2 mean squared error)", outside=True)
