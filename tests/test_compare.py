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


def test_points_measured_in_only_one_run_are_listed(tmp_path):
    a = run_file(tmp_path, "a", (1, 1, 1))
    b = tmp_path / "b.json"
    b.write_text(json.dumps(fake_benchmark_json([fake_point("backprop", 1, 64, seconds=1e-3),
                                                 fake_point("backprop", 8, 64, seconds=5e-3)])))
    table, md = compare(a, b, tmp_path / "out")
    only = table[table["verdict"].str.startswith("only")].sort_values("depth")
    assert list(only["verdict"]) == ["only in A", "only in A", "only in B"] and list(only["depth"]) == [2, 4, 8]
    assert "## Measured in only one run" in md.read_text() and "only in B" in (tmp_path / "out" / "compare.csv").read_text()


def test_a_run_compared_with_itself_says_so(tmp_path, capsys):
    from nngrad.cli import main

    a = run_file(tmp_path, "a", (1, 1, 1))
    assert main(["compare", str(a), str(a), "--out", str(tmp_path / "out")]) == 0
    assert "A and B are the same run" in capsys.readouterr().err
    assert "**A and B are the same run**" in (tmp_path / "out" / "compare.md").read_text()
