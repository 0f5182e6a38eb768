"""The race's figures (nngrad.results.race_plots) from small synthetic race files that follow the schema exactly
(curves.csv, race.csv, race.json): lines, labels, targets and budget, misses, non-finite values, the skip rule."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from nngrad.errors import InvalidValue
from nngrad.methods import registered
from nngrad.results import race_plots

SEEDS = (0, 1, 2)
# method, k, steps to lose 63% of the way to the floor, loss-evaluation equivalents per step
ENTRIES = (("backprop", 0, 10.0, 1.7), ("numerical-batched", 0, 10.0, None), ("spsa", 1, 400.0, 2.0),
           ("spsa", 16, 60.0, 32.0), ("forward-gradient", 1, 1e9, 1.94))  # forward-gradient: misses every target
START, FLOOR, T90, T99 = 1.0, 0.01, 0.109, 0.0199
STEP_CAP = 4000


def n_params(width: int) -> int:
    return 64 * width + width + width * 10 + 10


def checkpoints(cap: int = STEP_CAP) -> np.ndarray:
    """0, then about 20 per decade up to the cap, the cap last (as the race records them)."""
    return np.unique(np.r_[0, np.round(np.geomspace(1, cap, 70)).astype(int), cap])


def curve_rows(width: int = 32, test: bool = True) -> list[dict]:
    n, rows = n_params(width), []
    for method, k, tau, per_step in ENTRIES:
        per_step = per_step or n + 1.0
        for seed in SEEDS:
            for step in checkpoints():
                loss = FLOOR + (START - FLOOR) * np.exp(-step / (tau * (1 + 0.05 * seed)))
                rows.append({
                    "task": "digits" if test else "classic", "width": width, "N": n, "method": method, "k": k,
                    "lr": 0.1, "seed": seed, "phase": "final", "step": int(step), "loss_evaluations": int(step) * 2,
                    "tangent_passes": 0, "backward_passes": 0, "equivalents": step * per_step, "seconds": step * 1e-3,
                    "train_loss": loss, "test_loss": loss * 1.1 if test else np.nan,
                    "test_accuracy": 1 - loss * 0.8 if test else np.nan, "load": 0.5})
    tune = dict(rows[-1], phase="tune", lr=99.0, train_loss=5.0)  # a tuning run: never drawn
    return rows + [tune]


def race_rows(curves: pd.DataFrame) -> pd.DataFrame:
    """race.csv from ``curves``, as the race computes it: per seed the first checkpoint from which the loss holds the
    target, medians over seeds (inf when most missed), step penalty against backprop's steps."""
    rows, final = [], curves[curves["phase"] == "final"]
    for (width, method, k), runs in final.groupby(["width", "method", "k"], sort=False):
        for target, level in (("T90", T90), ("T99", T99)):
            firsts = []
            for _, seed in runs.groupby("seed"):
                seed = seed.sort_values("step")
                above = np.flatnonzero(~(seed["train_loss"].to_numpy() <= level))
                at = 0 if not len(above) else above[-1] + 1
                firsts.append(seed.iloc[at] if at < len(seed) else None)
            steps = np.median([f["step"] if f is not None else np.inf for f in firsts])
            equivalents = np.median([f["equivalents"] if f is not None else np.inf for f in firsts])
            rows.append({"task": runs["task"].iloc[0], "width": width, "N": runs["N"].iloc[0], "method": method,
                         "k": k, "lr": 0.1, "target": target, "target_loss": level, "seeds": len(firsts),
                         "reached": sum(f is not None for f in firsts), "steps": steps, "loss_evaluations": np.nan,
                         "tangent_passes": np.nan, "backward_passes": np.nan, "equivalents": equivalents,
                         "seconds": np.nan, "peak_memory_bytes": 1e6, "final_loss": runs["train_loss"].iloc[-1],
                         "test_accuracy": runs["test_accuracy"].iloc[-1], "budget_equivalents": 8000.0,
                         "budget_steps": STEP_CAP, "step_penalty": np.nan})
    race = pd.DataFrame(rows)
    for (width, target), group in race.groupby(["width", "target"]):
        base = group.loc[group["method"] == "backprop", "steps"].iloc[0]
        penalty = group["steps"] / base
        mine = group.index[(group["method"] != "backprop") & np.isfinite(penalty)]
        race.loc[mine, "step_penalty"] = penalty[mine]
    return race


def meta(task: str = "digits") -> dict:
    return {"task": task, "config": {"seeds": 3}, "ratios": {"tangent_pass": 0.94, "backward_pass": 0.7},
            "targets": {"T90": T90, "T99": T99}, "budget_equivalents": 8000.0,
            "lr_grid": {"backprop": [0.01, 0.1]}, "tuned_lr": {"backprop@0": 0.1}, "finished": True}


@pytest.fixture
def curves() -> pd.DataFrame:
    return pd.DataFrame(curve_rows())


@pytest.fixture
def race(curves) -> pd.DataFrame:
    return race_rows(curves)


def labels(fig: Figure) -> list[str]:
    return fig.axes[0].get_legend_handles_labels()[1]


def median_lines(fig: Figure) -> dict[str, object]:
    """Legend label -> its thick line."""
    return {line.get_label(): line for line in fig.axes[0].get_lines() if line.get_lw() == 2}


def thin_lines(fig: Figure) -> list:
    return [line for line in fig.axes[0].get_lines() if line.get_lw() == 0.6]


def constant_lines(fig: Figure, axis: int) -> list[float]:
    """The values of the axhlines (axis 1) or axvlines (axis 0): lines whose data is one value along ``axis``."""
    found = []
    for line in fig.axes[0].get_lines():
        data = np.asarray(line.get_xydata(), float)
        if len(data) == 2 and data[0, axis] == data[1, axis] and data[0, 1 - axis] != data[1, 1 - axis]:
            found.append(float(data[0, axis]))
    return found


def texts(fig: Figure) -> str:
    return " | ".join(t.get_text() for t in fig.axes[0].texts)


def test_a_digits_race_gives_the_three_curve_figures_and_no_step_penalty_with_one_n(curves, race):
    figs = race_plots.race_figures(curves, race, meta())
    assert sorted(figs) == ["accuracy_vs_equivalents.png", "loss_vs_equivalents.png", "loss_vs_steps.png"]
    assert all(isinstance(f, Figure) for f in figs.values())


def test_loss_against_equivalents_draws_a_median_and_each_seed_per_method_at_k(curves, race):
    fig = race_plots.race_figures(curves, race, meta())["loss_vs_equivalents.png"]
    ax = fig.axes[0]
    medians = median_lines(fig)
    assert [label.split(",")[0] for label in medians] == ["backprop", "numerical-batched", "spsa k=1", "spsa k=16",
                                                          "forward-gradient k=1"]
    assert len(thin_lines(fig)) == len(ENTRIES) * len(SEEDS)
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_xlabel() == "loss-evaluation equivalents (forward passes)"
    assert ax.get_ylabel() == "training loss (whole training set)"
    assert all(line.get_color() == registered()["spsa"].color for label, line in medians.items() if "spsa" in label)


def test_the_median_is_over_seeds_at_each_checkpoint_and_a_nan_loss_counts_as_the_worst(curves, race):
    step = int(checkpoints()[30])
    at = (curves["method"] == "spsa") & (curves["k"] == 1) & (curves["phase"] == "final") & (curves["step"] == step)
    losses = curves.loc[at, "train_loss"].to_numpy()
    assert len(losses) == 3 and np.median(losses) != losses.mean()
    diverged = curves.copy()
    diverged.loc[at & (diverged["seed"] == 1), "train_loss"] = np.nan  # the median seed: the other two are left
    for frame, expected in ((curves, np.median(losses)), (diverged, max(losses[0], losses[2]))):
        fig = race_plots.race_figures(frame, race, meta())["loss_vs_steps.png"]
        line = next(line for label, line in median_lines(fig).items() if label.startswith("spsa k=1,"))
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        assert (x == step).sum() == 1 and y[x == step][0] == pytest.approx(expected)


def test_targets_and_budget_are_drawn_and_labelled(curves, race):
    fig = race_plots.race_figures(curves, race, meta())["loss_vs_equivalents.png"]
    assert sorted(constant_lines(fig, 1)) == [T99, T90]
    assert constant_lines(fig, 0) == [8000.0]
    assert {"T90 = 0.109", "T99 = 0.0199", "budget (equivalents): 8,000"} <= set(labels(fig))
    steps = race_plots.race_figures(curves, race, meta())["loss_vs_steps.png"]
    assert constant_lines(steps, 0) == [STEP_CAP] and f"step cap (steps): {STEP_CAP:,}" in labels(steps)


def test_k_is_told_apart_by_line_style_and_the_method_by_colour(curves, race):
    medians = median_lines(race_plots.race_figures(curves, race, meta())["loss_vs_equivalents.png"])
    one, sixteen = (next(line for label, line in medians.items() if label.startswith(f"spsa k={k},")) for k in (1, 16))
    assert one.get_color() == sixteen.get_color() and one.get_linestyle() != sixteen.get_linestyle()


def test_a_method_that_misses_every_target_still_shows_its_curve_and_its_misses(curves, race):
    fig = race_plots.race_figures(curves, race, meta())["loss_vs_equivalents.png"]
    label, line = next((label, line) for label, line in median_lines(fig).items() if label.startswith("forward"))
    assert "T90 0/3" in label and "T99 0/3" in label
    assert np.isfinite(np.asarray(line.get_ydata(), float)).sum() > 10
    colour = registered()["forward-gradient"].color
    markers = [m for m in fig.axes[0].get_lines() if m.get_linestyle() == "None" and m.get_color() == colour]
    assert not markers  # a miss is no marker at all


def test_a_reached_target_gets_the_method_marker_at_its_cost(curves, race):
    fig = race_plots.race_figures(curves, race, meta())["loss_vs_equivalents.png"]
    colour = registered()["backprop"].color
    marks = [m for m in fig.axes[0].get_lines() if m.get_linestyle() == "None" and m.get_color() == colour]
    row = race[(race["method"] == "backprop") & (race["target"] == "T90")].iloc[0]
    assert len(marks) == 1 and row["equivalents"] in marks[0].get_xdata() and T90 in marks[0].get_ydata()


def test_diverged_seeds_neither_crash_nor_draw_markers_at_a_non_finite_value(curves, race):
    bad = curves.copy()
    spsa = (bad["method"] == "spsa") & (bad["k"] == 16) & (bad["step"] >= 1000)
    bad.loc[spsa & (bad["seed"] == 0), "train_loss"] = np.inf
    bad.loc[spsa & (bad["seed"] == 1), "train_loss"] = np.nan
    bad.loc[spsa, "test_accuracy"] = np.nan
    results = race_rows(bad)
    assert not np.isfinite(results.loc[(results["method"] == "spsa") & (results["k"] == 16), "steps"]).any()
    for fig in race_plots.race_figures(bad, results, meta()).values():
        fig.canvas.draw()
        ax = fig.axes[0]
        for line in ax.get_lines():
            y = np.asarray(line.get_ydata(), float)
            assert not np.isinf(y).any()
        line = next(line for label, line in median_lines(fig).items() if label.startswith("spsa k=16,"))
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        assert np.isnan(y[-1]) and np.isfinite(y[:5]).all()  # a gap where most seeds diverged, not a value
        assert ax.get_ylim()[1] < 10  # the axis was not stretched by a huge value


def test_without_a_test_set_the_accuracy_figure_is_skipped_not_drawn_empty():
    curves = pd.DataFrame(curve_rows(test=False))
    figs = race_plots.race_figures(curves, race_rows(curves), meta("classic"))
    assert sorted(figs) == ["loss_vs_equivalents.png", "loss_vs_steps.png"]


def test_a_width_sweep_gives_figures_per_width_and_the_step_penalty_against_n():
    curves = pd.DataFrame(curve_rows(32) + curve_rows(256))
    race = race_rows(curves)
    figs = race_plots.race_figures(curves, race, meta("widths"))
    assert {"loss_vs_equivalents_w32.png", "loss_vs_equivalents_w256.png", "step_penalty_vs_n.png"} <= set(figs)
    fig = figs["step_penalty_vs_n.png"]
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_xlabel() == "N, number of parameters (count)"
    shown = labels(fig)
    assert not any(label.startswith(("backprop", "numerical")) for label in shown)
    assert "forward-gradient k=1 (missed at N = 2,410, 19,210)" in shown
    lines = {line.get_label(): line for line in ax.get_lines()}
    first = lines["spsa k=1"]
    x0, y0 = float(first.get_xdata()[0]), float(first.get_ydata()[0])
    for label, power in (("proportional to N (through the first point)", 1.0),
                         ("proportional to sqrt(N) (through the first point)", 0.5)):
        ref = lines[label]
        xs, ys = np.asarray(ref.get_xdata(), float), np.asarray(ref.get_ydata(), float)
        assert xs[0] == pytest.approx(x0) and ys[0] == pytest.approx(y0)
        assert ys[-1] / ys[0] == pytest.approx((xs[-1] / xs[0]) ** power)


def test_no_estimator_reaching_t90_says_so_in_the_penalty_figure():
    curves = pd.DataFrame(curve_rows(32) + curve_rows(256))
    race = race_rows(curves).assign(step_penalty=np.nan)
    fig = race_plots.race_figures(curves, race, meta("widths"))["step_penalty_vs_n.png"]
    assert "no estimator reached T90" in texts(fig)


def test_legends_sit_outside_the_axes(curves, race):
    for fig in race_plots.race_figures(curves, race, meta()).values():
        legend = fig.axes[0].get_legend()
        assert legend is not None and legend.get_bbox_to_anchor().x0 > fig.axes[0].bbox.x1 - 1


def test_an_unfinished_race_says_so(curves, race):
    fig = race_plots.race_figures(curves, race, dict(meta(), finished=False))["loss_vs_steps.png"]
    assert "UNFINISHED" in fig.axes[0].get_title()


@pytest.mark.parametrize("args, message", [
    ((pd.DataFrame({"task": []}), None, {}), "curves is missing column"),
    (("curves.csv", None, {}), "curves must be a pandas DataFrame"),
    ((None, pd.DataFrame({"task": []}), {}), "race is missing column"),
    ((None, None, ["digits"]), "meta must be a dict"),
])
def test_bad_input_is_one_clear_error(curves, race, args, message):
    given = [a if a is not None else d for a, d in zip(args, (curves, race, {}))]
    with pytest.raises(InvalidValue, match=message):
        race_plots.race_figures(*given)
