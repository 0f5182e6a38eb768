"""No verdict rests on a point the run itself flags (results/sanity.py): the largest gap, each target row, the fits,
the cost model's share and misses, the landscape's ratios, the headline and a GPU's targets leave flagged points
out and say which and why, or say "not judged" when nothing is left; a miss says why in the cost model's words."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import fake_benchmark_json, fake_point, sweep_points

from nngrad.results import devices, landscape, prediction, sanity, tables
from nngrad.results.fits import growth_fits
from nngrad.results.limits import Target, limits_table, why_miss
from nngrad.results.load import Run, _assemble
from nngrad.results.report import _largest_gap, build_report, headline

EVERY = lambda d, w, b, c: True  # noqa: E731
IMPOSSIBLE = "impossible: 0.2 loss evaluations (< 1)"


def assembled(points: list[dict], **meta) -> Run:
    data = fake_benchmark_json(points)
    data["nngrad"].update(meta)
    return _assemble("r", data["nngrad"], data["nngrad"]["records"], data["benchmarks"])


def flag(points: pd.DataFrame, method: str, text: str = IMPOSSIBLE, **at) -> pd.DataFrame:
    """``points`` with ``method``'s point(s) (at ``at``: depth=..., width=...) flagged ``text``."""
    where = points["method"] == method
    for column, value in at.items():
        where &= points[column] == value
    assert where.any()
    return points.assign(flag=points["flag"].where(~where, text))


def gap_points() -> pd.DataFrame:
    """numerical-loop 1000x backprop at depth 2, 10x at depth 1; numerical-batched 50x at depth 2."""
    rows = [("backprop", 1, 1e-3), ("backprop", 2, 1e-3), ("numerical-loop", 1, 1e-2), ("numerical-loop", 2, 1.0),
            ("numerical-batched", 2, 5e-2)]
    return assembled([fake_point(m, d, 8, seconds=t) for m, d, t in rows]).points


# -- the largest gap -----------------------------------------------------------------------------------------------

def test_the_largest_gap_picks_from_unflagged_pairs_and_says_how_many_it_left_out():
    """Plant: drop the flag filter from _largest_gap: it names numerical-loop's 1,000x, on a flagged backprop."""
    assert "**1,000x**" in _largest_gap(gap_points())
    text = _largest_gap(flag(gap_points(), "backprop", depth=2))
    assert "numerical-loop at depth 1, width 8" in text and "**10x**" in text
    assert "(left out: 2 ratios (backprop impossible))" in text


def test_the_largest_gap_is_not_judged_when_every_ratio_rests_on_a_flagged_point():
    text = _largest_gap(flag(gap_points(), "backprop"))
    assert text == "The largest gap measured: not judged (every point here is flagged: backprop impossible)."


def test_a_flagged_o_n_point_leaves_the_largest_gap_too():
    text = _largest_gap(flag(gap_points(), "numerical-loop", "busy: other processes used 90% of the CPUs (> 25%)",
                             depth=2))
    assert "numerical-batched at depth 2" in text and "(left out: 1 ratio (numerical-loop busy))" in text


# -- the targets ---------------------------------------------------------------------------------------------------

def pair_points(ratios: list[float], flags: dict[int, str] | None = None) -> pd.DataFrame:
    """backprop / torch at depths 1, 2 ...: the given ratios; ``flags``: depth -> torch's flag there."""
    rows = []
    for k, r in enumerate(ratios):
        net = {"depth": k + 1, "width": 8, "batch": 16, "device": "cpu", "n_params": 100 * (k + 1), "status": "ok",
               "peak_memory_bytes": np.nan}
        rows += [{**net, "method": "torch", "median_s": 1e-3, "flag": (flags or {}).get(k + 1, "")},
                 {**net, "method": "backprop", "median_s": r * 1e-3, "flag": ""}]
    return pd.DataFrame(rows)


TORCH = Target("backprop", "torch", "<=", 1.0, EVERY, "every point")


def test_a_target_row_judges_the_worst_unflagged_ratio_and_says_what_it_left_out():
    """Plant: drop the flag filter from limits._judged: the row misses at 1.5, on torch's flagged point."""
    row = limits_table(pair_points([0.8, 1.5, 0.9], {2: IMPOSSIBLE}), targets=[TORCH]).iloc[0]
    assert (row["measured"], row["at"], row["verdict"]) == (0.9, "d3 w8 b16", "pass")
    assert row["points"] == 2 and row["left_out"] == 1 and row["why"] == "1 left out: torch impossible"


def test_a_target_row_whose_every_ratio_rests_on_a_flagged_point_is_not_judged():
    row = limits_table(pair_points([1.5, 2.0], {1: IMPOSSIBLE, 2: IMPOSSIBLE}), targets=[TORCH]).iloc[0]
    assert row["verdict"] == "not judged" and np.isnan(row["measured"]) and row["points"] == 0
    assert row["why"] == "every point here is flagged: torch impossible"


def test_the_memory_target_leaves_a_flagged_point_out():
    rows = pair_points([1.0]).assign(method="numerical-batched", peak_memory_bytes=[2e8, 1e6],
                                     flag=[IMPOSSIBLE, ""])
    row = limits_table(rows, targets=[]).iloc[0]
    assert row["verdict"] == "pass" and row["measured"] == pytest.approx(1e6 / 2**20)
    assert row["why"] == "1 left out: impossible"


def model_row(measured_a: float, measured_b: float, model_a: dict, model_b: dict) -> pd.Series:
    """A ratios() row: measured seconds and the cost model's terms of both sides."""
    row = {"depth": 8, "width": 256, "batch": 64, "median_s_a": measured_a, "median_s_b": measured_b,
           "ratio": measured_a / measured_b}
    for side, terms in (("a", model_a), ("b", model_b)):
        row |= {f"model_{t}_s_{side}": v for t, v in terms.items()} | {f"model_s_{side}": sum(terms.values())}
    return pd.Series(row)


def test_a_miss_the_cost_model_predicts_names_the_term_that_makes_it():
    """backprop 3.4x forward where the model predicts 3.2: 61% of backprop's predicted time is the fixed cost."""
    t = Target("backprop", "forward", "<=", 3, EVERY, "")
    row = model_row(3.4, 1.0, {"calls": 1.95, "flops": 1.0, "elementwise": 0.25}, {"calls": 1.0})
    assert why_miss(t, row) == "model says 3.2 too (61% fixed cost per call)"


def test_a_miss_the_cost_model_does_not_predict_names_the_side_that_ran_off_it():
    row = model_row(1.3, 1.0, {"flops": 1.0}, {"flops": 1.1})
    assert why_miss(TORCH, row) == "model says 0.909; backprop ran 1.3x the model"
    assert why_miss(TORCH, row.drop(["model_s_a", "model_s_b"])) == "no cost model in this run to say why"


def test_every_miss_and_every_row_not_judged_has_a_why_in_the_report(tmp_path):
    run = assembled([fake_point(m, 5, 32, batch=b, seconds=t) for b in (1, 16, 64)
                     for m, t in (("forward", 1e-3), ("numerical-batched", 2e-2), ("numerical-loop", 3e-2),
                                  ("backprop", 5e-3))])
    table = limits_table(flag(run.points, "numerical-loop", batch=1), (5, 32, 16))
    judged = table[table["verdict"].isin(["miss", "not judged"])]
    assert set(judged["verdict"]) == {"miss", "not judged"} and (judged["why"] != "").all()


# -- fits, the cost model's share, the landscape -------------------------------------------------------------------

def fitted_points() -> pd.DataFrame:
    return assembled(sweep_points()).points.assign(overhead_dominated=False)


def test_a_flagged_point_leaves_the_time_fit_and_is_counted():
    """Plant: drop ~flagged from fits._time_rows: the fit then has 16 points and the planted 1000x time bends it."""
    points = fitted_points()
    slow = (points["method"] == "backprop") & (points["depth"] == 8) & (points["width"] == 256)
    points.loc[slow, "median_s"] *= 1000
    row = growth_fits(flag(points, "backprop", "busy: other processes used 90% of the CPUs (> 25%)", depth=8,
                           width=256)).set_index(["method", "model", "term"]).loc[("backprop", "time ~ N^k", "N")]
    assert row["points"] == 15 and row["excluded_flagged"] == 1 and row["flagged_as"] == "busy"
    assert row["exponent"] == pytest.approx(row["theory_sizes"], abs=1e-6)


def test_a_ratio_leaves_its_fit_when_backprop_is_flagged():
    fits = growth_fits(flag(fitted_points(), "backprop", depth=1))
    row = fits[(fits["method"] == "numerical-loop") & (fits["model"] == "ratio ~ N^k") & (fits["regime"] == "all")]
    assert row["points"].iloc[0] == 12 and row["excluded_flagged"].iloc[0] == 4
    assert row["flagged_as"].iloc[0] == "backprop impossible"


@pytest.mark.parametrize("broken", ["zero time", "zero flops", "no flops"])
def test_the_fits_raise_no_runtime_warning_on_times_or_counts_a_log_cannot_take(broken):
    """A method of one's own without operation counts, a timer that read 0: the fits skip what they cannot log."""
    points = fitted_points()
    mine = points["method"] == "numerical-batched"
    column, value = {"zero time": ("median_s", 0.0), "zero flops": ("flops", 0.0),
                     "no flops": ("flops", np.nan)}[broken]
    points.loc[mine & (points["depth"] == 4), column] = value
    assert not sanity.flagged(points[mine & (points["depth"] == 4)]).any()  # in the fits: not left out as flagged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fits = growth_fits(points)
    assert len(fits[fits["method"] == "numerical-batched"])


def test_the_cost_models_share_and_misses_leave_flagged_points_out():
    points = pd.DataFrame({"method": ["backprop", "jax"], "status": "ok", "median_s": [1.0, 5.0],
                           "model_s": [1.0, 1.0], "flag": ["", IMPOSSIBLE], "depth": 1, "width": 8, "batch": 16,
                           "n_params": 100, "dominant": "calls"})
    assert prediction.fraction_inside(points) == 1.0 and prediction.largest_misses(points).empty
    assert prediction.left_out(points) == "left out: 1 flagged point (impossible)"


def classic_run(**flags: str) -> Run:
    points = assembled([fake_point(m, 5, 32, seconds=t) for m, t in (
        ("forward", 1e-3), ("backprop", 2e-3), ("numerical-loop", 5.0), ("numerical-batched", 0.5))]).points
    for method, text in flags.items():
        points = flag(points, method.replace("_", "-"), text)
    return Run("r", points, pd.DataFrame(), config={"landscape": [5, 32, 16]})


def test_a_landscape_ratio_is_blank_where_its_point_or_the_forward_pass_is_flagged():
    table = landscape.landscape_table(classic_run(backprop=IMPOSSIBLE))[0].set_index("method")
    assert np.isnan(table.loc["backprop", "t / t(forward)"]) and table.loc["numerical-loop", "t / t(forward)"] == 5000
    busy = "busy: other processes used 90% of the CPUs (> 25%)"
    table = landscape.landscape_table(classic_run(forward=busy))[0].set_index("method")
    assert table.drop("forward")["t / t(forward)"].isna().all()
    assert table.loc["backprop", "note"] == "ratio left out: the forward pass is flagged busy"


def test_the_headline_from_the_points_uses_no_flagged_point():
    """Plant: headline's fallback reading the flagged backprop: "0.2 loss evaluations" would be the headline."""
    assert "**2 loss evaluations**" in headline(classic_run())
    text = headline(classic_run(backprop=IMPOSSIBLE))
    assert "not judged" in text and IMPOSSIBLE in text and "**" not in text
    text = headline(classic_run(numerical_loop="busy: other processes used 90% of the CPUs (> 25%)"))
    assert "numerical-batched cost **500**" in text and "(left out: 1 flagged point (busy))" in text


def test_a_headline_study_that_timed_backprop_under_one_loss_evaluation_is_not_judged():
    run = Run("r", pd.DataFrame(), pd.DataFrame(), config={"num_input": 10, "num_output": 2},
              headline={"network": [5, 32, 16], "seconds": {"forward": [1.0] * 5, "backprop": [0.5] * 5,
                                                             "numerical-loop": [100.0] * 5}})
    assert "not judged" in headline(run) and "0.5 loss evaluations" in headline(run)


def test_a_headline_study_timed_on_a_busy_machine_is_no_headline_and_says_why():
    """Plant: headline() ignoring busy_reasons: a busy run's interleaved ratios would stand as the headline, in bold."""
    study = {"network": [5, 32, 16], "seconds": {"forward": [1.0] * 5, "backprop": [2.0] * 5,
                                                 "numerical-loop": [4000.0] * 5}}
    quiet = Run("r", pd.DataFrame(), pd.DataFrame(), config={"num_input": 10, "num_output": 2}, headline=study)
    assert "**2 loss evaluations**" in headline(quiet) and "not judged" not in headline(quiet)
    busy = Run("r", pd.DataFrame(), pd.DataFrame(), config={"num_input": 10, "num_output": 2}, headline=study,
               machine={"others_load": 0.9})
    text = headline(busy)
    assert "no headline, not judged: the machine was busy (other processes used 90% of the CPUs before it)" in text
    assert "**" not in text and "2 loss evaluations" in text and "indicative only" in text


# -- a GPU's targets and its knee ----------------------------------------------------------------------------------

def two_devices(flagged: str = "") -> Run:
    rows = []
    for device, scale in (("cpu", 1.0), ("cuda:0", 1 / 16)):
        for method, seconds in (("numerical-batched", 0.05), ("backprop", 1e-3), ("torch", 2e-3)):
            rows.append({"method": method, "device": device, "depth": 5, "width": 32, "batch": 16, "n_params": 4642,
                         "status": "ok", "median_s": seconds * scale, "model_s": seconds * scale * (3 if method ==
                         "torch" else 1.1), "peak_memory_bytes": np.nan, "flag": ""})
    points = pd.DataFrame(rows)
    if flagged:
        points.loc[(points["method"] == "numerical-batched") & (points["device"] == flagged), "flag"] = IMPOSSIBLE
    return Run("r", points, pd.DataFrame(), config={"devices": ["cpu", "cuda:0"]})


def test_a_gpu_speedup_resting_on_a_flagged_point_is_not_judged():
    quiet = devices.targets(two_devices(), "cuda:0").set_index("target")
    assert quiet.loc["numerical-batched on cpu / on cuda:0 >= 10", "verdict"] == "pass"
    row = devices.targets(two_devices("cpu"), "cuda:0").set_index("target").loc[
        "numerical-batched on cpu / on cuda:0 >= 10"]
    assert row["verdict"] == "not judged"
    assert row["why"] == "every point here is flagged: numerical-batched on cpu impossible"


def test_a_gpus_cost_model_share_leaves_flagged_points_out_and_says_so():
    """Torch's prediction is 3x off: with its point and numerical-batched's, 2 of 3 inside (miss); flagged, 1 of 2."""
    table = devices.targets(two_devices("cuda:0"), "cuda:0").set_index("target")
    row = table.loc["cost model within ±30% on cuda:0 >= 80%"]
    assert row["measured"] == pytest.approx(0.5) and row["points"] == 2 and row["verdict"] == "miss"
    assert row["why"].endswith("1 left out: impossible")


def test_the_knee_is_fitted_on_unflagged_points_only():
    """Plant: drop ~flagged from knee: the flagged point's 1000 s moves the knee far from N = 100,000."""
    ns = [1e3, 1e4, 1e5, 1e6, 1e7]
    points = pd.DataFrame({"method": "numerical-batched", "status": "ok", "depth": 2, "n_params": ns,
                           "median_s": [1.0 + n / 1e5 for n in ns], "flag": ""})
    assert devices.knee(points)[0] == pytest.approx(1e5)
    wild = points.assign(median_s=points["median_s"].where(points["n_params"] != 1e6, 1000.0),
                         flag=["", "", "", IMPOSSIBLE, ""])
    assert devices.knee(wild)[0] == pytest.approx(1e5)


# -- the report as a reader sees it --------------------------------------------------------------------------------

def test_the_report_leads_with_the_run_state_and_the_answer_and_keeps_its_tables_narrow(tmp_path):
    points = [fake_point(m, d, w, seconds=1e-6 if (m, d, w) == ("torch", 2, 16) else None)  # impossible
              for m in ("forward", "backprop", "numerical-loop", "numerical-batched", "torch")
              for d in (1, 2, 5) for w in (8, 16, 32)]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(fake_benchmark_json(points)))
    text = build_report(path, tmp_path / "out").read_text()
    order = ["# nngrad benchmark", "- **1 point impossible**", "## The answer", "## The cost gap", "## Verdicts: peers and limits",
             "## The cost model", "## Fitted exponents", "## This run", "### Points per method"]
    assert [text.index(s) for s in order] == sorted(text.index(s) for s in order)
    assert "## Measured points" not in text and "summary.csv" in text
    wide = [line for line in text.splitlines() if line.startswith("|") and len(line) > tables.WIDTH]
    assert not wide


def test_the_reference_runs_report_is_short_and_every_table_fits_a_screen(tmp_path):
    """The default report was 720 lines with a table 1,800 characters wide."""
    import shutil

    shutil.copytree("results/reference", tmp_path / "ref")
    text = build_report(tmp_path / "ref").read_text()
    assert len(text.splitlines()) < 200
    assert max(len(line) for line in text.splitlines() if line.startswith("|")) <= tables.WIDTH
    assert "| miss " in text and all(row.rstrip(" |").split("|")[-1].strip() for row in text.splitlines()
                                     if row.startswith("|") and "| miss " in row)  # every miss says why


def test_a_cell_too_wide_for_the_screen_is_cut_visibly():
    frame = pd.DataFrame({"a": ["x" * 50], "why": ["y" * 300]})
    (line,) = [row for row in tables.fitted(frame, "why").pipe(tables.markdown_table).splitlines()[2:]]
    assert tables.WIDTH - 5 <= len(line) <= tables.WIDTH and line.rstrip(" |").endswith("…")
    limits = limits_table(pair_points([1.5]), targets=[TORCH]).assign(why="a long reason " * 20)
    assert max(map(len, tables.limits(limits).pipe(tables.markdown_table).splitlines())) <= tables.WIDTH
    assert sanity.tally(pd.Series(["a", "b", "a", ""])) == "2 a, 1 b"
