"""The run folder's rules, each at its boundary (nngrad/runfiles.py): a record is on disk (flushed, then synced)
before append_point returns and starts its own line only after a line cut short; a line cut short at the end of
points.jsonl is dropped and the record before it kept, byte for byte; a resume reruns only the points with no
finished record; a run folder is never reused (base, -2, ..., -999, then an error); a count says only what it has."""

import datetime as dt
import json
import os
from types import SimpleNamespace

import pytest

from nngrad import runfiles
from nngrad.errors import InvalidValue


def _record(method: str, status: str = "ok", device: str | None = None) -> dict:
    point = {"method": method, "depth": 1, "width": 3, "batch": 16}
    return {"status": status, "point": point if device is None else {**point, "device": device}, "message": None}


def _planned(method: str, skip_reason: str | None = None) -> dict:
    return {"method": method, "depth": 1, "width": 3, "batch": 16, "device": "cpu", "skip_reason": skip_reason}


def _line(method: str, status: str = "ok") -> str:
    return json.dumps(_record(method, status)) + "\n"


# -- append_point ------------------------------------------------------------------------------------------------

def test_a_record_is_flushed_to_the_file_before_it_is_synced(tmp_path, monkeypatch):
    """At os.fsync the whole line is already in the file (a crash after it loses nothing); fsync is called."""
    seen = []
    monkeypatch.setattr(runfiles.os, "fsync", lambda fd: seen.append((tmp_path / runfiles.POINTS).read_text()))
    runfiles.append_point(tmp_path, _record("forward"))
    assert seen == [_line("forward")]


@pytest.mark.parametrize("before, after", [
    ("", _line("backprop")),
    (_line("forward"), _line("forward") + _line("backprop")),
    ('{"status": "ok", "po', '{"status": "ok", "po\n' + _line("backprop")),
    ("x", "x\n" + _line("backprop")),
    ("\n", "\n" + _line("backprop")),
], ids=["empty-file-no-blank-line", "after-a-whole-line-none", "after-a-cut-line-a-newline",
        "after-one-cut-byte-a-newline", "after-a-lone-newline-none"])
def test_a_record_starts_a_new_line_only_after_a_line_cut_short(tmp_path, before, after):
    path = tmp_path / runfiles.POINTS
    if before:
        path.write_text(before)
    runfiles.append_point(tmp_path, _record("backprop"))
    assert path.read_text() == after


# -- read_points and trim_cut_line -----------------------------------------------------------------------------------

@pytest.mark.parametrize("tail", ['{"status": "ok", "po', "{", '{"status": "ok", "point": {"method": "x"'],
                         ids=["cut-mid-key", "one-brace", "cut-inside-the-point"])
def test_a_line_cut_short_at_the_end_is_dropped_and_the_record_before_it_kept(tmp_path, tail):
    whole = _line("forward") + _line("backprop")
    (tmp_path / runfiles.POINTS).write_text(whole + tail)
    assert [r["point"]["method"] for r in runfiles.read_points(tmp_path)] == ["forward", "backprop"]
    assert runfiles.trim_cut_line(tmp_path) is True
    assert (tmp_path / runfiles.POINTS).read_text() == whole
    assert runfiles.trim_cut_line(tmp_path) is False and (tmp_path / runfiles.POINTS).read_text() == whole


def test_a_single_cut_line_is_trimmed_to_an_empty_file(tmp_path):
    (tmp_path / runfiles.POINTS).write_text('{"status": "o')
    assert runfiles.trim_cut_line(tmp_path) is True and (tmp_path / runfiles.POINTS).read_bytes() == b""


@pytest.mark.parametrize("content", [None, ""], ids=["no-file", "empty-file"])
def test_nothing_to_trim_in_a_missing_or_empty_file(tmp_path, content):
    if content is not None:
        (tmp_path / runfiles.POINTS).write_text(content)
    assert runfiles.trim_cut_line(tmp_path) is False and runfiles.read_points(tmp_path) == []


@pytest.mark.parametrize("line", ["not json", '"a string"', "[{", "]"], ids=["text", "a-json-string", "a-cut-list",
                                                                            "a-bracket"])
def test_a_damaged_line_that_is_no_record_cut_short_is_an_error_naming_the_file_and_line(tmp_path, line):
    (tmp_path / runfiles.POINTS).write_text(_line("forward") + line + "\n" + _line("backprop"))
    with pytest.raises(InvalidValue, match=r"points\.jsonl line 2 is not a record of a point"):
        runfiles.read_points(tmp_path)


@pytest.mark.parametrize("record", [{"status": "ok"}, {"point": {}}, {"status": "ok", "points": {}}],
                         ids=["no-point", "no-status", "a-misspelt-point"])
def test_a_record_needs_both_a_point_and_a_status(tmp_path, record):
    (tmp_path / runfiles.POINTS).write_text(json.dumps(record) + "\n")
    with pytest.raises(InvalidValue, match="line 1 is not a record of a point"):
        runfiles.read_points(tmp_path)


def test_a_damaged_line_is_quoted_to_its_first_60_characters(tmp_path):
    line = "x" * 59 + "YZ"
    (tmp_path / runfiles.POINTS).write_text(line + "\n")
    with pytest.raises(InvalidValue) as error:
        runfiles.read_points(tmp_path)
    assert repr("x" * 59 + "Y") in str(error.value) and "YZ" not in str(error.value)


def test_a_json_line_that_is_no_record_is_quoted_to_its_first_60_characters(tmp_path):
    line = json.dumps(list(range(40)))  # valid JSON, 150 characters, not a record
    (tmp_path / runfiles.POINTS).write_text(line + "\n")
    with pytest.raises(InvalidValue) as error:
        runfiles.read_points(tmp_path)
    assert repr(line[:60]) in str(error.value) and repr(line[:61]) not in str(error.value)


# -- what a resume reruns ------------------------------------------------------------------------------------------

def test_forget_removes_only_the_named_points_and_counts_them(tmp_path):
    for method, status in [("forward", "ok"), ("backprop", "failed"), ("backprop", "ok"), ("jax", "ok")]:
        runfiles.append_point(tmp_path, _record(method, status))
    gone = runfiles.forget(tmp_path, {("backprop", 1, 3, 16, "cpu")})
    assert gone == 2 and [r["point"]["method"] for r in runfiles.read_points(tmp_path)] == ["forward", "jax"]


def test_a_resume_reruns_only_the_points_with_no_finished_record_and_not_those_the_plan_left_out(tmp_path):
    plan = [_planned("forward"), _planned("backprop"), _planned("jax"), _planned("torch"),
            _planned("complex-step", "does not apply"), _planned("numerical-loop", "predicted 9 s > budget 5 s")]
    (tmp_path / runfiles.RUN_META).write_text(json.dumps({"plan": plan}))
    for method, status in [("forward", "ok"), ("backprop", "failed"), ("jax", "skipped"), ("numerical-loop", "ok")]:
        runfiles.append_point(tmp_path, _record(method, status, device="cpu"))
    assert [p["method"] for p in runfiles.not_done(tmp_path, plan)] == ["backprop", "torch", "complex-step"]
    assert [p["method"] for p in runfiles.unfinished(tmp_path)] == ["backprop", "torch"]


def test_a_point_on_another_device_is_not_the_cpus(tmp_path):
    runfiles.append_point(tmp_path, _record("backprop", "ok", device="cuda"))
    plan = [_planned("backprop"), {**_planned("backprop"), "device": "cuda"}]
    assert runfiles.not_done(tmp_path, plan) == [plan[0]]
    assert runfiles.point_key(_record("backprop")["point"]) == ("backprop", 1, 3, 16, "cpu")


def test_a_planned_point_left_out_with_no_record_counts_as_left_out_and_a_record_of_an_unplanned_one_is_ignored(
        tmp_path):
    plan = [_planned("forward"), _planned("jax", "not installed")]
    (tmp_path / runfiles.RUN_META).write_text(json.dumps({"plan": plan}))
    runfiles.append_point(tmp_path, _record("torch", "ok", device="cpu"))  # not in the plan
    assert runfiles.point_statuses(tmp_path) == {("forward", 1, 3, 16, "cpu"): "not run",
                                                 ("jax", 1, 3, 16, "cpu"): "skipped"}


# -- a count of points -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("counts, text", [
    (runfiles.PointCounts(measured=2, failed=1), "3 of 3 points finished (2 measured, 1 failed)"),
    (runfiles.PointCounts(measured=2, not_run=1), "2 of 3 points finished (2 measured), 1 not run"),
    (runfiles.PointCounts(measured=2, left_out=1), "2 of 2 points finished (2 measured); 1 left out by the plan"),
    (runfiles.PointCounts(), "0 of 0 points finished (0 measured)"),
], ids=["failed-said-when-some", "not-run-said-when-some", "left-out-said-when-some", "nothing-said-when-none"])
def test_a_count_names_only_the_kinds_it_has(counts, text):
    assert str(counts) == text


@pytest.mark.parametrize("statuses", [["ok", "failed", "skipped", "not run"], []], ids=["each-kind", "none"])
def test_every_known_status_is_counted_once(statuses):
    counts = runfiles.PointCounts.of(statuses)
    assert (counts.measured, counts.failed, counts.left_out, counts.not_run) == (
        statuses.count("ok"), statuses.count("failed"), statuses.count("skipped"), statuses.count("not run"))


# -- a new run folder --------------------------------------------------------------------------------------------

class _Now:
    @staticmethod
    def now():
        return dt.datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(runfiles, "dt", SimpleNamespace(datetime=_Now))
    monkeypatch.setattr(runfiles.socket, "gethostname", lambda: "box.example.org")


def test_a_run_folder_is_named_by_its_second_and_host_and_never_reused(tmp_path, fixed_clock):
    names = [runfiles.new_run_dir(tmp_path).name for _ in range(3)]
    assert names == ["run-20260102-030405-box", "run-20260102-030405-box-2", "run-20260102-030405-box-3"]
    assert runfiles.new_run_dir(tmp_path, "train").name == "train-20260102-030405-box"


def test_a_run_folder_is_made_under_a_results_folder_that_does_not_exist_yet(tmp_path, fixed_clock):
    root = tmp_path / "results" / "nested"
    assert runfiles.new_run_dir(root) == root / "run-20260102-030405-box" and root.is_dir()
    assert runfiles.new_run_dir(root).name == "run-20260102-030405-box-2"  # the root existing is no error


def test_a_host_without_a_name_is_host(tmp_path, monkeypatch, fixed_clock):
    monkeypatch.setattr(runfiles.socket, "gethostname", lambda: ".lan")
    assert runfiles.new_run_dir(tmp_path).name == "run-20260102-030405-host"


def test_after_999_folders_in_one_second_a_new_run_folder_is_an_error(tmp_path, fixed_clock):
    base = "run-20260102-030405-box"
    for k in range(1, 999):
        (tmp_path / (base if k == 1 else f"{base}-{k}")).mkdir()
    assert runfiles.new_run_dir(tmp_path).name == f"{base}-999"
    with pytest.raises(FileExistsError, match="could not make a new run folder"):
        runfiles.new_run_dir(tmp_path)
    assert not (tmp_path / f"{base}-1000").exists() and not (tmp_path / f"{base}-0").exists()


# -- run.json and the phase --------------------------------------------------------------------------------------

def test_a_run_folder_without_run_json_or_with_a_damaged_one_is_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no run.json: not a run folder"):
        runfiles.read_run_meta(tmp_path)
    (tmp_path / runfiles.RUN_META).write_text("{")
    with pytest.raises(InvalidValue, match="run.json is not valid JSON"):
        runfiles.read_run_meta(tmp_path)


def test_old_config_names_read_under_todays_and_a_run_json_without_a_config_is_read_as_it_is(tmp_path):
    (tmp_path / runfiles.RUN_META).write_text(json.dumps({"config": {"landscape": [1, 2, 3], "target_s": 0.5,
                                                                     "seed": 0}}))
    assert runfiles.read_run_meta(tmp_path)["config"] == {"classic": [1, 2, 3], "timing_s": 0.5, "seed": 0}
    (tmp_path / runfiles.RUN_META).write_text(json.dumps({"config": None, "plan": []}))
    assert runfiles.read_run_meta(tmp_path) == {"config": None, "plan": []}


def test_the_phase_is_written_only_with_a_run_folder_and_reads_empty_when_missing(tmp_path):
    assert runfiles.read_phase(tmp_path) == ""
    runfiles.write_phase(None, "checking")  # no folder: nothing, no error
    runfiles.write_phase(tmp_path, "checking the gradient of backprop-d1-w3-b16")
    assert runfiles.read_phase(tmp_path) == "checking the gradient of backprop-d1-w3-b16"


@pytest.mark.parametrize("device, test_id", [(None, "backprop-d1-w3-b16"), ("cpu", "backprop-d1-w3-b16"),
                                             ("cuda", "backprop-d1-w3-b16-cuda")])
def test_a_points_id_names_its_device_only_off_numpys_cpu(device, test_id):
    assert runfiles.test_id(_record("backprop", device=device)["point"]) == test_id


# -- the machine -------------------------------------------------------------------------------------------------

def test_only_the_blas_libraries_are_recorded_with_their_five_keys(monkeypatch):
    import threadpoolctl

    infos = [{"user_api": "openmp", "internal_api": "openmp", "num_threads": 2},
             {"user_api": "blas", "internal_api": "openblas", "version": "0.3", "architecture": "Haswell",
              "num_threads": 2, "threading_layer": "pthreads", "filepath": "/lib/x.so"}]
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: infos)
    assert runfiles.blas_info() == [{"internal_api": "openblas", "version": "0.3", "architecture": "Haswell",
                                     "num_threads": 2, "threading_layer": "pthreads"}]


def test_the_machine_records_the_blas_environment_it_was_given(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    machine = runfiles.machine_summary()
    assert machine["blas_env"] == {"OPENBLAS_CORETYPE": "Haswell", "OMP_NUM_THREADS": "1"}
    assert machine["cpu_count"] == os.cpu_count()


def test_run_json_says_its_format_and_an_unknown_version_when_nngrad_is_not_installed(monkeypatch):
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(runfiles.metadata, "version", missing)
    meta = runfiles.new_run_meta({"seed": 0}, {}, [], [], {})
    assert meta["format"] == "nngrad-run/2" and meta["nngrad_version"] == "unknown" and meta["config"] == {"seed": 0}
