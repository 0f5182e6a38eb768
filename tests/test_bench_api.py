"""nngrad.bench, nngrad.load and nngrad.compare: the benchmark from Python writes what `nngrad bench` writes, reads
any run back (the reference run's numbers among them) and shows itself in a notebook."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import fixed_machine

import nngrad
from nngrad.cli import main
from nngrad.errors import InvalidType, InvalidValue

REFERENCE = Path(__file__).resolve().parents[1] / "results" / "reference"
TINY = {"methods": "forward,backprop", "depths": "1", "widths": "8", "batch": "1", "total": "5"}
# what the plan decides (not the clock): equal in two runs of the same options on a fixed machine
PLANNED = ["method", "device", "family", "depth", "width", "batch", "N", "status", "loss_evaluations",
           "tangent_passes", "reference", "predicted_s"]
TABLES = ("summary.csv", "fits.csv", "landscape.csv", "limits.csv")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One tiny run by the command line and one by nngrad.bench, with the same options on a fixed machine."""
    root = tmp_path_factory.mktemp("runs")
    with fixed_machine():
        argv = [f"--{k}={v}" for k, v in TINY.items()]
        assert main(["bench", *argv, "--out", str(root / "cli")]) == 0
        result = nngrad.bench(methods=["forward", "backprop"], depths=1, widths=[8], batches=1, total=5,
                              out=root / "api")
    (cli,) = (root / "cli").iterdir()
    return cli, result


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name != "pytest.log"}


def test_bench_writes_the_run_folder_that_the_command_writes(runs):
    """Kills: an API that drops an option (batches, total) or writes no report, tables or figures."""
    cli, result = runs
    assert result.folder.parent.name == "api" and result.status == 0
    assert _files(result.folder) == _files(cli)
    assert {"report.md", "cost_gap.png", "landscape.png", *TABLES} <= _files(cli)
    for name in TABLES:
        a, b = pd.read_csv(cli / name), pd.read_csv(result.folder / name)
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), name
    a, b = pd.read_csv(cli / "summary.csv"), pd.read_csv(result.folder / "summary.csv")
    pd.testing.assert_frame_equal(a[PLANNED], b[PLANNED])
    assert set(a["batch"]) == {1, 16}  # the grid's batch 1, and the classic network's


def test_the_result_holds_the_run_it_wrote(runs):
    _, result = runs
    summary = pd.read_csv(result.folder / "summary.csv")
    assert len(result.points) == len(result.to_frame()) == len(summary) == len(result.summary)
    assert np.allclose(result.summary["median_s"], summary["median_s"], rtol=1e-12, equal_nan=True)
    assert result.report() == (result.folder / "report.md").read_text()
    gap, landscape = result.plot()
    assert gap.axes and landscape.axes
    frame = result.to_frame()
    frame["median_s"] = 0.0  # a copy: the result keeps its points
    assert (result.points["median_s"] > 0).all()


def test_load_reads_the_reference_run_back_with_its_reports_numbers():
    """Kills: load reading another device's or the wrong table, a headline not from the run's headline study."""
    result = nngrad.load(REFERENCE)
    stored = pd.read_csv(REFERENCE / "summary.csv")
    assert len(result.summary) == len(stored)
    assert list(result.summary["method"]) == list(stored["method"])
    assert np.allclose(result.summary["median_s"], stored["median_s"], rtol=1e-12, equal_nan=True)
    report = (REFERENCE / "report.md").read_text()
    assert "**1.99 loss evaluations** for backprop" in result.headline
    assert "**4,610 loss evaluations** for numerical-loop" in result.headline
    assert result.headline in report
    assert result.counts.measured == int((stored["status"] == "ok").sum()) == 347
    landscape = pd.read_csv(REFERENCE / "landscape.csv").set_index("method")
    assert round(landscape.loc["numerical-loop", "t / t(forward)"]) == 5321
    assert ">5,321</td>" in result._repr_html_()  # the notebook's table: the report's landscape, in full digits


def test_a_result_shows_itself_in_a_few_lines_and_as_escaped_html(runs, tmp_path):
    """Kills: a repr that dumps the dataclass (the whole table), HTML that does not escape the folder's name."""
    import shutil

    _, result = runs
    odd = tmp_path / "a<b>run"
    shutil.copytree(result.folder, odd)
    shown = nngrad.load(odd)
    lines = repr(shown).splitlines()
    assert len(lines) <= 5 and all(len(line) <= 200 for line in lines)
    assert "finished" in lines[1] and "classic network" in lines[2]
    page = shown._repr_html_()
    assert "a&lt;b&gt;run" in page and "<b>run" not in page
    assert "measured" in page and "classic network" in page
    assert shown.report()._repr_markdown_().count("data:image/png;base64,") >= 2  # the figures inline
    assert shown.plot()._repr_html_().count("<img") == 2


def test_compare_takes_results_or_folders_and_shows_the_verdicts(runs, tmp_path):
    cli, result = runs
    c = nngrad.compare(cli, result, out=tmp_path / "cmp")
    assert isinstance(c, nngrad.Comparison)
    assert len(c.to_frame()) == 4  # forward and backprop at two networks, measured in both
    assert {"forward", "backprop"} <= set(c.to_frame()["method"])
    page = c._repr_html_()
    assert "backprop" in page and "verdict" in page
    assert len(repr(c).splitlines()) <= 5
    assert len(c.plot()) == 2
    assert (tmp_path / "cmp" / "compare.md").is_file()
    assert not (tmp_path / "none").exists()
    nngrad.compare(result, result)  # nothing written without out
    assert not any(p.name.startswith("compare-") for p in result.folder.iterdir())


@pytest.mark.parametrize("given, error, named", [
    ({"depths": 0}, InvalidValue, "depths"),
    ({"widths": "8"}, InvalidType, "widths"),
    ({"batches": [1, 2.5]}, InvalidType, "batches"),
    ({"methods": "backprop,nope"}, InvalidValue, "methods"),
    ({"methods": ["backprop", "backprop"]}, InvalidValue, "methods"),
    ({"methods": 3}, InvalidType, "methods"),
    ({"total": -1}, InvalidValue, "total"),
    ({"budget": "fast"}, InvalidType, "budget"),
    ({"quick": "yes"}, InvalidType, "quick"),
    ({"method_options": {"spsa": {"k": 16}}, "methods": "backprop"}, InvalidValue, "method_options"),
])
def test_bad_input_is_one_line_naming_the_argument_before_any_work(given, error, named, tmp_path):
    """Kills: a value checked only by the suite's child (after a run folder is made), a traceback-length message."""
    out = tmp_path / "out"
    with pytest.raises(error) as caught:
        nngrad.bench(out=out, **given)
    message = str(caught.value)
    assert re.match(rf"{named}\b", message) and "\n" not in message
    assert not out.exists()


def test_out_that_is_a_file_is_refused_naming_out(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InvalidValue, match=r"^out .*is a file"):
        nngrad.bench(methods="backprop", depths=1, widths=8, out=tmp_path / "f")
    with pytest.raises(InvalidType, match="^run_folder"):
        nngrad.load(3)


def test_the_command_refuses_a_method_as_the_api_does(capsys):
    """One check for --methods and methods=: the same words."""
    with pytest.raises(SystemExit) as stop:
        main(["bench", "--methods", "backprop,nope"])
    assert stop.value.code == 2
    said = capsys.readouterr().err
    with pytest.raises(InvalidValue) as caught:
        nngrad.bench(methods="backprop,nope")
    assert str(caught.value).removeprefix("methods: ") in said



def test_progress_is_a_bar_in_a_notebook_and_not_in_a_plain_python(monkeypatch, tmp_path):
    """Kills: follow asking only whether stderr is a terminal (a notebook's is not: it would get no bar), or
    in_notebook taking a terminal IPython for a notebook."""
    import sys
    import types

    import tqdm.auto

    from nngrad.sweep import follow

    bars = []

    class Bar(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            bars.append(kwargs["disable"])
            super().__init__(*args, **{**kwargs, "disable": True})

    (tmp_path / "run.json").write_text('{"plan": [], "config": {}}')
    child = types.SimpleNamespace(poll=lambda: 0)
    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    for shell, disabled in (("ZMQInteractiveShell", False), ("TerminalInteractiveShell", True)):
        made = type(shell, (), {})()
        monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda made=made: made))
        follow.follow(tmp_path, [], child, True, {"timing_s": 0.1, "max_rounds": 3})
        assert bars.pop() is disabled, shell
    monkeypatch.delitem(sys.modules, "IPython")
    assert not follow.in_notebook()
