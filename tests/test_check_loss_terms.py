"""Diagnoses in words for losses whose bug the catalogue does not know (issue 25, items 8, 9): a factor on one
branch of a loss among the elements it reaches (Smooth-L1 without its 1/beta), the weights of two label terms
exchanged (mixup), a term not chained through the softmax (an entropy bonus), and conditions that hold trivially
(an embedding's unused rows) left unsaid. Each on learner code written here, in two styles."""

import numpy as np

from nngrad import check_loss


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _said(report, kind):
    return [str(f) for f in report.findings if f.kind == kind]


# -- a factor on one branch, among the elements the loss reaches -------------------------------------------------------

def huber_masked(pred, target, valid, delta):
    """sum over valid rows of Huber(pred - target) with the 1/delta form; valid: (N,) bool. Bug: d, not d/delta."""
    d = (pred - target) * valid[:, None]
    inner = np.abs(d) < delta
    loss = np.where(inner, 0.5 * d ** 2 / delta, np.abs(d) - 0.5 * delta).sum()
    return loss, np.where(inner, d, np.sign(d)) * valid[:, None]


def smooth_l1_weighted(weights, pred, target, beta):
    """the same loss, rows weighted 0 or 1 by a float array given first; returns the gradient in a dict."""
    d = pred - target
    inner = np.abs(d) < beta
    per = np.where(inner, 0.5 * d ** 2 / beta, np.abs(d) - 0.5 * beta)
    loss = float((per * weights[:, None]).sum())
    return loss, {"pred": np.where(inner, d, np.sign(d)) * weights[:, None]}


def _boxes(rng, n=10):
    keep = rng.random(n) < 0.5
    keep[:2] = True, False
    return rng.standard_normal((n, 4)), rng.standard_normal((n, 4)), keep


def test_a_factor_on_the_inner_branch_among_reached_elements_is_named_with_the_threshold_and_beta():
    pred, target, keep = _boxes(np.random.default_rng(3))
    one = check_loss(huber_masked, pred, target, keep, 0.5)
    two = check_loss(smooth_l1_weighted, keep.astype(float), pred, target, 0.4)
    for report, name in ((one, "delta"), (two, "beta")):
        words = " ".join(_said(report, "located"))
        assert "where the loss reaches" in words and "|x - target| <" in words, report
        assert f"the factor is {name}" in words, report


# -- the weights of two label terms exchanged -----------------------------------------------------------------------

def mixup_swapped(logits, y1, y2, lam):
    N = len(logits)
    p = _softmax(logits)
    r = np.arange(N)
    loss = -(lam * np.log(p[r, y1]) + (1 - lam) * np.log(p[r, y2])).mean()
    g = p.copy()
    g[r, y1] -= 1 - lam
    g[r, y2] -= lam
    return loss, g / N


def distill_swapped(alpha, logits, truth, teacher):
    """alpha * CE(truth) + (1 - alpha) * CE(teacher's hard labels), summed; weights exchanged in backward."""
    p = _softmax(logits)
    r = np.arange(len(logits))
    loss = -(alpha * np.log(p[r, truth]) + (1 - alpha) * np.log(p[r, teacher])).sum()
    g = p.copy()
    np.add.at(g, (r, truth), -(1 - alpha))
    np.add.at(g, (r, teacher), -alpha)
    return loss, g


def test_two_label_terms_with_their_weights_exchanged_are_named_with_the_weight():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 5, 7)
    b = (a + 1 + rng.integers(0, 4, 7)) % 5
    one = check_loss(mixup_swapped, rng.standard_normal((7, 5)), a, b, 0.7)
    two = check_loss(distill_swapped, 0.8, rng.standard_normal((7, 5)), a, b)
    for report, words in ((one, "lam and 1 - lam swapped"), (two, "alpha and 1 - alpha swapped")):
        assert any(words in s for s in _said(report, "located")), report


# -- a term not chained through the softmax -------------------------------------------------------------------------

def entropy_bonus_unchained(logits, y, beta):
    N = len(logits)
    p = _softmax(logits)
    logp = np.log(p)
    loss = -logp[np.arange(N), y].mean() + beta * (p * logp).sum(axis=1).mean()
    g = p.copy()
    g[np.arange(N), y] -= 1
    g += beta * (logp + 1)  # dH/dp, not dH/dz
    return loss, g / N


def confidence_penalty_unchained(params, y):
    """a dict of logits; the penalty sum p^2 (a Gini term) differentiated w.r.t. p: 2 p, not chained."""
    z = params["z"]
    p = _softmax(z)
    loss = float(-np.log(p[np.arange(len(z)), y]).sum() + (p ** 2).sum())
    g = p.copy()
    g[np.arange(len(z)), y] -= 1
    return loss, {"z": g + 2 * p}


def test_a_term_given_with_respect_to_the_probabilities_is_named_as_not_chained_through_the_softmax():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 4, 6)
    one = check_loss(entropy_bonus_unchained, rng.standard_normal((6, 4)), y, 0.3)
    two = check_loss(confidence_penalty_unchained, {"z": rng.standard_normal((6, 4))}, y)
    for report in (one, two):
        assert report.status == "FAIL"
        assert any("not chained through the softmax" in s for s in _said(report, "derivative")), report


# -- a condition that holds trivially is not said ---------------------------------------------------------------------

def embedding_tanh(C, ids, w):
    """sum tanh(C[ids]) * w; bug: tanh's derivative written 1 - tanh (not 1 - tanh^2); C's unused rows stay 0."""
    h = np.tanh(C[ids])
    dC = np.zeros_like(C)
    np.add.at(dC, ids, w * (1 - h))
    return float((h * w).sum()), dC


def embedding_dict(params, ids):
    E = params["E"]
    h = np.tanh(E[ids]) ** 2
    dE = np.zeros_like(E)
    np.add.at(dE, ids, np.tanh(E[ids]))  # bug: the factor 2 (1 - tanh^2) left out
    return float(h.sum()), {"E": dE}


def test_where_the_numerical_gradient_is_not_0_is_not_said_when_outside_both_are_0():
    rng = np.random.default_rng(6)
    ids = np.array([0, 2, 2, 5])  # rows 1, 3, 4, 6 unused: zero on both sides
    one = check_loss(embedding_tanh, rng.standard_normal((7, 3)), ids, rng.standard_normal((4, 3)))
    two = check_loss(embedding_dict, {"E": rng.standard_normal((7, 3))}, ids)
    for report in (one, two):
        assert report.status == "FAIL"
        said = " ".join(str(f) for f in report.findings)
        assert "numerical gradient is not 0" not in said and "for samples" not in said, report
