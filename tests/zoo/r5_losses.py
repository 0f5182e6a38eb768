"""Losses a learner writes after the basics, each as ``loss_fn(...) -> (loss, grad, ...)``: a sequence
cross-entropy over padded batches (per-step softmax cross-entropy, a boolean padding mask, the mean over the real
tokens), a contrastive InfoNCE loss (SimCLR/CLIP's cross-entropy over a similarity matrix, positives on the
diagonal), a quantile (pinball) loss with a kink at a zero residual, a squared hinge, a soft dice loss on sigmoid
outputs, and the negative log-likelihood of a 1-D Gaussian mixture in its own parameters (mixing logits, means, log
standard deviations).

A learner checks them as ``nngrad.check_loss(seq_ce, logits, targets, mask)``, or from the shell with
``--loss-fn FILE:seq_ce --shapes 2,5,6 2,5:int<6 2,5:bool``. A buggy loss is a second function with the one line a
learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(z, axis=-1):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


# ---------------------------------------------------------------- sequence cross-entropy with padding

def seq_ce(logits, targets, mask):
    """logits (B, T, V), targets int (B, T), mask bool (B, T) (True: a real token); mean over the real tokens."""
    m = mask.astype(float)
    logp = _log_softmax(logits)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    count = m.sum()
    loss = (nll * m).sum() / count
    d = np.exp(logp)
    np.put_along_axis(d, targets[..., None], np.take_along_axis(d, targets[..., None], axis=-1) - 1, axis=-1)
    return loss, d * m[..., None] / count


def seq_ce_mean_over_all(logits, targets, mask):
    m = mask.astype(float)
    logp = _log_softmax(logits)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    count = m.sum()
    loss = (nll * m).sum() / count
    d = np.exp(logp)
    np.put_along_axis(d, targets[..., None], np.take_along_axis(d, targets[..., None], axis=-1) - 1, axis=-1)
    return loss, d * m[..., None] / m.size  # BUG: the mean taken over every position, padding included


# ---------------------------------------------------------------- InfoNCE

def info_nce(z1, z2, tau):
    """z1, z2 (N, D): two views, row i of each a positive pair; S = z1 z2^T / tau, loss = mean_i CE(S[i], i)."""
    N = z1.shape[0]
    S = z1 @ z2.T / tau
    loss = -np.mean(np.diag(_log_softmax(S, axis=1)))
    dS = (_softmax(S, axis=1) - np.eye(N)) / N
    return loss, dS @ z2 / tau, dS.T @ z1 / tau


def info_nce_negatives_only(z1, z2, tau):
    N = z1.shape[0]
    S = z1 @ z2.T / tau
    loss = -np.mean(np.diag(_log_softmax(S, axis=1)))
    E = np.exp(S - S.max(axis=1, keepdims=True)) * (1 - np.eye(N))
    P = E / E.sum(axis=1, keepdims=True)  # BUG: the positive left out of the denominator's gradient (negatives only)
    dS = (P - np.eye(N)) / N
    return loss, dS @ z2 / tau, dS.T @ z1 / tau


# ---------------------------------------------------------------- quantile (pinball) loss

def pinball(pred, target, q):
    """mean of max(q r, (q - 1) r), r = target - pred; at r = 0 (a kink) the derivative of the r < 0 side."""
    r = target - pred
    loss = np.mean(np.maximum(q * r, (q - 1) * r))
    dpred = np.where(r > 0, -q, 1 - q) / r.size
    return loss, dpred


def pinball_swapped(pred, target, q):
    r = target - pred
    loss = np.mean(np.maximum(q * r, (q - 1) * r))
    dpred = np.where(r > 0, -(1 - q), q) / r.size  # BUG: q and 1 - q swapped between the two sides
    return loss, dpred


# ---------------------------------------------------------------- squared hinge

def squared_hinge(scores, y):
    """scores (N,), y in {-1, +1} (N,); mean of max(0, 1 - y s)^2."""
    m = np.maximum(0, 1 - y * scores)
    return np.mean(m ** 2), -2 * y * m / scores.size


def squared_hinge_no_label(scores, y):
    m = np.maximum(0, 1 - y * scores)
    return np.mean(m ** 2), -2 * m / scores.size  # BUG: the label's sign left out of the chain rule


# ---------------------------------------------------------------- soft dice

DICE_EPS = 1.0


def dice_loss(logits, target):
    """p = sigmoid(logits); 1 - (2 sum(p t) + eps) / (sum p + sum t + eps); target bool, any shape."""
    t = target.astype(float)
    p = 1 / (1 + np.exp(-logits))
    num, den = 2 * np.sum(p * t) + DICE_EPS, np.sum(p) + np.sum(t) + DICE_EPS
    dp = -(2 * t * den - num) / den ** 2
    return 1 - num / den, dp * p * (1 - p)


def dice_loss_no_denominator(logits, target):
    t = target.astype(float)
    p = 1 / (1 + np.exp(-logits))
    num, den = 2 * np.sum(p * t) + DICE_EPS, np.sum(p) + np.sum(t) + DICE_EPS
    dp = -2 * t / den  # BUG: the denominator's derivative (- num / den^2, through sum p) dropped
    return 1 - num / den, dp * p * (1 - p)


# ---------------------------------------------------------------- Gaussian mixture

def gmm_nll(logits, mu, log_sigma, x):
    """-mean_n log sum_k pi_k N(x_n | mu_k, sigma_k^2); logits, mu, log_sigma (K,), x (N,)."""
    s = np.exp(log_sigma)
    u = (x[:, None] - mu) / s
    logpi = _log_softmax(logits)
    logc = logpi - 0.5 * u ** 2 - log_sigma - 0.5 * np.log(2 * np.pi)
    mx = logc.max(axis=1, keepdims=True)
    logp = mx[:, 0] + np.log(np.exp(logc - mx).sum(axis=1))
    g = np.exp(logc - logp[:, None])  # responsibilities (N, K)
    N = x.size
    dlogits = np.exp(logpi) - g.mean(axis=0)
    dmu = -(g * u / s).sum(axis=0) / N
    dlog_sigma = -(g * (u ** 2 - 1)).sum(axis=0) / N
    return -np.mean(logp), dlogits, dmu, dlog_sigma


def gmm_nll_no_normaliser(logits, mu, log_sigma, x):
    s = np.exp(log_sigma)
    u = (x[:, None] - mu) / s
    logpi = _log_softmax(logits)
    logc = logpi - 0.5 * u ** 2 - log_sigma - 0.5 * np.log(2 * np.pi)
    mx = logc.max(axis=1, keepdims=True)
    logp = mx[:, 0] + np.log(np.exp(logc - mx).sum(axis=1))
    g = np.exp(logc - logp[:, None])
    N = x.size
    dlogits = np.exp(logpi) - g.mean(axis=0)
    dmu = -(g * u / s).sum(axis=0) / N
    dlog_sigma = -(g * u ** 2).sum(axis=0) / N  # BUG: the normaliser's - log sigma term (the - 1) left out
    return -np.mean(logp), dlogits, dmu, dlog_sigma


# ---------------------------------------------------------------- the cases

def padded(fn, B=3, T=5, V=6):
    def make(rng):
        lengths = rng.integers(2, T, B)  # every sequence padded at its end
        mask = np.arange(T)[None, :] < lengths[:, None]
        return (fn, rng.standard_normal((B, T, V)), rng.integers(0, V, (B, T)), mask), {}
    return make


def views(fn, N=5, D=4, tau=0.5):
    return lambda rng: ((fn, rng.standard_normal((N, D)), rng.standard_normal((N, D)), tau), {})


def quantiles(fn, N=10, q=0.3):
    def make(rng):
        target = rng.standard_normal(N)
        pred = rng.standard_normal(N)
        pred[:3] = target[:3]  # three exact hits: the kink at r = 0
        return (fn, pred, target, q), {}
    return make


def margins(fn, N=10):
    return lambda rng: ((fn, rng.standard_normal(N), rng.permutation(np.repeat([-1.0, 1.0], N // 2))), {})


def masks(fn, shape=(2, 3, 4)):
    return lambda rng: ((fn, rng.standard_normal(shape), rng.random(shape) < 0.4), {})


def mixture(fn, K=3, N=12):
    def make(rng):
        return (fn, rng.standard_normal(K), rng.standard_normal(K), 0.3 * rng.standard_normal(K),
                rng.standard_normal(N)), {}
    return make


def cli(fn, *shapes):
    return ("--loss-fn", f"{{file}}:{fn.__name__}", "--shapes", *shapes)


S = "seq-contrastive-losses"
SEQ = ("2,5,6", "2,5:int<6", "2,5:bool")
NCE = ("5,4", "5,4", "0.5")
PIN = ("10", "10", "0.3")
HINGE = ("8", "[1, -1, 1, 1, -1, -1, 1, -1]")
DICE = ("2,3,4", "2,3,4:bool")
GMM = ("3", "3", "3", "12")
CASES = [
    # --- correct
    Case("r5_losses.seq_ce", S, "loss", padded(seq_ce), cli=cli(seq_ce, *SEQ)),
    Case("r5_losses.info_nce", S, "loss", views(info_nce), cli=cli(info_nce, *NCE)),
    Case("r5_losses.pinball", S, "loss", quantiles(pinball), cli=cli(pinball, *PIN)),
    Case("r5_losses.squared_hinge", S, "loss", margins(squared_hinge), cli=cli(squared_hinge, *HINGE)),
    Case("r5_losses.dice_loss", S, "loss", masks(dice_loss), cli=cli(dice_loss, *DICE)),
    Case("r5_losses.gmm_nll", S, "loss", mixture(gmm_nll), cli=cli(gmm_nll, *GMM)),
    # --- buggy
    Case("r5_losses.seq_ce.mean_over_all", S, "loss", padded(seq_ce_mean_over_all),
         bug="the gradient divided by every position B*T, padding included, where the loss divides by the real "
             "tokens: too small by count / (B T) at every element", names=("scaled",),
         cli=cli(seq_ce_mean_over_all, *SEQ)),
    Case("r5_losses.info_nce.negatives_only", S, "loss", views(info_nce_negatives_only),
         bug="InfoNCE's softmax in backward over the negatives only: the positive left out of the denominator",
         names=("located", "missing-term", "split"), cli=cli(info_nce_negatives_only, *NCE)),
    Case("r5_losses.pinball.swapped", S, "loss", quantiles(pinball_swapped),
         bug="the pinball loss's two slopes swapped (-(1 - q) above the target, q below)",
         names=("located", "derivative", "scaled"), cli=cli(pinball_swapped, *PIN)),
    Case("r5_losses.squared_hinge.no_label", S, "loss", margins(squared_hinge_no_label),
         bug="the label y left out of the squared hinge's chain rule: the sign wrong where y = -1, only where the "
             "margin is active", names=("located", "derivative"), cli=cli(squared_hinge_no_label, *HINGE)),
    Case("r5_losses.dice_loss.no_denominator", S, "loss", masks(dice_loss_no_denominator),
         bug="dice's denominator treated as a constant: the term num / den^2 (through sum p) dropped",
         names=("missing-term", "located", "derivative"), cli=cli(dice_loss_no_denominator, *DICE)),
    Case("r5_losses.gmm_nll.no_normaliser", S, "loss", mixture(gmm_nll_no_normaliser),
         bug="the log-sigma gradient misses the normaliser's term (u^2 - 1 written u^2): dlog_sigma wrong, dlogits "
             "and dmu right", names=("missing-term", "split", "located"), cli=cli(gmm_nll_no_normaliser, *GMM)),
]
