"""``nngrad check`` on users' code (seconds) shows progress only on a terminal: captured or piped, stderr carries
no "finite differences: 20/20 ..." lines, which would only follow the report. Two styles: a network (--net) and a
layer of the user's own file (--layer)."""

from pathlib import Path

import pytest

from nngrad.cli import main

TESTS = Path(__file__).parent

CODE = '''
import numpy as np


class Scale:
    def __init__(self):
        self.w = np.array([0.5, -1.5, 2.0])

    def forward(self, x):
        self.x = x
        return x * self.w

    def backward(self, dout):
        self.dw = (dout * self.x).sum(axis=0)
        return dout * self.w
'''


@pytest.fixture
def layer_file(tmp_path):
    path = tmp_path / "scale.py"
    path.write_text(CODE)
    return path


@pytest.mark.parametrize("argv", [
    ["--net", f"{TESTS / 'nielsen_style.py'}:Network", "--kwargs", '{"sizes": [3, 4, 2]}', "--targets", "onehot"],
    ["--layer", "{file}:Scale", "--input-shape", "4,3"],
])
def test_no_progress_lines_when_stderr_is_not_a_terminal(capsys, layer_file, argv):
    assert main(["check", *(a.replace("{file}", str(layer_file)) for a in argv)]) == 0
    captured = capsys.readouterr()
    assert "result: PASS" in captured.out
    assert "finite differences" not in captured.err and "elapsed" not in captured.err, captured.err
