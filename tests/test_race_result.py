"""nngrad.load of a race folder: a RaceResult with the folder's tables, the report's sentences, figures, and a short
repr and an HTML display for notebooks."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import nngrad
from nngrad.errors import InvalidValue
from nngrad.results.race_result import RaceResult

RACE = Path(__file__).resolve().parents[1] / "results" / "reference-race" / "digits"


def test_load_of_a_race_folder_gives_a_race_result_with_its_tables():
    result = nngrad.load(RACE)
    assert isinstance(result, RaceResult)
    pd.testing.assert_frame_equal(result.to_frame(), pd.read_csv(RACE / "race.csv"))
    assert len(result.curves) == len(pd.read_csv(RACE / "curves.csv"))


def test_its_repr_is_short_and_says_what_the_race_came_to():
    lines = repr(nngrad.load(RACE)).splitlines()
    assert len(lines) <= 5 and all(len(line) <= 160 for line in lines)
    assert "race digits: 5 contestants" in lines[1]
    assert lines[2].strip().startswith("At T90, estimators that reached it cost")


def test_its_html_has_every_contestant_the_sentence_and_escapes_the_folder(tmp_path):
    folder = tmp_path / "a<b>race"
    shutil.copytree(RACE, folder, ignore=shutil.ignore_patterns("runs", "*.png"))
    page = nngrad.load(folder)._repr_html_()
    for method in ("backprop", "numerical-batched", "spsa", "forward-gradient"):
        assert method in page
    assert "fewer than forward differences" in page
    assert "a&lt;b&gt;race" in page and "a<b>race" not in page
    assert "<script" not in page


def test_its_figures_are_the_races(tmp_path):
    assert {f.get_suptitle() or f.axes[0].get_title() for f in nngrad.load(RACE).plot()}  # drawn, not empty
    assert len(nngrad.load(RACE).plot().names) == 3  # digits: loss/equivalents, loss/steps, accuracy


def test_an_unfinished_race_is_refused_in_one_line_saying_how_to_finish_it(tmp_path):
    folder = tmp_path / "race"
    shutil.copytree(RACE, folder, ignore=shutil.ignore_patterns("runs", "*.png"))
    meta = json.loads((folder / "race.json").read_text())
    (folder / "race.json").write_text(json.dumps({**meta, "finished": False}))
    with pytest.raises(InvalidValue, match="has not finished; nngrad race --resume"):
        nngrad.load(folder)


def test_a_benchmark_run_still_loads_as_a_bench_result():
    assert type(nngrad.load(RACE.parents[1] / "reference")).__name__ == "BenchResult"
