"""``--import MODULE_OR_FILE`` wherever methods are named (methods, bench, train --gradient): a method of one's own
is listed, timed and trained with, from one shared option definition."""

import sys
from pathlib import Path

import pytest

from nngrad.cli import build_parser, main
from nngrad.methods import unregister

TOY = Path(__file__).parent / "toy_method.py"  # registers "toy-twice" when imported


@pytest.fixture
def toy_import(monkeypatch):
    """--import of tests/toy_method.py; the method and the module are forgotten after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))  # the folder --import puts on it goes with the test
    yield ["--import", str(TOY)]
    unregister("toy-twice")
    sys.modules.pop("toy_method", None)


def test_methods_lists_a_method_of_ones_own_given_by_import(toy_import, capsys):
    assert main(["methods", *toy_import]) == 0
    listed = capsys.readouterr().out
    assert "toy-twice" in listed and "backprop, twice" in listed


def test_train_drives_the_descent_with_a_method_of_ones_own(toy_import, tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert main(["train", "digits", *toy_import, "--gradient", "toy-twice", "--epochs", "1", "--width", "4",
                 "--out", str(tmp_path)]) == 0
    assert "(toy-twice)" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["methods", "bench", "train"])
def test_every_command_that_names_methods_takes_the_one_import_option(command):
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    (option,) = [a for a in sub._actions if "--import" in a.option_strings]
    assert option.dest == "imports" and option.metavar == "MODULE_OR_FILE" and "methods of your own" in option.help
