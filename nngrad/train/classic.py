"""The classic experiment: one random sample, a sigmoid DNN of width 32 with hidden depth 5 and 10, MSE,
100 epochs, lr 0.01, trained once with backprop and once with forward differences from the same start."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._words import plural
from ..methods import get
from ..model.network import DNN
from .descent import train

CURVE_RTOL = 1e-5  # the two loss curves coincide when they differ by at most this, relative, at every epoch


def classic_experiment(depths: tuple[int, ...] = (5, 10), width: int = 32, epochs: int = 100, lr: float = 0.01,
                       seed: int = 0, gradient: str = "numerical-loop", eps: float = 1e-4,
                       progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, summary). history: one row per depth, gradient and epoch (loss, elapsed_s); summary: per depth,
    N, seconds per epoch of each gradient, their ratio, and the largest relative gap between the loss curves.
    ``gradient`` is the method trained against backprop (``eps`` goes to it when it takes a step).

    Forward differences with step ``eps`` (the lesson's 1e-4) differ from the exact gradient by O(eps), so
    the curves agree to about 1e-6 relative; they are said to coincide within ``CURVE_RTOL``.
    """
    rng = np.random.default_rng(seed)
    x, y = rng.random(10), rng.random(2)  # one sample; targets in (0, 1) like the sigmoid output
    histories, summary = [], []
    for depth in depths:
        net = DNN(depth, width, 10, 2, seed=seed)
        twin = net.copy()
        bp = train(net, x, y, epochs=epochs, lr=lr, progress=progress)
        options = {"eps": eps} if "eps" in get(gradient).options else {}
        fd = train(twin, x, y, epochs=epochs, lr=lr, gradient=gradient, progress=progress, **options)
        gap = float((np.abs(fd["loss"] - bp["loss"]) / bp["loss"]).max())
        t_bp, t_fd = bp["elapsed_s"].iloc[-1] / epochs, fd["elapsed_s"].iloc[-1] / epochs
        summary.append({"depth": depth, "width": width, "N": net.num_params, "epochs": epochs,
                        "backprop_s_per_epoch": t_bp, "numerical_s_per_epoch": t_fd, "ratio": t_fd / t_bp,
                        "max_relative_loss_gap": gap, "curves_coincide": gap <= CURVE_RTOL,
                        "final_loss": bp["loss"].iloc[-1]})
        histories += [h.assign(depth=depth, gradient=g) for h, g in ((bp, "backprop"), (fd, gradient))]
    return pd.concat(histories, ignore_index=True), pd.DataFrame(summary)


def classic_report(summary: pd.DataFrame, width: int, epochs: int, lr: float, gradient: str) -> str:
    """report.md of the classic experiment: what was trained, the summary table (one row per depth), the curves."""
    return "\n".join([
        "# The classic experiment: backprop vs forward differences", "",
        (f"One random sample, sigmoid DNN of width {width}, MSE, {plural(epochs, 'epoch')}, lr {lr:g}; each depth "
         f"trained from the same start once with backprop and once with {gradient} (eps = 1e-4 where it takes a "
         f"step). The loss curves coincide when they differ by at most {CURVE_RTOL:g} (relative) at every epoch."), "",
        summary.to_markdown(index=False, floatfmt=".4g"), "", "![learning curves](learning_curve.png)", ""])
