import json

import numpy as np
import pandas as pd
import pytest
from conftest import fake_benchmark_json, fake_point

from nngrad.results.compare import MIN_EFFECT, TOO_FEW, bootstrap_medians, compare, ratio_table
from nngrad.results.load import load_run


def run_file(tmp_path, name, factors, rounds=None):
    """A run of backprop at depths 1, 2, 4 (width 64), median 1 ms x factor; ``rounds``: the raw per-call times of
    each point (default: 5 rounds equal to its median), stored as pytest-benchmark's stats["data"]."""
    points = [fake_point("backprop", d, 64, seconds=1e-3 * f) for d, f in zip((1, 2, 4), factors)]
    for p, data in zip(points, rounds or [None] * len(points)):
        if data is not None:
            s = p["stats"]
            q1, q3 = np.percentile(data, [25, 75])
            s.update(data=[float(t) for t in data], median=float(np.median(data)), q1=float(q1), q3=float(q3),
                     iqr=float(q3 - q1), min=float(np.min(data)), rounds=len(data))
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(fake_benchmark_json(points)))
    return path


def table_of(tmp_path, rounds_a, rounds_b):
    """ratio_table of two runs whose one point (depth 1) has the given raw rounds."""
    a = load_run(run_file(tmp_path, "a", (1,), [rounds_a])).points
    b = load_run(run_file(tmp_path, "b", (1,), [rounds_b])).points
    return ratio_table(a, b)


def test_the_loaded_points_carry_the_raw_rounds_per_call(tmp_path):
    rounds = [1e-3, 2e-3, 3e-3, 4e-3]
    points = load_run(run_file(tmp_path, "a", (1,), [rounds])).points
    assert points["round_times_s"].iloc[0] == tuple(rounds) and points["median_s"].iloc[0] == np.median(rounds)


def test_steady_ratios_are_flagged_only_beyond_the_minimum_effect(tmp_path):
    a = load_run(run_file(tmp_path, "a", (1, 1, 1))).points
    b = load_run(run_file(tmp_path, "b", (2.0, 1.02, 1 / 3))).points
    table = ratio_table(a, b)
    assert list(table["ratio_b_over_a"].round(3)) == [2.0, 1.02, 0.333]
    assert list(table["verdict"]) == ["slower", "same", "faster"]  # 1.02 is certain but under MIN_EFFECT
    assert MIN_EFFECT == 0.05 and "noise" not in table


def test_runs_drawn_from_one_distribution_are_the_same_and_their_interval_holds_1(tmp_path):
    rng = np.random.default_rng(1)
    row = table_of(tmp_path, 1e-3 * rng.lognormal(0, 0.1, 30), 1e-3 * rng.lognormal(0, 0.1, 30)).iloc[0]
    assert row["verdict"] == "same" and row["ratio_ci_low"] < 1 < row["ratio_ci_high"]


def test_rounds_1_5_times_longer_are_slower_with_an_interval_around_1_5(tmp_path):
    rng = np.random.default_rng(2)
    a = 1e-3 * rng.lognormal(0, 0.02, 20)
    row = table_of(tmp_path, a, 1.5 * a * rng.lognormal(0, 0.02, 20)).iloc[0]
    assert row["verdict"] == "slower" and 1 < row["ratio_ci_low"] < 1.5 < row["ratio_ci_high"]


def test_a_large_ratio_within_overlapping_noisy_rounds_is_the_same(tmp_path):
    a = 1e-3 * np.array([0.3, 0.5, 0.8, 1.0, 1.5, 2.2, 3.0])  # median 1.0
    b = 1e-3 * np.array([0.4, 0.6, 0.9, 1.3, 1.8, 2.6, 3.2])  # median 1.3, rounds interleaved with A's
    row = table_of(tmp_path, a, b).iloc[0]
    assert row["ratio_b_over_a"] == pytest.approx(1.3)
    assert row["verdict"] == "same" and row["ratio_ci_low"] < 1 < row["ratio_ci_high"]


def test_the_interval_is_reproducible(tmp_path):
    rng = np.random.default_rng(3)
    rounds_a, rounds_b = 1e-3 * rng.lognormal(0, 0.3, 12), 1e-3 * rng.lognormal(0.1, 0.3, 12)
    first, second = table_of(tmp_path, rounds_a, rounds_b), table_of(tmp_path, rounds_a, rounds_b)
    pd.testing.assert_frame_equal(first, second)
    assert first["ratio_ci_low"].iloc[0] < first["ratio_ci_high"].iloc[0]


def test_fewer_than_3_rounds_are_not_tested(tmp_path):
    row = table_of(tmp_path, [1e-3, 1e-3], [2e-3, 2e-3]).iloc[0]
    assert row["verdict"] == TOO_FEW and np.isnan(row["ratio_ci_low"]) and row["ratio_b_over_a"] == 2


def test_the_bootstrap_medians_are_numpys_median_of_the_resamples():
    rng = np.random.default_rng(4)
    rounds = pd.Series([tuple(rng.random(n)) for n in (3, 4, 7, 7, 50)])
    fast = bootstrap_medians(rounds, side=0)
    for i, n in enumerate((3, 4, 7, 7, 50)):
        idx = np.random.default_rng([0, 0, n]).integers(0, n, (fast.shape[1], n))
        sorted_rounds = np.sort(rounds[i])  # the indices are drawn over each point's sorted rounds
        assert np.allclose(fast[i], np.median(sorted_rounds[idx], axis=1), rtol=0, atol=1e-15)


def test_200_points_share_one_bootstrap_draw_per_side_and_number_of_rounds(monkeypatch):
    """The bootstrap is vectorised: one draw of indices per (side, number of rounds), not one per point. Counted,
    not timed (this test once asserted 0.5 s of wall time, and failed on a busy machine)."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame([{"method": "backprop", "depth": d, "width": w, "batch": 16, "n_params": d * w,
                           "status": "ok", "median_s": 1.0, "iqr_s": 0.1,
                           "round_times_s": tuple(rng.lognormal(0, 0.1, 3 + (d * w) % 48))}
                          for d in range(20) for w in range(10)])
    real, seeds = np.random.default_rng, []
    monkeypatch.setattr(np.random, "default_rng", lambda seed=None: seeds.append(seed) or real(seed))
    table = ratio_table(frame, frame)
    counts = {len(r) for r in frame["round_times_s"]}
    assert len(table) == 200 and table["ratio_ci_low"].notna().all()
    assert len(seeds) == 2 * len(counts) < 200


def test_compare_writes_table_plot_and_markdown(tmp_path):
    table, md = compare(run_file(tmp_path, "a", (1, 1, 1)), run_file(tmp_path, "b", (2, 1, 1)), tmp_path / "out")
    assert len(table) == 3
    names = {"compare.csv", "compare.png", "compare_gap.png", "compare.md"}
    assert {p.name for p in (tmp_path / "out").iterdir()} == names
    for png in ("compare.png", "compare_gap.png"):
        assert (tmp_path / "out" / png).read_bytes().startswith(b"\x89PNG")
    assert "1 slower, 0 faster" in md.read_text()


def test_runs_without_common_points_are_an_error(tmp_path):
    other = tmp_path / "c.json"
    other.write_text(json.dumps(fake_benchmark_json([fake_point("forward", 8, 8)])))
    with pytest.raises(ValueError, match="no measured point in common"):
        compare(run_file(tmp_path, "a", (1, 1, 1)), other, tmp_path / "out")


def test_points_measured_in_only_one_run_are_listed(tmp_path):
    a = run_file(tmp_path, "a", (1, 1, 1))
    b = tmp_path / "b.json"
    b.write_text(json.dumps(fake_benchmark_json([fake_point("backprop", 1, 64, seconds=1e-3),
                                                 fake_point("backprop", 8, 64, seconds=5e-3)])))
    table, md = compare(a, b, tmp_path / "out")
    only = table[table["verdict"].str.startswith("only")].sort_values("depth")
    assert list(only["verdict"]) == ["only in A", "only in A", "only in B"] and list(only["depth"]) == [2, 4, 8]
    assert "## Not compared: measured in one run only" in md.read_text() and "only in B" in (tmp_path / "out" / "compare.csv").read_text()


def test_a_run_compared_with_itself_says_so(tmp_path, capsys):
    from nngrad.cli import main

    a = run_file(tmp_path, "a", (1, 1, 1))
    assert main(["compare", str(a), str(a), "--out", str(tmp_path / "out")]) == 0
    assert "A and B are the same run" in capsys.readouterr().err
    assert "**A and B are the same run**" in (tmp_path / "out" / "compare.md").read_text()


def test_a_method_whose_points_all_moved_is_flagged_and_scattered_points_are_not():
    from nngrad.results.compare import method_table

    rng = np.random.default_rng(3)
    scattered = np.exp(rng.normal(0, 0.3, 40))  # single points beyond +-10% both ways, centred on 1
    moved = 1.5 * np.exp(rng.normal(0, 0.05, 20))
    table = pd.DataFrame({"method": ["a"] * 40 + ["b"] * 20, "ratio_b_over_a": np.concatenate([scattered, moved])})
    verdicts = method_table(table).set_index("method")
    assert verdicts.loc["a", "verdict"] == "same" and verdicts.loc["a", "ci_low"] < 1 < verdicts.loc["a", "ci_high"]
    assert verdicts.loc["b", "verdict"] == "slower" and verdicts.loc["b", "ci_low"] > 1.3
    assert method_table(table).equals(method_table(table))  # seeded: reproducible


def with_config(path, **config):
    """The run file at ``path`` with its sweep configuration changed by ``config``."""
    data = json.loads(path.read_text())
    data["nngrad"]["config"].update(config)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("config,words", [
    ({"activation": "relu", "loss": "softmax_ce"}, ("activation sigmoid \\(A\\) against relu \\(B\\); loss mse \\(A\\) "
                                                   "against softmax_ce \\(B\\)")),
    ({"dtype": "float32"}, "dtype float64 \\(A\\) against float32 \\(B\\)"),
])
def test_runs_of_different_experiments_are_refused_naming_what_differs(tmp_path, config, words):
    a, b = run_file(tmp_path, "a", (1, 1, 1)), with_config(run_file(tmp_path, "b", (2, 1, 1)), **config)
    with pytest.raises(ValueError, match="A and B are different experiments: " + words):
        compare(a, b, tmp_path / "out")


def test_compare_of_different_experiments_is_one_line_and_exit_2(tmp_path, capsys):
    from nngrad.cli import main

    a, b = run_file(tmp_path, "a", (1, 1, 1)), with_config(run_file(tmp_path, "b", (1, 1, 1)), activation="relu")
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "different experiments: activation sigmoid (A) against relu (B)" in err


def test_the_header_says_which_experiment_both_runs_are(tmp_path):
    a, b = (with_config(run_file(tmp_path, n, (1, 1, 1)), activation="relu", loss="softmax_ce") for n in "ab")
    _, md = compare(a, b, tmp_path / "out")
    assert "Both: activation relu, loss softmax_ce, dtype float64" in md.read_text()


def test_a_method_whose_interval_is_very_wide_is_inconclusive_not_the_same():
    from nngrad.results.compare import INCONCLUSIVE, method_table

    wild = [0.9, 1.03, 1.2, 102.0, 300.0, 451.0]  # median about 52x; the interval reaches from about 1 to 451
    table = pd.DataFrame({"method": ["torch"] * len(wild), "ratio_b_over_a": wild})
    row = method_table(table).iloc[0]
    assert row["ci_low"] < 1 + MIN_EFFECT and row["ci_high"] > 100 and row["verdict"] == INCONCLUSIVE
