"""Losses beyond cross-entropy, as functions returning the loss and its gradients. Two conventions: a tuple
``(loss, d_first_input, ...)`` (triplet, log-cosh, smooth hinge), and ``(loss, {'dlogits': ...})``, the gradient in a
dict named after the input (focal loss with alpha, KL divergence to the uniform distribution). Every loss is the mean
over samples.

A learner checks them as ``nngrad.check_loss(triplet_loss, a, p, n)``, or from the shell with
``--loss-fn FILE:triplet_loss --shapes 6,4 6,4 6,4``. A buggy loss is a second function with the one line a learner
got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def triplet_loss(anchor, positive, negative, margin=1.0):
    """mean over samples of max(0, |a - p|^2 - |a - n|^2 + margin); -> (loss, da, dp, dn)."""
    N = len(anchor)
    l = np.sum((anchor - positive) ** 2, axis=1) - np.sum((anchor - negative) ** 2, axis=1) + margin
    m = (l > 0)[:, None] / N
    return (np.maximum(l, 0).mean(), 2 * (negative - positive) * m, -2 * (anchor - positive) * m,
            2 * (anchor - negative) * m)


def triplet_loss_negative_sign(anchor, positive, negative, margin=1.0):
    N = len(anchor)
    l = np.sum((anchor - positive) ** 2, axis=1) - np.sum((anchor - negative) ** 2, axis=1) + margin
    m = (l > 0)[:, None] / N
    # BUG: the negative's gradient with the sign of the positive's: -2 (a - n) where +2 (a - n) is due
    return (np.maximum(l, 0).mean(), 2 * (negative - positive) * m, -2 * (anchor - positive) * m,
            -2 * (anchor - negative) * m)


def log_cosh_loss(pred, target):
    """mean of log(cosh(pred - target)) over every element; -> (loss, dpred)."""
    r = pred - target
    return np.mean(np.log(np.cosh(r))), np.tanh(r) / r.size


def log_cosh_loss_summed_gradient(pred, target):
    r = pred - target
    return np.mean(np.log(np.cosh(r))), np.tanh(r)  # BUG: the mean's 1/size left out of the gradient


def smooth_hinge_loss(scores, y):
    """y in {-1, +1}, z = y * s: 1/2 - z (z <= 0), (1 - z)^2 / 2 (0 < z < 1), 0 (z >= 1); mean; -> (loss, ds)."""
    z = y * scores
    l = np.where(z <= 0, 0.5 - z, np.where(z < 1, 0.5 * (1 - z) ** 2, 0.0))
    dz = np.where(z <= 0, -1.0, np.where(z < 1, -(1 - z), 0.0))
    return l.mean(), y * dz / z.size


def smooth_hinge_loss_squared_slope(scores, y):
    z = y * scores
    l = np.where(z <= 0, 0.5 - z, np.where(z < 1, 0.5 * (1 - z) ** 2, 0.0))
    dz = np.where(z <= 0, -1.0, np.where(z < 1, -(1 - z) ** 2, 0.0))  # BUG: the quadratic part's slope squared
    return l.mean(), y * dz / z.size


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _focal_parts(logits, y, alpha, gamma):
    p = _sigmoid(logits)
    pt = np.where(y == 1, p, 1 - p)
    at = np.where(y == 1, alpha, 1 - alpha)
    sign = np.where(y == 1, 1.0, -1.0)
    return pt, at, sign


def focal_loss(logits, y, alpha=0.25, gamma=2.0):
    """Binary focal loss, logits (N,), y (N,) of 0/1: mean of -alpha_t (1 - p_t)^gamma log p_t;
    -> (loss, {'dlogits': ...})."""
    pt, at, sign = _focal_parts(logits, y, alpha, gamma)
    loss = np.mean(-at * (1 - pt) ** gamma * np.log(pt))
    dpt = -at * (-gamma * (1 - pt) ** (gamma - 1) * np.log(pt) + (1 - pt) ** gamma / pt)
    return loss, {"dlogits": dpt * sign * pt * (1 - pt) / len(logits)}


def focal_loss_alpha_forgotten(logits, y, alpha=0.25, gamma=2.0):
    pt, at, sign = _focal_parts(logits, y, alpha, gamma)
    loss = np.mean(-at * (1 - pt) ** gamma * np.log(pt))
    dpt = -(-gamma * (1 - pt) ** (gamma - 1) * np.log(pt) + (1 - pt) ** gamma / pt)  # BUG: alpha_t left out
    return loss, {"dlogits": dpt * sign * pt * (1 - pt) / len(logits)}


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def kl_to_uniform(logits):
    """mean over samples of KL(u || softmax(logits)), u uniform over K classes; -> (loss, {'dlogits': ...})."""
    N, K = logits.shape
    logp = _log_softmax(logits)
    loss = np.mean(np.sum((np.log(1 / K) - logp) / K, axis=1))
    return loss, {"dlogits": (np.exp(logp) - 1 / K) / N}


def kl_to_uniform_reversed(logits):
    N, K = logits.shape
    logp = _log_softmax(logits)
    loss = np.mean(np.sum((np.log(1 / K) - logp) / K, axis=1))
    return loss, {"dlogits": (1 / K - np.exp(logp)) / N}  # BUG: u - p where p - u is due (the sign flipped)


# ---------------------------------------------------------------- the cases

def _labels01(rng, n):
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    return y


def three(fn):
    return lambda rng: ((fn, *(rng.standard_normal((6, 4)) for _ in range(3))), {})


def two(fn):
    return lambda rng: ((fn, rng.standard_normal((6, 3)), rng.standard_normal((6, 3))), {})


def hinge(fn):
    return lambda rng: ((fn, 1.5 * rng.standard_normal(12), rng.choice([-1.0, 1.0], 12)), {})


def focal(fn):
    return lambda rng: ((fn, 2 * rng.standard_normal(8), _labels01(rng, 8)), {})


def kl(fn):
    return lambda rng: ((fn, rng.standard_normal((5, 3))), {})


def cli(fn, *shapes):
    return ("--loss-fn", f"{{file}}:{fn.__name__}", "--shapes", *shapes)


T, D = "loss-tuple", "loss-dict"
CASES = [
    Case("r6_losses.triplet_loss", T, "loss", three(triplet_loss), cli=cli(triplet_loss, "6,4", "6,4", "6,4")),
    Case("r6_losses.triplet_loss.negative_sign", T, "loss", three(triplet_loss_negative_sign),
         bug="the negative's gradient with the wrong sign (dn wrong, da and dp right)",
         names=("split", "located", "scaled"), cli=cli(triplet_loss_negative_sign, "6,4", "6,4", "6,4")),
    Case("r6_losses.log_cosh_loss", T, "loss", two(log_cosh_loss), cli=cli(log_cosh_loss, "6,3", "6,3")),
    Case("r6_losses.log_cosh_loss.summed_gradient", T, "loss", two(log_cosh_loss_summed_gradient),
         bug="a mean in the loss, a sum in the gradient: dpred 18 (the number of elements) times too large",
         names=("scaled", "batch"), cli=cli(log_cosh_loss_summed_gradient, "6,3", "6,3")),
    Case("r6_losses.smooth_hinge_loss", T, "loss", hinge(smooth_hinge_loss)),
    Case("r6_losses.smooth_hinge_loss.squared_slope", T, "loss", hinge(smooth_hinge_loss_squared_slope),
         bug="the quadratic region's slope squared: wrong only where 0 < y s < 1", names=("located", "derivative")),
    Case("r6_losses.focal_loss", D, "loss", focal(focal_loss)),
    Case("r6_losses.focal_loss.alpha_forgotten", D, "loss", focal(focal_loss_alpha_forgotten),
         bug="alpha_t in the loss, not in the gradient: positives' gradient 4 times, negatives' 4/3 times too large",
         names=("located", "scaled", "split")),
    Case("r6_losses.kl_to_uniform", D, "loss", kl(kl_to_uniform), cli=cli(kl_to_uniform, "5,3")),
    Case("r6_losses.kl_to_uniform.reversed", D, "loss", kl(kl_to_uniform_reversed),
         bug="the gradient's sign flipped (u - p for p - u)", names=("scaled",),
         cli=cli(kl_to_uniform_reversed, "5,3")),
]
