"""The registry is the one place a method is declared: a method registered from outside nngrad is swept, tidied,
fitted, plotted and reported like the built-in ones."""

import csv
import importlib
import sys

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
    assert list(registered())[:7] == ["forward", "backprop", "numerical-loop", "numerical-batched",
                                      "central-batched", "complex-step", "forward-mode"]
