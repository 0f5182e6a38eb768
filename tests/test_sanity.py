"""Points the run itself disowns: a gradient cheaper than one loss evaluation (and still so after re-timing), an
O(N) gradient cheaper than backprop, a point timed while other processes kept the CPUs busy. Each is flagged in the
points, counted once (sanity.count_text, what the legends show), named in the report's banner with what to do."""

import json

import pandas as pd
import pytest
from conftest import fake_benchmark_json, fake_point

from nngrad.results import plots, report, sanity
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


def frame(rows: list[tuple], **columns) -> pd.DataFrame:
    """Points at one network: (method, family, seconds, loss evaluations, tangent passes) each, plus ``columns``
    (one value per row, or one for all)."""
    out = pd.DataFrame([{"method": m, "family": f, "median_s": t, "loss_evaluations": le, "tangent_passes": tp,
                         "status": "ok", "depth": 5, "width": 32, "batch": 16, "device": "cpu"}
                        for m, f, t, le, tp in rows])
    return out.assign(**columns)


FORWARD = ("forward", "function", 1.0, 1, None)
BACKPROP = ("backprop", "reverse-mode", 2.0, 1, None)


def test_a_gradient_cheaper_than_one_loss_evaluation_is_flagged_and_nothing_else_is(tmp_path):
    points = load_run(busy_run(tmp_path)).points.set_index(["method", "depth", "width"])
    assert points.loc[("backprop", 5, 32), "flag"] == "impossible: 0.2 loss evaluations (< 1)"
    assert points.loc[("numerical-batched", 5, 32), "flag"] == ""  # 5 loss evaluations: possible
    assert points.loc[("forward", 5, 32), "flag"] == "" and (points.drop(("backprop", 5, 32))["flag"] == "").all()


def test_a_quiet_run_has_no_flag(tmp_path):
    assert (load_run(busy_run(tmp_path, forward_at_classic=1e-3)).points["flag"] == "").all()


@pytest.mark.parametrize("seconds, flag", [(1.0, ""), (0.999, "impossible: 0.999 loss evaluations (< 1)")])
def test_exactly_one_loss_evaluation_is_possible_and_a_hair_under_it_is_not(seconds, flag):
    points = frame([FORWARD, ("backprop", "reverse-mode", seconds, 1, None)])
    assert list(sanity.flags(points)) == ["", flag]


def test_a_point_still_impossible_after_re_timing_says_so():
    points = frame([FORWARD, ("backprop", "reverse-mode", 0.5, 1, None), ("jax", "reverse-mode", 3.0, 1, None)],
                   retimed=[False, True, True])
    assert list(sanity.flags(points)) == ["", "impossible after re-timing: 0.5 loss evaluations (< 1)", ""]


@pytest.mark.parametrize("load, busy", [(sanity.BUSY_LOAD + 0.01, True), (sanity.BUSY_LOAD, False),
                                        (sanity.BUSY_LOAD - 0.01, False), (None, False)])
def test_a_point_timed_while_other_processes_used_more_than_the_busy_load_is_busy(load, busy):
    flag = sanity.flags(frame([FORWARD, BACKPROP], others_load=[0.0, load]))[1]
    assert (flag == f"busy: other processes used {load:.0%} of the CPUs (> 25%)") if busy else flag == ""


def test_a_run_that_did_not_record_the_load_has_no_busy_flag():
    assert (sanity.flags(frame([FORWARD, BACKPROP])) == "").all()  # no others_load column: an older run


def test_the_busy_threshold_lives_in_sanity_and_the_run_wide_warning_reads_the_same_one():
    assert report.BUSY_LOAD is sanity.BUSY_LOAD == 0.25


@pytest.mark.parametrize("row, flagged", [
    (("numerical-batched", "finite-difference", 1.5, 4, None), True),  # 4 loss evaluations, cheaper than backprop
    (("numerical-batched", "finite-difference", 1.5, 3, None), False),  # 3: backprop costs about as much
    (("forward-mode", "forward-mode", 1.5, 1, 3), True),  # 1 loss evaluation + 3 tangent passes = 4
    (("numerical-batched", "finite-difference", 2.0, 100, None), False),  # as fast as backprop: possible
    (("jax", "reverse-mode", 1.5, 1, None), False),  # a reverse-mode peer may beat backprop
])
def test_an_o_n_gradient_timed_cheaper_than_backprop_is_flagged_when_its_work_rules_it_out(row, flagged):
    flag = sanity.flags(frame([FORWARD, BACKPROP, row]))[2]
    assert flag.startswith("cheaper than backprop: 0.75x backprop's time") if flagged else flag == ""


def test_where_the_cost_model_predicts_the_o_n_gradient_near_backprop_a_win_is_no_flag():
    """At batch 1 backprop's fixed cost per call dominates: a batched gradient of few, larger calls can beat it."""
    rows = [FORWARD, BACKPROP, ("forward-mode", "forward-mode", 1.5, 1, 106)]
    assert sanity.flags(frame(rows, model_s=[1.0, 2.0, 3.0]))[2] == ""  # the model: 1.5x backprop's time
    assert sanity.kind(sanity.flags(frame(rows, model_s=[1.0, 2.0, 4.0]))[2]) == "cheaper than backprop"  # 2x


def test_a_point_takes_the_most_serious_of_its_flags():
    points = frame([FORWARD, ("backprop", "reverse-mode", 0.5, 1, None)], others_load=0.9)
    assert [sanity.kind(f) for f in sanity.flags(points)] == ["busy", "impossible"]


def test_the_reference_run_has_no_flag():
    """results/reference, timed on a quiet machine: its smallest O(N) / backprop ratio is 2.7 (forward mode at depth
    1, width 8, 107 passes), its smallest gradient 1.8 loss evaluations."""
    assert not sanity.flagged(load_run("results/reference").points).any()


def test_one_count_for_the_banner_and_the_legends():
    points = frame([FORWARD, ("backprop", "reverse-mode", 0.5, 1, None), ("jax", "reverse-mode", 0.4, 1, None),
                    ("torch", "reverse-mode", 3.0, 1, None)], others_load=[0, 0, 0, 0.5])
    points["flag"] = sanity.flags(points)
    assert list(sanity.flagged(points)) == [False, True, True, True]
    assert sanity.count_text(points) == "3 flagged points (2 impossible, 1 busy)"
    assert sanity.count_text(points.iloc[:2]) == "1 flagged point (impossible)"
    assert sanity.count_text(points.iloc[:1]) == "" and sanity.banner(points.iloc[:1]) is None
    assert sanity.banner(points).startswith("**3 flagged points (2 impossible, 1 busy), of 4 measured points:**")


def test_the_banner_names_five_points_of_a_kind_then_counts_the_rest():
    points = pd.concat([frame([FORWARD, ("backprop", "reverse-mode", 0.5, 1, None)]).assign(depth=d)
                        for d in range(1, 8)], ignore_index=True)
    points["flag"] = sanity.flags(points)
    text = sanity.banner(points)
    assert text.count("backprop at d") == 5 and "; and 2 more: see summary.csv's flag column." in text
    assert "- **7 points impossible**" in text and "Re-time them on a quiet machine" in text


def test_the_report_and_its_tables_flag_the_impossible_point_and_say_how_to_re_time_it(tmp_path):
    text = build_report(busy_run(tmp_path), tmp_path / "out").read_text()
    assert "**1 flagged point (impossible), of 12 measured points:**" in text
    assert "backprop at d5 w32 b16: 0.2 loss evaluations (< 1)" in text
    assert "Re-time them on a quiet machine: `nngrad bench` times such points and their forward pass once more" in text
    landscape = pd.read_csv(tmp_path / "out" / "landscape.csv").set_index("method")
    assert landscape.loc["backprop", "note"] == "impossible: 0.2 loss evaluations (< 1)"
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", keep_default_na=False)
    assert (summary["flag"] != "").sum() == 1


def test_the_landscape_rings_the_impossible_point_and_its_legend_says_so(tmp_path):
    points = load_run(busy_run(tmp_path)).points
    ax = plots.landscape(points, "label").get_axes()[0]
    (ring,) = [line for line in ax.get_lines() if line.get_label().startswith("ringed")]
    assert list(ring.get_ydata()) == [0.2] and ring.get_markerfacecolor() == "none"
    quiet = load_run(busy_run(tmp_path, forward_at_classic=1e-3)).points
    assert not [line for line in plots.landscape(quiet, "label").get_axes()[0].get_lines()
                if line.get_label().startswith("ringed")]


def test_bench_ends_by_saying_how_many_points_its_report_left_out(tmp_path):
    """Kills: a busy run ending on 'report: ...' alone, its reader never told that the verdicts left points out."""
    from nngrad.sweep.bench import flagged_note

    (tmp_path / "quiet").mkdir()
    assert flagged_note(load_run(busy_run(tmp_path)).points) == (
        "note: 1 of the 12 measured points is flagged (impossible): the report's verdicts, headline and fits leave "
        "them out (its first lines say why)")
    assert flagged_note(load_run(busy_run(tmp_path / "quiet", forward_at_classic=1e-3)).points) is None


COMPILED_FORWARD = ("forward-numba", "function", 0.1, 1, None)


def test_a_compiled_gradient_is_measured_against_the_compiled_forward_pass_not_numpys():
    """Compiled code has no interpreter's overhead: backprop-numba at 0.3 numpy forward passes is 3 compiled ones."""
    runtime = ["numpy", "numpy", "numba", "numba"]
    ok = frame([FORWARD, BACKPROP, COMPILED_FORWARD, ("backprop-numba", "reverse-mode", 0.3, 1, None)], runtime=runtime)
    assert list(sanity.flags(ok)) == ["", "", "", ""]
    fast = frame([FORWARD, BACKPROP, COMPILED_FORWARD, ("backprop-numba", "reverse-mode", 0.05, 1, None)],
                 runtime=runtime)
    assert list(sanity.flags(fast))[3] == "impossible: 0.5 loss evaluations (< 1)"


def test_a_compiled_o_n_gradient_is_measured_against_the_compiled_backprop():
    rows = [FORWARD, BACKPROP, COMPILED_FORWARD, ("backprop-numba", "reverse-mode", 0.3, 1, None),
            ("numerical-batched-numba", "finite-difference", 1.5, 100, None)]
    flags = sanity.flags(frame(rows, runtime=["numpy", "numpy", "numba", "numba", "numba"]))
    assert list(flags)[4] == ""  # 5x the compiled backprop, though faster than numpy's backprop
    rows[4] = ("numerical-batched-numba", "finite-difference", 0.2, 100, None)
    flags = sanity.flags(frame(rows, runtime=["numpy", "numpy", "numba", "numba", "numba"]))
    assert sanity.kind(list(flags)[4]) == "cheaper than backprop"


def test_a_frame_without_a_runtime_column_is_numpys():
    assert list(sanity.flags(frame([FORWARD, ("backprop", "reverse-mode", 0.5, 1, None)]))) == [
        "", "impossible: 0.5 loss evaluations (< 1)"]
