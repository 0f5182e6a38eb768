"""``nngrad check`` takes what a new user types for the styles learners write: the targets a column network's y is
(--targets onehot), a layer of several inputs or of token ids (--layer with --shapes), a loss in pure Python or
returning its gradients flat; what it cannot take is one line, exit 2, no traceback."""

from pathlib import Path

import pytest

from nngrad.cli import main

TESTS = Path(__file__).parent
NIELSEN, DLS = TESTS / "nielsen_style.py", TESTS / "dls_style.py"
SIZES = '{"sizes": [3, 4, 2]}'
DIMS = '{"layer_dims": [4, 5, 3, 1]}'
SPECIALISATION = f"{DLS}:L_model_forward,compute_cost,L_model_backward"

CODE = '''
import math

import numpy as np


class RecurrentStep:
    """nnfs-like: forward(x, h) of two inputs of different shapes, gradients as attributes."""

    def __init__(self, n_in, n_hidden):
        rng = np.random.default_rng(1)
        self.Wx = 0.5 * rng.standard_normal((n_in, n_hidden))
        self.Wh = 0.5 * rng.standard_normal((n_hidden, n_hidden))

    def forward(self, x, h):
        self.x, self.h = x, h
        self.out = np.tanh(x @ self.Wx + h @ self.Wh)
        return self.out

    def backward(self, dout):
        da = dout * (1 - self.out ** 2)
        self.dWx, self.dWh = self.x.T @ da, self.h.T @ da
        return da @ self.Wx.T, self.dh(da, dout)

    def dh(self, da, dout):
        return da @ self.Wh.T


class RecurrentStepNoTanh(RecurrentStep):
    def dh(self, da, dout):
        return dout @ self.Wh.T  # BUG: skips tanh'


class Param:
    def __init__(self, data):
        self.data, self.grad = data, np.zeros_like(data)


class Lookup:
    """torch-like: a table of vectors looked up by integer ids, its gradient in a parameter object."""

    def __init__(self, vocab, dim):
        self.table = Param(np.random.default_rng(2).standard_normal((vocab, dim)))

    def forward(self, ids):
        self.ids = ids
        return self.table.data[ids]

    def backward(self, dout):
        self.table.grad = np.zeros_like(self.table.data)
        np.add.at(self.table.grad, self.ids, dout)


class LookupAssigned(Lookup):
    def backward(self, dout):
        self.table.grad = np.zeros_like(self.table.data)
        self.table.grad[self.ids] = dout  # BUG: a repeated id keeps one occurrence


class SquaredError:
    """A loss layer forward(pred, target) -> a number, backward() -> dpred."""

    def forward(self, pred, target):
        self.r = pred - target
        return 0.5 * float(np.sum(self.r ** 2))

    def backward(self):
        return self.r


def l1(pred, target):
    n = len(pred)
    loss = sum(abs(p - t) for p, t in zip(pred, target)) / n
    return loss, [math.copysign(1.0 / n, p - t) for p, t in zip(pred, target)]


def affine_cost(W, b, X, Y):
    r = X @ W + b - Y
    return float(np.sum(r ** 2)) / len(Y), 2 * X.T @ r / len(Y), 2 * r.sum(axis=0) / len(Y)
'''


@pytest.fixture
def code(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(CODE)
    return path


@pytest.mark.parametrize("argv, words", [
    (["--net", f"{NIELSEN}:Network", "--kwargs", SIZES, "--targets", "onehot"], "weights[1]"),
    (["--net", SPECIALISATION, "--kwargs", DIMS, "--targets", "onehot"], "W3"),
])
def test_targets_onehot_is_what_a_column_networks_y_is(capsys, argv, words):
    assert main(["check", *argv]) == 0
    assert words in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["--net", f"{NIELSEN}:Network", "--kwargs", SIZES, "--targets", "labels"],
    ["--net", SPECIALISATION, "--kwargs", DIMS, "--targets", "labels"],
])
def test_targets_labels_for_a_column_network_is_one_line(capsys, argv):
    assert main(["check", *argv]) == 2
    err = capsys.readouterr().err
    assert "as labels: its y is shaped like its output" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, status, words", [
    (["{code}:RecurrentStep", "--kwargs", '{"n_in": 4, "n_hidden": 3}', "--shapes", "5,4", "5,3"], 0, "x[1]"),
    (["{code}:RecurrentStepNoTanh", "--kwargs", '{"n_in": 4, "n_hidden": 3}', "--shapes", "5,4", "5,3"], 1,
     "x[1]"),
    (["{code}:Lookup", "--kwargs", '{"vocab": 4, "dim": 3}', "--shapes", "5,6:int<4"], 0, "table"),
    (["{code}:LookupAssigned", "--kwargs", '{"vocab": 4, "dim": 3}', "--shapes", "5,6:int<4"], 1, "table"),
    (["{code}:SquaredError", "--shapes", "4,3", "4,3"], 0, "dx"),
])
def test_a_layer_of_several_inputs_or_of_token_ids_takes_them_as_shapes(capsys, code, argv, status, words):
    assert main(["check", "--layer", *(a.replace("{code}", str(code)) for a in argv)]) == status
    out = capsys.readouterr().out
    assert words in out and ("result: PASS" if status == 0 else "result: FAIL") in out


@pytest.mark.parametrize("argv, words", [
    (["--loss-fn", "{code}:l1", "--shapes", "6", "6"], "target held fixed: no gradient returned for it"),
    (["--loss-fn", "{code}:affine_cost", "--shapes", "3,2", "2", "6,3", "6,2"], "returned (loss, dW, db); X, Y held "
     "fixed"),
])
def test_a_loss_returning_a_list_or_flat_gradients_from_the_shell(capsys, code, argv, words):
    assert main(["check", *(a.replace("{code}", str(code)) for a in argv)]) == 0
    assert words in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["--layer", "{code}:SquaredError", "--shapes", "4,3", "--input-shape", "4,3"],
     "--input-shape and --shapes both give --layer's inputs"),
    (["--layer", "{code}:SquaredError", "--shapes", "4,3", "4,3", "--targets", "onehot"],
     "give the targets as its second input"),
    (["--layer", "{code}:Lookup", "--kwargs", '{"vocab": 4, "dim": 3}', "--input-shape", "5,6"],
     "integer inputs, such as token ids? give each input as --shapes"),
    (["--layer", "{code}:RecurrentStep", "--kwargs", '{"n_in": 4, "n_hidden": 3}', "--shapes", "5,4", "5,4"],
     "(are --shapes right?)"),
])
def test_what_cannot_be_taken_is_one_line_and_exit_2(capsys, code, argv, words):
    assert main(["check", *(a.replace("{code}", str(code)) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
