"""The lesson twice (issue 30): the landscape with and without the interpreter, the overhead figure with its flop floor,
the interpreter's share in the report, and the compiled methods' targets. Small constructed frames and fake runs."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import fake_benchmark_json, fake_point

from nngrad.methods.runtimes import RUNTIMES
from nngrad.results import limits, overhead, plots, report
from nngrad.results.load import load_run
from nngrad.sweep.config import SweepConfig

IMPOSSIBLE = "impossible: 0.39 loss evaluations (< 1)"
GEMM = {"gemm_flop_s": 2e9}
COMPILED = {"backprop-numba": {"compiles": "backprop"}, "backprop": {"compiles": None}}


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """(method, depth, width, batch, seconds, flops[, flag]) -> a points frame as load builds it."""
    out = []
    for method, d, w, b, seconds, flops, *flag in rows:
        out.append({"method": method, "depth": d, "width": w, "batch": b, "device": "cpu",
                    "n_params": 100 * d * w, "status": "ok", "median_s": seconds, "flops": flops,
                    "family": "function" if method.startswith("forward") else "reverse-mode",
                    "runtime": "numba" if method.endswith("-numba") else "numpy", "flag": flag[0] if flag else "",
                    "peak_memory_bytes": np.nan})
    return pd.DataFrame(out)


def _lines(ax, start: str):
    return [line for line in ax.get_lines() if line.get_label().startswith(start)]


# --- the overhead figure ---

def test_the_overhead_figure_draws_each_reverse_mode_method_and_the_flop_floor_at_flops_over_the_gemm_rate():
    points = _frame([("backprop", 5, 32, 16, 80e-6, 2000), ("backprop", 5, 64, 16, 200e-6, 8000),
                     ("backprop-numba", 5, 32, 16, 10e-6, 2000), ("backprop-numba", 5, 64, 16, 30e-6, 8000),
                     ("forward", 5, 32, 16, 20e-6, 700)])
    (ax,) = overhead.figure(points, GEMM, "test").axes
    (floor,) = _lines(ax, "flop floor")
    assert list(floor.get_ydata()) == pytest.approx([1e-6, 4e-6]) and list(floor.get_xdata()) == [16000, 32000]
    assert "2 GFLOP/s" in floor.get_label()
    assert {line.get_label() for line in ax.get_lines()} >= {"backprop", "backprop-numba"}
    assert not _lines(ax, "forward") and ax.get_yscale() == "log" and "(s)" in ax.get_ylabel()


def test_without_a_gemm_rate_the_overhead_figure_says_it_has_no_floor():
    points = _frame([("backprop", 5, 32, 16, 80e-6, 2000), ("backprop-numba", 5, 32, 16, 10e-6, 2000)])
    (ax,) = overhead.figure(points, {}, "test").axes
    assert not _lines(ax, "flop floor") and _lines(ax, "no flop floor")


def test_the_overhead_figure_rings_a_flagged_point_and_only_it():
    points = _frame([("backprop", 5, 32, 16, 80e-6, 2000), ("backprop-numba", 5, 32, 16, 10e-6, 2000, IMPOSSIBLE),
                     ("backprop-numba", 5, 64, 16, 30e-6, 8000)])
    (ax,) = overhead.figure(points, GEMM, "test").axes
    (ring,) = _lines(ax, "ringed")
    assert list(ring.get_xdata()) == [16000] and list(ring.get_ydata()) == [10e-6]
    assert ring.get_label().startswith("ringed: 1 flagged point")


def test_the_report_draws_the_overhead_figure_only_when_two_of_its_methods_were_measured(tmp_path):
    def figures(methods):
        folder = tmp_path / "-".join(methods)
        folder.mkdir()
        pts = [fake_point(m, d, 8) for m in ("forward", *methods) for d in (1, 2)]
        (folder / "benchmark.json").write_text(json.dumps(fake_benchmark_json(pts)))
        return report.figures(load_run(folder), None)

    assert "overhead.png" in figures(("backprop", "backprop-numba"))
    assert "overhead.png" not in figures(("backprop",))


# --- the landscape, one panel per runtime ---

@pytest.fixture
def two_runtimes(tmp_path):
    pts = [fake_point(m, d, w) for m in ("forward", "backprop", "numerical-batched", "forward-numba", "backprop-numba")
           for d in (1, 2) for w in (8, 16)]
    (tmp_path / "benchmark.json").write_text(json.dumps(fake_benchmark_json(pts)))
    return load_run(tmp_path).points


def test_the_landscape_draws_one_panel_per_runtime_side_by_side_on_one_y_axis(two_runtimes):
    numpy_ax, numba_ax = plots.landscape(two_runtimes, "test").axes
    assert RUNTIMES["numpy"].label in numpy_ax.get_title() and RUNTIMES["numba"].label in numba_ax.get_title()
    assert numpy_ax.get_shared_y_axes().joined(numpy_ax, numba_ax)
    assert numpy_ax.get_position().y0 == pytest.approx(numba_ax.get_position().y0)  # side by side
    assert {line.get_label() for line in numpy_ax.get_lines()} >= {"backprop", "numerical-batched"}
    assert not _lines(numpy_ax, "backprop-numba") and not _lines(numba_ax, "numerical-batched")
    (compiled,) = _lines(numba_ax, "backprop-numba")
    p = two_runtimes.set_index(["method", "depth", "width"])["median_s"]
    expected = sorted(p["backprop-numba"] / p["forward-numba"])  # over the compiled forward pass, not numpy's
    assert sorted(compiled.get_ydata()) == pytest.approx(expected)
    assert _lines(numpy_ax, "cheap-gradient") and _lines(numba_ax, "cheap-gradient")


def test_a_run_of_one_runtime_keeps_its_one_panel_landscape(two_runtimes):
    numpy_only = two_runtimes[two_runtimes["runtime"] == "numpy"]
    (ax,) = plots.landscape(numpy_only, "test").axes
    assert "compiled" not in ax.get_title() and _lines(ax, "backprop")


# --- the interpreter's share ---

def test_the_interpreters_share_and_the_floors_are_exact_on_a_constructed_frame():
    points = _frame([("backprop", 5, 32, 1, 80e-6, 2000), ("backprop-numba", 5, 32, 1, 10e-6, 2000),
                     ("backprop", 5, 32, 16, 120e-6, 40000), ("backprop-numba", 5, 32, 16, 50e-6, 40000)])
    table = overhead.table(points, COMPILED, 2e9)
    assert list(table["batch"]) == [1, 16] and set(table["method"]) == {"backprop"}
    first = table.iloc[0]
    assert first["numpy_s"] == 80e-6 and first["compiled_s"] == 10e-6
    assert first["interpreter_share"] == pytest.approx(0.875)
    assert first["numpy_over_floor"] == pytest.approx(80) and first["compiled_over_floor"] == pytest.approx(10)
    assert table.iloc[1]["compiled_over_floor"] == pytest.approx(2.5)
    assert "88%" in overhead.sentence(first) and "**10x** its flop floor" in overhead.sentence(first)


def test_without_a_gemm_rate_the_floors_are_blank_and_the_share_stays():
    points = _frame([("backprop", 5, 32, 1, 80e-6, 2000), ("backprop-numba", 5, 32, 1, 10e-6, 2000)])
    row = overhead.table(points, COMPILED, None).iloc[0]
    assert np.isnan(row["compiled_over_floor"]) and row["interpreter_share"] == pytest.approx(0.875)


def test_the_report_section_leaves_out_a_row_resting_on_a_flagged_point_and_says_so(tmp_path):
    pts = [fake_point(m, d, 8, batch=b) for m in ("forward", "backprop", "backprop-numba") for d in (1, 2)
           for b in (1, 16)]
    (tmp_path / "benchmark.json").write_text(json.dumps(fake_benchmark_json(pts)))
    run = load_run(tmp_path)
    p = run.points.copy()
    bad = (p["method"] == "backprop-numba") & (p["depth"] == 1) & (p["batch"] == 1)
    p.loc[bad, "flag"] = IMPOSSIBLE
    run = dataclasses.replace(run, points=p, constants=GEMM)
    text = "\n".join(report.overhead_section(run, ["overhead.png"]))
    assert "left out: 1 row (backprop-numba impossible)" in text
    shown = {network for network in ("d1 w8 b1", "d2 w8 b1", "d1 w8 b16", "d2 w8 b16")
             if re.search(rf"\| {network} +\|", text)}
    assert shown == {"d2 w8 b1", "d2 w8 b16"}  # off the main batch, or at the middle depth; the rest: overhead.csv
    assert text.count("of numpy backprop's time is the interpreter") == 1 and "depth 2, width 8, batch 1" in text
    p.loc[p["method"] == "backprop-numba", "flag"] = IMPOSSIBLE
    text = "\n".join(report.overhead_section(dataclasses.replace(run, points=p), ["overhead.png"]))
    assert "not judged" in text and "is the interpreter" not in text


# --- the targets ---

def _target(num: str, den: str, where: str) -> limits.Target:
    (t,) = [t for t in limits.COMPILED_TARGETS if (t.numerator, t.denominator, t.where_text) == (num, den, where)]
    return t


PEERS = "peers' table: classic b1-64, w128/256 b64"


def _row(points, t, constants=None):
    return limits.limits_table(points, (5, 32, 16), targets=[t], constants=constants).iloc[0]


def _peer_table(ratio_b1: float, ratio_w256: float, flag: str = "") -> pd.DataFrame:
    rows = []
    for d, w, b, ratio in ((5, 32, 1, ratio_b1), (5, 32, 16, 0.5), (5, 32, 64, 0.8), (2, 128, 64, 0.9),
                           (2, 256, 64, ratio_w256), (2, 512, 64, 5.0), (5, 64, 16, 5.0)):
        rows += [("jax", d, w, b, 1e-4, 1000), ("backprop-numba", d, w, b, ratio * 1e-4, 1000,
                                                flag if (w, b) == (256, 64) else "")]
    return _frame(rows)


@pytest.mark.parametrize("ratio_w256, verdict, worst", [(0.95, "pass", 0.95), (1.05, "miss", 1.05)])
def test_compiled_backprop_against_jax_is_judged_at_the_peers_tables_points_only(ratio_w256, verdict, worst):
    row = _row(_peer_table(0.4, ratio_w256), _target("backprop-numba", "jax", PEERS))
    assert row["verdict"] == verdict and row["measured"] == pytest.approx(worst) and row["points"] == 5


def test_a_flagged_point_of_the_peers_table_is_left_out_and_named():
    row = _row(_peer_table(0.4, 3.0, IMPOSSIBLE), _target("backprop-numba", "jax", PEERS))
    assert row["verdict"] == "pass" and row["points"] == 4 and row["left_out"] == 1
    assert "backprop-numba impossible" in row["why"]


@pytest.mark.parametrize("ratio_b1, verdict", [(0.5, "pass"), (0.51, "miss")])
def test_compiled_backprop_must_be_twice_as_fast_as_jax_at_batch_1(ratio_b1, verdict):
    row = _row(_peer_table(ratio_b1, 0.9), _target("backprop-numba", "jax", "classic network, batch 1"))
    assert row["verdict"] == verdict and row["at"] == "d5 w32 b1"


def test_a_target_whose_methods_were_not_measured_says_so():
    points = _frame([("backprop", 5, 32, 1, 80e-6, 2000), ("jax", 5, 32, 1, 80e-6, 2000)])
    for t in limits.COMPILED_TARGETS:
        row = _row(points, t, GEMM)
        assert row["verdict"] == "not measured" and "numba not measured" in row["why"]


FLOOR_WHERE = "flops of 50 µs or more"


@pytest.mark.parametrize("seconds, verdict", [(200e-6, "pass"), (201e-6, "miss")])
def test_compiled_backprop_is_judged_against_twice_its_flop_floor_where_the_flops_take_50_us(seconds, verdict):
    # floors at 2 GFLOP/s: 100 µs (judged) and 10 µs (too short: not judged, however slow)
    points = _frame([("backprop-numba", 5, 32, 64, seconds, 200_000), ("backprop-numba", 5, 32, 1, 1e-3, 20_000)])
    row = _row(points, _target("backprop-numba", limits.FLOOR, FLOOR_WHERE), GEMM)
    assert row["verdict"] == verdict and row["points"] == 1 and row["measured"] == pytest.approx(seconds / 100e-6)


def test_the_floor_target_is_not_judged_on_flagged_points_and_not_measured_without_a_gemm_rate():
    t = _target("backprop-numba", limits.FLOOR, FLOOR_WHERE)
    flagged = _frame([("backprop-numba", 5, 32, 64, 150e-6, 200_000, IMPOSSIBLE)])
    row = _row(flagged, t, GEMM)
    assert row["verdict"] == "not judged" and "every point here is flagged" in row["why"]
    row = _row(flagged.assign(flag=""), t, {})
    assert row["verdict"] == "not measured" and "no GEMM rate" in row["why"]


@pytest.mark.parametrize("seconds, verdict", [(1.299 * 5e-4, "pass"), (1.301 * 5e-4, "miss"),
                                              (5e-4 / 1.299, "pass"), (5e-4 / 1.301, "miss")])
def test_compiled_forward_differences_over_backprop_are_judged_against_their_flops_ratio(seconds, verdict):
    points = _frame([("backprop-numba", 5, 32, 16, 1e-4, 2000), ("numerical-batched-numba", 5, 32, 16, seconds, 10_000),
                     ("backprop-numba", 5, 32, 1, 1e-4, 2000), ("numerical-batched-numba", 5, 32, 1, 1.0, 10_000)])
    t = _target("numerical-batched-numba", "backprop-numba", "classic network, batch 16")
    row = _row(points, t)
    assert row["verdict"] == verdict and row["at"] == "d5 w32 b16"
    assert row["measured"] == pytest.approx(seconds / 1e-4 / 5)


def test_the_peers_tables_networks_are_in_the_default_sweep():
    networks = SweepConfig().networks()
    for network in ((5, 32, 1), (5, 32, 16), (5, 32, 64), (2, 128, 64), (2, 256, 64)):
        assert network in networks
        assert limits._peers_table(*network, (5, 32))
    assert not limits._peers_table(2, 512, 64, (5, 32)) and not limits._peers_table(5, 64, 16, (5, 32))


def test_the_report_writes_every_network_of_the_interpreters_share_to_overhead_csv(tmp_path):
    pts = [fake_point(m, d, 8) for m in ("forward", "backprop", "backprop-numba") for d in (1, 2)]
    (tmp_path / "benchmark.json").write_text(json.dumps(fake_benchmark_json(pts)))
    report.build_report(tmp_path)
    table = pd.read_csv(tmp_path / "overhead.csv")
    assert list(table["compiled"]) == ["backprop-numba"] * 2 and list(table["depth"]) == [1, 2]
    assert (tmp_path / "overhead.png").exists()


def test_a_run_without_compiled_methods_says_how_to_get_them_and_one_with_them_does_not(tmp_path):
    pts = [fake_point(m, d, 8) for m in ("forward", "backprop", "torch") for d in (1, 2)]
    (tmp_path / "benchmark.json").write_text(json.dumps(fake_benchmark_json(pts)))
    text = "\n".join(report.overhead_section(load_run(tmp_path), ["overhead.png"]))
    assert "no compiled method" in text and "pip install 'nngrad[fast]'" in text
    pts += [fake_point("backprop-numba", 3, 8)]  # compiled, but at no network of its twin's
    (tmp_path / "benchmark.json").write_text(json.dumps(fake_benchmark_json(pts)))
    text = "\n".join(report.overhead_section(load_run(tmp_path), ["overhead.png"]))
    assert "No method was measured both in numpy and compiled" in text and "nngrad[fast]" not in text
