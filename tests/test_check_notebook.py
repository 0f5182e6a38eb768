"""``nngrad check --layer lesson.ipynb:Relu``: a notebook's definitions (imports, functions, classes, constants)
taken from its code cells without running its loops, calls or magics; which cells gave them said on stderr; a
notebook that is missing, not a notebook, or a cell that does not parse refused in one line, exit 2."""

import json

import pytest

from nngrad import notebook_code
from nngrad.cli import main

from test_check_cli import CODE, PAIR_LOSS_NET

BOOK_LAYERS = '''import numpy as np

class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = 1 / (1 + np.exp(-1))  # the classic slip: -1 for -x
        self.out = out
        return out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out
'''

TRAINING = '''print("training")
W = np.random.randn(4, 3)
for epoch in range(10):
    print(epoch)
raise SystemExit("the training cell ran")
while True:
    pass
'''


def notebook(path, *cells):
    """Write an nbformat-4 notebook of ``cells``: ("markdown" | "code", source) pairs; returns its path."""
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True),
         **({"outputs": [], "execution_count": None} if kind == "code" else {})} for kind, source in cells]}))
    return path


@pytest.fixture
def lesson(tmp_path):
    magics = "%matplotlib inline\n!pip list\nfiles = !ls\n"
    constants = "EPS = 1e-7\nHALF = EPS / 2\n"
    return notebook(tmp_path / "lesson.ipynb", ("markdown", "# Layers"), ("code", magics + BOOK_LAYERS + constants),
                    ("code", TRAINING), ("code", CODE))


def test_a_notebook_class_is_checked_without_running_the_training_loop(capsys, lesson):
    assert main(["check", "--layer", f"{lesson}:Relu", "--input-shape", "4,3"]) == 0
    out, err = capsys.readouterr()
    assert "gradient check of layer Relu" in out and "result: PASS" in out
    assert err == ("nngrad: took definitions from cells 2, 4 of lesson.ipynb; skipped cell 2's 3 magic lines, "
                   "cell 3's call, assignment to W, 2 loops and raise statement\n"), err


def test_a_notebook_sigmoid_with_exp_of_minus_one_fails_with_the_constant_output_finding(capsys, lesson):
    assert main(["check", "--layer", f"{lesson}:Sigmoid", "--input-shape", "4,3"]) == 1
    out = capsys.readouterr().out
    assert "constant-output" in out and "np.exp(-1) for np.exp(-x)?" in out and "result: FAIL" in out


@pytest.mark.parametrize("argv,status,words", PAIR_LOSS_NET)
def test_pairs_losses_and_networks_come_from_a_notebook_too(capsys, lesson, argv, status, words):
    assert main(["check", *(a.replace("{f}", str(lesson)) for a in argv)]) == status
    assert words in capsys.readouterr().out


def test_constants_built_from_calls_or_untaken_names_are_left_out(tmp_path, capsys):
    path = notebook(tmp_path / "c.ipynb", ("code", "import numpy as np\nA = np.zeros(3)\nB = A + 1\nC = np.pi * 2\n"
                                                   "class Layer:\n    scale = C\n"))
    from nngrad import notebook_code
    module, taken = notebook_code.load(path)
    assert not hasattr(module, "A") and not hasattr(module, "B") and module.Layer.scale == pytest.approx(6.283185)
    assert str(taken) == "took definitions from cell 1 of c.ipynb; skipped cell 1's assignments to A, B"


@pytest.mark.parametrize("content,words", [
    (None, "no such notebook:"),
    ("def f(:\n", "is not a notebook: not JSON"),
    (json.dumps({"metadata": {}}), "is not a notebook: nbformat 4 JSON has a list of cells, this has none"),
    ("cells", "cell 3 of {p} does not parse: line 2: invalid syntax"),
    ("missing", "lesson.ipynb has no class 'Tanh' (it defines: Relu, Sigmoid)"),
    ("assigned", "lesson.ipynb has no class 'Tanh' (it defines: Relu, Sigmoid); cell 2 assigns Tanh in a statement "
                 "that is not run"),
    ("raising", "the definitions of cell 1 of {p} raised ModuleNotFoundError: No module named 'no_such_module'"),
])
def test_bad_notebooks_are_one_line_and_exit_2(tmp_path, capsys, content, words):
    path = tmp_path / "lesson.ipynb"
    if content == "cells":
        notebook(path, ("code", BOOK_LAYERS), ("markdown", "text"), ("code", "x = 1\ndef f(:\n    pass\n"))
    elif content == "missing":
        notebook(path, ("code", BOOK_LAYERS))
    elif content == "assigned":
        notebook(path, ("code", BOOK_LAYERS), ("code", "Tanh = type('Tanh', (Sigmoid,), {})\n"))
    elif content == "raising":
        notebook(path, ("code", "import no_such_module\n"))
    elif content is not None:
        path.write_text(content)
    assert main(["check", "--layer", f"{path}:Tanh", "--input-shape", "4,3"]) == 2
    err = capsys.readouterr().err
    assert words.format(p=path) in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_the_documented_command_checks_the_relu_of_the_docs_notebook_without_running_it(capsys):
    """docs/notebooks/is_my_backward_right.ipynb says this command works: its ReLU changes dout in place."""
    from test_notebooks import FOLDER
    assert main(["check", "--layer", f"{FOLDER / 'is_my_backward_right.ipynb'}:Relu", "--input-shape", "4,3"]) == 1
    out, err = capsys.readouterr()
    assert "dout-modified" in out and "took definitions from cells 2, 4, 6, 8, 10, 12" in err


def test_an_error_in_a_notebook_layer_points_at_its_cell_and_line(tmp_path, capsys):
    path = notebook(tmp_path / "nb.ipynb", ("markdown", "text"), ("code", "import numpy as np\n\nclass Broken:\n"
                    "    def forward(self, x):\n        return x\n\n    def backward(self, dout):\n"
                    "        return dout @ self.V\n"))
    assert main(["check", "--layer", f"{path}:Broken", "--input-shape", "4,3"]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert "AttributeError" in err and "(nb.ipynb cell 2, line 8: return dout @ self.V)" in err, err
