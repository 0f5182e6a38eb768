import json

import pytest
from conftest import fake_benchmark_json, fake_point

from nngrad.results.compare import MIN_NOISE, compare, ratio_table
from nngrad.results.load import load_run


def run_file(tmp_path, name, factors):
    points = [fake_point("backprop", d, 64, seconds=1e-3 * f) for d, f in zip((1, 2, 4), factors)]
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(fake_benchmark_json(points)))
    return path


def test_ratios_are_flagged_only_beyond_the_noise(tmp_path):
    a = load_run(run_file(tmp_path, "a", (1, 1, 1))).points
    b = load_run(run_file(tmp_path, "b", (2.0, 1.02, 1 / 3))).points
    table = ratio_table(a, b)
    assert list(table["ratio_b_over_a"].round(3)) == [2.0, 1.02, 0.333]
    assert list(table["verdict"]) == ["slower", "same", "faster"]
    assert (table["noise"] >= MIN_NOISE).all()


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
