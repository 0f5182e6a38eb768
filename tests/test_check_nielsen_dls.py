"""check_network takes Nielsen's Network (network.py, network2.py) and the deep-learning specialisation's
functions directly: correct code passes with every array named in the style's own names, each bug fails naming
the array. Beside them, integer and boolean inputs are never perturbed, pure-Python lists reach the code as
lists, and a function given too few inputs is told in one line."""

import math

import dls_style as dls
import nielsen_style as nielsen
import numpy as np
import pytest

from nngrad import check_function, check_loss, check_network, check_pair
from nngrad.errors import InvalidType, InvalidValue

SIZES = [3, 4, 2]


def columns(rng, n_in=3, n_out=2, m=4):
    """x (n_in, m) and one-hot columns y (n_out, m): Nielsen's samples."""
    return rng.standard_normal((n_in, m)), np.eye(n_out)[:, rng.integers(0, n_out, m)]


def status(report) -> dict[str, str]:
    return {r.name: r.verdict for r in report.rows}


# -- Nielsen ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls, cost", [(nielsen.Network, "quadratic"), (nielsen.Network2, "CrossEntropyCost")])
def test_a_correct_nielsen_network_passes_with_rows_named_weights_and_biases(rng, cls, cost):
    x, y = columns(rng)
    report = check_network(cls(SIZES), x, y)
    assert report.passed, report
    assert list(status(report)) == ["weights[0]", "biases[0]", "weights[1]", "biases[1]"]
    assert cost in report.how and "summed as update_mini_batch does" in report.how


def test_one_sample_as_a_column_or_a_flat_vector(rng):
    x, y = columns(rng, m=1)
    assert check_network(nielsen.Network(SIZES), x, y).passed
    assert check_network(nielsen.Network(SIZES), x.ravel(), y.ravel()).passed


@pytest.mark.parametrize("cls", [nielsen.WrongSigmoidPrime, nielsen.Network2WrongDelta])
def test_a_wrong_derivative_in_a_nielsen_network_fails_every_array(rng, cls):
    x, y = columns(rng)
    report = check_network(cls(SIZES), x, y)
    assert report.status == "FAIL"
    assert status(report)["weights[1]"] == "FAIL" and status(report)["biases[1]"] == "FAIL"


def test_a_transposed_nabla_w_fails_naming_the_weights_and_not_the_biases(rng):
    x, y = columns(rng)
    report = check_network(nielsen.TransposedNablaW(SIZES), x, y)
    assert status(report) == {"weights[0]": "shape", "biases[0]": "ok", "weights[1]": "shape", "biases[1]": "ok"}
    assert "weights[0] has shape (3, 4)" in str(report) and "transposed" in str(report)


def test_the_network_is_left_as_found(rng):
    net = nielsen.Network(SIZES)
    before = [w.copy() for w in net.weights] + [b.copy() for b in net.biases]
    check_network(net, *columns(rng))
    assert all(np.array_equal(a, b) for a, b in zip(net.weights + net.biases, before))


def test_a_nielsen_x_of_the_wrong_size_is_one_line(rng):
    x, y = columns(rng, n_in=5)
    with pytest.raises(InvalidValue, match=r"x has shape \(5, 4\); expected \(3, m\)"):
        check_network(nielsen.Network(SIZES), x, y)


# -- the deep-learning specialisation -----------------------------------------------------------------------------

def specialisation(rng, backward=dls.L_model_backward, m=6):
    X = rng.standard_normal((4, m))
    Y = (rng.uniform(size=(1, m)) > 0.5).astype(float)
    return check_network(dls.initialize_parameters_deep([4, 5, 3, 1]), X, Y, forward=dls.L_model_forward,
                         cost=dls.compute_cost, backward=backward)


def test_the_specialisations_functions_pass_with_rows_w1_b1(rng):
    report = specialisation(rng)
    assert report.passed, report
    assert list(status(report)) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert "L_model_backward(AL, Y, caches) returned grads with dW1, db1" in report.how


def test_dw_without_its_one_over_m_fails_every_w_and_no_b(rng):
    report = specialisation(rng, dls.L_model_backward_no_m)
    assert {k for k, v in status(report).items() if v == "FAIL"} == {"W1", "W2", "W3"}
    assert "6 times the numerical gradient" in str(report)


def test_db_without_keepdims_fails_as_a_shape_naming_b(rng):
    report = specialisation(rng, dls.L_model_backward_no_keepdims)
    assert status(report) == {"W1": "ok", "b1": "shape", "W2": "ok", "b2": "shape", "W3": "ok", "b3": "shape"}
    assert "b1 has shape (5,)" in str(report)


def test_integer_labels_y_are_passed_as_given(rng):
    X, seen = rng.standard_normal((4, 5)), []

    def cost(AL, Y):
        seen.append(Y.dtype.kind)
        return dls.compute_cost(AL, Y)

    Y = rng.integers(0, 2, (1, 5))
    report = check_network(dls.initialize_parameters_deep([4, 3, 1]), X, Y, forward=dls.L_model_forward, cost=cost,
                           backward=dls.L_model_backward)
    assert report.passed and set(seen) == {"i"} and "integer labels" in report.how


def test_forward_cost_backward_come_together(rng):
    with pytest.raises(InvalidValue, match="cost, backward missing"):
        check_network(dls.initialize_parameters_deep([4, 3, 1]), np.ones((4, 2)), np.ones((1, 2)),
                      forward=dls.L_model_forward)
    with pytest.raises(InvalidType, match="parameters dict"):
        check_network([np.ones((3, 4))], np.ones((4, 2)), np.ones((1, 2)), forward=dls.L_model_forward,
                      cost=dls.compute_cost, backward=dls.L_model_backward)


@pytest.mark.parametrize("net", [42, "network.py", {"W1": np.ones((3, 4))}], ids=["int", "str", "dict"])
def test_a_net_that_is_no_network_is_one_line(net):
    with pytest.raises(InvalidType, match="net must be a network object"):
        check_network(net, np.ones((2, 4)), np.ones(2))


def test_a_located_finding_calls_wrong_only_the_arrays_that_failed():
    from nngrad.check.network_check import boundary

    words = boundary({"W1": 1, "b1": 1, "W2": 2, "b2": 2}, ["W1"])
    assert words.startswith("W1 is wrong while b1, W2, b2 agree")
    assert boundary({"weights[0]": 1, "biases[0]": 1, "weights[1]": 2, "biases[1]": 2},
                    ["weights[0]", "biases[0]"]).startswith("weights[0], biases[0] are wrong")


# -- integer and boolean inputs: passed untouched, never perturbed --------------------------------------------

def embed_forward(ids, W, mask):
    assert ids.dtype.kind == "i" and mask.dtype == bool  # what the user's code relies on
    return W[ids] * mask[..., None], (ids, W.shape, mask)


def embed_backward(dout, cache):
    ids, shape, mask = cache
    dW = np.zeros(shape)
    np.add.at(dW, ids, dout * mask[..., None])
    return dW


def embed_backward_no_mask(dout, cache):
    ids, shape, _ = cache
    dW = np.zeros(shape)
    np.add.at(dW, ids, dout)  # BUG: the mask is not applied
    return dW


def test_token_ids_and_a_mask_pass_untouched_through_a_pair(rng):
    ids, W, mask = rng.integers(0, 6, (2, 3)), rng.standard_normal((6, 4)), np.array([[1, 1, 0], [1, 0, 1]], bool)
    report = check_pair(embed_forward, embed_backward, ids, W, mask)
    assert report.passed and list(status(report)) == ["dW"] and "ids, mask (integer or boolean)" in report.how
    assert check_pair(embed_forward, embed_backward_no_mask, ids, W, mask).status == "FAIL"


def test_integer_labels_pass_untouched_through_a_loss(rng):
    def hinge(x, y):
        assert y.dtype.kind == "i"
        n = len(x)
        margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1)
        margins[np.arange(n), y] = 0
        dx = (margins > 0).astype(float)
        dx[np.arange(n), y] -= dx.sum(axis=1)
        return margins.sum() / n, dx / n

    report = check_loss(hinge, rng.standard_normal((5, 3)), rng.integers(0, 3, 5))
    assert report.passed and list(status(report)) == ["dx"]


def test_integer_ids_pass_untouched_into_a_network(rng):
    class Embedding:
        """A params-dict network over token ids: loss = sum of W[x] * t."""

        def __init__(self):
            self.params = {"W": rng.standard_normal((6, 3))}

        def loss(self, x, t):
            assert x.dtype.kind == "i"
            return float(np.sum(self.params["W"][x] * t))

        def gradient(self, x, t):
            dW = np.zeros_like(self.params["W"])
            np.add.at(dW, x, t)
            return {"W": dW}

    report = check_network(Embedding(), rng.integers(0, 6, 4), rng.standard_normal((4, 3)))
    assert report.passed and list(status(report)) == ["W"]


# -- pure-Python lists ---------------------------------------------------------------------------------------

def dot_forward(x, w):
    assert isinstance(x, list) and isinstance(w, list)
    return [sum(a * b for a, b in zip(row, w)) for row in x], (x, w)


def dot_backward(dout, cache):
    assert isinstance(dout, list)
    x, w = cache
    dx = [[d * b for b in w] for d in dout]
    dw = [sum(d * row[j] for d, row in zip(dout, x)) for j in range(len(w))]
    return dx, dw


def dot_backward_dw_unsummed(dout, cache):
    x, w = cache
    dx = [[d * b for b in w] for d in dout]
    return dx, [dout[0] * a for a in x[0]]  # BUG: only the first row's contribution


def test_a_pair_in_pure_python_lists_gets_lists_and_is_read_back():
    x, w = [[1.0, 2.0, -0.5], [0.3, -1.2, 2.0]], [0.5, -0.25, 1.5]
    report = check_pair(dot_forward, dot_backward, x, w)
    assert report.passed and list(status(report)) == ["dx", "dw"]
    assert status(check_pair(dot_forward, dot_backward_dw_unsummed, x, w)) == {"dx": "ok", "dw": "FAIL"}
    assert x == [[1.0, 2.0, -0.5], [0.3, -1.2, 2.0]]  # the user's lists unchanged


def tanh_loss(x):
    assert isinstance(x, list)
    return sum(math.tanh(v) for v in x), [1 - math.tanh(v) ** 2 for v in x]


def tanh_loss_wrong(x):
    return sum(math.tanh(v) for v in x), [1 - math.tanh(v) for v in x]  # BUG: tanh not squared


def test_a_loss_and_a_function_in_pure_python_lists():
    assert check_loss(tanh_loss, [0.1, -0.3, 0.7]).passed
    assert check_loss(tanh_loss_wrong, [0.1, -0.3, 0.7]).status == "FAIL"

    def f(theta):
        assert isinstance(theta, list)
        return sum(v ** 3 for v in theta)

    assert check_function(f, lambda t: [3 * v * v for v in t], [0.5, 1.0, -2.0]).passed
    assert check_function(f, lambda t: [3 * v for v in t], [0.5, 1.0, -2.0]).status == "FAIL"


# -- too few inputs -----------------------------------------------------------------------------------------------

def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def test_too_few_or_too_many_inputs_are_named_in_one_line(rng):
    x, w = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    with pytest.raises(InvalidValue, match=r"affine_forward\(x, w, b\) takes 3 inputs, got 2: b is missing"):
        check_pair(affine_forward, affine_backward, x, w)
    with pytest.raises(InvalidValue, match=r"hinge\(x, y\) takes 2 inputs, got 1: y is missing"):
        def hinge(x, y):
            return 0.0, x

        check_loss(hinge, x)
    with pytest.raises(InvalidValue, match="got 4: 1 too many"):
        check_pair(affine_forward, affine_backward, x, w, np.zeros(3), np.zeros(3))
