import json

import pytest
from conftest import fake_benchmark_json, fake_point

from nngrad import runfiles
from nngrad._files import write_json
from nngrad.results.load import OVERHEAD_FLOPS, RunError, load_run


@pytest.fixture
def points():
    return [fake_point("forward", 1, 8), fake_point("backprop", 1, 8), fake_point("numerical-loop", 1, 8),
            fake_point("numerical-loop", 2, 8, status="skipped", seconds=9.0)]


def test_benchmark_json_becomes_one_tidy_row_per_point(tmp_path, points):
    path = tmp_path / "b.json"
    path.write_text(json.dumps(fake_benchmark_json(points)))
    run = load_run(path)
    p = run.points
    assert len(p) == 4 and list(p["method"]) == ["forward", "backprop", "numerical-loop", "numerical-loop"]
    loop = p[(p["method"] == "numerical-loop") & (p["depth"] == 1)].iloc[0]
    assert loop["status"] == "ok" and loop["loss_evaluations"] == loop["n_params"] + 1
    assert loop["median_s"] == pytest.approx(points[2]["stats"]["median"])
    assert loop["gflops"] == pytest.approx(1.0)  # 1 ns per flop
    skipped = p[p["status"] == "skipped"].iloc[0]
    assert skipped["predicted_s"] == 9.0 and skipped["median_s"] != skipped["median_s"]  # NaN: not measured
    assert bool(p["overhead_dominated"].iloc[0]) == (points[0]["planned"]["forward_flops"] < OVERHEAD_FLOPS)
    assert "testhost" in run.label and "2026-11-22" in run.label


def test_a_run_folder_is_read_from_benchmark_json(tmp_path, points):
    (tmp_path / "benchmark.json").write_text(json.dumps(fake_benchmark_json(points)))
    assert len(load_run(tmp_path).points) == 4


def test_an_interrupted_run_is_read_from_its_finished_points(tmp_path, points):
    data = fake_benchmark_json(points)
    write_json(tmp_path / "run.json", data["nngrad"])
    runfiles.append_point(tmp_path, {"status": "ok", "point": points[0]["planned"], "extra_info":
                                     points[0]["extra_info"], "benchmark": {"stats": points[0]["stats"]}})
    with open(tmp_path / "points.jsonl", "a") as f:
        f.write('{"status": "ok", "point": {"meth')  # cut short by a crash
    p = load_run(tmp_path).points
    assert dict(p["status"].value_counts()) == {"ok": 1, "not run": 2, "skipped": 1}
    assert p.loc[p["status"] == "ok", "median_s"].iloc[0] == points[0]["stats"]["median"]


@pytest.mark.parametrize("content,words", [
    ("", "is empty"),
    ('{"benchmarks": [', r"is not valid JSON \(truncated\?"),
    ('{"rows": []}', "is not a pytest-benchmark JSON file"),
    ('{"benchmarks": [{"name": "test_x", "params": {"n": 1}, "stats": {}}]}', "not from nngrad's benchmark suite"),
    ('{"benchmarks": []}', "holds no results"),
    ('{"benchmarks": [{"params": {"method": "forward", "depth": 1, "width": 2, "batch": 1}, "stats": {}}]}',
     "is malformed: a record lacks or mistypes the field 'median'"),
])
def test_broken_or_foreign_json_is_rejected_with_its_reason(tmp_path, content, words):
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(RunError, match=words):
        load_run(path)


def test_missing_path_and_folder_without_results(tmp_path):
    with pytest.raises(RunError, match="no such file or folder"):
        load_run(tmp_path / "nope")
    with pytest.raises(RunError, match="holds no results"):
        load_run(tmp_path)
    write_json(tmp_path / "run.json", {"plan": []})
    with pytest.raises(RunError, match="holds no results yet"):
        load_run(tmp_path)


def test_new_run_folders_never_reuse_a_name(tmp_path):
    first, second = runfiles.new_run_dir(tmp_path), runfiles.new_run_dir(tmp_path)
    assert first != second and first.is_dir() and second.is_dir()


def test_two_methods_are_paired_at_the_same_network_on_the_same_device_only():
    import pandas as pd

    from nngrad.results.load import paired
    from nngrad.results.report import _largest_gap

    rows = [("numerical-batched", "cpu", 1.0), ("backprop", "cpu", 0.1),  # 10x on the CPU
            ("numerical-batched", "cuda:0", 0.02), ("backprop", "cuda:0", 0.001)]  # 20x on the GPU
    points = pd.DataFrame([{"method": m, "depth": 5, "width": 32, "batch": 16, "device": d, "median_s": t,
                            "status": "ok", "n_params": 4642, "family": "finite-difference" if m != "backprop"
                            else "reverse-mode"} for m, d, t in rows])
    both = paired(points, "numerical-batched", "backprop").set_index("device")
    assert both.loc["cpu", "ratio"] == pytest.approx(10) and both.loc["cuda:0", "ratio"] == pytest.approx(20)
    assert "on cuda:0 took 0.02 s against backprop's 0.001 s, **20x**" in _largest_gap(points)  # not 1.0 / 0.001


def test_a_run_read_as_dot_is_named_for_its_folder(tmp_path, monkeypatch):
    run = tmp_path / "run-20260101-000000-host"
    run.mkdir()
    write_json(run / "benchmark.json", fake_benchmark_json([fake_point("forward", 1, 8), fake_point("backprop", 1, 8)]))
    monkeypatch.chdir(run)
    assert load_run(".").name == "run-20260101-000000-host"
