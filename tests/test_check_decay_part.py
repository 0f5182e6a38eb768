"""A weight decay applied to part of an array (the intercept, a bias column): named with the elements it
reaches, in a notebook's flat-vector cost function and in a network whose params hold a weight matrix with its
bias column."""

import numpy as np

import nngrad


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cost_function_reg(theta, X, y, lambda_, decay_intercept=False):
    """ex2's regularised logistic regression: theta[0] the intercept, not regularised."""
    m = y.size
    h = _sigmoid(X @ theta)
    J = -np.mean(y * np.log(h) + (1 - y) * np.log(1 - h)) + lambda_ / (2 * m) * np.sum(theta[1:] ** 2)
    grad = X.T @ (h - y) / m
    grad[1:] += lambda_ / m * theta[1:]
    if decay_intercept:
        grad[0] += lambda_ / m * theta[0]
    return J, grad


def test_notebook_flat_cost_that_regularises_the_intercept_is_named_at_element_0():
    rng = np.random.default_rng(0)
    X = np.hstack([np.ones((6, 1)), rng.standard_normal((6, 3))])
    y, theta = rng.integers(0, 2, 6).astype(float), rng.standard_normal(4)
    assert nngrad.check_loss(cost_function_reg, theta, X, y, 1.0).status == "PASS"
    report = nngrad.check_loss(lambda *a: cost_function_reg(*a, decay_intercept=True), theta, X, y, 1.0)
    words = [f.message for f in report.findings if f.kind == "decay-part"]
    assert len(words) == 1 and "at elements 0 (1 of 4 elements)" in words[0]


class PackedNet:
    """One layer with its bias as Theta's first column: out = sigmoid([1, x] @ Theta.T), mean squared error,
    0.5 * lam * sum(Theta[:, 1:]**2); ``bug`` decays the whole Theta."""

    def __init__(self, rng, bug=False, lam=0.3):
        self.params = {"Theta": rng.standard_normal((2, 4))}
        self.bug, self.lam = bug, lam

    def _forward(self, x):
        a = np.hstack([np.ones((x.shape[0], 1)), x])
        return a, _sigmoid(a @ self.params["Theta"].T)

    def loss(self, x, t):
        theta = self.params["Theta"]
        return 0.5 * np.sum((self._forward(x)[1] - t) ** 2) + 0.5 * self.lam * np.sum(theta[:, 1:] ** 2)

    def gradient(self, x, t):
        a, h = self._forward(x)
        theta = self.params["Theta"]
        dtheta = ((h - t) * h * (1 - h)).T @ a
        decayed = theta.copy() if self.bug else np.hstack([np.zeros((theta.shape[0], 1)), theta[:, 1:]])
        return {"Theta": dtheta + self.lam * decayed}


def test_network_whose_gradient_decays_the_bias_column_is_named_at_that_column():
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((5, 3)), rng.uniform(0, 1, (5, 2))
    assert nngrad.check_network(PackedNet(np.random.default_rng(2)), x, t).status == "PASS"
    report = nngrad.check_network(PackedNet(np.random.default_rng(2), bug=True), x, t)
    words = [f.message for f in report.findings if f.kind == "decay-part"]
    assert len(words) == 1 and "extra 0.3 * params['Theta'] at elements (0, 0), (1, 0) (2 of 8" in words[0]
