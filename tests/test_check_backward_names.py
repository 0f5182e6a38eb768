"""A backward under another name (backward_pass, do_backprop) where there is no backward, and from the shell a
factory function (--layer FILE.py:make) that builds the object from --kwargs."""

import numpy as np

import nngrad
from nngrad.cli import main

CODE = '''
import numpy as np


class Scale:
    """y = x * g; g (n,)."""

    def __init__(self, n, wrong=False):
        self.g, self.wrong = np.linspace(0.5, 1.5, n), wrong

    def forward(self, x):
        self.x = x
        return x * self.g

    def backward_pass(self, dy):
        self.dg = (dy * self.x).sum(axis=0) * (2.0 if self.wrong else 1.0)
        return dy * self.g


class Chain:
    def __init__(self, parts):
        self.parts = parts

    def forward(self, x):
        for p in self.parts:
            x = p.forward(x)
        return x

    def do_backprop(self, dy):
        for p in reversed(self.parts):
            dy = p.backward_pass(dy)
        return dy


def make_scale(n, wrong=False):
    return Scale(n, wrong)


def make_chain(sizes, wrong=False):
    return Chain([Scale(n, wrong and k == 0) for k, n in enumerate(sizes)])
'''


def _module(tmp_path):
    path = tmp_path / "learner.py"
    path.write_text(CODE)
    space: dict = {}
    exec(compile(CODE, str(path), "exec"), space)  # noqa: S102 - the test's own learner code
    return path, space


def test_a_backward_named_backward_pass_or_do_backprop_is_called(tmp_path):
    _, code = _module(tmp_path)
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert nngrad.check_layer(code["Scale"](3), x).status == "PASS"
    assert nngrad.check_layer(code["Scale"](3, wrong=True), x).status == "FAIL"
    assert nngrad.check_layer(code["Chain"]([code["Scale"](3), code["Scale"](3)]), x).status == "PASS"


def test_a_factory_function_builds_the_layer_from_kwargs_in_the_shell(tmp_path, capsys):
    path, _ = _module(tmp_path)
    shape = ["--input-shape", "4,3"]
    assert main(["check", "--layer", f"{path}:make_scale", "--kwargs", '{"n": 3}', *shape]) == 0
    assert main(["check", "--layer", f"{path}:make_scale", "--kwargs", '{"n": 3, "wrong": true}', *shape]) == 1
    assert main(["check", "--layer", f"{path}:make_chain", "--kwargs", '{"sizes": [3, 3]}', *shape]) == 0
    assert main(["check", "--layer", f"{path}:make_chain", "--kwargs", '{"sizes": [3, 3], "wrong": true}',
                 *shape]) == 1
    capsys.readouterr()
