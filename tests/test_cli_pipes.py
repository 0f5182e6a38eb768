"""``nngrad ... | head -1``: output piped into a reader that has gone away ends quietly, as Unix tools end (no
traceback, no "internal error", status 141 as a shell shows for ``yes | head -1``)."""

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from nngrad.cli import READER_GONE, main
from nngrad.commands import COMMANDS


def run_into_closed_pipe(argv: list[str], cwd) -> subprocess.CompletedProcess:
    """``python -m nngrad ARGV`` whose stdout is a pipe whose reader is already closed (head -1 long gone: every
    write fails, whatever the timing); stderr captured."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "nngrad", *argv], stdout=write, stderr=subprocess.PIPE,
                              text=True, cwd=cwd, check=False, timeout=600)
    finally:
        os.close(write)


@pytest.mark.parametrize("argv", [
    ["methods"],
    ["examples"],
    ["check", "--depth", "1", "--width", "2"],
    ["check", "--layer", "nngrad:Sigmoid", "--input-shape", "2,3"],
])
def test_a_command_whose_reader_went_away_ends_quietly_with_status_141(argv, tmp_path):
    done = run_into_closed_pipe(argv, tmp_path)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert "BrokenPipe" not in done.stderr and "Exception ignored" not in done.stderr
    assert done.returncode == READER_GONE == 141


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"]])
def test_help_whose_reader_went_away_ends_quietly(argv, tmp_path):
    """argparse prints help itself and ignores a failed write (status 0): nothing more may follow it."""
    done = run_into_closed_pipe(argv, tmp_path)
    assert done.stderr == "" and done.returncode == 0


def test_training_whose_reader_went_away_ends_quietly(tmp_path):
    pytest.importorskip("sklearn")
    done = run_into_closed_pipe(["train", "digits", "--epochs", "1", "--width", "4", "--out", str(tmp_path)], tmp_path)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.returncode == 141


def test_a_broken_pipe_that_is_not_the_output_stays_an_internal_error(monkeypatch, capsys):
    """Only a closed output is the reader gone: a BrokenPipeError from elsewhere (a child's pipe) is a bug."""
    def broken(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setitem(COMMANDS, "methods", replace(COMMANDS["methods"], run=broken))
    assert main(["methods"]) == 3
    assert "internal error" in capsys.readouterr().err
