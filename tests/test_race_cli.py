"""nngrad race on the command line: bad input (one line, exit 2, nothing written), Ctrl-C (exit 130, how to go on)
and --resume."""

import json

import pytest

from nngrad.cli import main
from nngrad.train import race as engine
from nngrad.train.equivalents import Ratios

TINY = ["--widths", "8", "--methods", "backprop,spsa", "--k", "1", "--seeds", "2", "--max-steps", "20",
        "--targets", "50,90"]


@pytest.mark.parametrize("args, words", [
    (["classic", "--k", "0"], "--k"),
    (["classic", "--methods", "backprop,guess"], "'guess'"),
    (["classic", "--methods", "torch"], "'torch'"),
    (["classic", "--targets", "90,100"], "between 0 and 100"),
    (["classic", "--targets", "0"], "between 0 and 100"),
    (["classic", "--reference", "spsa"], "an estimator cannot set the targets"),
    (["classic", "--reference", "forward-gradient"], "an estimator cannot set the targets"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, args, words):
    with pytest.raises(SystemExit) as stop:
        status = main(["race", *args, "--out", str(tmp_path / "out")])
        raise SystemExit(status)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("mine")
    assert main(["race", "classic", "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err and (tmp_path / "file").read_text() == "mine"


def test_resume_of_a_folder_that_is_not_a_race_is_refused(tmp_path, capsys):
    (tmp_path / "run.json").write_text("{}")
    assert main(["race", "--resume", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a race folder" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_resume_refuses_options_that_would_change_the_race(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["race", "--resume", str(tmp_path), "--seeds", "5"])
    assert stop.value.code == 2 and "--seeds" in capsys.readouterr().err


def test_ctrl_c_keeps_finished_runs_says_how_to_continue_and_resume_finishes(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(engine, "measure_ratios", lambda net, x, y: Ratios(1.0, 1.0))
    real, calls = engine.run, []

    def interrupted(spec, ratios, tick=None):
        calls.append(spec)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(spec, ratios, tick)

    monkeypatch.setattr(engine, "run", interrupted)
    assert main(["race", "classic", *TINY, "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    (folder,) = tmp_path.iterdir()
    assert f"nngrad race --resume {folder}" in err and "2 runs of" in err
    monkeypatch.setattr(engine, "run", real)
    assert main(["race", "--resume", str(folder)]) == 0
    assert json.loads((folder / "race.json").read_text())["finished"]
    assert {"curves.csv", "race.csv", "report.md"} <= {p.name for p in folder.iterdir()}
    assert "race.csv" in capsys.readouterr().out


def test_the_wall_time_adds_up_over_sessions_that_ran_runs_and_a_redraw_adds_none(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "measure_ratios", lambda net, x, y: Ratios(1.0, 1.0))
    assert main(["race", "classic", *TINY, "--out", str(tmp_path)]) == 0
    (folder,) = tmp_path.iterdir()
    first = json.loads((folder / "race.json").read_text())["wall_s"]
    assert first > 0 and f"wall time of the race: {first:.0f} s" in (folder / "report.md").read_text()
    assert main(["race", "--resume", str(folder)]) == 0  # every run on disk: judged and drawn again, nothing run
    assert json.loads((folder / "race.json").read_text())["wall_s"] == first
