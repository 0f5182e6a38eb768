"""A network whose loss takes a training switch (``loss(x, t, train_flg=False)``, ``forward(x, t, training=False)``)
computes its gradient in training mode (batch statistics, dropout masks): nngrad checks the loss in that mode, the
random forward rewound before each call, and says so on the "called:" line. Written here in two styles: a params
dict with ``gradient(x, t)`` and batch normalisation, and a ``forward`` / ``backward()`` network with dropout."""

import numpy as np
import pytest

from nngrad import check_network


class BatchNormNet:
    """Deep Learning from Scratch's style: params dict, ``loss(x, t, train_flg=False)``, ``gradient(x, t)``
    differentiating the training-mode loss; affine, batch norm, ReLU, affine, squared error."""

    def __init__(self, n_in=4, n_hidden=5, n_out=3, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W1": rng.standard_normal((n_in, n_hidden)) / 2, "b1": 0.1 * rng.standard_normal(n_hidden),
                       "gamma1": 1 + 0.1 * rng.standard_normal(n_hidden), "beta1": 0.1 * rng.standard_normal(n_hidden),
                       "W2": rng.standard_normal((n_hidden, n_out)) / 2, "b2": 0.1 * rng.standard_normal(n_out)}
        self.running_mean, self.running_var = np.zeros(n_hidden), np.ones(n_hidden)

    def _forward(self, x, train):
        p = self.params
        a = x @ p["W1"] + p["b1"]
        if train:
            mu, var = a.mean(axis=0), a.var(axis=0)
            self.running_mean = 0.9 * self.running_mean + 0.1 * mu
            self.running_var = 0.9 * self.running_var + 0.1 * var
        else:
            mu, var = self.running_mean, self.running_var
        self.std = np.sqrt(var + 1e-7)
        self.xhat = (a - mu) / self.std
        self.h = p["gamma1"] * self.xhat + p["beta1"]
        self.r = np.maximum(self.h, 0)
        return self.r @ p["W2"] + p["b2"]

    def loss(self, x, t, train_flg=False):
        self.x, self.t = x, t
        self.s = self._forward(x, train_flg)
        return 0.5 * np.sum((self.s - t) ** 2) / len(x)

    def gradient(self, x, t):
        self.loss(x, t, train_flg=True)
        p, n = self.params, len(x)
        ds = (self.s - t) / n
        dr = ds @ p["W2"].T
        dh = dr * (self.h > 0)
        dxhat = dh * p["gamma1"]
        da = (n * dxhat - dxhat.sum(axis=0) - self.xhat * (dxhat * self.xhat).sum(axis=0)) / (n * self.std)
        return {"W1": x.T @ da, "b1": da.sum(axis=0), "gamma1": (dh * self.xhat).sum(axis=0),
                "beta1": dh.sum(axis=0), "W2": self.r.T @ ds, "b2": ds.sum(axis=0)}


class BatchNormNetGammaForBeta(BatchNormNet):
    def gradient(self, x, t):
        grads = super().gradient(x, t)
        grads["beta1"] = grads["gamma1"]  # BUG: beta's gradient copied from gamma's
        return grads


class DropoutNet:
    """Deep Learning from Scratch 2's style: params and grads lists, ``forward(x, t, training=False)`` returning
    the loss, ``backward()``; inverted dropout whose mask is drawn from numpy's global generator."""

    def __init__(self, n_in=4, n_hidden=6, n_out=2, seed=1, keep=0.7):
        rng = np.random.default_rng(seed)
        self.params = [rng.standard_normal((n_in, n_hidden)) / 2, 0.1 * rng.standard_normal(n_hidden),
                       rng.standard_normal((n_hidden, n_out)) / 2, 0.1 * rng.standard_normal(n_out)]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.keep = keep

    def forward(self, x, t, training=False):
        W1, b1, W2, b2 = self.params
        self.x, self.t = x, t
        self.h = np.tanh(x @ W1 + b1)
        self.mask = (np.random.rand(*self.h.shape) < self.keep) / self.keep if training else np.ones_like(self.h)
        self.d = self.h * self.mask
        self.y = self.d @ W2 + b2
        return 0.5 * np.sum((self.y - t) ** 2) / len(x)

    def backward(self):
        W1, _, W2, _ = self.params
        dy = (self.y - self.t) / len(self.x)
        dd = dy @ W2.T
        dz = self._mask(dd) * (1 - self.h ** 2)
        for g, value in zip(self.grads, (self.x.T @ dz, dz.sum(axis=0), self.d.T @ dy, dy.sum(axis=0))):
            g[...] = value

    def _mask(self, dd):
        return dd * self.mask


class DropoutNetMaskForgotten(DropoutNet):
    def _mask(self, dd):
        return dd  # BUG: the dropout mask not applied in backward


def _data(seed=3, n=6, n_in=4, n_out=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), rng.standard_normal((n, n_out))


@pytest.mark.parametrize("net, n_out, switch", [(BatchNormNet(), 3, "train_flg=True"),
                                                (DropoutNet(), 2, "training=True")])
def test_a_correct_network_passes_with_its_loss_in_training_mode(net, n_out, switch):
    x, t = _data(n_out=n_out)
    report = check_network(net, x, t)
    assert report.status == "PASS", str(report)
    assert switch in report.how and "training mode" in report.how


@pytest.mark.parametrize("net, n_out, wrong", [(BatchNormNetGammaForBeta(), 3, "beta1"),
                                               (DropoutNetMaskForgotten(), 2, "params[0]")])
def test_a_wrong_backward_in_training_mode_fails_on_its_own_arrays(net, n_out, wrong):
    x, t = _data(n_out=n_out)
    report = check_network(net, x, t)
    assert report.status == "FAIL"
    failing = [r.name for r in report.rows if not r.passed]
    assert wrong in failing and "W2" not in failing and "params[2]" not in failing, str(report)


def test_the_global_generator_is_left_as_found_after_a_random_training_forward():
    x, t = _data(n_out=2)
    np.random.seed(11)
    before = np.random.get_state()[1].copy()
    check_network(DropoutNet(), x, t)
    assert np.array_equal(np.random.get_state()[1], before)
