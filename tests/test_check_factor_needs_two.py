"""A constant factor between a claimed gradient and the numerical one needs at least two elements that agree on it:
any one number is a multiple of another, so a one-element array gets no "scaled" (or "regularization") finding for
an arbitrary factor, in any style; one element off by a whole number (the batch, 2, -1) or its reciprocal, and two or
more elements off by one factor, still do."""

import numpy as np

from nngrad import check_layer, check_loss, check_pair


class Shift:
    """out = x + b with a bias b of ``size`` elements; backward adds ``extra`` to db (or doubles it)."""

    def __init__(self, size: int = 1, doubled: bool = False):
        self.b, self.db, self.doubled = np.full(size, 0.3), None, doubled

    def forward(self, x):
        return x + self.b

    def backward(self, dout):
        db = dout.sum(axis=0)
        self.db = 2 * db if self.doubled else np.full(self.b.shape, dout.sum() + 1.0)
        return dout


def _kinds(report) -> set[str]:
    return {f.kind for f in report.findings}


def test_a_one_element_gradient_gets_no_factor_in_a_layer_or_a_pair():
    """(Planted: diagnostics.factor without the two-element rule: "db is 0.7443 times the numerical gradient".)"""
    x = np.random.default_rng(0).standard_normal((3, 4))
    layer = check_layer(Shift(), x)
    pair = check_pair(lambda x, b: (x + b, None), lambda dout, cache: (dout, np.array([dout.sum() + 1.0])), x,
                      np.array([0.3]))
    for report in (layer, pair):
        assert report.status == "FAIL" and [r.name for r in report.rows if r.verdict == "FAIL"] == ["db"]
        assert not _kinds(report) & {"scaled", "regularization"}, str(report)
        assert "times the numerical gradient" not in str(report)


def test_one_element_off_by_the_batch_size_is_still_named_for_a_sum_where_the_loss_takes_the_mean():
    """A coincidence to six digits with a whole number is unlikely: the logistic regression's scalar db summed, not
    averaged, over a batch of 5."""
    x, t = np.random.default_rng(2).standard_normal((5, 3)), np.array([0.0, 1.0, 1.0, 0.0, 1.0])

    def loss(w, b):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        cost = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
        return cost, x.T @ (p - t) / len(t), np.array([np.sum(p - t)])  # db without / m

    report = check_loss(loss, np.random.default_rng(3).standard_normal(3), np.array([0.1]))
    words = " ".join(f.message for f in report.findings if f.kind == "scaled")
    assert "db is 5 times the numerical gradient" in words, str(report)


def test_a_factor_shared_by_several_elements_is_still_named():
    x = np.random.default_rng(1).standard_normal((3, 4))
    layer = check_layer(Shift(4, doubled=True), x)
    pair = check_pair(lambda x, b: (x + b, None), lambda dout, cache: (dout, 2 * dout.sum(axis=0)), x,
                      np.full(4, 0.3))
    for report in (layer, pair):
        words = " ".join(f.message for f in report.findings if f.kind == "scaled")
        assert "db is 2 times the numerical gradient" in words, str(report)
