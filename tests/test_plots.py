import subprocess
import sys
import warnings
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from nngrad.methods import registered
from nngrad.results import plots

LABEL = "host x86_64, 2 CPUs, OpenBLAS SkylakeX — 2026-11-22"
METHODS = ("forward", "backprop", "numerical-loop", "numerical-batched")
SKIPPED = {"method": "numerical-loop", "depth": 4, "width": 32}  # predicted over budget, not run
FAILED = {"method": "numerical-batched", "depth": 2, "width": 8}  # gradient check failed
FAILED_PREDICTED_S = 123.456  # a value that must never appear as a plotted time


def n_params(depth: int, width: int, n_in: int = 10, n_out: int = 3) -> int:
    sizes = [n_in] + [width] * depth + [n_out]
    return sum((a + 1) * b for a, b in pairwise(sizes))


def _row(method: str, depth: int, width: int, batch: int) -> dict:
    n = n_params(depth, width)
    forward = 2e-8 * batch * n + 5e-6
    median = {"forward": forward, "backprop": 3 * forward}.get(method, (n + 1) * forward)
    status = "ok"
    if {"method": method, "depth": depth, "width": width} == SKIPPED:
        status = "skipped"
    if {"method": method, "depth": depth, "width": width} == FAILED:
        status = "failed"
    ok = status == "ok"
    nan = float("nan")
    return {
        "method": method, "depth": depth, "width": width, "batch": batch, "n_params": n, "status": status,
        "median_s": median if ok else nan, "iqr_s": 0.1 * median if ok else nan,
        "q1_s": 0.95 * median if ok else nan, "q3_s": 1.05 * median if ok else nan, "min_s": 0.9 * median if ok else nan,
        "rounds": 5 if ok else nan, "iterations": 1 if ok else nan,
        "loss_evaluations": (1.0 if method in ("forward", "backprop") else n + 1.0) if status != "skipped" else nan,
        "flops": 2.0 * batch * n, "gflops": 2.0 * batch * n / median / 1e9 if ok else nan,
        "peak_memory_bytes": 8.0 * n * (depth + 1) * 1000 if ok else nan,
        "gradient_error": 1e-7 if ok and method.startswith("numerical") else nan,
        "predicted_s": FAILED_PREDICTED_S if status == "failed" else median,
        "overhead_dominated": median < 1e-5,
    }


@pytest.fixture
def points() -> pd.DataFrame:
    rows = [_row(m, d, w, 16) for d in (1, 2, 4) for w in (8, 32) for m in METHODS]
    rows += [_row(m, 1, 32, 64) for m in METHODS]  # a larger batch at one point: the plots keep the grid's
    return pd.DataFrame(rows)


@pytest.fixture
def fits() -> pd.DataFrame:
    return pd.DataFrame([
        {"method": "numerical-loop", "model": "ratio ~ N^k", "term": "N", "exponent": 1.02, "intercept": -1.1, "stderr": 0.03},
        {"method": "numerical-loop", "model": "time ~ N^k", "term": "N", "exponent": 2.0, "intercept": -9.0, "stderr": 0.1},
    ])


@pytest.fixture
def acc() -> pd.DataFrame:
    eps = np.logspace(-12, -1, 23)
    mach = np.finfo(float).eps
    rows = [("numerical-batched", h, 0.3 * h + mach / h, np.sqrt(mach)) for h in eps]
    rows += [("central-batched", h, 0.1 * h**2 + mach / h, mach ** (1 / 3)) for h in eps]
    rows += [("complex-step", h, 1e-16, 1e-20) for h in eps]
    frame = pd.DataFrame(rows, columns=["method", "eps", "error", "default_eps"])
    return frame.assign(depth=2, width=16, batch=8)


def style(method: str) -> dict:
    m = registered()[method]
    return {"color": m.color, "marker": m.marker}


def ax_of(fig: Figure):
    assert isinstance(fig, Figure)
    (ax,) = fig.get_axes()
    return ax


def lines(ax) -> dict:
    return {line.get_label(): line for line in ax.get_lines()}


def legend(ax) -> list[str]:
    assert ax.get_legend() is not None, "no legend"
    return [t.get_text() for t in ax.get_legend().get_texts()]


def measured(line) -> list:
    """The (x, y) points a line actually draws (NaN y is a gap)."""
    return [(x, y) for x, y in zip(line.get_xdata(), line.get_ydata()) if np.isfinite(y)]


def message(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


def expected(points, method, depth=None, width=None, batch=16):
    sel = points[(points.method == method) & (points.batch == batch) & (points.status == "ok")]
    sel = sel[sel.depth == depth] if depth is not None else sel
    return sel[sel.width == width] if width is not None else sel


# ---- time and memory vs depth / width ----

def test_time_vs_depth_scales_labels_and_legend(points):
    ax = ax_of(plots.time_vs_depth(points, 32, LABEL))
    assert ax.get_yscale() == "log"
    assert ax.get_xscale() == "log"  # depths 1..4 span 4x
    assert "depth" in ax.get_xlabel() and "(s)" in ax.get_ylabel()
    assert LABEL in ax.get_title()
    assert "width 32" in ax.figure.get_suptitle() and "batch 16" in ax.figure.get_suptitle()
    assert [int(t) for t in ax.get_xticks()] == [1, 2, 4]
    entries = legend(ax)
    assert set(METHODS) <= set(entries)
    assert "numerical-loop (predicted, not run)" in entries


def test_time_vs_depth_draws_medians_of_the_grids_batch(points):
    ax = ax_of(plots.time_vs_depth(points, 32, LABEL))
    for method in ("forward", "backprop"):
        want = expected(points, method, width=32).sort_values("depth")
        xs, ys = zip(*measured(lines(ax)[method]))
        np.testing.assert_array_equal(xs, want.depth)
        np.testing.assert_allclose(ys, want.median_s)


def test_skipped_point_is_a_hollow_dashed_prediction_not_a_measurement(points):
    ax = ax_of(plots.time_vs_depth(points, 32, LABEL))
    line = lines(ax)["numerical-loop"]
    assert [x for x, _ in measured(line)] == [1, 2]  # depth 4 was skipped
    pred = lines(ax)["numerical-loop (predicted, not run)"]
    skipped = points[(points.status == "skipped")].iloc[0]
    assert pred.get_xdata()[-1] == 4 and pred.get_ydata()[-1] == pytest.approx(skipped.predicted_s)
    assert pred.get_linestyle() == "--" and pred.get_markerfacecolor() == "none"
    assert pred.get_color() == line.get_color() == style("numerical-loop")["color"]


@pytest.mark.parametrize("timed", [False, True])
def test_failed_point_is_not_plotted_as_a_time(points, timed):
    if timed:  # even a failed point that carries a time (say, its gradient check failed after timing)
        points.loc[points.status == "failed", "median_s"] = 99.0
    ax = ax_of(plots.time_vs_depth(points, 8, LABEL))
    line = lines(ax)["numerical-batched"]
    assert [x for x, _ in measured(line)] == [1, 4]
    assert np.isnan(dict(zip(line.get_xdata(), line.get_ydata()))[2])  # a gap: the line does not bridge it
    assert "numerical-batched (failed)" in legend(ax)
    for line in ax.get_lines():
        if line.get_label() != "numerical-batched (failed)":  # that one sits on the axis, in axes coordinates
            ys = np.asarray(line.get_ydata(), dtype=float)
            assert FAILED_PREDICTED_S not in ys and 99.0 not in ys


def test_error_bars_span_q1_to_q3(points):
    ax = ax_of(plots.time_vs_depth(points, 8, LABEL))
    segments = np.concatenate([c.get_segments() for c in ax.collections])
    lows, highs = segments[:, 0, 1], segments[:, 1, 1]
    want = expected(points, "backprop", width=8)
    for q1, q3 in zip(want.q1_s, want.q3_s):
        assert np.any(np.isclose(lows, q1) & np.isclose(highs, q3))


def test_depth_axis_is_linear_with_integer_ticks_when_span_is_small(points):
    ax = ax_of(plots.time_vs_depth(points[points.depth <= 2], 32, LABEL))
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "log"
    ax.figure.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_xticks())


def test_time_vs_width_is_log_log(points):
    ax = ax_of(plots.time_vs_width(points, 2, LABEL))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "width" in ax.get_xlabel() and "(s)" in ax.get_ylabel()
    assert [x for x, _ in measured(lines(ax)["backprop"])] == [8, 32]
    assert [x for x, _ in measured(lines(ax)["numerical-batched"])] == [32]  # failed at depth 2, width 8


def test_memory_vs_depth_in_mib(points):
    ax = ax_of(plots.memory_vs_depth(points, 8, LABEL))
    assert "MiB" in ax.get_ylabel() and ax.get_yscale() == "log"
    want = expected(points, "backprop", width=8).sort_values("depth")
    np.testing.assert_allclose(lines(ax)["backprop"].get_ydata(), want.peak_memory_bytes / 2**20)
    assert set(METHODS) <= set(legend(ax))


# ---- cost gap, loss evaluations ----

def test_cost_gap_ratio_fit_and_theory(points, fits):
    ax = ax_of(plots.cost_gap(points, fits, LABEL))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "N" in ax.get_xlabel() and ax.get_ylabel()
    by_label = lines(ax)
    key = ["depth", "width", "batch"]
    ok = points[points.status == "ok"]
    both = ok[ok.method == "numerical-loop"].merge(ok[ok.method == "backprop"], on=key).sort_values("n_params_x")
    line = by_label["numerical-loop"]
    np.testing.assert_allclose(line.get_xdata(), both.n_params_x)
    np.testing.assert_allclose(line.get_ydata(), both.median_s_x / both.median_s_y)
    (fit_label,) = [k for k in by_label if k.startswith("fit numerical-loop")]
    assert "1.02 ± 0.03" in fit_label
    fit = by_label[fit_label]
    np.testing.assert_allclose(fit.get_ydata(), np.exp(-1.1) * np.asarray(fit.get_xdata()) ** 1.02)
    (theory,) = [line for key, line in by_label.items() if key.startswith("theory: ratio ∝ N (slope 1")]
    assert "geometric mean" in theory.get_label()
    x, y = np.log(theory.get_xdata()), np.log(theory.get_ydata())
    assert np.polyfit(x, y, 1)[0] == pytest.approx(1.0)
    assert theory.get_linestyle() == "--"
    assert not any(k.startswith("fit numerical-batched") for k in by_label)  # no fit row for it


def test_cost_gap_without_fits_has_no_fit_line(points):
    ax = ax_of(plots.cost_gap(points, None, LABEL))
    entries = legend(ax)
    assert not any(e.startswith("fit") for e in entries)
    assert {"numerical-loop", "numerical-batched"} <= set(entries) and any(e.startswith("theory") for e in entries)


def test_work_has_a_panel_per_method_with_its_counts_on_its_declared_work(points, tmp_path):
    fig = plots.work(points, LABEL)
    panels = {ax.get_title().split(":")[0]: ax for ax in fig.get_axes() if ax.get_visible()}
    assert list(panels) == list(METHODS)  # registry order, one each: equal counts never hide one another
    assert panels["numerical-loop"].get_title() == "numerical-loop: N + 1 loss evaluations"
    for method, ax in panels.items():
        counts, declared = ax.get_lines()
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert counts.get_color() == style(method)["color"] and declared.get_linestyle() == "--"
        n = np.asarray(counts.get_xdata())
        np.testing.assert_allclose(counts.get_ydata(), [registered()[method].work_count(int(k)) for k in n])
    assert "count" in fig.get_supylabel() and "N" in fig.get_supxlabel()
    assert LABEL in fig.get_suptitle()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.save(fig, tmp_path / "work.png")
    assert "no measured work counts" in message(ax_of(plots.work(points.iloc[:0], LABEL)))


def test_landscape_shows_each_gradient_in_loss_evaluations_beside_its_theory(points):
    ax = ax_of(plots.landscape(points, LABEL))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and "loss evaluation" in ax.get_ylabel()
    by_label = lines(ax)
    assert "forward" not in by_label  # the unit itself
    ok = points[(points.status == "ok") & (points.batch == 16)]
    key = ["depth", "width", "batch"]
    loop = ok[ok.method == "numerical-loop"].merge(ok[ok.method == "forward"], on=key).sort_values("n_params_x")
    line = by_label["numerical-loop"]
    np.testing.assert_allclose(line.get_xdata(), loop.n_params_x)
    np.testing.assert_allclose(line.get_ydata(), loop.median_s_x / loop.median_s_y)
    (theory,) = [k for k in by_label if k.strip().endswith("(N + 1 loss evaluations)")][:1]
    per_pass = float(np.median(loop.median_s_x / loop.median_s_y / (loop.n_params_x + 1)))
    assert theory.strip().startswith(f"{per_pass:.2g} ×")
    np.testing.assert_allclose(by_label["backprop"].get_ydata(), 3.0)  # the fixture's backprop is 3 forward passes
    assert {"cheap-gradient bound (5)", "one loss evaluation"} <= set(legend(ax))


# ---- accuracy, overlay ----

def test_accuracy_v_curves_and_default_eps(acc):
    ax = ax_of(plots.accuracy(acc, LABEL))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel()
    title = ax.figure.get_suptitle()
    assert "depth 2" in title and "width 16" in title and "batch 8" in title
    assert {"numerical-batched", "central-batched", "complex-step"} <= set(legend(ax))
    assert "default ≈ 1.5e-08" in message(ax) and "default ≈ 6.1e-06" in message(ax)
    vertical = [line for line in ax.get_lines() if np.ptp(line.get_xdata()) == 0]
    assert sorted(line.get_xdata()[0] for line in vertical) == pytest.approx(
        [1e-20, np.sqrt(np.finfo(float).eps), np.finfo(float).eps ** (1 / 3)])
    assert lines(ax)["complex-step"].get_color() == style("complex-step")["color"]


def test_overlay_two_runs(points):
    slower = points.assign(median_s=points.median_s * 2)
    ax = ax_of(plots.overlay(points, slower, "laptop", "server", LABEL))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "(s)" in ax.get_ylabel()
    by_label = lines(ax)
    a, b = by_label["backprop — laptop"], by_label["backprop — server"]
    assert a.get_linestyle() == b.get_linestyle() == "None"
    assert b.get_markerfacecolor() == "none" and a.get_markerfacecolor() != "none"
    np.testing.assert_allclose(b.get_ydata(), 2 * np.asarray(a.get_ydata()))
    assert len(a.get_xdata()) == 6  # 3 depths x 2 widths at batch 16
    assert not any("predicted" in k for k in by_label)  # only ok rows


def test_overlay_gap_of_two_runs(points):
    faster_backprop = points.assign(median_s=np.where(points.method == "backprop", points.median_s / 2,
                                                      points.median_s))
    ax = ax_of(plots.overlay_gap(points, faster_backprop, "A", "B", LABEL))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and "ratio" in ax.get_ylabel()
    by_label = lines(ax)
    a, b = by_label["numerical-loop — A"], by_label["numerical-loop — B"]
    assert b.get_markerfacecolor() == "none" and a.get_markerfacecolor() != "none"
    np.testing.assert_allclose(b.get_ydata(), 2 * np.asarray(a.get_ydata()))


# ---- every figure ----

def all_figures(points, fits, acc):
    return {
        "time_vs_depth": plots.time_vs_depth(points, 32, LABEL),
        "time_vs_width": plots.time_vs_width(points, 2, LABEL),
        "cost_gap": plots.cost_gap(points, fits, LABEL),
        "landscape": plots.landscape(points, LABEL),
        "memory_vs_depth": plots.memory_vs_depth(points, 32, LABEL),
        "accuracy": plots.accuracy(acc, LABEL),
        "overlay": plots.overlay(points, points, "A", "B", LABEL),
        "overlay_gap": plots.overlay_gap(points, points, "A", "B", LABEL),
    }


def test_every_figure_is_readable_and_renders_without_warnings(points, fits, acc, tmp_path):
    for name, fig in all_figures(points, fits, acc).items():
        ax = ax_of(fig)
        assert fig.get_size_inches()[0] >= 7 and fig.dpi >= 110, name
        assert LABEL in ax.get_title() and fig.get_suptitle(), name
        assert ax.get_xlabel() and "(" in ax.get_ylabel(), name
        assert legend(ax), name
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            plots.save(fig, tmp_path / f"{name}.png")
        legend_box, axes_box = ax.get_legend().get_window_extent(), ax.get_window_extent()
        assert legend_box.x0 >= axes_box.x1, f"{name}: the legend covers the data"
        assert any(g.get_visible() for g in ax.yaxis.get_gridlines()), name


def test_same_method_same_style_everywhere(points, fits):
    figs = [plots.time_vs_depth(points, 8, LABEL), plots.time_vs_width(points, 1, LABEL),
            plots.cost_gap(points, fits, LABEL), plots.landscape(points, LABEL)]
    for fig in figs:
        for label, line in lines(ax_of(fig)).items():
            if label in registered():
                assert line.get_color() == style(label)["color"]
                assert line.get_marker() == style(label)["marker"]


# ---- save ----

def test_save_writes_png_atomically(points, tmp_path):
    path = tmp_path / "fig.png"
    path.write_bytes(b"old")
    plots.save(plots.time_vs_depth(points, 32, LABEL), path)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_save_failure_keeps_old_file_and_leaves_no_temp(points, tmp_path, monkeypatch):
    path = tmp_path / "fig.png"
    path.write_bytes(b"old")
    fig = plots.time_vs_depth(points, 32, LABEL)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        plots.save(fig, path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_save_rejects_a_non_figure(tmp_path):
    with pytest.raises(ValueError, match="fig"):
        plots.save("not a figure", tmp_path / "x.png")


# ---- nothing to plot, bad arguments ----

def test_no_points_at_width_says_so(points):
    ax = ax_of(plots.time_vs_depth(points, 999, LABEL))
    assert "no measured points at width 999" in message(ax)
    assert not ax.get_lines()


def test_only_failed_points_says_so_and_counts_them(points):
    failed = points.assign(status="failed", median_s=np.nan)
    ax = ax_of(plots.time_vs_width(failed, 1, LABEL))
    assert "no measured points at depth 1 (8 failed)" in message(ax)


def test_cost_gap_without_backprop_says_so(points):
    ax = ax_of(plots.cost_gap(points[points.method != "backprop"], None, LABEL))
    assert "no O(N) method and backprop measured" in message(ax)


def test_empty_frames_do_not_raise(points, fits, acc):
    figures = all_figures(points.iloc[:0], fits.iloc[:0], acc.iloc[:0])
    for name, fig in figures.items():
        assert message(ax_of(fig)).startswith("no "), name


FUNCS = {
    "time_vs_depth": lambda p: plots.time_vs_depth(p, 32, LABEL),
    "time_vs_width": lambda p: plots.time_vs_width(p, 2, LABEL),
    "memory_vs_depth": lambda p: plots.memory_vs_depth(p, 32, LABEL),
    "cost_gap": lambda p: plots.cost_gap(p, None, LABEL),
    "work": lambda p: plots.work(p, LABEL),
    "landscape": lambda p: plots.landscape(p, LABEL),
    "overlay": lambda p: plots.overlay(p, p, "A", "B", LABEL),
}


@pytest.mark.parametrize("name", FUNCS)
def test_bad_points_raise_value_error_naming_them(name, points):
    with pytest.raises(ValueError, match=r"\b(points|a) must be a pandas DataFrame"):
        FUNCS[name](points.to_dict())
    with pytest.raises(ValueError, match=r"missing column\(s\): method"):
        FUNCS[name](points.drop(columns=["method"]))


def test_bad_arguments_raise_value_error(points, fits, acc):
    with pytest.raises(ValueError, match="width must be an integer"):
        plots.time_vs_depth(points, "32", LABEL)
    with pytest.raises(ValueError, match="label must be a string"):
        plots.time_vs_width(points, 2, None)
    with pytest.raises(ValueError, match=r"fits is missing column\(s\): stderr"):
        plots.cost_gap(points, fits.drop(columns=["stderr"]), LABEL)
    with pytest.raises(ValueError, match=r"acc is missing column\(s\): default_eps"):
        plots.accuracy(acc.drop(columns=["default_eps"]), LABEL)
    with pytest.raises(ValueError, match=r"b is missing column\(s\): median_s"):
        plots.overlay(points, points.drop(columns=["median_s"]), "A", "B", LABEL)


def test_import_touches_no_pyplot_or_backend():
    code = "import sys, nngrad.results.plots; assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_learning_curves_keep_legends_off_the_data_accuracy_below_the_frame_and_the_classic_gap_on_an_axis():
    from nngrad.train.curves import classic_curves, learning_curve

    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [1.0, 0.5, 0.2], "test_loss": [1.1, 0.6, 0.3],
                            "accuracy": [0.5, 0.9, 1.0], "test_accuracy": [0.4, 0.8, 0.95], "elapsed_s": [1, 2, 3]})
    fig = learning_curve(history, LABEL)
    fig.canvas.draw()
    _, acc_ax = fig.get_axes()
    low, top = acc_ax.get_ylim()
    assert max(t for t in acc_ax.get_yticks() if low <= t <= top) == 100  # no tick beyond 100%
    frame_top = acc_ax.get_window_extent().y1
    at_100 = acc_ax.transData.transform((1, 100))[1]
    assert frame_top - at_100 >= 5, "the accuracy line at 100% sits on the top frame"  # headroom, in pixels
    assert acc_ax.get_legend().get_window_extent().x0 >= acc_ax.get_window_extent().x1
    classic = pd.concat([history.assign(depth=5, gradient=g, elapsed_s=history["elapsed_s"] * f)
                         for g, f in (("backprop", 1e-3), ("numerical-loop", 1.0))])
    ax = ax_of(classic_curves(classic, LABEL))
    assert "time" in ax.get_xlabel() and ax.get_xscale() == "log"


def test_memory_plot_names_points_not_run_in_the_legend_only_and_draws_the_chunk_bound(points):
    ax = ax_of(plots.memory_vs_depth(points, 32, LABEL))
    entries = legend(ax)
    assert "numerical-loop: not run at depth 4" in entries and any("memory bound" in e for e in entries)
    unrun = lines(ax)["numerical-loop: not run at depth 4"]
    assert len(unrun.get_xdata()) == len(unrun.get_ydata()) == 0  # no mark in the axes that reads as a memory


def test_extra_networks_at_a_smaller_batch_do_not_replace_the_grid(points):
    """The default sweep adds the classic network at batch 1: the plots still show the grid's batch 16."""
    extra = pd.concat([points, pd.DataFrame([_row(m, 2, 32, 1) for m in METHODS])], ignore_index=True)
    ax = ax_of(plots.time_vs_depth(extra, 32, LABEL))
    xs, ys = zip(*measured(lines(ax)["backprop"]))
    want = expected(points, "backprop", width=32).sort_values("depth")
    np.testing.assert_array_equal(xs, want.depth)
    np.testing.assert_allclose(ys, want.median_s)
    landscape = ax_of(plots.landscape(extra, LABEL))
    assert len(measured(lines(landscape)["backprop"])) > 1  # the whole grid, not the one batch-1 network
