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
