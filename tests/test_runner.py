"""Runs that end in unusual ways: finished, every point skipped or failed, interrupted after a stale JSON."""

import importlib
import json
import shutil
import signal
import sys
from pathlib import Path

import pytest

from nngrad import runfiles
from nngrad.cli import main
from nngrad.methods import registered, unregister
from nngrad.results.load import RunError, load_run
from nngrad.sweep import follow, runner
from nngrad.sweep.plan import PlannedPoint

REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"


def test_resuming_a_finished_run_says_so_and_writes_nothing(tmp_path, capsys):
    run = tmp_path / "reference"
    shutil.copytree(REFERENCE, run)
    before = {p.name: p.stat().st_mtime_ns for p in run.iterdir()}
    assert main(["bench", "--resume", str(run)]) == 0
    assert "nothing left to do" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in run.iterdir()} == before  # not a byte written, no pytest.log


def test_a_run_whose_every_point_is_skipped_is_reported(tmp_path):
    assert main(["bench", "--depths", "1", "--widths", "3", "--methods", "numerical-loop", "--budget", "1e-9",
                 "--out", str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    assert set(load_run(run).points["status"]) == {"skipped"} and "> budget" in (run / "report.md").read_text()


def test_a_session_whose_every_point_fails_is_reported_with_exit_1(tmp_path):
    module = importlib.import_module("toy_wrong")
    try:
        assert main(["bench", "--depths", "1", "--widths", "3", "--methods", module.NAME, "--out", str(tmp_path)]) == 1
    finally:
        unregister(module.NAME)
        sys.modules.pop("toy_wrong", None)
    (run,) = tmp_path.iterdir()
    points = load_run(run).points
    assert set(points["status"]) == {"failed"} and "## Failed" in (run / "report.md").read_text()


def test_an_interrupted_resume_reports_its_new_points_not_a_stale_json(tmp_path, monkeypatch):
    assert main(["bench", "--depths", "1", "--widths", "3", "--methods", "forward,backprop", "--out",
                 str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    lines = (run / runfiles.POINTS).read_text().splitlines()
    (run / runfiles.POINTS).write_text(lines[0] + "\n")  # as if the other points had not finished

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "follow", interrupt)
    with pytest.raises(runner.SweepInterrupted):
        runner.run_suite(run, progress=False)
    assert not (run / runfiles.BENCHMARK_JSON).exists()  # the stale JSON, whose points all said ok, is gone
    assert len(load_run(run).points) == 4  # read from run.json and points.jsonl


def test_a_damaged_line_of_points_is_an_error_naming_it_but_a_line_cut_short_is_not(tmp_path):
    record = json.dumps({"status": "ok", "point": {"method": "forward", "depth": 1, "width": 3, "batch": 16}})
    (tmp_path / runfiles.POINTS).write_text(f'{record}\n{{"status": "ok", "poi\n{record}\n{{"sta')
    assert len(runfiles.read_points(tmp_path)) == 2  # two records cut short by crashes are skipped
    (tmp_path / runfiles.POINTS).write_text(f"{record}\ngarbage here\n{record}\n")
    with pytest.raises(ValueError, match=r"points.jsonl line 2 is not a record of a point"):
        runfiles.read_points(tmp_path)
    (tmp_path / runfiles.RUN_META).write_text(json.dumps({"plan": []}))
    with pytest.raises(RunError, match="line 2"):
        load_run(tmp_path)


def test_a_record_cut_short_by_a_crash_is_removed_when_the_run_resumes(tmp_path, capsys):
    assert main(["bench", "--depths", "1", "--widths", "3", "--methods", "forward,backprop", "--out",
                 str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    lines = (run / runfiles.POINTS).read_text().splitlines()
    (run / runfiles.POINTS).write_text("\n".join(lines[:2]) + "\n" + lines[2][:30])  # a crash mid-line
    (run / "report.md").unlink()
    assert main(["bench", "--resume", str(run)]) == 0
    assert "cut short by a crash: removed" in capsys.readouterr().err
    assert all(line.startswith("{") and line.endswith("}") for line in (run / runfiles.POINTS).read_text().splitlines())


def test_a_run_written_under_the_old_config_names_reads_under_todays(tmp_path):
    run = tmp_path / "old"
    shutil.copytree(REFERENCE, run)
    meta = json.loads((run / runfiles.RUN_META).read_text())
    config = meta["config"]
    config["landscape"], config["target_s"] = config.pop("classic"), config.pop("timing_s")
    (run / runfiles.RUN_META).write_text(json.dumps(meta))
    read = runfiles.read_run_meta(run)["config"]
    assert read["classic"] == [5, 32, 16] and read["timing_s"] == meta["config"]["target_s"]
    assert "landscape" not in read and "target_s" not in read
    assert load_run(run).config["classic"] == [5, 32, 16]


def _half_done(tmp_path: Path) -> Path:
    """The reference run with three measured points of the classic network gone, as if a session had stopped
    before them (cheap ones: forward and backprop)."""
    run = tmp_path / "half"
    shutil.copytree(REFERENCE, run)
    lines = (run / runfiles.POINTS).read_text().splitlines()
    gone = [k for k, line in enumerate(lines) if json.loads(line)["status"] == "ok"
            and json.loads(line)["point"]["method"] in ("forward", "backprop")
            and json.loads(line)["point"]["width"] <= 32][:3]
    (run / runfiles.POINTS).write_text("".join(line + "\n" for k, line in enumerate(lines) if k not in gone))
    (run / runfiles.BENCHMARK_JSON).unlink()
    (run / "report.md").unlink()
    return run


def test_a_suite_killed_by_a_signal_says_which_and_what_it_likely_means(tmp_path, monkeypatch, capsys):
    run = _half_done(tmp_path)
    suite = tmp_path / "test_killed.py"
    suite.write_text("import os, signal\n\ndef test_killed():\n    os.kill(os.getpid(), signal.SIGKILL)\n")
    monkeypatch.setattr(runner, "SUITE", suite)
    assert main(["bench", "--resume", str(run)]) == 128 + 9  # its own exit status, not an interrupt's 130
    err = capsys.readouterr().err
    assert "killed by SIGKILL (signal 9): most likely the kernel's out-of-memory killer" in err, err
    assert "done" not in err.replace("nngrad bench --resume", "")  # the progress line does not say done
    counts = runfiles.count_points(run)
    assert f"{counts.finished} of {counts.to_time} points finished" in err  # the progress line's denominator too
    assert f"points {counts.finished}/{counts.to_time} ({counts.left_out} left out by the plan)" in err
    assert f"report of what finished: {run / 'report.md'}" in err and (run / "report.md").is_file()


def test_the_progress_line_counts_the_points_to_time_and_names_those_left_out_apart(tmp_path, monkeypatch, capsys):
    """Kills: points left out by the plan counted as finished (the progress started at 190/492)."""
    run = _half_done(tmp_path)
    counts = runfiles.count_points(run)
    assert counts.left_out and counts.not_run == 3  # the fixture: the reference run, three points gone
    monkeypatch.setattr(follow, "PLAIN_EVERY_S", 0.0)
    assert main(["bench", "--resume", str(run)]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("points ")]
    apart = f"({counts.left_out} left out by the plan)"
    assert lines[0].startswith(f"points {counts.finished}/{counts.to_time} {apart},")
    assert lines[-1].startswith(f"points {counts.to_time}/{counts.to_time} {apart},") and lines[-1].endswith("done")


@pytest.mark.parametrize("left, done, elapsed, expected", [
    (100.0, 5.0, 50.0, 100.0),  # a twentieth done: the predictions alone
    (100.0, 50.0, 100.0, 200.0),  # a third done, twice as slow as predicted: the rest too
    (90.0, 10.0, 5.0, 45.0),  # a tenth done, twice as fast
    (0.0, 0.0, 3.0, 0.0)])
def test_the_time_left_follows_the_observed_rate_once_a_tenth_is_done(left, done, elapsed, expected):
    assert follow.remaining_s(left, done, elapsed) == pytest.approx(expected)


def test_the_progress_line_says_when_a_point_is_checking_its_gradient(tmp_path, monkeypatch, capsys):
    """The toy's check lasts until a progress line has said so (not a second of the clock: a busy machine)."""
    module = importlib.import_module("slow_check_method")
    monkeypatch.setattr(follow, "PLAIN_EVERY_S", 0.0)
    shown, read_phase = tmp_path / "shown", runfiles.read_phase

    def phase_seen(run):
        if "checking the gradient" in (text := read_phase(run)):
            shown.touch()
        return text

    monkeypatch.setattr(runfiles, "read_phase", phase_seen)
    monkeypatch.setenv(module.SHOWN, str(shown))
    try:
        assert main(["bench", "--depths", "1", "--widths", "3", "--methods", module.NAME, "--out",
                     str(tmp_path / "runs")]) == 0
    finally:
        unregister(module.NAME)
        sys.modules.pop("slow_check_method", None)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("points ")]
    assert any(line.endswith(f"now {module.NAME}-d1-w3-b16 (checking the gradient)") for line in lines), lines
    (run,) = (tmp_path / "runs").iterdir()
    assert not (run / runfiles.PHASE).exists()  # nothing left once the suite is done


def test_a_point_timed_cheaper_than_a_loss_evaluation_is_timed_again_before_the_report(tmp_path, capsys):
    """A burst of the forward pass slowed 200x (a busy machine) makes backprop read 'under one loss evaluation':
    bench times those points and the forward pass once more before it reports."""
    from nngrad.results.sanity import impossible

    run = tmp_path / "busy"
    shutil.copytree(REFERENCE, run)
    records = runfiles.read_points(run)
    for r in records:
        if runfiles.point_key(r["point"]) == ("forward", 1, 8, 16, "cpu"):
            r["benchmark"]["stats"] = {k: v * 200 if isinstance(v, float) else v
                                       for k, v in r["benchmark"]["stats"].items()}
    (run / runfiles.POINTS).write_text("".join(json.dumps(r) + "\n" for r in records))
    (run / "report.md").unlink()
    (run / runfiles.BENCHMARK_JSON).unlink()  # the run as it stands before its report: its points
    assert impossible(load_run(run).points).notna().sum() > 0  # the fixture does plant impossible points
    here = [name for name, method in registered().items() if method.missing() is None]
    before = load_run(run).points
    bad = before[impossible(before).notna() & before["method"].isin(here)]
    assert main(["bench", "--resume", str(run)]) == 0
    assert "points timed a gradient cheaper than one loss evaluation" in capsys.readouterr().err
    points = load_run(run).points
    key = ["method", "depth", "width", "batch", "device"]
    # the re-timed points say so (the forward pass, timed again as their divisor, was not impossible)
    assert set(map(tuple, points.loc[points["retimed"], key].values)) == set(map(tuple, bad[key].values))
    still = points[impossible(points).notna()]
    assert len(points) == len(records)  # re-timed, none lost or doubled
    # quiet now: no longer impossible; a machine still busy (these tests pass on one): flagged as such
    assert still.loc[still["method"].isin(here), "flag"].str.startswith("impossible after re-timing").all()
    assert still.empty or still["status"].eq("ok").all()  # a peer missing here: kept as it was, and flagged


def _each_kind(tmp_path: Path) -> Path:
    """_half_done with one more point failed: measured, failed, left out by the plan and not run points."""
    run = _half_done(tmp_path)
    records = runfiles.read_points(run)
    first = next(r for r in records if r["status"] == "ok")
    first.update(status="failed", benchmark=None, message="gradient check failed (planted by the test)")
    (run / runfiles.POINTS).write_text("".join(json.dumps(r) + "\n" for r in records))
    return run


class _Ended:
    """A suite that has ended: follow prints its last progress line and returns."""

    returncode = 0

    @staticmethod
    def poll() -> int:
        return 0


def test_bench_its_progress_line_and_the_report_say_one_count(tmp_path, monkeypatch, capsys):
    """Kills: the counts that disagreed after an interruption ('79 of 492 finished' from bench, '222 of 492' from
    report: skipped records, or points left out by the plan, counted as finished). A run with points of each kind:
    bench's interrupt message, its progress line, `nngrad report`'s note and report.md's banner say one count."""
    run = _each_kind(tmp_path)
    counts = runfiles.count_points(run)
    ok = sum(s == "ok" for s in runfiles.point_statuses(run).values())
    assert (counts.measured, counts.failed, counts.not_run) == (ok, 1, 3) and counts.left_out > 0
    text = (f"{ok + 1} of {ok + 1 + 3} points finished ({ok} measured, 1 failed), 3 not run; "
            f"{counts.left_out} left out by the plan")
    assert str(counts) == text

    todo = [PlannedPoint.from_dict(p) for p in runfiles.unfinished(run)]
    follow.follow(run, todo, _Ended(), True, runfiles.read_run_meta(run)["config"])
    assert f"points {ok + 1}/{ok + 4} ({counts.left_out} left out by the plan), " in capsys.readouterr().err

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "follow", interrupt)
    assert main(["bench", "--resume", str(run)]) == 130
    said = capsys.readouterr().err
    assert f"interrupted: {text}; kept in" in said and f"nngrad bench --resume {run}" in said
    assert f"report of what finished: {run / 'report.md'}" in said
    assert f"Unfinished run: {text}; resume with `nngrad bench --resume {run}`" in (run / "report.md").read_text()

    (run / "report.md").unlink()
    assert main(["report", str(run)]) == 0
    note = f"Unfinished run: {text}; resume with `nngrad bench --resume {run}`"
    assert note in capsys.readouterr().err and note in (run / "report.md").read_text()
    assert "| nan " not in (run / "report.md").read_text() and " nan |" not in (run / "report.md").read_text()


def test_the_report_of_a_finished_run_says_nothing_of_resuming(tmp_path, capsys):
    run = tmp_path / "done"
    shutil.copytree(REFERENCE, run)
    assert main(["report", str(run)]) == 0
    assert "Unfinished" not in capsys.readouterr().err + (run / "report.md").read_text()


@pytest.mark.parametrize("rate, others, words", [
    (2.3, 0.9, "ETA re-estimated: running 2.3x slower than planned; the machine is busy: other processes use 90% of"),
    (2.0, 0.05, "ETA re-estimated: running 2.0x slower than planned; the machine is not busy (other processes use 5% "
                "of"),
    (1.6, None, "ETA re-estimated: running 1.6x slower than planned"),
    (1.1, 0.9, None),  # within the plan's pace: nothing to say
    (0.5, 0.0, None),  # faster: the line's time left says so, no note
    (None, 0.9, None)])  # too few points to tell
def test_the_pace_note_says_the_eta_was_re_estimated_and_why(rate, others, words):
    note = follow.pace_note(rate, others)
    assert note == words if words is None or others is None else note.startswith(words)


def test_the_progress_line_re_estimates_the_time_left_on_a_busy_machine_and_says_why(tmp_path, monkeypatch, capsys):
    """Kills: a time left that keeps to the plan's prediction while the points run slower, or no reason given.
    Each point of this fake suite takes 100 s of a clock the test moves, far over its prediction, and records other
    processes' load at 90% of the CPUs."""
    run = _half_done(tmp_path)
    cfg = runfiles.read_run_meta(run)["config"]
    todo = [PlannedPoint.from_dict(p) for p in runfiles.unfinished(run)]
    now = [0.0]

    class Suite:
        """Records one point of ``todo`` per look, 100 s apart, then ends."""

        returncode = 0

        def __init__(self) -> None:
            self.left = list(todo)

        def poll(self):
            if not self.left:
                return 0
            point = self.left.pop(0)
            now[0] += 100.0
            runfiles.append_point(run, {"status": "ok", "point": point.to_dict(), "message": None,
                                        "extra_info": {"others_load": 0.9}})
            return None

    monkeypatch.setattr(follow.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(follow.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(follow, "PLAIN_EVERY_S", 0.0)
    follow.follow(run, todo, Suite(), True, cfg)
    err = capsys.readouterr().err.splitlines()
    notes = [line for line in err if line.startswith("note: ")]
    assert len(notes) == 1 and "slower than planned; the machine is busy: other processes use 90% of" in notes[0]
    lines = [line for line in err if line.startswith("points ")]
    assert "(re-estimated: " in lines[-2] and "x slower), now " in lines[-2]  # before the end: 3 points, 2 paced
    assert lines[-1].endswith("done")


def test_the_plan_summary_says_what_its_prediction_means_on_a_busy_machine():
    from nngrad.sweep.config import SweepConfig

    cfg = SweepConfig(depths=(1,), widths=(3,), methods=("forward",), classic=None)
    point = {"method": "forward", "depth": 1, "width": 3, "batch": 16, "n_params": 50, "flops": 1, "forward_flops": 1,
             "predicted_s": 1e-3, "skip_reason": None}
    quiet = runner.plan_summary([point], cfg, 0.1)
    assert quiet.startswith("planned 1 point: 1 to time (predicted 0:") and "busy" not in quiet
    busy = runner.plan_summary([point], cfg, 0.6)
    assert "\nnote: the machine is busy now: other processes use 60% of" in busy
    assert "the run will take longer than planned" in busy


def test_a_points_load_and_re_timing_are_read_with_it_and_older_runs_read_as_unknown_and_not_retimed(tmp_path):
    """Kills: results/load.py dropping the per-point columns (the flags of sanity.py read them), or reading an older
    run's missing ones as re-timed or as a load of 0."""
    run = tmp_path / "run"
    shutil.copytree(REFERENCE, run)
    (run / runfiles.BENCHMARK_JSON).unlink()  # the points as recorded
    records = runfiles.read_points(run)
    target = next(r for r in records if r["status"] == "ok")
    target["extra_info"].update(others_load=0.6, retimed=True)
    (run / runfiles.POINTS).write_text("".join(json.dumps(r) + "\n" for r in records))
    points = load_run(run).points
    mine = points[[runfiles.point_key(row) == runfiles.point_key(target["point"])
                   for row in points.to_dict("records")]]
    rest = points.drop(mine.index)
    assert mine["others_load"].tolist() == [0.6] and mine["retimed"].tolist() == [True]
    assert rest["others_load"].isna().all() and not rest["retimed"].any() and rest["retimed"].dtype == bool


def test_a_second_interrupt_while_the_suite_stops_kills_it(capsys):
    """Kills: a second Ctrl-C ignored while a suite that does not stop is waited for (nngrad then hangs)."""
    calls = []

    class Stubborn:
        def send_signal(self, signum):
            calls.append(("signal", signum))

        def wait(self):
            calls.append("wait")
            if "kill" not in calls:
                raise KeyboardInterrupt  # the user's second Ctrl-C
            return -9

        def kill(self):
            calls.append("kill")

    runner._stop(Stubborn(), signal.SIGINT)
    assert calls == [("signal", signal.SIGINT), "wait", "kill", "wait"]
    assert "interrupt again to kill it now" in capsys.readouterr().err
