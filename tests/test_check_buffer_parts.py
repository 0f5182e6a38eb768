"""Parts of one flat parameter buffer: a block the output ignores (a view made a copy in __init__) is "ignored"
with the copy named; a block whose right values sit in a rebound gradient view is "misplaced". Two learner styles:
views as attributes, views in dicts."""

import numpy as np

import nngrad


class AttrViews:
    """Parameters as attribute views into one buffer: y = tanh(x) @ w + c."""

    def __init__(self, n_in, n_out, seed=0):
        k = n_in * n_out
        self.buf = np.random.default_rng(seed).standard_normal(k + n_out) * 0.5
        self.gbuf = np.zeros_like(self.buf)
        self.w, self.c = self.buf[:k].reshape(n_in, n_out), self.buf[k:]
        self.gw, self.gc = self.gbuf[:k].reshape(n_in, n_out), self.gbuf[k:]

    def parameters(self):
        return [(self.buf, self.gbuf)]

    def forward(self, x):
        self.t = np.tanh(x)
        return self.t @ self.w + self.c

    def backward(self, dout):
        self.gw[...] = self.t.T @ dout
        self.gc[...] = dout.sum(axis=0)
        return dout @ self.w.T * (1 - self.t ** 2)


class AttrViewsCopied(AttrViews):
    def __init__(self, n_in, n_out, seed=0):
        super().__init__(n_in, n_out, seed)
        self.w = self.w / np.sqrt(n_in)  # the planted bug: w is a copy now


class AttrViewsRebound(AttrViews):
    def backward(self, dout):
        self.gw = self.t.T @ dout  # the planted bug: the view rebound
        self.gc[...] = dout.sum(axis=0)
        return dout @ self.w.T * (1 - self.t ** 2)


class DictViews:
    """Parameters as dict views into one buffer (bias first): y = x @ P['W'] + P['b']."""

    def __init__(self, n_in, n_out, seed=0):
        self.theta = np.random.default_rng(seed).standard_normal(n_out + n_in * n_out) * 0.5
        self.dtheta = np.zeros_like(self.theta)
        self.P = {"b": self.theta[:n_out], "W": self.theta[n_out:].reshape(n_in, n_out)}
        self.G = {"b": self.dtheta[:n_out], "W": self.dtheta[n_out:].reshape(n_in, n_out)}

    def parameters(self):
        return [(self.theta, self.dtheta)]

    def forward(self, x):
        self.x = x
        return x @ self.P["W"] + self.P["b"]

    def backward(self, dout):
        self.G["W"][...] = self.x.T @ dout
        self.G["b"][...] = dout.sum(axis=0)
        return dout @ self.P["W"].T


class DictViewsCopied(DictViews):
    def __init__(self, n_in, n_out, seed=0):
        super().__init__(n_in, n_out, seed)
        self.P["W"] = self.P["W"] * 0.1  # the planted bug: a copy in the dict


class DictViewsRebound(DictViews):
    def backward(self, dout):
        self.G["W"] = self.x.T @ dout  # the planted bug: the dict's view replaced
        self.G["b"][...] = dout.sum(axis=0)
        return dout @ self.P["W"].T


def _report(layer):
    return nngrad.check_layer(layer, np.random.default_rng(1).standard_normal((5, 4)))


def _finding(report, kind):
    return next((f.message for f in report.findings if f.kind == kind), None)


def test_correct_buffers_pass():
    for cls in (AttrViews, DictViews):
        assert _report(cls(4, 3)).status == "PASS", cls.__name__


def test_block_the_output_ignores_is_named_ignored_with_the_copy():
    for cls, copy, block in ((AttrViewsCopied, "self.w", "buf[0:12]"), (DictViewsCopied, "W']", "theta[3:15]")):
        report = _report(cls(4, 3))
        words = _finding(report, "ignored")
        assert report.status == "FAIL" and words, (cls.__name__, report.findings)
        assert block in words and copy in words and "copy" in words, words


def test_block_held_by_a_rebound_view_is_named_misplaced():
    for cls, right, block in ((AttrViewsRebound, "self.gw", "[0:12]"), (DictViewsRebound, "G['W']", "[3:15]")):
        report = _report(cls(4, 3))
        words = _finding(report, "misplaced")
        assert report.status == "FAIL" and words, (cls.__name__, report.findings)
        assert right in words and block in words and "view" in words, words
