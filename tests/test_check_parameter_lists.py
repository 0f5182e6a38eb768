"""A list or tuple of float arrays given as one input (d2l's ``params = [W1, b1, W2, b2]``) is a list of
parameters: each array is a row named params[0], params[1], ...; the gradients come back as a list in the same
order, or in the inputs' own structure ((dx, [dW, db])). Learner code written for these tests, two styles: d2l's
loss_and_grads(params, X, y) and CS231n's pair with a tuple of weights; and check_function on a list theta."""

import numpy as np
import pytest

import nngrad


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return [0.5 * rng.standard_normal((3, 2)), 0.1 * rng.standard_normal(2)], rng.standard_normal((6, 3)), \
        rng.standard_normal((6, 2))


def squared_loss(params, X, Y):
    """d2l's linear regression: mean over samples of 0.5 * ||X @ w + b - y||^2; grads a list in params' order."""
    w, b = params
    err = X @ w + b - Y
    n = len(X)
    return 0.5 * float(np.sum(err ** 2)) / n, [X.T @ err / n, err.sum(axis=0) / n]


def squared_loss_db_not_averaged(params, X, Y):
    w, b = params
    err = X @ w + b - Y
    n = len(X)
    return 0.5 * float(np.sum(err ** 2)) / n, [X.T @ err / n, err.sum(axis=0)]  # BUG: db not divided by n


def test_a_list_of_parameters_is_checked_array_by_array_in_d2l_style():
    params, X, Y = _data()
    before = [p.copy() for p in params]
    report = nngrad.check_loss(squared_loss, params, X, Y)
    assert report.status == "PASS", str(report)
    assert [r.name for r in report.rows] == ["params[0]", "params[1]"]
    assert "X, Y held fixed" in str(report)
    assert all(np.array_equal(p, q) for p, q in zip(params, before))


def test_a_bug_in_one_member_of_the_list_fails_that_member_only():
    params, X, Y = _data()
    report = nngrad.check_loss(squared_loss_db_not_averaged, params, X, Y)
    assert report.status == "FAIL"
    assert {r.name: r.passed for r in report.rows} == {"params[0]": True, "params[1]": False}
    assert "scaled" in {f.kind for f in report.findings}


def affine_tanh_forward(x, weights):
    """CS231n's style with the weights as one tuple (W, b)."""
    W, b = weights
    out = np.tanh(x @ W + b)
    return out, (x, W, out)


def affine_tanh_backward(dout, cache):
    x, W, out = cache
    dz = dout * (1 - out ** 2)
    return dx_and(dz, x, W, dz.sum(axis=0))


def dx_and(dz, x, W, db):
    return dz @ W.T, (x.T @ dz, db)


def affine_tanh_backward_db_of_dout(dout, cache):
    x, W, out = cache
    dz = dout * (1 - out ** 2)
    return dx_and(dz, x, W, dout.sum(axis=0))  # BUG: db from dout, not through tanh's derivative


@pytest.mark.parametrize("backward, status", [(affine_tanh_backward, "PASS"), (affine_tanh_backward_db_of_dout, "FAIL")])
def test_a_pair_whose_backward_returns_gradients_in_the_inputs_structure(backward, status):
    params, X, _ = _data(1)
    report = nngrad.check_pair(affine_tanh_forward, backward, X, tuple(params))
    assert report.status == status, str(report)
    assert [r.name for r in report.rows] == ["dx", "weights[0]", "weights[1]"]
    assert [r.passed for r in report.rows] == ([True] * 3 if status == "PASS" else [True, True, False])


def test_gradients_of_a_later_list_are_matched_by_their_shapes():
    """loss(x, [W, b]) returning (loss, (dW, db)): the gradients fit the list, not x; x is held fixed."""
    params, X, Y = _data(2)

    def loss(x, wb):
        l, grads = squared_loss(wb, x, Y)
        return l, tuple(grads)

    report = nngrad.check_loss(loss, X, params)
    assert report.status == "PASS", str(report)
    assert [r.name for r in report.rows] == ["wb[0]", "wb[1]"]


def test_check_function_takes_theta_as_a_list_of_arrays():
    params, X, Y = _data(3)

    def f(theta):
        return squared_loss(theta, X, Y)[0]

    def grad_f(theta):
        return squared_loss(theta, X, Y)[1]

    def grad_f_wrong(theta):
        return squared_loss_db_not_averaged(theta, X, Y)[1]

    assert nngrad.check_function(f, grad_f, params).status == "PASS"
    report = nngrad.check_function(f, grad_f_wrong, params)
    assert report.status == "FAIL" and [r.name for r in report.rows] == ["theta[0]", "theta[1]"]
