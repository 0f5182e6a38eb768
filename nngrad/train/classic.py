"""The classic experiment: one random sample, a sigmoid DNN of width 32 with hidden depth 5 and 10, MSE,
100 epochs, lr 0.01, trained once with backprop and once with another gradient (forward differences, the
lesson's; or an estimator) from the same start."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._words import plural
from ..methods import get
from ..model.network import DNN
from .descent import train
from .equivalents import measure_ratios

CURVE_RTOL = 1e-5  # the two loss curves coincide when they differ by at most this, relative, at every epoch
LESSON_EPS = 1e-4  # the lesson's step, given to a finite difference unless another is asked for


def classic_experiment(depths: tuple[int, ...] = (5, 10), width: int = 32, epochs: int = 100, lr: float = 0.01,
                       seed: int = 0, gradient: str = "numerical-loop", eps: float | None = None,
                       progress: bool = False, **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, summary). history: one row per depth, gradient and epoch (train's columns); summary: per depth,
    N, seconds per epoch of each gradient and their ratio, the largest relative gap between the loss curves, the
    final losses and their gap, the work per step and in all (see :func:`summary_row`). ``gradient`` is the
    method trained against backprop, with ``options`` (k, directions, ...) and ``eps``: default the lesson's 1e-4
    for a finite difference, the method's own for an estimator (SPSA: 1e-3). Both trainings of a depth price
    their work by the same ratios, measured once on its network; an estimator's directions come from ``seed``.

    Forward differences with step 1e-4 differ from the exact gradient by O(eps), so the curves agree to about
    1e-6 relative; they are said to coincide within ``CURVE_RTOL``. An estimator's curve follows its own random
    directions: it is not expected to coincide (``estimator`` column).
    """
    method = get(gradient)
    if eps is None and method.family == "finite-difference" and "eps" in method.options:
        eps = LESSON_EPS
    options = {**options, **({"eps": eps} if eps is not None else {})}
    rng = np.random.default_rng(seed)
    x, y = rng.random(10), rng.random(2)  # one sample; targets in (0, 1) like the sigmoid output
    histories, summary = [], []
    for depth in depths:
        net = DNN(depth, width, 10, 2, seed=seed)
        twin = net.copy()
        ratios = measure_ratios(net, *net.check_data(x[None, :], y[None, :]))
        bp = train(net, x, y, epochs=epochs, lr=lr, seed=seed, progress=progress, ratios=ratios)
        other = train(twin, x, y, epochs=epochs, lr=lr, gradient=gradient, seed=seed, progress=progress,
                      ratios=ratios, **options)
        summary.append(summary_row(bp, other, depth, width, net.num_params, method.family == "estimator"))
        histories += [h.assign(depth=depth, gradient=g) for h, g in ((bp, "backprop"), (other, gradient))]
    return pd.concat(histories, ignore_index=True), pd.DataFrame(summary)


def summary_row(bp: pd.DataFrame, other: pd.DataFrame, depth: int, width: int, n: int, estimator: bool) -> dict:
    """One depth's row: times per epoch and their ratio, the curves' largest relative gap, the final losses
    (final_loss: backprop's) and their relative gap, the other gradient's work per step and in all, and each
    gradient's total loss-evaluation equivalents."""
    epochs, steps = len(bp), int(other["cumulative_steps"].iloc[-1])
    gap = float((np.abs(other["loss"] - bp["loss"]) / bp["loss"]).max())
    t_bp, t_other = bp["elapsed_s"].iloc[-1] / epochs, other["elapsed_s"].iloc[-1] / epochs
    final, final_other = float(bp["loss"].iloc[-1]), float(other["loss"].iloc[-1])
    return {"depth": depth, "width": width, "N": n, "epochs": epochs, "backprop_s_per_epoch": t_bp,
            "numerical_s_per_epoch": t_other, "ratio": t_other / t_bp, "max_relative_loss_gap": gap,
            "curves_coincide": gap <= CURVE_RTOL, "estimator": estimator, "final_loss": final,
            "gradient_final_loss": final_other, "final_loss_gap": (final_other - final) / final,
            "loss_evaluations_per_step": other["loss_evaluations"].sum() / steps,
            "tangent_passes_per_step": other["tangent_passes"].sum() / steps,
            "loss_evaluations": int(other["loss_evaluations"].sum()),
            "tangent_passes": int(other["tangent_passes"].sum()),
            "equivalents": float(other["equivalents"].sum()),
            "backprop_equivalents": float(bp["equivalents"].sum())}


def failed(summary: pd.DataFrame) -> pd.DataFrame:
    """The depths whose curves should coincide (an exact gradient or a finite difference) and do not."""
    return summary[~summary["curves_coincide"] & ~summary["estimator"]]


def work_line(row, gradient: str) -> str:
    """One depth in words: the final losses and their gap, the work per step and in all."""
    per_step = plural(round(row.loss_evaluations_per_step, 2), "loss evaluation")
    if row.tangent_passes_per_step:
        per_step += f" + {plural(round(row.tangent_passes_per_step, 2), 'tangent pass', 'tangent passes')}"
    total = plural(row.loss_evaluations, "loss evaluation")
    if row.tangent_passes:
        total += f", {plural(row.tangent_passes, 'tangent pass', 'tangent passes')}"
    return (f"depth {row.depth} (N = {row.N:,}): {gradient} ended at loss {row.gradient_final_loss:.5g}, backprop at "
            f"{row.final_loss:.5g} (gap {100 * row.final_loss_gap:+.2f}%); {gradient}: {per_step} a step, {total} "
            f"= {row.equivalents:,.0f} equivalents in all (backprop {row.backprop_equivalents:,.0f})")


def classic_report(summary: pd.DataFrame, width: int, epochs: int, lr: float, gradient: str) -> str:
    """report.md of the classic experiment: what was trained, the summary table (one row per depth), what it
    means, the curves."""
    estimator = bool(summary["estimator"].any())
    lines = ["# The classic experiment: backprop vs " + gradient, "",
             (f"One random sample, sigmoid DNN of width {width}, MSE, {plural(epochs, 'epoch')}, lr {lr:g}; each depth "
              f"trained from the same start once with backprop and once with {gradient}. Work is counted as it is "
              "done (loss evaluations, tangent passes, backward passes) and priced in loss-evaluation equivalents "
              "by time ratios measured once per depth on its network (docs/training.md)."), ""]
    if estimator:
        lines += [(f"{gradient} is an estimator: each step follows a random direction (an unbiased guess at the "
                   "gradient, whose cosine with it is about sqrt(k / (k + N))), so its curve is not expected to "
                   "coincide with backprop's, and its differing is no failure. What counts is where it ends and "
                   "what it spent to get there: on this one-sample, two-output problem the loss's curvature has an "
                   "effective rank of about 2, so a random direction loses almost nothing per step; that is why "
                   "the classic task flatters the estimators and is not representative (digits' rank is about 7). "
                   "One run's end depends on its draw of directions (a step's progress along the gradient is "
                   "lr (g . z)^2, a chi-square variable with one degree of freedom for k = 1): compare several "
                   "seeds before reading a gap of a few percent."),
                  ""] + [f"- {work_line(row, gradient)}" for row in summary.itertuples()] + [""]
    else:
        lines += [(f"The loss curves coincide when they differ by at most {CURVE_RTOL:g} (relative) at every "
                   "epoch (a finite difference takes the lesson's eps = 1e-4)."), ""]
    return "\n".join(lines + [summary.to_markdown(index=False, floatfmt=".4g"), "",
                              "![learning curves](learning_curve.png)", ""])
