"""The registry is the one place a method is declared: a method registered from outside nngrad is swept, tidied,
fitted, plotted and reported like the built-in ones."""

import csv
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from nngrad.cli import main
from nngrad.methods import get, registered, unregister
from nngrad.methods.base import Check, Method
from nngrad.results.load import load_run


@pytest.fixture
def toy():
    """The toy method, registered by importing its module (as the suite's own process will); removed after."""
    module = importlib.import_module("toy_method")
    yield module
    unregister(module.NAME)
    sys.modules.pop("toy_method", None)


def test_a_method_registered_outside_nngrad_appears_in_the_sweep_tidy_table_and_report(toy, tmp_path):
    assert main(["bench", "--depths", "1,2", "--widths", "3", "--methods", f"forward,backprop,{toy.NAME}",
                 "--out", str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    rows = [r for r in csv.DictReader((run / "summary.csv").open()) if r["method"] == toy.NAME]
    assert len(rows) == 3 and all(r["status"] == "ok" and r["family"] == "reverse-mode" for r in rows)
    assert all(float(r["gradient_error"]) < 1e-12 and int(float(r["loss_evaluations"])) == 2 for r in rows)
    report = (run / "report.md").read_text()
    assert f"| {toy.NAME} " in report and "backprop, twice" in report  # the landscape table, the methods table
    points = load_run(run).points
    assert list(points["method"].unique()) == ["forward", "backprop", toy.NAME]  # registration order


def test_a_run_can_be_reported_where_its_method_is_not_registered(toy, tmp_path):
    assert main(["bench", "--depths", "1", "--widths", "3", "--methods", f"backprop,{toy.NAME}",
                 "--out", str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    unregister(toy.NAME)
    assert main(["report", str(run)]) == 0  # run.json holds what the method declared
    assert load_run(run).methods[toy.NAME]["family"] == "reverse-mode"


def test_a_method_registered_by_main_is_refused_before_anything_runs(tmp_path, capsys, monkeypatch):
    from nngrad.methods import base

    method = Method(name="from-main", family="reverse-mode", prepare=lambda net, x, y: None, description="",
                    work_count=lambda n: 1, flops=lambda s, b: 1, check=Check("none"))
    monkeypatch.setitem(base._REGISTRY, method.name, method)
    monkeypatch.setitem(base._ORIGIN, method.name, "__main__")
    assert main(["bench", "--depths", "1", "--widths", "3", "--methods", "from-main", "--out", str(tmp_path)]) == 2
    assert "registered by __main__" in capsys.readouterr().err and not any(tmp_path.iterdir())


@pytest.mark.parametrize("change,words", [
    ({"family": "sideways"}, "family must be one of"),
    ({"flops": None}, "must declare its cost"),
    ({"work_unit": "seconds"}, "work_unit must be one of"),
])
def test_a_method_that_declares_nonsense_is_refused(change, words):
    fields = {"name": "bad", "family": "reverse-mode", "prepare": None, "description": "", "work_count": len,
              "flops": len, "check": Check("none")}
    with pytest.raises(ValueError, match=words):
        Method(**{**fields, **change})


def test_names_are_unique_and_lookups_list_the_valid_names():
    with pytest.raises(ValueError, match="already registered"):
        from nngrad.methods import register

        register(get("backprop"))
    with pytest.raises(ValueError, match="method must be one of 'forward', 'backprop'"):
        get("adjoint")
    assert list(registered())[:11] == ["forward", "backprop", "forward-numba", "backprop-numba", "numerical-loop",
                                       "numerical-batched", "numerical-batched-numba", "central-batched",
                                       "complex-step", "forward-mode", "forward-mode-numba"]  # each twin after its own


def _mine(folder: Path) -> Path:
    """A file of one's own registering the toy method as 'mine', in ``folder``."""
    source = (Path(__file__).parent / "toy_method.py").read_text().replace('NAME = "toy-twice"', 'NAME = "mine"')
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.py").write_text(source)
    return folder / "mine.py"


def test_a_method_in_a_file_of_ones_own_is_benchmarked_from_the_shell_with_import(tmp_path):
    """What a user types: the file is elsewhere, the suite's own process must import it too."""
    mine, out = _mine(tmp_path / "code"), tmp_path / "runs"
    done = subprocess.run([sys.executable, "-m", "nngrad.cli", "bench", "--import", str(mine), "--methods",
                           "backprop,mine", "--depths", "1", "--widths", "3", "--out", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    (run,) = out.iterdir()
    rows = [r for r in csv.DictReader((run / "summary.csv").open()) if r["method"] == "mine"]
    assert rows and all(r["status"] == "ok" for r in rows)
    points = (run / "points.jsonl").read_text().splitlines()  # mine's points lost, as if interrupted: resume,
    kept = [line for line in points if '"mine"' not in line]  # from another folder, without --import
    (run / "points.jsonl").write_text("".join(line + "\n" for line in kept))
    (run / "report.md").unlink()
    again = subprocess.run([sys.executable, "-m", "nngrad.cli", "bench", "--resume", str(run)], cwd=out,
                           capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 0 and len(kept) < len(points), again.stderr
    assert len((run / "points.jsonl").read_text().splitlines()) == len(points)


@pytest.mark.parametrize("content, words", [(None, "--import {file}: no such file"),
                                            ("raise RuntimeError('half-written')",
                                             "--import {file}: cannot import it: RuntimeError: half-written")])
def test_an_import_that_fails_says_so_in_one_line(tmp_path, capsys, content, words):
    file = tmp_path / "broken.py"
    if content is not None:
        file.write_text(content)
    assert main(["bench", "--import", str(file), "--methods", "backprop", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words.format(file=file) in err, err
    assert not (tmp_path / "r").exists()


def test_a_module_name_is_imported_from_the_current_folder(tmp_path, monkeypatch):
    _mine(tmp_path / "here")
    monkeypatch.chdir(tmp_path / "here")
    monkeypatch.setattr(sys, "path", list(sys.path))  # the folder put on it goes with the test
    try:
        assert main(["bench", "--import", "mine", "--methods", "backprop,mine", "--depths", "1", "--widths", "3",
                     "--out", str(tmp_path / "runs")]) == 0
        (run,) = (tmp_path / "runs").iterdir()
        assert "mine" in set(load_run(run).points["method"])
    finally:
        unregister("mine")
        sys.modules.pop("mine", None)
