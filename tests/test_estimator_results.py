"""Estimator points through the results: their cosine is carried from the run files to the tables, the landscape
figure draws it against N beside its prediction (cost against quality), the cost gap draws estimators beside the
O(N) methods without anchoring the O(N) theory line on them, and their fits take the theory of a constant
number of passes (ratio to backprop ~ N^0), not an O(N) method's."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import fake_benchmark_json, fake_point

from nngrad.results import plots
from nngrad.results.fits import growth_fits
from nngrad.results.landscape import landscape_table
from nngrad.results.load import load_run
from nngrad.results.report import build_report
from nngrad.runfiles import CLASSIC

DEPTHS, WIDTHS = (1, 2, 4, 8), (8, 32, 128)


def _points(cosine: bool = True) -> list[dict]:
    """forward, backprop, numerical-batched and both estimators over a small grid and the classic network; the
    estimators twice backprop's time and, where ``cosine``, their recorded cosines 0.1 / sqrt(N)."""
    networks = [(d, w, 16) for d in DEPTHS for w in WIDTHS] + [CLASSIC]
    out = []
    for d, w, b in networks:
        backprop = fake_point("backprop", d, w, b)
        seconds = backprop["stats"]["median"]
        for method in ("forward", "backprop", "numerical-batched", "spsa", "forward-gradient"):
            p = fake_point(method, d, w, b, seconds=2 * seconds if method in ("spsa", "forward-gradient") else None)
            if method in ("spsa", "forward-gradient") and cosine:
                p["extra_info"]["cosine"] = 0.1 / np.sqrt(p["planned"]["n_params"])
            out.append(p)
    return out


@pytest.fixture
def run(tmp_path):
    (tmp_path / "benchmark.json").write_text(json.dumps(fake_benchmark_json(_points())))
    return load_run(tmp_path)


def test_the_cosine_column_is_carried_from_the_run_files_nan_for_exact_methods(run):
    p = run.points
    estimators = p[p["family"] == "estimator"]
    assert len(estimators) and np.allclose(estimators["cosine"], 0.1 / np.sqrt(estimators["n_params"]))
    assert p.loc[p["family"] != "estimator", "cosine"].isna().all()


def test_the_landscape_table_shows_an_estimators_cosine(run):
    table, _ = landscape_table(run)
    rows = table.set_index("method")["cosine vs backprop"]
    assert rows["spsa"] == f"{0.1 / np.sqrt(4642):.3f}" and rows["backprop"] == ""


def test_the_landscape_figure_draws_the_estimates_quality_beside_its_prediction(run):
    fig = plots.landscape(run.points, "test", {"spsa": {"k": 4}})
    cost, quality = fig.axes
    assert "cosine" in quality.get_ylabel()
    labels = [t.get_text() for t in quality.get_legend().get_texts()]
    assert "spsa (k = 4)" in labels and "forward-gradient (k = 1)" in labels
    assert sum("predicted" in t for t in labels) == 2
    assert quality.get_yscale() == "log"


def test_without_recorded_cosines_the_landscape_is_one_panel(tmp_path):
    (tmp_path / "benchmark.json").write_text(json.dumps(fake_benchmark_json(_points(cosine=False))))
    assert len(plots.landscape(load_run(tmp_path).points, "test").axes) == 1


def test_the_cost_gap_draws_estimators_and_anchors_the_on_line_on_the_o_n_methods_alone(run):
    fig = plots.cost_gap(run.points, None, "test")
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "spsa (estimator)" in labels and "forward-gradient (estimator)" in labels
    theory = next(line for line in ax.get_lines() if line.get_label().startswith("theory"))
    gap = plots._ratio(run.points, "numerical-batched", "backprop")
    gap = gap[~gap["flagged"]]
    n0, r0 = np.exp(np.log(gap["n_params"]).mean()), np.exp(np.log(gap["ratio"]).mean())
    x, y = theory.get_data()
    assert y[0] == pytest.approx(r0 * x[0] / n0)  # through numerical-batched's ratios only


def test_an_estimators_fit_takes_the_theory_of_a_constant_number_of_passes(run):
    fits = growth_fits(run.points)
    ratio = fits[(fits["method"] == "spsa") & (fits["model"] == "ratio ~ N^k") & (fits["regime"] == "all")]
    assert ratio["theory_asymptotic"].iloc[0] == 0  # an O(N) method's would be 1
    assert ratio["exponent"].iloc[0] == pytest.approx(0, abs=1e-9)  # twice backprop's time everywhere


def test_the_report_writes_the_cosine_to_summary_csv_and_the_table(tmp_path):
    (tmp_path / "benchmark.json").write_text(json.dumps(fake_benchmark_json(_points())))
    report = build_report(tmp_path).read_text()
    assert "cosine 0.001" in report  # 0.1 / sqrt(4642) at the classic network
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary.loc[summary["method"] == "spsa", "cosine"].notna().all()


def test_the_work_figure_declares_an_estimators_work_times_the_runs_k(run):
    fig = plots.work(run.points, "test", {"spsa": {"k": 16}})
    titles = {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}
    spsa = titles["spsa: 2 loss evaluations x k, k = 16"]
    (declared,) = [line for line in spsa.get_lines() if line.get_linestyle() == "--"]
    assert set(declared.get_ydata()) == {32}
    assert "forward-gradient: 1 tangent pass" in titles
