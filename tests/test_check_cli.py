"""``nngrad check`` on the user's own code: --layer, --pair, --loss-fn, --net; inputs and constructors built from
the options; every bad input one line with exit status 2, pointing at the user's own file and line."""

import pytest

from nngrad.cli import main

CODE = '''
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class SquareTransposed(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = dout.T @ self.x
        return dx


class ReluMaskFromDout:
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout * (dout > 0)


class Raising(Affine):
    def backward(self, dout):
        return dout @ self.V.T


class NoBackward:
    def forward(self, x):
        return x


def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def short_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout


def softmax_loss(x, y):
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = len(x)
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return -np.log(p[np.arange(n), y]).mean(), dx  # dx not divided by n


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size):
        rng = np.random.default_rng(0)
        self.params = {"W1": rng.standard_normal((input_size, hidden_size)), "b1": np.zeros(hidden_size),
                       "W2": rng.standard_normal((hidden_size, output_size)), "b2": np.zeros(output_size)}

    def predict(self, x):
        return np.tanh(x @ self.params["W1"] + self.params["b1"]) @ self.params["W2"] + self.params["b2"]

    def loss(self, x, t):
        s = self.predict(x)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return float(-np.log(p[np.arange(len(t)), t]).mean())

    def gradient(self, x, t):
        h = np.tanh(x @ self.params["W1"] + self.params["b1"])
        s = h @ self.params["W2"] + self.params["b2"]
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(t)), t] -= 1
        d = p / len(t)
        dh = d @ self.params["W2"].T * (1 - h ** 2)
        return {"W1": x.T @ dh, "b1": dh.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}
'''


# a functional pair, a loss and a network of CODE, checked from the shell ({f}: the file holding it); the notebook
# tests run the same from a notebook
PAIR_LOSS_NET = [
    (["--pair", "{f}:affine", "--shapes", "4,5", "5,3", "3"], 0, "affine_backward(dout, cache) returned (dx, dw, db)"),
    (["--loss-fn", "{f}:softmax_loss", "--shapes", "5,3", "labels"], 1, "5 times the numerical gradient"),
    (["--net", "{f}:TwoLayerNet", "--kwargs", '{"input_size": 4, "hidden_size": 5, "output_size": 3}',
      "--input-shape", "6,4"], 0, "gradient check of network TwoLayerNet"),
]


@pytest.fixture
def code(tmp_path):
    path = tmp_path / "mycode.py"
    path.write_text(CODE)
    return path


@pytest.mark.parametrize("argv,status,words", [
    (["--layer", "{f}:Affine", "--param", "W=4,3", "--param", "b=3", "--input-shape", "5,4"], 0, "result: PASS"),
    (["--layer", "{f}:SquareTransposed", "--param", "W=4,4", "--param", "b=4", "--input-shape", "4,4"], 1,
     "transposed: dW is the transpose of the numerical gradient"),
    (["--layer", "{f}:ReluMaskFromDout", "--input-shape", "4,4"], 1, "the mask taken from dout instead of x"),
    *PAIR_LOSS_NET,
])
def test_each_kind_of_user_code_from_the_shell(capsys, code, argv, status, words):
    assert main(["check", *(a.replace("{f}", str(code)) for a in argv)]) == status
    assert words in capsys.readouterr().out


def test_x_and_dout_are_drawn_apart_so_a_square_layer_cannot_hide_a_transposed_gradient(capsys, code):
    """Were dout drawn from x's seed, dout would equal x here, x.T @ dout would be symmetric and the check blind."""
    for seed in ("0", "1", "7"):
        assert main(["check", "--layer", f"{code}:SquareTransposed", "--param", "W=3,3", "--param", "b=3",
                     "--input-shape", "3,3", "--seed", seed]) == 1


@pytest.mark.parametrize("argv,words", [
    (["--layer", "{f}:Nope", "--input-shape", "2"], "has no class 'Nope'"),
    (["--layer", "{d}/missing.py:Affine", "--input-shape", "2"], "no such file"),
    (["--pair", "{f}:nope", "--shapes", "2"], "has no function 'nope_forward'"),
    (["--layer", "{f}:Affine", "--input-shape", "5,4"], "Affine(W, b) needs W, b: pass arrays as --param W=SHAPE"),
    (["--layer", "{f}:Raising", "--param", "W=4,3", "--param", "b=3", "--input-shape", "5,4"],
     "raised AttributeError: 'Raising' object has no attribute 'V' (mycode.py, line 35: return dout @ self.V.T)"),
    (["--layer", "{f}:NoBackward", "--input-shape", "2,2"], ("NoBackward has no backward method: a layer needs "
                                                            "forward(x) and backward(dout)")),
    (["--pair", "{f}:affine_forward,short_backward", "--shapes", "4,5", "5,3", "3"],
     "short_backward returned 2 values; expected 3, one per float input of affine_forward (x, w, b)"),
    (["--pair", "{f}:affine"], "--pair needs --shapes"),
    (["--pair", "{f}:affine", "--shapes", "4,5", "nonsense"], "is neither a shape (4,5), labels[:C] nor a JSON value"),
    (["--layer", "{f}:Affine", "--param", "W=4,3", "--param", "b=3", "--input-shape", "100000,100000"],
     "would need"),
    (["--layer", "{f}:Affine", "--depth", "3", "--input-shape", "5,4"], "--depth applies to the DNN check"),
    (["--pair", "{f}:affine", "--shapes", "4,5", "5,3", "3", "--input-shape", "2"], ("--input-shape applies to "
                                                                                    "--layer, --net, not to --pair")),
    (["--input-shape", "4,3"], "--input-shape applies to your own code"),
    (["--eps", "1e-4"], ("--eps sets the finite difference, but every array of this network is checked by the "
                        "complex step")),
    (["--outputs", "1", "--loss", "softmax_ce"], "--loss softmax_ce needs --outputs 2 or more"),
    (["--net", "{f}:TwoLayerNet", "--input-shape", "6,4"], "TwoLayerNet(input_size, hidden_size, output_size) needs"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, code, argv, words):
    assert main(["check", *(a.format(f=code, d=code.parent) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_the_dnn_check_names_the_reference_it_used(capsys):
    assert main(["check", "--depth", "2", "--width", "4"]) == 0
    out = capsys.readouterr().out
    assert "reference: complex step\n" in out and "central" not in out
    assert main(["check", "--depth", "2", "--width", "8", "--activation", "relu", "--loss", "softmax_ce",
                 "--outputs", "3", "--batch", "4"]) == 0
    assert "reference: central differences, eps=6.06e-06 (W0, b0, W1, b1) and complex step (W2, b2)" in (
        capsys.readouterr().out)
