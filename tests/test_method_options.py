"""`nngrad bench --method-option NAME.KEY=VALUE`: values read as typed, bad input refused in one line before any
work (exit 2, nothing written), and the options reach the suite's subprocess (the counted work shows them), the
run's metadata and its report."""

import json

import pytest
from conftest import fixed_machine

from nngrad.cli import main
from nngrad.commands.options import method_option, option_value
from nngrad.errors import InvalidType, InvalidValue
from nngrad.sweep.config import SweepConfig, checked_options


def status(argv: list[str]) -> int:
    """nngrad's exit status for ``argv`` (argparse's errors exit through SystemExit)."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize("text,value", [("16", 16), ("1e-3", 1e-3), ("0.5", 0.5), ("true", True), ("False", False),
                                        ("rademacher", "rademacher")])
def test_a_value_is_read_as_int_float_bool_or_text(text, value):
    parsed = option_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_name_key_value_is_split_and_checked():
    assert method_option("spsa.k=16") == ("spsa", "k", 16)
    assert method_option("spsa.directions=rademacher") == ("spsa", "directions", "rademacher")
    assert method_option("numerical-batched.eps=1e-6") == ("numerical-batched", "eps", 1e-6)


BAD = {
    "spsa.k=0": "--method-option: spsa.k=0: k must be a positive integer",
    "spsa.eps=-1": "spsa.eps=-1: eps must be a positive finite number",
    "spsa.directions=x": "spsa.directions=x: directions must be one of 'gaussian', 'rademacher'",
    "spsa.in_place=yes": "spsa.in_place=yes: in_place must be True or False",
    "spsa.rng=-1": "spsa.rng=-1: rng must be a non-negative integer seed",
    "spsa.zz=1": "spsa.zz=1: spsa takes no option 'zz' (its options: k, eps, directions, rng, in_place)",
    "backprop.k=1": "backprop.k=1: backprop takes no option 'k' (its options: none)",
    "nope.k=1": "nope.k=1: method must be one of",
    "spsa.k": "expected NAME.KEY=VALUE, e.g. spsa.k=16; got 'spsa.k'",
}


@pytest.mark.parametrize("text", BAD)
def test_bad_method_options_exit_2_in_one_line_before_any_work(text, tmp_path, capsys):
    out = tmp_path / "runs"
    assert status(["bench", "--method-option", text, "--out", str(out), "--depths", "1", "--widths", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and BAD[text] in err
    assert not out.exists()


def test_an_option_for_a_method_the_sweep_does_not_time_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "runs"
    assert status(["bench", "--methods", "forward,backprop", "--method-option", "spsa.k=2", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "spsa is not among --methods (forward,backprop)" in err
    assert not out.exists()


def test_a_key_given_twice_is_a_usage_error(tmp_path, capsys):
    assert status(["bench", "--methods", "spsa", "--method-option", "spsa.k=2", "--method-option", "spsa.k=3",
                   "--out", str(tmp_path / "runs")]) == 2
    assert "spsa.k given twice (2 and 3)" in capsys.readouterr().err


def test_the_sweep_config_checks_its_method_options():
    with pytest.raises(InvalidValue, match="k must be a positive integer"):
        SweepConfig(methods=("spsa",), method_options={"spsa": {"k": 0}})
    with pytest.raises(InvalidValue, match="does not time"):
        SweepConfig(methods=("backprop",), method_options={"spsa": {"k": 2}})
    with pytest.raises(InvalidType, match="method_options must be a dict"):
        SweepConfig(methods=("spsa",), method_options=[("spsa", "k", 2)])
    assert checked_options("spsa", {"k": 2, "directions": "rademacher"}) == {"k": 2, "directions": "rademacher"}


def test_the_options_reach_the_suite_the_run_and_its_report(tmp_path):
    """k = 3 Rademacher directions: the suite (another process) counts 6 loss evaluations a call, its check used
    the same options (it passed), run.json keeps them, the report says them."""
    out = tmp_path / "runs"
    with fixed_machine():
        assert main(["bench", "--methods", "forward,backprop,spsa", "--depths", "1", "--widths", "4", "--batch", "2",
                     "--method-option", "spsa.k=3", "--method-option", "spsa.directions=rademacher",
                     "--out", str(out)]) == 0
    (run,) = out.iterdir()
    meta = json.loads((run / "run.json").read_text())
    assert meta["config"]["method_options"] == {"spsa": {"k": 3, "directions": "rademacher"}}
    records = [json.loads(line) for line in (run / "points.jsonl").read_text().splitlines()]
    spsa = [r["extra_info"] for r in records if r["point"]["method"] == "spsa"]
    assert spsa and all(info["loss_evaluations"] == 6 and info["k"] == 3 and info["directions"] == "rademacher"
                        and 0 < info["cosine"] <= 1 for info in spsa)
    report = (run / "report.md").read_text()
    assert "spsa: k = 3, directions = rademacher" in report
    assert "2 loss evaluations (default options; this run: k = 3, directions = rademacher)" in report
    assert meta["methods"]["spsa"]["options"] == {"k": 3, "directions": "rademacher"}
