"""Points that cannot be: a gradient timed cheaper than one loss evaluation of its network is flagged in the points,
the tables, the report and the landscape, with how to re-time it."""

import json

import pandas as pd
from conftest import fake_benchmark_json, fake_point

from nngrad.results import plots
from nngrad.results.load import load_run
from nngrad.results.report import build_report

NETWORKS = ((5, 32), (2, 32), (1, 64), (4, 64))  # the classic network (batch 16) and a few others


def busy_run(tmp_path, forward_at_classic: float = 1e-2):
    """A run whose forward pass at the classic network took ``forward_at_classic`` seconds (elsewhere 1 ms);
    backprop 2 ms and the batched finite difference 50 ms everywhere."""
    times = {"forward": 1e-3, "backprop": 2e-3, "numerical-batched": 5e-2}
    points = [fake_point(m, d, w, seconds=forward_at_classic if (m, d, w) == ("forward", 5, 32) else t)
              for m, t in times.items() for d, w in NETWORKS]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(fake_benchmark_json(points)))
    return path


def test_a_gradient_cheaper_than_one_loss_evaluation_is_flagged_and_nothing_else_is(tmp_path):
    points = load_run(busy_run(tmp_path)).points.set_index(["method", "depth", "width"])
    assert points.loc[("backprop", 5, 32), "flag"] == "impossible: 0.2 loss evaluations (< 1)"
    assert points.loc[("numerical-batched", 5, 32), "flag"] == ""  # 5 loss evaluations: possible
    assert points.loc[("forward", 5, 32), "flag"] == "" and (points.drop(("backprop", 5, 32))["flag"] == "").all()


def test_a_quiet_run_has_no_flag(tmp_path):
    assert (load_run(busy_run(tmp_path, forward_at_classic=1e-3)).points["flag"] == "").all()


def test_the_report_and_its_tables_flag_the_impossible_point_and_say_how_to_re_time_it(tmp_path):
    report = build_report(busy_run(tmp_path), tmp_path / "out")
    text = report.read_text()
    assert "1 measured point is impossible, a gradient cheaper than one loss evaluation of the same network: " \
           "backprop at depth 5, width 32, batch 16 (0.2 loss evaluations)" in text
    assert "Re-time them on a quiet machine: `nngrad bench` times such points and their forward pass once more" in text
    landscape = pd.read_csv(tmp_path / "out" / "landscape.csv").set_index("method")
    assert landscape.loc["backprop", "note"] == "impossible: 0.2 loss evaluations (< 1)"
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", keep_default_na=False)
    assert (summary["flag"] != "").sum() == 1


def test_the_landscape_rings_the_impossible_point_and_its_legend_says_so(tmp_path):
    points = load_run(busy_run(tmp_path)).points
    ax = plots.landscape(points, "label").get_axes()[0]
    (ring,) = [line for line in ax.get_lines() if line.get_label().startswith("impossible")]
    assert list(ring.get_ydata()) == [0.2] and ring.get_markerfacecolor() == "none"
    quiet = load_run(busy_run(tmp_path, forward_at_classic=1e-3)).points
    assert not [line for line in plots.landscape(quiet, "label").get_axes()[0].get_lines()
                if line.get_label().startswith("impossible")]
