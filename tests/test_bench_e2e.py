"""A tiny sweep through the real pytest-benchmark suite, then report, compare, and an interrupted run resumed."""

import csv
import json
import re

import pytest
from conftest import fixed_machine

from nngrad import runfiles
from nngrad.cli import main
from nngrad.methods import get, registered

PNGS = {"landscape.png", "time_vs_depth.png", "time_vs_width.png", "cost_gap.png", "work.png",
        "memory_vs_depth.png", "accuracy.png", "model.png"}
METHODS = [m for m, method in registered().items() if not method.requires]  # nngrad's own: the same with peers or not
NETWORKS = 2 * 2 + 1  # depths x widths, and the classic network


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    with fixed_machine():  # the plan (what the budget keeps) the same on a slow, busy machine
        assert main(["bench", "--depths", "1,2", "--widths", "3,6", "--budget", "0.004", "--out", str(out),
                     "--methods", ",".join(METHODS)]) == 0
    (folder,) = out.iterdir()
    return folder


def test_every_output_file_exists_and_is_well_formed(run):
    names = {p.name for p in run.iterdir()}
    assert {"benchmark.json", "run.json", "points.jsonl", "summary.csv", "fits.csv", "report.md"} | PNGS <= names
    data = json.loads((run / "benchmark.json").read_text())
    assert {"machine_info", "commit_info", "benchmarks", "datetime", "version", "nngrad"} <= set(data)
    assert data["machine_info"]["blas"], "the BLAS that ran is recorded"
    for b in data["benchmarks"]:
        assert set(b["params"]) == {"method", "depth", "width", "batch", "device"}
        assert all(isinstance(v, (int, str)) for v in b["params"].values())
        assert b["extra_info"]["loss_evaluations"] >= 1 and b["stats"]["rounds"] >= 3
    for name in PNGS:
        assert (run / name).read_bytes().startswith(b"\x89PNG")
    rows = list(csv.DictReader((run / "summary.csv").open()))
    assert len(rows) == NETWORKS * len(METHODS) == len(data["nngrad"]["plan"])
    assert {r["method"] for r in rows} == set(METHODS)
    for row in rows:
        if row["status"] == "skipped":
            assert float(row["predicted_s"]) > 0.004 and row["median_s"] == ""
        else:
            method = get(row["method"])
            assert row["status"] == "ok" and float(row["median_s"]) > 0
            counted = row["tangent_passes"] if method.work_unit == "tangent passes" else row["loss_evaluations"]
            assert int(float(counted)) == method.work_count(int(row["N"]))
            if method.family != "function":
                assert float(row["gradient_error"]) < method.check.tolerance
    report = (run / "report.md").read_text()
    assert all(f"({name})" in report for name in PNGS) and "## The cost model" in report
    assert "## Verdicts: peers and limits" in report
    # a loaded machine flags every point busy (these tests pass on one): then the model's share is not judged
    assert "measured points are predicted within ±30%" in report or "No unflagged measured point has a" in report
    constants = data["nngrad"]["machine_constants"]
    assert all(constants[k] > 0 for k in ("call_s", "gemm_flop_s", "elementwise_s"))
    assert data["nngrad"]["machine"]["after"]["constants"]["call_s"] > 0  # measured again at the end
    limits = list(csv.DictReader((run / "limits.csv").open()))
    assert limits and all(r["verdict"] in ("pass", "miss", "not judged", "not measured") for r in limits)
    assert "### Every method at the classic network (depth 5, width 32, batch 16)" in report
    landscape = list(csv.DictReader((run / "landscape.csv").open()))
    assert [r["method"] for r in landscape] == METHODS


def test_report_rebuilds_from_the_stored_run(run, capsys):
    (run / "summary.csv").unlink()
    assert main(["report", str(run)]) == 0
    assert (run / "summary.csv").exists() and "report.md" in capsys.readouterr().out


def test_report_of_a_json_file_goes_beside_it(run, tmp_path):
    json_copy = tmp_path / "laptop.json"
    json_copy.write_text((run / "benchmark.json").read_text())
    assert main(["report", str(json_copy)]) == 0
    out = tmp_path / "laptop-report"
    assert {"summary.csv", "fits.csv", "report.md"} | PNGS <= {p.name for p in out.iterdir()}


def test_compare_a_run_with_itself_finds_no_change(run, tmp_path, capsys):
    assert main(["compare", str(run), str(run), "--out", str(tmp_path)]) == 0
    rows = list(csv.DictReader((tmp_path / "compare.csv").open()))
    assert rows and all(float(r["ratio_b_over_a"]) == 1.0 for r in rows)
    # a point the run flagged (a busy machine) is left out of every verdict, even against itself
    assert all(r["verdict"] == "same" or r["verdict"].startswith("inconclusive (flagged in A and B: ") for r in rows)


def test_an_interrupted_run_is_reported_then_resumed(run, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "run.json").write_text((run / "run.json").read_text())
    lines = (run / "points.jsonl").read_text().splitlines()
    (partial / "points.jsonl").write_text("\n".join(lines[:3]) + "\n" + lines[3][:20])  # a crash mid-line
    assert main(["report", str(partial)]) == 0
    summary = list(csv.DictReader((partial / "summary.csv").open()))
    assert sum(r["status"] == "not run" for r in summary) > 0
    assert main(["bench", "--resume", str(partial)]) == 0
    data = json.loads((partial / "benchmark.json").read_text())
    statuses = {(r["point"]["method"], r["point"]["depth"], r["point"]["width"]): r["status"]
                for r in runfiles.read_points(partial)}
    assert len(statuses) == NETWORKS * len(METHODS) and "not run" not in statuses.values()
    assert len(data["benchmarks"]) == sum(s == "ok" for s in statuses.values())


def test_resume_runs_a_failed_point_again_and_nothing_else(run, tmp_path, monkeypatch):
    """Kills: resume treating failed points as finished (runfiles.not_done). A planted failed record of a measured
    point: --resume measures that point again, and no other (the re-timing of impossible points, which a busy
    machine can set off, is another rule: it is left out here)."""
    from nngrad.sweep import bench as sweep_bench

    monkeypatch.setattr(sweep_bench, "retime_impossible", lambda run: 0)
    again = tmp_path / "failed"
    again.mkdir()
    (again / "run.json").write_text((run / "run.json").read_text())
    records = runfiles.read_points(run)
    target = next(r for r in records if r["status"] == "ok" and r["point"]["method"] == "backprop")
    key = runfiles.point_key(target["point"])
    planted = {**target, "status": "failed", "message": "gradient check failed (planted by the test)"}
    (again / runfiles.POINTS).write_text("".join(json.dumps(planted if r is target else r) + "\n" for r in records))
    assert [runfiles.point_key(p) for p in runfiles.unfinished(again)] == [key]
    assert main(["bench", "--resume", str(again)]) == 0
    after = runfiles.read_points(again)
    assert len(after) == len(records) + 1  # one point measured again, none of the others
    assert runfiles.point_key(after[-1]["point"]) == key and after[-1]["status"] == "ok"
    assert not runfiles.unfinished(again)


def test_a_point_is_done_when_measured_or_skipped_and_not_when_failed_or_missing(tmp_path):
    """runfiles.not_done, the one place "finished" is decided: ok and skipped are done; failed and missing are
    not (in the plan's order)."""
    plan = [{"method": m, "depth": 1, "width": 3, "batch": 16, "device": "cpu", "skip_reason": None}
            for m in ("forward", "backprop", "numerical-loop", "numerical-batched")]
    for point, status in zip(plan, ("ok", "failed", "skipped")):
        runfiles.append_point(tmp_path, {"status": status, "point": point, "extra_info": {}, "message": None})
    assert [p["method"] for p in runfiles.not_done(tmp_path, plan)] == ["backprop", "numerical-batched"]


@pytest.mark.parametrize("argv,words", [
    (["bench", "--depths", "1,0"], "argument --depths: expected a positive integer, got 0"),
    (["bench", "--methods", "forward,adjoint"], "unknown method(s) 'adjoint'"),
    (["bench", "--budget", "0"], "argument --budget: expected a positive finite number"),
])
def test_bad_bench_arguments_exit_2(capsys, argv, words):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2 and words in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["report", "compare"])
def test_report_and_compare_of_a_missing_run_exit_2(tmp_path, capsys, command):
    args = [str(tmp_path / "nope")] * (2 if command == "compare" else 1)
    assert main([command, *args]) == 2
    err = capsys.readouterr().err
    assert "no such file or folder" in err and err.count("\n") == 1


def test_resume_of_a_folder_that_is_not_a_run_exits_2(tmp_path, capsys):
    assert main(["bench", "--resume", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_progress_without_a_terminal_is_plain_lines_with_consistent_counts(tmp_path, capsys, monkeypatch):
    from nngrad.sweep import follow

    monkeypatch.setattr(follow, "PLAIN_EVERY_S", 0.0)  # a line at every look
    assert main(["bench", "--depths", "1", "--widths", "3,5", "--budget", "0.004", "--methods",
                 "forward,backprop,numerical-loop", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err  # captured: not a terminal
    planned = re.search(r"planned (\d+) points: (\d+) to time \(predicted \d+:\d\d on a quiet machine\)"
                        r"(, (\d+) left out \(.*budget of 0.004 s)?", err)
    total, timed = int(planned[1]), int(planned[2])
    assert total == 3 * 3 and bool(planned[3]) == (timed < total)
    lines = [line for line in err.splitlines() if line.startswith("points ")]
    # one count: the points to time, those left out by the plan named apart (never counted as finished)
    apart = f" ({total - timed} left out by the plan)" if timed < total else ""
    assert lines and all(re.match(rf"points \d+/{timed}{re.escape(apart)}, elapsed ", line) for line in lines)
    assert lines[0].startswith(f"points 0/{timed}{apart}, elapsed ")
    assert lines[-1].startswith(f"points {timed}/{timed}{apart}, elapsed ") and lines[-1].endswith("done")
