"""A gradient off by a held mask's share of ones (mask.sum() / mask.size) is named as that count, not guessed as
inverted dropout: a masked squared error (loss value and gradient returned) and a masked absolute-free softplus
mean (weights as 0/1 floats, the reverse mistake)."""

import numpy as np

import nngrad


def masked_mse(pred, target, mask):
    """pred, target (B, T), mask bool (B, T); the mean of squared errors over the real positions."""
    m = mask.astype(float)
    loss = ((pred - target) ** 2 * m).sum() / m.sum()
    return loss, 2 * (pred - target) * m / m.size  # the planted bug: over every position


def weighted_softplus(z, w):
    """z (N, D), w 0/1 floats (N, D); softplus averaged over every position (the weights only zero some out)."""
    loss = (np.logaddexp(0, z) * w).sum() / w.size
    return loss, w / (1 + np.exp(-z)) / w.sum()  # the planted bug: over the weighted ones only


def _scaled(report):
    return next(f.message for f in report.findings if f.kind == "scaled")


def test_mean_over_every_position_names_the_mask_count():
    rng = np.random.default_rng(3)
    mask = np.arange(6)[None, :] < np.array([[2], [5], [3]])
    report = nngrad.check_loss(masked_mse, rng.standard_normal((3, 6)), rng.standard_normal((3, 6)), mask)
    words = _scaled(report)
    assert report.status == "FAIL" and "mask.sum() / mask.size" in words and "dropout" not in words, words


def test_mean_over_the_ones_names_the_weights_count():
    rng = np.random.default_rng(4)
    w = (np.arange(12).reshape(3, 4) % 3 != 0).astype(float)
    report = nngrad.check_loss(weighted_softplus, rng.standard_normal((3, 4)), w)
    words = _scaled(report)
    assert report.status == "FAIL" and "w.size / w.sum()" in words and "dropout" not in words, words
