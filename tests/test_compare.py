import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import fake_benchmark_json, fake_point

from nngrad.results.compare import MIN_EFFECT, TOO_FEW, bootstrap_medians, compare, method_table, ratio_table
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
    assert "## Not compared: measured in one run only" in md.read_text()
    assert "only in B" in (tmp_path / "out" / "compare.csv").read_text()


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


# -- each run's state carried into the verdicts (issue 26) -----------------------------------------------------------

TIMES = {"forward": 1e-3, "backprop": 2e-3, "numerical-loop": 1e-2}  # a run's medians by method, at every depth


def state_run(tmp_path, name, seconds=None, status=None, machine=None, constants=None):
    """A run of forward, backprop and numerical-loop at depths 1, 2, 4 (width 64), medians TIMES (5 equal rounds
    each): ``seconds`` {(method, depth): s} and ``status`` {(method, depth): "not run" | "skipped" | "failed"}
    override points; ``machine`` is merged into the run's machine and ``constants`` are its start constants."""
    seconds, status = seconds or {}, status or {}
    stored = {k: "ok" if s == "not run" else s for k, s in status.items()}  # "not run": recorded, then dropped
    points = [fake_point(m, d, 64, seconds=seconds.get((m, d), t), status=stored.get((m, d), "ok"))
              for m, t in TIMES.items() for d in (1, 2, 4)]
    data = fake_benchmark_json(points)
    lost = {(m, d) for (m, d), s in status.items() if s == "not run"}  # interrupted: planned, no record, no time
    data["benchmarks"] = [b for b in data["benchmarks"] if (b["params"]["method"], b["params"]["depth"]) not in lost]
    meta = data["nngrad"]
    meta["records"] = [r for r in meta["records"] if (r["point"]["method"], r["point"]["depth"]) not in lost]
    meta["machine"].update(machine or {})
    meta["machine_constants"] = constants or {}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def compared(tmp_path, a, b, capsys=None):
    """compare A and B through the command line: (compare.csv as a frame, compare.md's text, stdout's lines)."""
    from nngrad.cli import main

    out = tmp_path / "out"
    assert main(["compare", str(a), str(b), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines() if capsys else []
    return pd.read_csv(out / "compare.csv", keep_default_na=False), (out / "compare.md").read_text(), lines


def row(table, method, depth):
    return table[(table["method"] == method) & (table["depth"] == depth)].iloc[0]


def header(md):
    """The lines of compare.md between its title and the runs' labels: the runs' state."""
    return md.split("\n\nA: ")[0].splitlines()[2:]


def test_a_pair_with_a_flagged_point_is_inconclusive_and_takes_no_part_in_its_methods_verdict(tmp_path, capsys):
    """B's backprop at depth 1 took 0.25 ms, a quarter of its forward pass (impossible: flagged); at depths 2 and 4
    it is 2x slower. Counted in, the flagged ratio 0.125 would widen backprop's interval to inconclusive."""
    a = state_run(tmp_path, "a")
    b = state_run(tmp_path, "b", seconds={("backprop", 1): 0.25e-3, ("backprop", 2): 4e-3, ("backprop", 4): 4e-3})
    table, md, out = compared(tmp_path, a, b, capsys)
    flagged = row(table, "backprop", 1)
    assert flagged["verdict"] == "inconclusive (flagged in B: impossible: 0.25 loss evaluations (< 1))"
    assert flagged["interval"] == "faster" and flagged["left_out"] == "flagged in B"
    method = method_table(table).set_index("method").loc["backprop"]
    assert method["verdict"] == "slower" and method["judged"] == 2 and method["left out"] == "1 flagged in B"
    assert header(md) == ["**Run B has 1 flagged point (1 impossible): left out of every verdict, each named in its "
                          "row.**  "]
    assert out[0] == "Run B has 1 flagged point (1 impossible): left out of every verdict, each named in its row."
    assert "9 points measured in both (1 left out: a point of the pair flagged)" in md


def test_a_method_whose_every_pair_is_flagged_is_not_judged(tmp_path):
    a = state_run(tmp_path, "a", seconds={("backprop", d): 0.5e-3 for d in (1, 2, 4)})
    table, md, _ = compared(tmp_path, a, state_run(tmp_path, "b"))
    method = method_table(table).set_index("method").loc["backprop"]
    assert method["judged"] == 0 and method["verdict"] == "not judged (3 flagged in A)"
    assert "Run A has 3 flagged points (3 impossible)" in md
    assert set(table.loc[table["method"] == "backprop", "verdict"]) == {
        "inconclusive (flagged in A: impossible: 0.5 loss evaluations (< 1))"}


@pytest.mark.parametrize("machine, constants, why", [
    ({"others_load": 0.6}, None, "other processes used 60% of the CPUs before it"),
    ({"after": {"constants": {"gemm_flop_s": 3.1e9}}}, {"gemm_flop_s": 1.02e10}, "GEMM rate 10.2 -> 3.1 GFLOP/s"),
])
def test_a_busy_run_makes_every_timed_verdict_inconclusive_and_the_header_says_so_first(tmp_path, capsys, machine,
                                                                                         constants, why):
    a = state_run(tmp_path, "a")
    b = state_run(tmp_path, "b", seconds={("backprop", d): 2 * 2e-3 for d in (1, 2, 4)}, machine=machine,
                  constants=constants)
    table, md, out = compared(tmp_path, a, b, capsys)
    state = f"Run B was busy ({why}): its verdicts are inconclusive."
    assert header(md) == [f"**{state}**  "] and out[0] == state
    assert set(table["verdict"]) == {f"inconclusive (run B was busy: {why})"}
    assert set(table.loc[table["method"] == "backprop", "interval"]) == {"slower"}  # what the interval alone says
    methods = method_table(table, busy=f"run B was busy: {why}").set_index("method")
    assert set(methods["verdict"]) == {f"inconclusive (run B was busy: {why})"}
    assert "| backprop       |        3 |" in md and "inconclusive (run B was busy) |" in md  # short in the tables
    assert "slower" not in " ".join(out[2:])  # the terminal's verdicts: no "72x slower"


def test_a_point_an_interrupted_run_did_not_time_is_not_compared_and_not_only_in_a(tmp_path, capsys):
    a = state_run(tmp_path, "a")
    b = state_run(tmp_path, "b", status={("numerical-loop", 2): "not run", ("numerical-loop", 4): "not run"})
    table, md, out = compared(tmp_path, a, b, capsys)
    assert not (table["verdict"] == "only in A").any()
    for depth in (2, 4):
        assert row(table, "numerical-loop", depth)["verdict"] == ("not compared (run B did not time this point: the "
                                                                   "run was interrupted)")
    assert out[0].startswith("Run B is unfinished: 7 of 9 points finished (7 measured)")
    assert header(md)[0].startswith("**Run B is unfinished: 7 of 9 points finished")
    method = method_table(table).set_index("method").loc["numerical-loop"]
    assert method["judged"] == 1 and method["left out"] == "2 not timed by B (interrupted)"
    assert "2 points measured in one run only, not compared: 2 not timed by B (interrupted)." in md


def test_a_point_the_plan_left_out_or_that_failed_is_not_compared_with_the_reason(tmp_path):
    a = state_run(tmp_path, "a")
    b = state_run(tmp_path, "b", status={("numerical-loop", 4): "skipped", ("numerical-loop", 2): "failed"})
    table, md, _ = compared(tmp_path, a, b)
    assert row(table, "numerical-loop", 4)["verdict"] == "not compared (run B's plan left it out: predicted too slow)"
    assert row(table, "numerical-loop", 2)["verdict"].startswith("not compared (run B's point failed: ")
    assert "Runs A and B are finished, were not busy and flagged no point" in header(md)[0]


def test_a_method_none_of_whose_points_the_other_run_timed_is_not_judged(tmp_path):
    b = state_run(tmp_path, "b", status={("numerical-loop", d): "not run" for d in (1, 2, 4)})
    table, _, _ = compared(tmp_path, state_run(tmp_path, "a"), b)
    assert method_table(table).set_index("method").loc["numerical-loop", "verdict"] == (
        "not judged (3 not timed by B (interrupted))")


def test_a_busy_flagged_run_compared_with_itself_stays_the_same_but_for_its_flagged_points(tmp_path, capsys):
    a = state_run(tmp_path, "a", seconds={("backprop", 1): 0.5e-3}, machine={"others_load": 0.6})
    table, md, out = compared(tmp_path, a, a, capsys)
    assert set(table.loc[table["left_out"] == "", "verdict"]) == {"same"} and (table["ratio_b_over_a"] == 1).all()
    assert row(table, "backprop", 1)["verdict"] == ("inconclusive (flagged in A and B: impossible: 0.5 loss "
                                                     "evaluations (< 1))")
    assert out[0].startswith("Run A (= B) was busy (other processes used 60% of the CPUs before it): its times are not "
                             "reproducible")
    assert "Run A (= B) has 1 flagged point" in md


def test_the_tables_of_compare_md_fit_160_characters_and_every_point_is_in_the_csv(tmp_path, monkeypatch):
    """results/reference against itself: 347 points (its tables must be summed up), then flags of 200 characters."""
    from nngrad.results import sanity

    reference = Path(__file__).resolve().parent.parent / "results" / "reference"
    table, md = compare(reference, reference, tmp_path / "self")
    widths = [len(line) for line in md.read_text().splitlines() if line.startswith("|")]
    assert len(table) == 347 and max(widths) <= 160 and len(widths) < 60
    long = "busy: " + "other processes used 140% of one CPU while it was timed, " * 4
    monkeypatch.setattr(sanity, "flags", lambda points: pd.Series(long, index=points.index))
    a = state_run(tmp_path, "a")
    table, md = compare(a, state_run(tmp_path, "b"), tmp_path / "long")
    assert max(len(line) for line in md.read_text().splitlines() if line.startswith("|")) <= 160
    assert long in set(pd.read_csv(tmp_path / "long" / "compare.csv")["flag_b"])  # whole in the CSV


def test_plurals_in_the_runs_state_and_the_count():
    from nngrad.results.compare import RunState, plural, state_lines

    assert (plural(1, "point"), plural(2, "point"), plural(1_000, "point")) == ("1 point", "2 points", "1,000 points")
    one, two = (RunState("B", (), None, ("impossible: x",) * n) for n in (1, 2))
    assert "Run B has 1 flagged point (1 impossible)" in state_lines([one])[0]
    assert "Run B has 2 flagged points (2 impossible)" in state_lines([two])[0]
