"""How check_loss and check_pair read the gradients learner code returns, one rule for every style: a list or tuple
of numbers is ONE gradient, a tuple of arrays (or of lists of numbers) several, in the order of the float inputs; a
flat ``(loss, g1, ..., gk)`` as well as ``(loss, (g1, ..., gk))`` and ``(loss, {name: g})``; a float input left
without a gradient is held fixed and named in the report's "called:" line, never silently."""

import numpy as np
import pytest

from nngrad import check_loss, check_pair
from nngrad.errors import InvalidValue

# -- a list of numbers is one gradient; the float inputs after the returned gradients are held fixed, and named ----


def l1_loss(pred, target):
    """Pure Python: mean |p - t| over lists of floats; its gradient a list."""
    n = len(pred)
    loss = sum(abs(p - t) for p, t in zip(pred, target)) / n
    return loss, [(1.0 if p > t else -1.0) / n for p, t in zip(pred, target)]


def l1_loss_no_mean(pred, target):
    n = len(pred)
    loss = sum(abs(p - t) for p, t in zip(pred, target)) / n
    return loss, [1.0 if p > t else -1.0 for p, t in zip(pred, target)]  # BUG: the 1/n of the mean is missing


def log_cosh(pred, target):
    """numpy inputs, the gradient handed back as a tuple of Python floats (tuple(grad))."""
    r = pred - target
    return float(np.mean(np.log(np.cosh(r)))), tuple(float(v) for v in np.tanh(r) / r.size)


def log_cosh_no_mean(pred, target):
    r = pred - target
    return float(np.mean(np.log(np.cosh(r)))), tuple(float(v) for v in np.tanh(r))  # BUG: not divided by the size


def squared_norm(W):
    """Pure Python: sum of squares of a matrix given as a list of rows; the gradient a list of rows."""
    return sum(w * w for row in W for w in row), [[2 * w for w in row] for row in W]


def squared_norm_transposed(W):
    cols = range(len(W[0]))
    return sum(w * w for row in W for w in row), [[2 * W[i][j] for i in range(len(W))] for j in cols]  # BUG: W.T


def ridge_loss_naive(w, X, y, reg):
    """svm_loss_naive's shape: (loss, dw) for weights w, data X and targets y held fixed, reg a number."""
    r = X @ w - y
    return float(r @ r / len(y) + reg * w @ w), 2 * X.T @ r / len(y) + 2 * reg * w


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def vector(rng, n):
    return [float(v) for v in rng.standard_normal(n)]


@pytest.mark.parametrize("fn, as_lists", [(l1_loss, True), (log_cosh, False)])
def test_a_list_of_numbers_is_one_gradient_and_the_target_is_named_held_fixed(rng, fn, as_lists):
    pred, target = vector(rng, 6), vector(rng, 6)
    args = (pred, target) if as_lists else (np.array(pred), np.array(target))
    report = check_loss(fn, *args)
    assert report.passed, report
    assert [r.name for r in report.rows] == ["dpred"]
    assert "target held fixed: no gradient returned for it (data or targets, not differentiated)" in report.how


@pytest.mark.parametrize("fn, as_lists", [(l1_loss_no_mean, True), (log_cosh_no_mean, False)])
def test_a_wrong_gradient_returned_as_a_list_of_numbers_fails(rng, fn, as_lists):
    pred, target = vector(rng, 6), vector(rng, 6)
    args = (pred, target) if as_lists else (np.array(pred), np.array(target))
    report = check_loss(fn, *args)
    assert report.status == "FAIL" and report.rows[0].name == "dpred"


def test_a_pure_python_matrix_returned_as_rows_is_one_gradient(rng):
    W = [vector(rng, 3) for _ in range(2)]
    assert check_loss(squared_norm, W).passed
    assert check_loss(squared_norm_transposed, W).status == "FAIL"


def test_weights_first_the_data_after_them_held_fixed_and_named(rng):
    X, w, y = rng.standard_normal((7, 3)), rng.standard_normal(3), rng.standard_normal(7)
    report = check_loss(ridge_loss_naive, w, X, y, 0.1)
    assert report.passed and [r.name for r in report.rows] == ["dw"]
    assert "X, y held fixed: no gradient returned for them" in report.how


def scalar_pair_loss(w, b):
    """w and b 0-d arrays: the gradients a tuple of two numbers, one each."""
    return float((3 * w + b - 1) ** 2), (float(6 * (3 * w + b - 1)), float(2 * (3 * w + b - 1)))


def test_a_tuple_of_numbers_for_scalar_inputs_is_one_gradient_each():
    report = check_loss(scalar_pair_loss, np.array(0.4), np.array(-0.2))
    assert report.passed and [r.name for r in report.rows] == ["dw", "db"]


# -- (loss, g1, ..., gk) flat, (loss, (g1, ...)) nested, (loss, {name: g}) by name ---------------------------------

def two_layer(X, y):
    """A notebook's loss_and_grads over global data: (loss, dW1, db1, dW2, db2), flat; ``bug`` plants one."""
    def loss_and_grads(W1, b1, W2, b2, bug=False, nested=False):
        h = np.maximum(0, X @ W1 + b1)
        out = h @ W2 + b2
        r = out - y
        loss = 0.5 * np.sum(r ** 2) / len(X)
        dout = r / len(X)
        dW2, db2 = h.T @ dout, dout.sum(axis=0)
        dh = dout @ W2.T * (h > 0)
        dW1, db1 = X.T @ dh, dh.sum(axis=0) * (2 if bug else 1)  # BUG where planted: db1 doubled
        return (loss, (dW1, db1, dW2, db2)) if nested else (loss, dW1, db1, dW2, db2)
    return loss_and_grads


def params(rng):
    return rng.standard_normal((4, 5)), rng.standard_normal(5), rng.standard_normal((5, 2)), rng.standard_normal(2)


def logistic(X, Y):
    """The specialisation's week-2 cost_and_grads(w, b): (cost, dw, db), b a 0-d array, db a number."""
    def cost_and_grads(w, b, bug=False):
        A = 1 / (1 + np.exp(-(w.T @ X + b)))
        m = X.shape[1]
        cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
        return cost, X @ (A - Y).T / m, np.sum(A - Y) / (1 if bug else m)  # BUG where planted: db not the mean
    return cost_and_grads


def test_a_flat_tuple_of_gradients_is_one_per_float_input_in_order(rng):
    X, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
    f = two_layer(X, y)
    report = check_loss(f, *params(rng))
    assert report.passed, report
    assert [r.name for r in report.rows] == ["dW1", "db1", "dW2", "db2"]

    def nested(W1, b1, W2, b2):
        return f(W1, b1, W2, b2, nested=True)

    def buggy(W1, b1, W2, b2):
        return f(W1, b1, W2, b2, bug=True)

    assert check_loss(nested, *params(rng)).passed  # (loss, (g1, ...)) still taken
    buggy = check_loss(buggy, *params(rng))
    assert buggy.status == "FAIL" and [r.name for r in buggy.rows if r.verdict != "ok"] == ["db1"]


def test_a_flat_tuple_with_a_number_for_a_scalar_bias(rng):
    X, Y = rng.standard_normal((3, 8)), rng.integers(0, 2, (1, 8)).astype(float)
    f = logistic(X, Y)
    report = check_loss(f, rng.standard_normal((3, 1)), np.array(0.3))
    assert report.passed and [r.name for r in report.rows] == ["dw", "db"]
    buggy = check_loss(lambda w, b: f(w, b, bug=True), rng.standard_normal((3, 1)), np.array(0.3))
    assert buggy.status == "FAIL"


def by_name(W, b, x, bug=False):
    """(loss, {'dW': ..., 'db': ..., 'dz': ...}): keys after the inputs' names, one (dz) no input's."""
    z = W @ x + b
    return float(np.sum(np.tanh(z))), {"dW": np.outer(1 - np.tanh(z) ** 2, x), "db": (1 - np.tanh(z) ** 2) * (
        -1 if bug else 1), "dz": 1 - np.tanh(z) ** 2}


def grads_named_as_inputs(W1, W2):
    """(loss, {'W1': ..., 'W2_grad': ...})."""
    return float(np.sum((W1 @ W2) ** 2)), {"W2_grad": 2 * W1.T @ (W1 @ W2), "W1": 2 * (W1 @ W2) @ W2.T}


def test_a_dict_of_gradients_is_read_by_the_inputs_names(rng):
    W, b, x = rng.standard_normal((3, 4)), rng.standard_normal(3), rng.standard_normal(4)
    report = check_loss(by_name, W, b, x)
    assert report.passed and [r.name for r in report.rows] == ["dW", "db"]
    assert "dz ignored (no input of that name)" in report.how and "x held fixed" in report.how
    assert check_loss(lambda W, b, x: by_name(W, b, x, bug=True), W, b, x).status == "FAIL"
    report = check_loss(grads_named_as_inputs, rng.standard_normal((2, 3)), rng.standard_normal((3, 2)))
    assert report.passed and [r.name for r in report.rows] == ["dW1", "dW2"]


def test_a_backward_may_return_its_gradients_by_name(rng):
    def forward(x, w):
        return x @ w, (x, w)

    def backward(dout, cache):
        x, w = cache
        return {"dw": x.T @ dout, "dx": dout @ w.T}

    def backward_without_dw(dout, cache):
        return {"dx": dout @ cache[1].T}

    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    assert check_pair(forward, backward, x, w).passed
    report = check_pair(forward, backward_without_dw, x, w)
    assert report.status == "INCONCLUSIVE" and "dw" in str(report)


def test_more_gradients_than_float_inputs_is_one_line(rng):
    def loss_with_extras(x, y):
        return float(np.sum(x * y)), y, x, np.zeros(3)

    with pytest.raises(InvalidValue, match=r"returned 3 gradients; it has only 2 float inputs \(x, y\)"):
        check_loss(loss_with_extras, rng.standard_normal(3), rng.standard_normal(3))


def test_a_dict_naming_no_input_is_one_line(rng):
    with pytest.raises(InvalidValue, match="none named after a float input"):
        check_loss(lambda x: (float(np.sum(x ** 2)), {"grad": 2 * x}), rng.standard_normal(3))
