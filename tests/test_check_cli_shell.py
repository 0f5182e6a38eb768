"""``nngrad check`` from the shell on the styles it takes whole (Nielsen's Network, the specialisation's functions),
on inputs the options build (JSON lists as arrays, integer ids, masks), and bad input in one line, exit 2."""

from pathlib import Path

import pytest

from nngrad.cli import main

TESTS = Path(__file__).parent
NIELSEN, DLS, ZOO = TESTS / "nielsen_style.py", TESTS / "dls_style.py", TESTS / "zoo"
SIZES = '{"sizes": [3, 4, 2]}'
DIMS = '{"layer_dims": [4, 5, 3, 1]}'
FUNCTIONS = "L_model_forward,compute_cost,{}"

CODE = '''
import numpy as np


def hinge(x, y):
    n = len(x)
    correct = x[np.arange(n), y]  # y must be an array: a list would index by its elements' positions
    margins = np.maximum(0, x - correct[:, None] + 1)
    margins[np.arange(n), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(n), y] -= dx.sum(axis=1)
    return margins.sum() / n, dx / y.shape[0]


def embed_forward(ids, W):
    return W[ids], (ids, W.shape)


def embed_backward(dout, cache):
    ids, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, ids, dout)
    return dW


def embed_backward_assigned(dout, cache):
    ids, shape = cache
    dW = np.zeros(shape)
    dW[ids] = dout  # BUG: a repeated id keeps only its last gradient
    return dW


def masked_forward(x, mask):
    return x * mask, mask


def masked_backward(dout, mask):
    return dout * mask


def mismatched_loss(x, y):
    return float((x @ np.ones((7, 1))).sum()), x
'''


@pytest.fixture
def code(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(CODE)
    return path


@pytest.mark.parametrize("argv, status, words", [
    (["--net", f"{NIELSEN}:Network", "--kwargs", SIZES], 0, "weights[1]"),
    (["--net", f"{NIELSEN}:Network2", "--kwargs", SIZES, "--input-shape", "3,2"], 0, "CrossEntropyCost"),
    (["--net", f"{NIELSEN}:WrongSigmoidPrime", "--kwargs", SIZES], 1, "biases[0]"),
    (["--net", f"{NIELSEN}:TransposedNablaW", "--kwargs", SIZES], 1, "weights[0] has shape (3, 4)"),
    (["--net", f"{NIELSEN}:Network2WrongDelta", "--kwargs", SIZES], 1, "CrossEntropyWrongDelta"),
    (["--net", f"{DLS}:{FUNCTIONS.format('L_model_backward')}", "--kwargs", DIMS], 0, "W3"),
    (["--net", f"{DLS}:{FUNCTIONS.format('L_model_backward_no_m')}", "--kwargs", DIMS], 1, "W1 is 4 times"),
    (["--net", f"{DLS}:{FUNCTIONS.format('L_model_backward_no_keepdims')}", "--kwargs", DIMS], 1,
     "b1 has shape (5,)"),
])
def test_nielsen_and_the_specialisation_from_the_shell(capsys, argv, status, words):
    assert main(["check", *argv]) == status
    out = capsys.readouterr().out
    assert words in out and ("result: PASS" if status == 0 else "result: FAIL") in out


def test_without_initialize_parameters_deep_the_parameters_are_drawn_from_layer_dims(capsys, tmp_path):
    bare = tmp_path / "bare.py"
    bare.write_text(DLS.read_text().replace("def initialize_parameters_deep", "def _not_the_initialiser"))
    assert main(["check", "--net", f"{bare}:{FUNCTIONS.format('L_model_backward')}", "--kwargs",
                 '{"layer_dims": [3, 2, 1]}', "--input-shape", "3,5"]) == 0
    assert "W2" in capsys.readouterr().out
    assert main(["check", "--net", f"{bare}:{FUNCTIONS.format('L_model_backward')}"]) == 2
    assert "layer_dims" in capsys.readouterr().err


def test_a_json_list_arrives_as_an_array(capsys, code):
    assert main(["check", "--loss-fn", f"{code}:hinge", "--shapes", "5,3", "[0, 2, 1, 1, 0]"]) == 0
    assert "result: PASS" in capsys.readouterr().out


def test_integer_ids_below_a_vocabulary_size_and_a_mask(capsys, code):
    assert main(["check", "--pair", f"{code}:embed", "--shapes", "4,5:int<3", "3,2"]) == 0
    assert "ids (integer or boolean) passed as given" in capsys.readouterr().out
    assert main(["check", "--pair", f"{code}:embed_forward,embed_backward_assigned", "--shapes", "4,5:int<3",
                 "3,2"]) == 1
    assert "dW" in capsys.readouterr().out
    assert main(["check", "--pair", f"{code}:masked", "--shapes", "4,5", "4,5:bool"]) == 0


@pytest.mark.parametrize("argv, words", [
    (["--pair", f"{ZOO / 'cs231n.py'}:affine", "--shapes", "4,5", "5,3"], "affine_forward(x, w, b) takes 3 inputs, "
     "got 2: b is missing"),
    (["--loss-fn", f"{ZOO / 'cs231n.py'}:svm_loss", "--shapes", "5,3"], "svm_loss(x, y) takes 2 inputs, got 1: y "
     "is missing"),
    (["--layer", f"{ZOO / 'nnfs.py'}:Loss_CategoricalCrossentropy", "--input-shape", "5,3"],
     "outside the loss's domain: it fails there, and passes with x drawn as probabilities (rows that sum to 1); add "
     "--draw probabilities"),
    (["--net", f"{NIELSEN}:Network", "--kwargs", SIZES, "--input-shape", "4,2"], "takes x of shape (3, m)"),
    (["--net", f"{DLS}:L_model_forward,compute_cost", "--kwargs", DIMS], "FILE.py:forward,cost,backward"),
    (["--pair", "{code}:embed", "--shapes", "4,5:int<0", "3,2"], "int<K needs K of 1 or more"),
    (["--net", f"{NIELSEN}:Network", "--kwargs", SIZES, "--classes", "2"], "--classes does not apply"),
    (["--net", f"{DLS}:{FUNCTIONS.format('L_model_backward')}", "--kwargs", DIMS, "--targets", "labels"],
     "--targets does not apply"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, code, argv, words):
    assert main(["check", *(a.replace("{code}", str(code)) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_the_shape_hint_names_the_option_that_sets_the_shapes(capsys, code):
    assert main(["check", "--loss-fn", f"{code}:mismatched_loss", "--shapes", "5,3", "labels"]) == 2
    err = capsys.readouterr().err
    assert "(are --shapes right?)" in err and "--input-shape" not in err


def test_a_buggy_loss_on_probabilities_still_fails_with_its_diagnosis(capsys):
    assert main(["check", "--layer", f"{ZOO / 'nnfs.py'}:Loss_CategoricalCrossentropy_NoMean",
                 "--input-shape", "5,3"]) == 1
    assert "result: FAIL" in capsys.readouterr().out
