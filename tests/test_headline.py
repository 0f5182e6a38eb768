"""The headline: timed in alternation at the classic network, its ratios taken per round."""

import numpy as np
import pandas as pd
import pytest

from nngrad.results.load import Run
from nngrad.results.report import headline, headline_ratios
from nngrad.sweep.config import SweepConfig
from nngrad.sweep.headline import METHODS, ROUNDS, headline_study


def test_the_study_times_every_method_in_every_round_at_the_classic_network():
    cfg = SweepConfig(depths=(1,), widths=(4,), classic=(1, 6, 2), extra=(), methods=METHODS)
    study = headline_study(cfg)
    assert study["network"] == [1, 6, 2]
    assert set(study["seconds"]) == set(METHODS)
    assert all(len(v) == ROUNDS and min(v) > 0 for v in study["seconds"].values())
    assert headline_study(SweepConfig(depths=(1,), widths=(4,), classic=None, extra=(), methods=METHODS)) is None
    assert headline_study(SweepConfig(depths=(1,), widths=(4,), extra=(), methods=("forward", "backprop"))) is None


def test_the_ratios_are_taken_within_each_round():
    """A slow round slows every method in it: per-round ratios stay put where ratios of medians would not."""
    forward = np.array([1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0])  # the machine slowed down half-way
    backprop = 2.0 * forward
    loop = np.array([100.0, 100, 100, 200, 200, 200, 200])
    run = Run("r", pd.DataFrame(), pd.DataFrame(), config={"num_input": 10, "num_output": 2},
              headline={"network": [5, 32, 16], "seconds": {"forward": list(forward), "backprop": list(backprop),
                                                             "numerical-loop": list(loop)}})
    ratios = headline_ratios(run)
    assert ratios["backprop"] == {"median": 2.0, "q1": 2.0, "q3": 2.0}
    assert ratios["numerical-loop"]["median"] == 100.0 and ratios["n_params"] == 4642
    text = headline(run)
    assert "**2 loss evaluations** for backprop" in text and "**100 loss evaluations** for numerical-loop" in text
    assert "7 rounds" in text


def test_a_run_without_the_study_falls_back_to_the_points():
    run = Run("r", pd.DataFrame(columns=["method", "depth", "width", "batch", "n_params", "status", "family",
                                         "median_s", "iqr_s", "work", "work_unit", "peak_memory_bytes",
                                         "gradient_error", "reference", "compile_s", "message"]), pd.DataFrame())
    assert headline_ratios(run) is None
    assert "was not measured" in headline(run)


@pytest.mark.parametrize("broken", [{}, {"network": [5, 32, 16]}])
def test_an_incomplete_study_is_ignored(broken):
    assert headline_ratios(Run("r", pd.DataFrame(), pd.DataFrame(), headline=broken)) is None


def test_under_the_landscape_table_the_report_says_why_the_headline_and_the_table_differ(tmp_path):
    """4,090 loss evaluations in the headline against 7.5e3 in the table, with not a word: now the table says the
    headline is timed in alternation, by how much the two differ here, and why they can."""
    import json

    from conftest import fake_benchmark_json, fake_point

    from nngrad.results.report import build_report

    points = [fake_point(m, 5, 32, seconds=s) for m, s in (("forward", 1e-4), ("backprop", 2e-4),
                                                           ("numerical-loop", 0.75))]
    data = fake_benchmark_json(points)
    data["nngrad"]["headline"] = {"network": [5, 32, 16], "seconds": {
        "forward": [1e-4] * 7, "backprop": [2e-4] * 7, "numerical-loop": [0.409] * 7}}
    (tmp_path / "run.json").write_text(json.dumps(data))
    text = build_report(tmp_path / "run.json", tmp_path / "out").read_text()
    assert "**4,090 loss evaluations** for numerical-loop" in text  # the headline
    assert ("The headline above and this table can differ (backprop: 2 in the headline, 2 here; numerical-loop: "
            "4,090 in the headline, 7,500 here): the headline is timed in alternation") in text


def test_backprops_own_check_is_described_once_in_the_words_of_the_points_table(tmp_path):
    import json

    from conftest import fake_benchmark_json, fake_point

    from nngrad.methods import get
    from nngrad.results.report import build_report

    points = [fake_point(m, 5, 32) for m in ("forward", "backprop")]
    for p in points:
        p["extra_info"]["reference"] = get(p["planned"]["method"]).check.reference
    (tmp_path / "run.json").write_text(json.dumps(fake_benchmark_json(points)))
    text = build_report(tmp_path / "run.json", tmp_path / "out").read_text()
    words = get("backprop").check.reference
    assert f"backprop's own check, as in the points' `reference` column: {words})" in text
    assert "central differences along random directions" not in text
