"""Properties of the checker over random shapes: a correct dense layer with its activation passes at any batch and
width, and each planted bug fails and is named, whatever the sizes (hypothesis draws them)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nngrad import check_layer, check_pair

BUGS = {  # bug -> the finding kinds that name it
    None: set(),
    "dW doubled": {"scaled"},
    "db without the batch sum": {"shape"},
    "dx sign flipped": {"scaled"},
    "tanh' as 1 - y": {"known-mistake"},
    "dout changed in place": {"dout-modified"},
}


class DenseTanh:
    """out = tanh(x @ W + b), a learner's layer with one planted bug (or none)."""

    def __init__(self, W, b, bug):
        self.W, self.b, self.bug = W, b, bug

    def forward(self, x):
        self.x = x
        self.y = np.tanh(x @ self.W + self.b)
        return self.y

    def backward(self, dout):
        dz = dout * ((1 - self.y) if self.bug == "tanh' as 1 - y" else (1 - self.y ** 2))
        self.dW = self.x.T @ dz * (2 if self.bug == "dW doubled" else 1)
        self.db = dz if self.bug == "db without the batch sum" else dz.sum(axis=0)
        dx = dz @ self.W.T
        if self.bug == "dout changed in place":
            dout *= 0.5
        return -dx if self.bug == "dx sign flipped" else dx


@given(batch=st.integers(1, 5), n_in=st.integers(1, 5), n_out=st.integers(1, 5), seed=st.integers(0, 2 ** 16),
       bug=st.sampled_from(list(BUGS)))
def test_a_dense_tanh_layer_of_any_shape_passes_or_fails_and_names_its_bug(batch, n_in, n_out, seed, bug):
    rng = np.random.default_rng(seed)
    layer = DenseTanh(rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out), bug)
    report = check_layer(layer, rng.standard_normal((batch, n_in)))
    if bug is None:
        assert report.status == "PASS", str(report)
        return
    assert report.status == "FAIL", str(report)
    if bug == "tanh' as 1 - y" and batch * n_out < 2:
        return  # a single output value: 1 - y and 1 - y**2 differ by one factor, nothing tells which
    if bug == "db without the batch sum" and batch == 1:
        assert "shape" in {f.kind for f in report.findings}  # (1, n) for (n,): still the wrong shape
    assert {f.kind for f in report.findings} & BUGS[bug], str(report)


def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


@given(batch=st.integers(1, 6), n_in=st.integers(1, 6), n_out=st.integers(1, 6), seed=st.integers(0, 2 ** 16))
def test_a_correct_affine_pair_passes_and_reports_every_input_at_any_shape(batch, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((batch, n_in)), rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out)
    saved = [a.copy() for a in (x, w, b)]
    report = check_pair(affine_forward, affine_backward, x, w, b)
    assert report.passed and [(r.name, r.shape) for r in report.rows] == [("dx", x.shape), ("dw", w.shape),
                                                                          ("db", b.shape)]
    assert all(np.array_equal(a, s) for a, s in zip((x, w, b), saved))  # the user's arrays untouched
