"""Every figure that draws measured points rings the points the run flagged (``flag`` non-empty), the same way,
with one legend entry counting them; ratios are ringed when either of their points is flagged; no line drawn
through the points rests on a flagged one; the cost gap shows a ratio below 1; tick labels never collide."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from test_plots import LABEL, METHODS, _row, ax_of, legend, lines

from nngrad.results import plots, sanity

RED = "#d62728"


@pytest.fixture
def points() -> pd.DataFrame:
    rows = [_row(m, d, w, 16) for d in (1, 2, 4) for w in (8, 32) for m in (*METHODS, "forward-mode")]
    frame = pd.DataFrame(rows)
    frame["family"] = frame["method"].map({"forward": "function", "backprop": "reverse-mode",
                                           "forward-mode": "forward-mode"}).fillna("finite-difference")
    frame["device"] = "cpu"
    frame["model_s"] = frame["median_s"] * 1.1
    frame["flag"] = ""
    return frame


def at(points, method, depth, width) -> pd.Series:
    """Mask of one point."""
    return (points.method == method) & (points.depth == depth) & (points.width == width)


def flag(points, method, depth, width, why="busy: other processes used 140% of one CPU") -> pd.DataFrame:
    points = points.copy()
    points.loc[at(points, method, depth, width), "flag"] = why
    return points


def rings(ax) -> list:
    """The ring lines of an axes: hollow red circles, no line between them."""
    return [line for line in ax.get_lines() if line.get_marker() == "o" and line.get_markerfacecolor() == "none"
            and line.get_markeredgecolor() == RED and line.get_linestyle() == "None" and len(line.get_xdata())]


def ringed(ax) -> list:
    """The (x, y) of every ring, sorted."""
    return sorted((float(x), float(y)) for line in rings(ax) for x, y in zip(line.get_xdata(), line.get_ydata()))


def ring_entry(ax) -> str:
    (entry,) = [e for e in legend(ax) if e.startswith("ringed:")]
    return entry


def legend_beside_the_axes(fig: Figure, ax) -> None:
    fig.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1, "the legend covers the data"


# ---- one notion of flagged ----

def test_flagged_is_a_non_empty_flag_string_and_nothing_without_the_column():
    frame = pd.DataFrame({"flag": ["", None, np.nan, "impossible: 0.39 loss evaluations (< 1)", "busy: ..."]})
    assert plots.flagged(frame).tolist() == [False, False, False, True, True]
    assert not plots.flagged(frame.drop(columns="flag")).any()


# ---- measured points: time, memory, cost model, work, overlay ----

TIME = {
    "time_vs_depth": (lambda p: plots.time_vs_depth(p, 32, LABEL), "depth", "median_s", 1.0),
    "time_vs_width": (lambda p: plots.time_vs_width(p, 2, LABEL), "width", "median_s", 1.0),
    "memory_vs_depth": (lambda p: plots.memory_vs_depth(p, 32, LABEL), "depth", "peak_memory_bytes", 2.0**-20),
}


@pytest.mark.parametrize("name", TIME)
def test_a_flagged_measured_point_is_ringed_and_counted_in_the_legend(name, points):
    draw, x, y, scale = TIME[name]
    ax = ax_of(draw(points))
    assert not rings(ax) and not any(e.startswith("ringed") for e in legend(ax))  # nothing flagged: no ring
    marked = flag(points, "backprop", 2, 32)
    fig = draw(marked)
    ax = ax_of(fig)
    row = marked[marked.flag != ""].iloc[0]
    assert ringed(ax) == [(float(row[x]), pytest.approx(float(row[y]) * scale))]
    assert ring_entry(ax) == "ringed: 1 flagged point,\nleft out of every verdict: see report"
    legend_beside_the_axes(fig, ax)


def test_the_ring_counts_what_the_figure_draws_in_plural(points):
    marked = flag(flag(points, "backprop", 1, 32), "numerical-loop", 2, 32)
    marked = flag(marked, "backprop", 1, 8)  # at width 8: not in the figure at width 32
    ax = ax_of(plots.time_vs_depth(marked, 32, LABEL))
    assert len(ringed(ax)) == 2 and ring_entry(ax).startswith("ringed: 2 of the run's 3 flagged points,")


def test_a_figure_that_draws_some_of_the_flagged_points_names_the_runs_count_the_reports(points):
    """Kills: a legend counting only what it draws beside a report counting the run's flagged points (sanity)."""
    marked = flag(flag(points, "backprop", 1, 32), "backprop", 1, 8)
    assert sanity.flagged(marked).sum() == 2
    ax = ax_of(plots.time_vs_depth(marked, 32, LABEL))
    assert ring_entry(ax) == "ringed: 1 of the run's 2 flagged points,\nleft out of every verdict: see report"
    ax = ax_of(plots.predicted_vs_measured(marked, LABEL))  # draws them all: the count alone
    assert ring_entry(ax) == "ringed: 2 flagged points,\nleft out of every verdict: see report"


def test_the_cost_model_figure_rings_flagged_points(points):
    marked = flag(points, "numerical-loop", 4, 8)
    row = marked[marked.flag != ""].iloc[0]
    ax = ax_of(plots.predicted_vs_measured(marked, LABEL))
    assert ringed(ax) == [(row.model_s, row.median_s)] and ring_entry(ax).startswith("ringed: 1 flagged point,")


def test_the_work_figure_rings_in_the_method_panel_and_says_so_once_off_the_panels(points):
    marked = flag(points, "numerical-batched", 4, 32)
    fig = plots.work(marked, LABEL)
    panels = {ax.get_title().split(":")[0]: ax for ax in fig.get_axes() if ax.get_visible()}
    assert [name for name, ax in panels.items() if rings(ax)] == ["numerical-batched"]
    (entry,) = [t.get_text() for t in fig.legends[0].get_texts()]
    assert entry.startswith("ringed: 1 flagged point,")
    fig.canvas.draw()
    box = fig.legends[0].get_window_extent()
    assert not any(box.overlaps(ax.get_window_extent()) for ax in panels.values()), "the legend covers a panel"


def test_the_overlay_rings_flagged_points_of_either_run_and_counts_each(points):
    b = flag(flag(points, "backprop", 1, 32), "forward", 2, 32)
    ax = ax_of(plots.overlay(flag(points, "numerical-loop", 1, 8), b, "A", "B", LABEL))
    assert len(ringed(ax)) == 3
    assert ring_entry(ax).startswith("ringed: 3 flagged points (A: 1, B: 2),")


# ---- ratios: cost gap, landscape, devices, overlay gap ----

def test_a_flagged_reference_point_rings_every_ratio_resting_on_it(points):
    marked = flag(points, "backprop", 2, 32, "impossible: 0.39 loss evaluations (< 1)")
    fig = plots.cost_gap(marked, None, LABEL)
    ax = ax_of(fig)
    n = int(marked[at(marked, "backprop", 2, 32)].n_params.iloc[0])
    assert {x for x, _ in ringed(ax)} == {n}
    assert len(ringed(ax)) == 3  # numerical-loop, numerical-batched and forward-mode there
    assert ring_entry(ax).startswith("ringed: 3 ratios resting on 1 flagged point,")
    legend_beside_the_axes(fig, ax)


def test_a_method_cheaper_than_backprop_is_ringed_and_kept_in_view(points):
    """A forward-mode ratio below 1 (sanity flags it "cheaper than backprop") reads as flagged, not as a value."""
    cheap = at(points, "forward-mode", 4, 32)
    backprop = points.loc[at(points, "backprop", 4, 32), "median_s"].iloc[0]
    points.loc[cheap, ["median_s", "q1_s", "q3_s"]] = 0.25 * backprop
    points.loc[cheap, "flag"] = "cheaper than backprop: 0.25 x backprop at the same network"
    fig = plots.cost_gap(points, None, LABEL)
    ax = ax_of(fig)
    n = float(points.loc[cheap, "n_params"].iloc[0])
    assert ringed(ax) == [(n, pytest.approx(0.25))]
    fig.canvas.draw()
    assert ax.get_ylim()[0] < 0.25 < 1 < ax.get_ylim()[1]  # not clipped off below
    assert any(line.get_label().startswith("ratio 1: as fast as backprop") for line in ax.get_lines())


def test_the_theory_line_of_the_cost_gap_rests_on_unflagged_ratios_only(points):
    theory = lambda p: next(line for line in ax_of(plots.cost_gap(p, None, LABEL)).get_lines()
                            if line.get_label().startswith("theory"))
    marked = flag(points, "numerical-batched", 4, 32)
    before = theory(marked).get_ydata()
    wild = marked.copy()
    wild.loc[at(wild, "numerical-batched", 4, 32), "median_s"] *= 1e6  # what a flagged point reads does not move it
    np.testing.assert_allclose(theory(wild).get_ydata(), before)
    unflagged = wild.assign(flag="")
    assert not np.allclose(theory(unflagged).get_ydata(), before)  # (it would, were it not flagged)


def test_the_landscape_rings_ratios_on_a_flagged_forward_pass(points):
    marked = flag(points, "forward", 4, 32)
    ax = ax_of(plots.landscape(marked, LABEL))
    n = int(marked[at(marked, "forward", 4, 32)].n_params.iloc[0])
    assert {x for x, _ in ringed(ax)} == {n} and len(ringed(ax)) == 3  # every gradient measured there
    assert ring_entry(ax).startswith("ringed: 3 ratios resting on 1 flagged point,")


def test_the_landscapes_constant_per_pass_leaves_flagged_ratios_out(points):
    where = [(4, 32), (4, 8), (2, 32)]
    marked = points
    for depth, width in where:
        marked = flag(marked, "forward", depth, width)
    wild = marked.copy()
    for depth, width in where:  # 3 of numerical-batched's 5 ratios read 1000x: a median would follow them
        wild.loc[at(wild, "numerical-batched", depth, width), "median_s"] *= 1e3
    constants = lambda p: [k for k in lines(ax_of(plots.landscape(p, LABEL))) if k.startswith("  ")]
    assert constants(wild) == constants(marked)
    assert constants(wild.assign(flag="")) != constants(marked)  # (they would, were they not flagged)


def test_the_landscape_ring_count_agrees_with_the_reports_count_of_impossible_points(points):
    cheap = at(points, "backprop", 1, 8) | at(points, "numerical-batched", 2, 32)
    points.loc[cheap, "median_s"] = 1e-9  # cheaper than one loss evaluation: sanity flags them impossible
    points["flag"] = sanity.flags(points)
    ax = ax_of(plots.landscape(points, LABEL))
    counted = int(plots.flagged(points).sum())
    assert counted == 2 and ring_entry(ax).startswith(f"ringed: {counted} ratios resting on {counted} flagged points,")


def _device_frame(ns, flagged_at=None) -> pd.DataFrame:
    rows = []
    for device in ("cpu", "torch@cpu"):
        for k, n in enumerate(ns):
            for method, seconds in (("backprop", 1e-4), ("numerical-batched", n * 2e-6), ("forward-mode", n * 1e-6)):
                rows.append({"method": method, "device": device, "depth": 2, "width": k + 1, "batch": 16,
                             "n_params": n, "status": "ok", "median_s": seconds, "flag": ""})
    frame = pd.DataFrame(rows)
    if flagged_at is not None:
        frame.loc[(frame.device == "torch@cpu") & (frame.method == "backprop") & (frame.n_params == flagged_at),
                  "flag"] = "busy: other processes used 140% of one CPU"
    return frame


def test_the_devices_figure_rings_ratios_on_a_flagged_point_of_that_device_only():
    ns = [300, 600, 1200, 2400]
    fig = plots.device_gap(_device_frame(ns, flagged_at=600), {"cpu": None}, LABEL)
    ax = ax_of(fig)
    assert {x for x, _ in ringed(ax)} == {600} and len(ringed(ax)) == 2  # torch@cpu's two O(N) methods
    assert ring_entry(ax).startswith("ringed: 2 ratios resting on 1 flagged point,")
    legend_beside_the_axes(fig, ax)


def test_the_overlay_gap_counts_the_flagged_points_of_each_run(points):
    b = flag(points, "backprop", 2, 8)
    ax = ax_of(plots.overlay_gap(points, b, "A", "B", LABEL))
    assert ring_entry(ax).startswith("ringed: 2 ratios resting on 1 flagged point (A: 0, B: 1),")


# ---- tick labels ----

def tick_overlaps(ax) -> int:
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    lo, hi = ax.get_xlim()
    boxes = sorted((t.get_window_extent(renderer) for t in [*ax.get_xticklabels(), *ax.get_xticklabels(minor=True)]
                    if t.get_visible() and t.get_text() and lo <= t.get_position()[0] <= hi), key=lambda b: b.x0)
    return sum(a.x1 > b.x0 for a, b in zip(boxes, boxes[1:]))


@pytest.mark.parametrize("ns", [[300, 1000, 6000], [3000, 4000, 6000], [100, 150, 200], [2e4, 9e4, 4e5],
                                [100, 1e3, 1e4, 1e5, 1e6]])
def test_the_devices_figure_has_tick_labels_that_do_not_overlap(ns):
    """With its knees and rings named in the legend, the axes is narrow: 3x10^2 and 10^3 would collide."""
    ax = ax_of(plots.device_gap(_device_frame(ns, flagged_at=ns[1]), {"cpu": ns[1], "torch@cpu": ns[0]}, LABEL))
    assert tick_overlaps(ax) == 0
    assert sum(bool(t.get_text()) for t in ax.get_xticklabels()) >= 2  # and it is still labelled
