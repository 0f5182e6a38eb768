"""The run folder's files (runfiles.py): a record appended after a line cut short by a crash starts a line of its
own, a line that is not a point's record is damage named by its line, the BLAS that ran is recorded, and the
classic network is the documented one."""

import json
from pathlib import Path

import pytest
from threadpoolctl import threadpool_info

from nngrad import DNN, runfiles
from nngrad.errors import InvalidValue

ROOT = Path(__file__).resolve().parent.parent


def _record(method: str, status: str = "ok") -> dict:
    return {"status": status, "point": {"method": method, "depth": 1, "width": 3, "batch": 16}, "extra_info": {},
            "message": None}


def test_a_record_appended_after_a_line_cut_short_starts_a_line_of_its_own(tmp_path):
    (tmp_path / runfiles.POINTS).write_text(json.dumps(_record("forward")) + "\n" + '{"status": "ok", "po')
    runfiles.append_point(tmp_path, _record("backprop"))
    assert [r["point"]["method"] for r in runfiles.read_points(tmp_path)] == ["forward", "backprop"]
    runfiles.append_point(tmp_path, _record("numerical-loop"))  # after a whole line: no empty line between
    assert (tmp_path / runfiles.POINTS).read_text().count("\n\n") == 0
    assert len(runfiles.read_points(tmp_path)) == 3


@pytest.mark.parametrize("line", ['{"status": "ok"}', '{"point": {}}', "[1, 2]"])
def test_a_line_without_a_point_or_a_status_is_damage_named_by_its_line(tmp_path, line):
    (tmp_path / runfiles.POINTS).write_text(json.dumps(_record("forward")) + "\n" + line + "\n")
    with pytest.raises(InvalidValue, match="line 2 is not a record of a point"):
        runfiles.read_points(tmp_path)


def test_the_blas_recorded_is_numpys_blas_and_only_it():
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    recorded = runfiles.blas_info()
    assert [r["internal_api"] for r in recorded] == [i["internal_api"] for i in blas]
    assert all(r["num_threads"] >= 1 for r in recorded)


def test_the_classic_network_is_the_documented_one():
    """depth 5, width 32, batch 16: N = 4642 for 10 inputs and 2 outputs, as the README and docs say."""
    depth, width, batch = runfiles.CLASSIC
    assert DNN(depth, width, 10, 2).num_params == 4642
    text = " ".join((ROOT / "docs" / "benchmark.md").read_text().split())
    assert f"depth {depth}, width {width}, batch {batch}" in text


def _planned(method: str, skip_reason: str | None = None) -> dict:
    return {"method": method, "depth": 1, "width": 3, "batch": 16, "device": "cpu", "skip_reason": skip_reason}


def test_a_runs_points_are_counted_once_each_by_kind_and_the_latest_record_wins(tmp_path):
    """Kills: a skipped record, or a point the plan left out, counted as finished; a failed point resumed and
    measured counted twice; the count of points to time including those left out."""
    plan = [_planned("forward"), _planned("backprop"), _planned("numerical-loop"), _planned("complex-step"),
            _planned("forward-mode", "predicted 9 s per call > budget 5 s"), _planned("torch")]
    (tmp_path / runfiles.RUN_META).write_text(json.dumps({"plan": plan}))
    for point, status in [(plan[0], "ok"), (plan[1], "failed"), (plan[1], "ok"), (plan[2], "failed"),
                          (plan[3], "skipped"), (plan[4], "skipped")]:  # backprop failed, then measured on resume
        runfiles.append_point(tmp_path, {**_record(point["method"], status), "point": point})
    counts = runfiles.count_points(tmp_path)
    assert counts == runfiles.PointCounts(measured=2, failed=1, left_out=2, not_run=1)
    assert (counts.finished, counts.to_time) == (3, 4)
    assert str(counts) == "3 of 4 points finished (2 measured, 1 failed), 1 not run; 2 left out by the plan"


@pytest.mark.parametrize("counts, text", [
    (runfiles.PointCounts(measured=1), "1 of 1 point finished (1 measured)"),
    (runfiles.PointCounts(measured=0, not_run=1), "0 of 1 point finished (0 measured), 1 not run"),
    (runfiles.PointCounts(measured=1234, left_out=1), "1,234 of 1,234 points finished (1,234 measured); 1 left out "
                                                        "by the plan")])
def test_a_count_reads_in_the_singular_for_one_point(counts, text):
    assert str(counts) == text


def test_a_status_that_is_no_points_is_refused_by_name():
    with pytest.raises(InvalidValue, match=r"got \['measured'\]"):
        runfiles.PointCounts.of(["ok", "measured"])


def test_the_points_marked_as_retimed_are_read_back_and_accumulate(tmp_path):
    (tmp_path / runfiles.RUN_META).write_text(json.dumps({"plan": [], "config": {}}))
    runfiles.mark_retimed(tmp_path, {("backprop", 1, 8, 16, "cpu")})
    runfiles.mark_retimed(tmp_path, {("jax", 5, 32, 16, "cpu")})
    assert runfiles.retimed(runfiles.read_run_meta(tmp_path)) == {("backprop", 1, 8, 16, "cpu"),
                                                                  ("jax", 5, 32, 16, "cpu")}


def test_the_busy_threshold_of_a_run_is_the_reports():
    """The progress line and the plan summary (sweep/) call the machine busy where the report (results/) does."""
    from nngrad.results import report

    assert runfiles.BUSY_LOAD == report.BUSY_LOAD
