"""compare's rules with the numbers they state (nngrad/results/compare.py), never read back from the module: a
point's interval is the 95% percentile interval (2.5th to 97.5th) of median(B*) / median(A*) over 2000 bootstrap
resamples drawn with numpy's default_rng([0, side, n]); a method's, over its points' ratios with
default_rng(0); a verdict carries each run's state (a busy run takes every timed verdict, a flagged point takes
its pair out of its method's verdict); a NaN interval is never "same"."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from nngrad.results import compare

NAN = float("nan")


def _point(rounds, method: str = "m", depth: int = 1, flag: str = "", status: str = "ok",
           message: str | None = None) -> dict:
    return {"method": method, "depth": depth, "width": 8, "batch": 16, "device": "cpu", "n_params": 100,
            "median_s": float(np.median(rounds)) if rounds else NAN, "iqr_s": 0.0, "round_times_s": rounds,
            "flag": flag, "status": status, "message": message}


def _frame(*points: dict) -> pd.DataFrame:
    return pd.DataFrame(list(points))


def _medians(rounds: list[float], side: int, resamples: int = 2000) -> np.ndarray:
    """The rule, written out: medians of 2000 resamples of the sorted rounds, indices from default_rng([0, side, n])."""
    n = len(rounds)
    idx = np.random.default_rng([0, side, n]).integers(0, n, (resamples, n))
    return np.median(np.sort(rounds)[np.sort(idx, axis=1)], axis=1)


ROUNDS_A = [1.0, 1.1, 0.9, 1.3, 1.05, 0.95]  # six rounds: an even count, the median the mean of the middle two
ROUNDS_B = [1.2, 1.4, 1.1, 1.25, 1.6, 1.15, 1.3]


def test_a_points_interval_is_the_95_percent_interval_of_2000_resampled_median_ratios():
    low, high = compare.ratio_interval(pd.Series([ROUNDS_A]), pd.Series([ROUNDS_B]))
    ratios = _medians(ROUNDS_B, 1) / _medians(ROUNDS_A, 0)
    assert (low[0], high[0]) == pytest.approx(tuple(np.percentile(ratios, [2.5, 97.5])), rel=1e-12)
    assert compare.bootstrap_medians(pd.Series([ROUNDS_A, [1.0, 2.0]]), side=0).shape == (2, 2000)


@pytest.mark.parametrize("n", [3, 4, 5, 6], ids=["3", "4", "5", "6"])
def test_each_resample_median_is_numpys_median_for_odd_and_even_counts(n):
    rounds = [1.0 + 0.37 * k * (-1) ** k for k in range(n)]
    out = compare.bootstrap_medians(pd.Series([rounds]), side=1)[0]
    assert out == pytest.approx(_medians(rounds, 1), rel=0, abs=1e-15)


def test_a_point_with_fewer_than_3_rounds_has_no_interval_and_3_have_one():
    out = compare.bootstrap_medians(pd.Series([[1.0, 2.0], [1.0, 2.0, 3.0], [], None]), side=0)
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all() and np.isnan(out[2:]).all()


def test_a_methods_interval_is_the_95_percent_interval_of_2000_resampled_medians_of_its_ratios():
    ratios = np.array([1.1, 1.3, 0.95, 1.2, 1.5, 1.05, 1.25])
    row = compare.method_table(pd.DataFrame({"method": "m", "ratio_b_over_a": ratios})).iloc[0]
    medians = np.median(ratios[np.random.default_rng(0).integers(0, 7, (2000, 7))], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-12)
    assert row["median ratio B/A"] == pytest.approx(1.2) and row["judged"] == 7


def test_a_methods_interval_is_cut_at_the_2_5th_and_97_5th_percentiles():
    """40 ratios: their resampled medians take 66 values, so the 1.5th, 2.5th, 3.5th (96.5th, 97.5th, 98.5th)
    percentiles differ: 1.173, 1.1815, 1.19 (1.329, 1.3375, 1.346)."""
    ratios = 1 + np.arange(40) * 0.013 + (np.arange(40) % 3) * 0.004
    row = compare.method_table(pd.DataFrame({"method": "m", "ratio_b_over_a": ratios})).iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((1.1815, 1.3375), rel=1e-9)


# -- what each run's state leaves of a verdict -----------------------------------------------------------------------

def _judged(flag_a: str = "", flag_b: str = "", busy: str | None = None, rounds_b=(2.0, 2.0, 2.0)):
    table = compare.ratio_table(_frame(_point([1.0] * 3, flag=flag_a)), _frame(_point(list(rounds_b), flag=flag_b)))
    return compare.judge(table, busy).iloc[0]


@pytest.mark.parametrize("flag_a, flag_b, verdict, left_out", [
    ("impossible: x", "impossible: x", "inconclusive (flagged in A and B: impossible: x)", "flagged in A and B"),
    ("impossible: x", "busy: y", "inconclusive (flagged in A: impossible: x; in B: busy: y)", "flagged in A and B"),
    ("impossible: x", "", "inconclusive (flagged in A: impossible: x)", "flagged in A"),
    ("", "busy: y", "inconclusive (flagged in B: busy: y)", "flagged in B"),
], ids=["same-flag-in-both", "two-flags", "a-only", "b-only"])
def test_a_flagged_pair_names_each_sides_flag_and_is_left_out(flag_a, flag_b, verdict, left_out):
    out = _judged(flag_a, flag_b)
    assert (out["verdict"], out["left_out"], out["interval"]) == (verdict, left_out, "slower")


@pytest.mark.parametrize("rounds_b, interval", [((2.0,) * 3, "slower"), ((0.5,) * 3, "faster"), ((1.0,) * 3, "same")],
                         ids=["slower", "faster", "same"])
def test_a_busy_run_makes_every_timed_verdict_inconclusive_and_keeps_what_the_interval_said(rounds_b, interval):
    out = _judged(busy="run B was busy: load", rounds_b=rounds_b)
    assert (out["verdict"], out["interval"], out["left_out"]) == ("inconclusive (run B was busy: load)", interval, "")
    quiet = _judged(rounds_b=rounds_b)
    assert (quiet["verdict"], quiet["interval"]) == (interval, interval)


def test_a_busy_run_leaves_a_nan_interval_plainly_inconclusive():
    out = _judged(busy="run B was busy", rounds_b=(NAN, 2.0, 2.0))
    assert (out["verdict"], out["interval"]) == ("inconclusive", "inconclusive")


@pytest.mark.parametrize("rounds_a, rounds_b", [([1.0, NAN, 1.0], [1.0] * 3), ([1.0] * 3, [1.0, 1.0, NAN]),
                                                ([NAN] * 3, [NAN] * 3)], ids=["nan-in-a", "nan-in-b", "nan-in-both"])
def test_an_interval_with_a_nan_never_reads_same(rounds_a, rounds_b):
    out = compare.ratio_table(_frame(_point(rounds_a)), _frame(_point(rounds_b))).iloc[0]
    assert out["verdict"] == "inconclusive"


def test_busy_words_name_each_busy_run_and_its_first_reason():
    quiet, a, b = (compare.RunState("A", (), None, ()), compare.RunState("A", ("r1", "r2"), None, ()),
                   compare.RunState("B", ("s1",), None, ()))
    assert compare.busy_words([quiet, compare.RunState("B", (), None, ())]) is None
    assert compare.busy_words([quiet, b]) == "run B was busy: s1"
    assert compare.busy_words([a, b]) == "runs A and B were busy: r1 (A); s1 (B)"
    assert compare.busy_words([a, b], short=True) == "runs A and B were busy"
    assert compare.busy_words([a, quiet], short=True) == "run A was busy"


# -- per method ----------------------------------------------------------------------------------------------------

def _rows(*rows: tuple) -> pd.DataFrame:
    """(method, ratio, left_out) rows as judge and not_compared make them."""
    return pd.DataFrame(rows, columns=["method", "ratio_b_over_a", "left_out"])


def test_a_methods_verdict_rests_only_on_its_unflagged_pairs_and_counts_the_rest_by_reason():
    table = _rows(("m", 2.0, ""), ("m", 2.1, ""), ("m", 2.2, ""), ("m", 0.1, "flagged in B"),
                  ("m", 0.1, "flagged in B"), ("m", NAN, "not timed by B (interrupted)"), ("m", NAN, "only in A"))
    row = compare.method_table(table).iloc[0]
    assert (row["judged"], row["left out"], row["verdict"]) == (3, "2 flagged in B; 1 not timed by B (interrupted)",
                                                                "slower")
    assert row["median ratio B/A"] == pytest.approx(2.1)


def test_a_method_with_every_point_left_out_is_not_judged_and_one_measured_in_one_run_only_has_no_row():
    table = _rows(("m", 2.0, "flagged in A"), ("m", 2.0, "flagged in A and B"), ("solo", NAN, "only in B"))
    rows = compare.method_table(table)
    assert list(rows["method"]) == ["m"]
    row = rows.iloc[0]
    assert row["judged"] == 0 and row["verdict"] == "not judged (1 flagged in A; 1 flagged in A and B)"
    assert np.isnan(row["median ratio B/A"]) and np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])


@pytest.mark.parametrize("ratios, verdict", [([2.0, 2.1, 2.2], "slower"), ([0.5, 0.4, 0.45], "faster"),
                                             ([1.0, 1.01, 0.99], "same")], ids=["slower", "faster", "same"])
def test_a_busy_run_makes_every_methods_timed_verdict_inconclusive(ratios, verdict):
    table = _rows(*[("m", r, "") for r in ratios])
    assert compare.method_table(table).iloc[0]["verdict"] == verdict
    assert compare.method_table(table, "run A was busy: x").iloc[0]["verdict"] == "inconclusive (run A was busy: x)"


def test_a_method_table_without_left_out_judges_every_row():
    row = compare.method_table(pd.DataFrame({"method": ["m"] * 3, "ratio_b_over_a": [2.0, 2.1, 2.2]})).iloc[0]
    assert (row["judged"], row["left out"], row["verdict"]) == (3, "", "slower")


# -- points measured in one run only -------------------------------------------------------------------------------

@pytest.mark.parametrize("status, message, verdict, left_out", [
    ("not run", None, "not compared (run B did not time this point: the run was interrupted)",
     "not timed by B (interrupted)"),
    ("skipped", "predicted 12 s", "not compared (run B's plan left it out: predicted 12 s)", "left out by B's plan"),
    ("failed", "gradient disagrees", "not compared (run B's point failed: gradient disagrees)", "failed in B"),
    ("failed", None, "not compared (run B's point failed: no reason recorded)", "failed in B"),
    ("failed", "", "not compared (run B's point failed: no reason recorded)", "failed in B"),
    (None, None, "only in A", "only in A"),
], ids=["interrupted", "left-out-by-the-plan", "failed", "failed-without-a-message", "failed-empty-message",
        "never-planned"])
def test_a_point_measured_in_a_only_says_why_b_has_no_time(status, message, verdict, left_out):
    a = _frame(_point([1.0] * 3), _point([1.0] * 3, depth=2))
    b = _frame(_point([1.0] * 3), *([_point([], depth=2, status=status, message=message)] if status else []))
    out = compare.not_compared(a, b)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["depth"], row["verdict"], row["left_out"], row["median_s_a"]) == (2, verdict, left_out, 1.0)


def test_a_point_measured_in_b_only_is_named_from_bs_side():
    a = _frame(_point([1.0] * 3), _point([], depth=2, status="failed", message="boom"))
    b = _frame(_point([1.0] * 3), _point([3.0] * 3, depth=2), _point([3.0] * 3, depth=3))
    out = compare.not_compared(a, b).set_index("depth")
    assert out.loc[2, "verdict"] == "not compared (run A's point failed: boom)" and out.loc[2, "median_s_b"] == 3.0
    assert out.loc[3, "verdict"] == "only in B" and len(out) == 2


def test_a_point_measured_in_both_is_never_among_the_points_not_compared():
    a, b = _frame(_point([1.0] * 3)), _frame(_point([2.0] * 3))
    assert compare.not_compared(a, b).empty and len(compare.ratio_table(a, b)) == 1


def test_only_points_measured_ok_in_both_are_paired():
    a = _frame(_point([1.0] * 3), _point([1.0] * 3, depth=2, status="failed"))
    b = _frame(_point([2.0] * 3), _point([2.0] * 3, depth=2))
    assert list(compare.ratio_table(a, b)["depth"]) == [1]
    assert list(compare.ratio_table(b, a)["depth"]) == [1]


# -- the count and the runs' state ---------------------------------------------------------------------------------

def _summary(flags_b: list[str], others: int = 0, rounds=(2.0,) * 3) -> str:
    a = _frame(*[_point([1.0] * 3, depth=d) for d in range(1, 4)])
    b = _frame(*[_point(list(rounds), depth=d + 1, flag=f) for d, f in enumerate(flags_b)])
    table = compare.judge(compare.ratio_table(a, b))
    other = pd.DataFrame({"left_out": ["only in A"] * others})
    return compare.summary(table, other)


@pytest.mark.parametrize("flags, text", [
    (["", "", ""], "3 points measured in both; median ratio B/A = 2 over the 3 judged; 3 slower, 0 faster, 0 same, "
                   "0 inconclusive."),
    (["x: 1", "", ""], "3 points measured in both (1 left out: a point of the pair flagged); median ratio B/A = 2 "
                       "over the 2 judged; 2 slower, 0 faster, 0 same, 0 inconclusive."),
    (["x: 1", "x: 2", ""], "3 points measured in both (2 left out: a point of each pair flagged); median ratio B/A "
                           "= 2 over the 1 judged; 1 slower, 0 faster, 0 same, 0 inconclusive."),
    (["x: 1", "x: 2", "x: 3"], "3 points measured in both (3 left out: a point of each pair flagged); none judged; "
                               "0 slower, 0 faster, 0 same, 0 inconclusive."),
], ids=["none-flagged", "one-flagged", "two-flagged", "all-flagged"])
def test_the_count_says_how_many_pairs_were_left_out_and_judges_only_the_rest(flags, text):
    assert _summary(flags) == text


def test_the_count_says_points_not_tested_and_points_measured_in_one_run_only():
    text = _summary(["", "", ""], others=2, rounds=(2.0, 2.0))
    assert text.endswith("0 slower, 0 faster, 0 same, 0 inconclusive. 3 points not tested (fewer than 3 raw rounds "
                         "in A or B). 2 points measured in one run only, not compared: 2 only in A.")


def test_state_lines_lead_with_the_busy_run_then_the_unfinished_then_the_flags():
    states = [compare.RunState("A", (), "1 of 2 points finished", ("impossible: a", "impossible: b", "busy: c")),
              compare.RunState("B", ("load 40%",), None, ())]
    assert compare.state_lines(states) == [
        "Run B was busy (load 40%): its verdicts are inconclusive.",
        "Run A is unfinished: 1 of 2 points finished; the points it did not time are not compared.",
        "Run A has 3 flagged points (2 impossible, 1 busy): left out of every verdict, each named in its row."]
    quiet = [compare.RunState("A", (), None, ()), compare.RunState("B", (), None, ())]
    assert compare.state_lines(quiet) == ["Runs A and B are finished, were not busy and flagged no point: every "
                                          "verdict below rests on both."]
    same = [compare.RunState("A (= B)", ("load",), None, ())]
    assert compare.state_lines(same, same=True)[0].endswith("its times are not reproducible (a run compared with "
                                                            "itself has every ratio 1 whatever the load).")
    assert compare.state_lines([quiet[0]], same=True) == ["Run A is finished, was not busy and flagged no point."]


def test_runs_of_one_experiment_compare_and_older_runs_read_as_the_defaults():
    assert compare.experiment({}) == {"activation": "sigmoid", "loss": "mse", "dtype": "float64"}
    assert compare.experiment(None) == compare.experiment({"activation": None, "loss": "", "dtype": "float64"})
    compare.same_experiment({}, {"activation": "sigmoid"})  # no error
    with pytest.raises(compare.InvalidValue, match="dtype float64 \\(A\\) against float32 \\(B\\)"):
        compare.same_experiment({}, {"dtype": "float32"})


def test_a_busy_run_leaves_an_inconclusive_or_not_judged_methods_verdict_as_it_was():
    wide = _rows(*[("m", r, "") for r in (0.9, 1.03, 1.2, 102.0, 300.0, 451.0)])
    assert compare.method_table(wide, "run A was busy: x").iloc[0]["verdict"] == "inconclusive"
    none = _rows(("m", 2.0, "flagged in A"))
    assert compare.method_table(none, "run A was busy: x").iloc[0]["verdict"] == "not judged (1 flagged in A)"


# -- compare.md's tables -------------------------------------------------------------------------------------------

def _digest_rows(n: int, why: str = "", verdict: str = "slower") -> pd.DataFrame:
    return pd.DataFrame({"method": "m", "device": "cpu", "depth": np.arange(1, n + 1), "width": 8, "batch": 16,
                         "ratio_b_over_a": 2.0, "ratio_ci_low": 1.9, "ratio_ci_high": 2.1, "verdict": verdict,
                         "interval": "slower", "left_out": why})


@pytest.mark.parametrize("n, summed", [(40, False), (41, True)], ids=["40-points-listed", "41-points-summed"])
def test_a_table_of_up_to_40_points_lists_each_and_a_longer_one_is_summed_by_method_and_reason(n, summed):
    text = compare.digest(_digest_rows(n))
    assert text.startswith(f"{n} points, by method and reason") is summed
    assert ("1.9 to 2.1" in text) is not summed


def test_a_summed_table_puts_the_points_measured_in_one_run_only_last():
    frame = pd.concat([_digest_rows(30, "only in A", "only in A"), _digest_rows(11, "flagged in B", "x")],
                      ignore_index=True)
    text = compare.digest(frame)
    assert text.index("flagged in B") < text.index("only in A") and text.startswith("41 points, by method")
    assert "| 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 " in text and "|       11 |" in text and "|       30 |" in text


def test_a_listed_table_says_what_the_interval_alone_said_only_when_asked_and_names_devices_only_when_two():
    frame = _digest_rows(2, verdict="inconclusive (run B was busy)")
    assert "interval says" not in compare.digest(frame) and "interval says" in compare.digest(frame, said=True)
    assert "cpu" not in compare.digest(frame)
    two = frame.assign(device=["cpu", "cuda"])
    assert "cuda" in compare.digest(two)
    assert compare.digest(frame.iloc[:0]) == "_none_"


# -- compare.md ------------------------------------------------------------------------------------------------------

def _comparison(n: int, busy: tuple = ()) -> compare.Comparison:
    """n points measured in both runs, B 2x slower, A busy for ``busy``'s reasons."""
    a = _frame(*[_point([1.0] * 3, depth=d) for d in range(1, n + 1)])
    b = _frame(*[_point([2.0] * 3, depth=d) for d in range(1, n + 1)])
    states = [compare.RunState("A", busy, None, ()), compare.RunState("B", (), None, ())]
    table = compare.judge(compare.ratio_table(a, b), compare.busy_words(states))
    others = compare.not_compared(a, b)
    run = lambda name: SimpleNamespace(name=name, label=f"run {name}", config={}, points=a)  # noqa: E731
    return compare.Comparison(run("a"), run("b"), states, table, others,
                              compare.method_table(table, compare.busy_words(states)), same=False, across=False)


def test_compare_md_states_the_same_rule_as_within_0_667_to_1_5_and_the_5_percent_effect():
    md = compare.markdown(_comparison(3))
    assert '"same" needs the whole interval within 0.667 to 1.5' in md
    assert "lies beyond ±5% (above 1.05: slower; below 1/1.05: faster)" in md and "(2,000 resamples)" in md
    assert ("Both: activation sigmoid, loss mse, dtype float64 (points are matched by method, depth, width and batch "
            "within one experiment).") in md


@pytest.mark.parametrize("n, listed", [(40, True), (41, False)], ids=["40-points-listed", "41-points-in-the-csv"])
def test_compare_md_lists_every_point_measured_in_both_up_to_40(n, listed):
    md = compare.markdown(_comparison(n))
    all_points = md.split("## All points")[1]
    assert all_points.strip().endswith("is in compare.csv.") is not listed
    assert (f"; the {n} points measured in both:" in all_points) is listed
    assert ("| slower" in all_points) is listed


def test_compare_md_under_a_busy_run_says_what_each_interval_alone_said():
    md = compare.markdown(_comparison(2, busy=("load 40%",)))
    assert "**Run A was busy (load 40%): its verdicts are inconclusive.**" in md
    inconclusive = md.split("## Inconclusive points")[1].split("##")[0]
    assert "interval says" in inconclusive and "inconclusive (run A was busy)" in inconclusive


def test_a_points_interval_is_cut_at_exactly_the_2_5th_and_97_5th_percentiles():
    """20 rounds a side (a local generator, seed 1): the resampled ratios are dense enough there that cutting at
    the 2.525th or 2.475th percentile instead moves the interval (checked below)."""
    g = np.random.default_rng(1)
    a, b = np.round(1 + g.random(20) * 0.3, 3).tolist(), np.round(1.2 + g.random(20) * 0.3, 3).tolist()
    low, high = compare.ratio_interval(pd.Series([a]), pd.Series([b]))
    ratios = _medians(b, 1) / _medians(a, 0)
    assert (low[0], high[0]) == pytest.approx(tuple(np.percentile(ratios, [2.5, 97.5])), rel=1e-12)
    for near in ([2.475, 97.525], [2.525, 97.475]):
        moved = np.percentile(ratios, near)
        assert abs(moved[0] - low[0]) > 1e-12 * low[0] and abs(moved[1] - high[0]) > 1e-12 * high[0]


def test_a_methods_interval_is_cut_at_exactly_the_2_5th_and_97_5th_percentiles():
    """40 ratios (a local generator, seed 162) whose resampled medians differ around both cuts."""
    ratios = np.round(1 + np.random.default_rng(162).random(40) * 0.5, 3)
    row = compare.method_table(pd.DataFrame({"method": "m", "ratio_b_over_a": ratios})).iloc[0]
    medians = np.median(ratios[np.random.default_rng(0).integers(0, 40, (2000, 40))], axis=1)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(np.percentile(medians, [2.5, 97.5])), rel=1e-12)
    for near in ([2.475, 97.525], [2.525, 97.475]):
        moved = np.percentile(medians, near)
        assert abs(moved[0] - row["ci_low"]) > 1e-12 and abs(moved[1] - row["ci_high"]) > 1e-12


# -- what each run says of itself -------------------------------------------------------------------------------

def _run(statuses: list[str], flags: list, machine: dict | None = None) -> SimpleNamespace:
    points = pd.DataFrame({"status": statuses, "flag": flags})
    return SimpleNamespace(points=points, machine=machine or {}, constants={})


def test_a_runs_state_carries_its_unfinished_count_with_the_resume_command_and_its_flags(tmp_path):
    run = _run(["ok", "not run", "ok"], ["impossible: x", None, ""], {"others_load": 0.4})
    state = compare.run_state(run, tmp_path, "B")
    assert state.side == "B" and state.flags == ("impossible: x",)
    assert state.unfinished == f"2 of 3 points finished (2 measured), 1 not run; resume with `nngrad bench --resume " \
                               f"{tmp_path}`"
    assert state.busy == ("other processes used 40% of the CPUs before it",)


def test_a_finished_quiet_run_without_flags_says_nothing_of_itself(tmp_path):
    state = compare.run_state(_run(["ok", "skipped"], ["", ""], {"others_load": 0.25}), tmp_path / "r.json", "A")
    assert (state.busy, state.unfinished, state.flags) == ((), None, ())


def test_the_methods_measured_in_one_run_only_are_named_by_run():
    others = pd.DataFrame({"method": ["torch", "jax", "torch", "m", "autograd"],
                           "left_out": ["only in A", "only in A", "only in A", "only in B", "only in B"]})
    c = SimpleNamespace(others=others, methods=pd.DataFrame({"method": ["m"]}))
    assert compare.one_run_only(c) == "torch, jax (A only); autograd (B only)"


def test_compare_md_puts_each_point_in_its_section_and_counts_every_row():
    c = _comparison(2)
    c.others = pd.DataFrame([{"method": "torch", "depth": 9, "width": 8, "batch": 16, "device": "cpu",
                              "n_params": 100, "median_s_a": 1.0, "verdict": "only in A", "left_out": "only in A"}])
    md = compare.markdown(c)
    changed = md.split("## Changed points")[1].split("##")[0]
    doubted = md.split("## Inconclusive points")[1].split("##")[0]
    assert changed.count("| slower") == 2 and "_none_" in doubted
    assert "Every point measured in either run (3 rows:" in md
    assert "Measured in one run only (no verdict possible): torch (A only)." in md
    assert "same run" not in md and "A ran on" not in md
    busy = compare.markdown(_comparison(2, busy=("load",)))
    assert "_none_" in busy.split("## Changed points")[1].split("##")[0]
    assert busy.split("## Inconclusive points")[1].split("##")[0].count("inconclusive (run A was busy)") == 2


def test_compare_md_says_when_a_and_b_are_the_same_run_or_ran_on_two_devices():
    c = _comparison(1)
    c.same, c.across, c.devices = True, False, ("cpu", "cpu")
    assert "**A and B are the same run**: every ratio is 1 by construction." in compare.markdown(c)
    c.same, c.across, c.devices = False, True, ("cpu", "cuda")
    assert "**A ran on cpu, B on cuda**: the points are matched" in compare.markdown(c)


def test_a_ratio_is_b_over_a():
    out = compare.ratio_table(_frame(_point([2.0] * 3)), _frame(_point([3.0] * 3))).iloc[0]
    assert out["ratio_b_over_a"] == 1.5 and (out["ratio_ci_low"], out["ratio_ci_high"]) == (1.5, 1.5)
    assert (out["rounds_a"], out["rounds_b"]) == (3, 3)


@pytest.mark.parametrize("kept", [None, (), NAN], ids=["none", "empty", "nan"])
def test_a_point_with_no_rounds_kept_counts_0_rounds_and_is_not_tested(kept):
    a = _frame({**_point([1.0] * 3), "round_times_s": kept})
    out = compare.ratio_table(a, _frame(_point([2.0] * 3))).iloc[0]
    assert (out["rounds_a"], out["rounds_b"], out["verdict"]) == (0, 3, "same (too few rounds)")


def test_a_run_folder_whose_name_holds_a_colon_is_named_whole_in_the_resume_command(tmp_path):
    folder = tmp_path / "run: 2"
    folder.mkdir()
    state = compare.run_state(_run(["not run", "ok"], ["", ""]), folder, "A")
    assert state.unfinished.endswith(f"resume with `nngrad bench --resume {folder}`")
    assert state.unfinished.startswith("1 of 2 points finished")


def test_compare_writes_beside_b_into_a_folder_named_for_a(tmp_path):
    c = SimpleNamespace(run_a=SimpleNamespace(name="run-a"))
    (tmp_path / "run-b").mkdir()
    assert compare.default_out("x", tmp_path / "run-b", c) == tmp_path / "run-b" / "compare-run-a"
    assert compare.default_out("x", tmp_path / "b.json", c) == tmp_path / "compare-run-a"


def _loaded(points: pd.DataFrame, devices: list[str], name: str) -> SimpleNamespace:
    return SimpleNamespace(points=points, devices=devices, config={}, machine={}, constants={}, name=name,
                           label=f"run {name}")


def test_a_comparison_names_each_runs_first_device_and_matches_across_devices_only_one_each(monkeypatch):
    a = _frame(_point([1.0] * 3), {**_point([1.0] * 3), "device": "cuda"})
    b = _frame(_point([2.0] * 3))
    runs = {"a": _loaded(a, ["cpu", "cuda"], "a"), "b": _loaded(b, ["cpu"], "b")}
    monkeypatch.setattr(compare, "load_run", lambda path: runs[str(path)])
    c = compare.comparison("a", "b")
    assert c.devices == ("cpu", "cpu") and not c.across and not c.same
    assert list(c.table["device"]) == ["cpu"] and list(c.others["device"]) == ["cuda"]
    c = compare.comparison("b", "a")
    assert c.devices == ("cpu", "cpu") and not c.across



def test_two_runs_on_the_same_two_devices_listed_in_another_order_compare_device_by_device(monkeypatch):
    # each run has several devices: not a comparison across devices, however their first devices differ
    points = _frame(_point([1.0] * 3), {**_point([1.0] * 3), "device": "cuda"})
    runs = {"a": _loaded(points, ["cpu", "cuda"], "a"), "b": _loaded(points.copy(), ["cuda", "cpu"], "b")}
    monkeypatch.setattr(compare, "load_run", lambda path: runs[str(path)])
    c = compare.comparison("a", "b")
    assert not c.across and sorted(c.table["device"]) == ["cpu", "cuda"]

# -- orders: methods as the runs list them, reasons as they come -----------------------------------------------------

def test_a_method_table_keeps_the_runs_order_of_methods_and_of_reasons():
    table = _rows(("torch", 2.0, ""), ("torch", NAN, "not timed by B (interrupted)"), ("torch", 0.1, "flagged in B"),
                  ("torch", 0.1, "flagged in B"), ("backprop", 2.0, ""), ("backprop", 2.0, ""))
    rows = compare.method_table(table)
    assert list(rows["method"]) == ["torch", "backprop"]
    assert rows.iloc[0]["left out"] == "1 not timed by B (interrupted); 2 flagged in B"


def test_the_count_lists_the_reasons_for_points_not_compared_as_they_come():
    table = compare.judge(compare.ratio_table(_frame(_point([1.0] * 3)), _frame(_point([2.0] * 3))))
    others = pd.DataFrame({"left_out": ["only in B", "failed in B", "failed in B"]})
    assert compare.summary(table, others).endswith("3 points measured in one run only, not compared: 1 only in B, "
                                                   "2 failed in B.")


def test_the_methods_measured_in_one_run_only_come_in_the_order_of_their_runs_rows():
    others = pd.DataFrame({"method": ["autograd", "torch"], "left_out": ["only in B", "only in A"]})
    c = SimpleNamespace(others=others, methods=pd.DataFrame({"method": []}))
    assert compare.one_run_only(c) == "autograd (B only); torch (A only)"


def test_a_summed_table_keeps_the_order_of_methods_and_reasons_as_they_come():
    frame = pd.concat([_digest_rows(20, "flagged in B", "x").assign(method="torch"),
                       _digest_rows(21, "", "slower").assign(method="backprop")], ignore_index=True)
    text = compare.digest(frame)
    assert text.startswith("41 points") and text.index("| torch") < text.index("| backprop")


def test_a_listed_table_of_points_measured_in_one_run_only_has_no_empty_ratio_column():
    a = _frame(_point([1.0] * 3), _point([1.0] * 3, depth=2))
    others = compare.not_compared(a, _frame(_point([1.0] * 3)))
    text = compare.digest(others)
    assert "B/A" not in text and "only in A" in text and "nan" not in text.lower()


@pytest.mark.parametrize("b, verdict", [(1 / 1.05, "same"), (1 / 1.0501, "faster"), (1.05, "same"),
                                        (1.0501, "slower")],
                         ids=["exactly-1/1.05-not-faster", "just-under-faster", "exactly-1.05-not-slower",
                              "just-over-slower"])
def test_a_points_ratio_exactly_at_the_5_percent_effect_is_no_change(b, verdict):
    assert 1 / (1 + 0.05) == 1 / 1.05  # the bound as the rule states it is this float
    out = compare.ratio_table(_frame(_point([1.0] * 3)), _frame(_point([b] * 3))).iloc[0]
    assert out["ratio_ci_high"] == b and out["verdict"] == verdict
