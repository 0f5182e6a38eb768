"""Losses of probabilistic models and metric learning, written as functions ``loss_fn(...) -> (loss, grad, ...)``
the way a learner writes them after a statistics course or a paper: a Gaussian negative log-likelihood of a
predicted mean and log-variance, a Poisson negative log-likelihood of a log-rate (and of a softplus rate) against
integer counts, a triplet margin loss (anchor, positive, negative), a contrastive loss on pairs with an integer
"same" flag, and a least-squares loss with an L1 penalty whose weights hold exact zeros (a subgradient there).
Every loss is the mean over the N samples; the gradients come back in the order of the float inputs.

A buggy variant is a second function with the one line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


# ---------------------------------------------------------------- Gaussian NLL: mean and log-variance

def gaussian_nll(mu, logvar, y):
    """mean over samples of 0.5 * (log s^2 + (y - mu)^2 / s^2), s^2 = exp(logvar); mu, logvar, y: (N,)."""
    N = y.shape[0]
    inv_var = np.exp(-logvar)
    r = y - mu
    loss = 0.5 * np.sum(logvar + r ** 2 * inv_var) / N
    dmu = -r * inv_var / N
    dlogvar = 0.5 * (1 - r ** 2 * inv_var) / N
    return loss, dmu, dlogvar


def gaussian_nll_no_half(mu, logvar, y):
    N = y.shape[0]
    inv_var = np.exp(-logvar)
    r = y - mu
    loss = 0.5 * np.sum(logvar + r ** 2 * inv_var) / N
    dmu = -r * inv_var / N
    dlogvar = (1 - r ** 2 * inv_var) / N  # BUG: the 0.5 in front of the log-likelihood is dropped here (not in dmu)
    return loss, dmu, dlogvar


def gaussian_nll_var_not_chained(mu, logvar, y):
    N = y.shape[0]
    var = np.exp(logvar)
    r = y - mu
    loss = 0.5 * np.sum(np.log(var) + r ** 2 / var) / N
    dmu = -r / var / N
    dlogvar = 0.5 * (1 / var - r ** 2 / var ** 2) / N  # BUG: d/dvar, the exp's derivative (times var) not chained
    return loss, dmu, dlogvar


# ---------------------------------------------------------------- Poisson NLL: counts

def poisson_nll(log_rate, counts):
    """mean of rate - k log(rate) (log k! dropped), rate = exp(log_rate); counts: integer (N,)."""
    N = counts.shape[0]
    rate = np.exp(log_rate)
    loss = np.sum(rate - counts * log_rate) / N
    dlog_rate = (rate - counts) / N
    return loss, dlog_rate


def _softplus(z):
    return np.logaddexp(0.0, z)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def poisson_nll_softplus(z, counts):
    """The rate through a softplus (positive without exp's growth): rate = log(1 + e^z)."""
    N = counts.shape[0]
    rate = _softplus(z)
    loss = np.sum(rate - counts * np.log(rate)) / N
    dz = (1 - counts / rate) * _sigmoid(z) / N
    return loss, dz


def poisson_nll_softplus_wrong_sigmoid(z, counts):
    N = counts.shape[0]
    rate = _softplus(z)
    loss = np.sum(rate - counts * np.log(rate)) / N
    dz = (1 - counts / rate) / (1 + np.exp(z)) / N  # BUG: softplus' as 1 / (1 + e^z), sigmoid(-z), not sigmoid(z)
    return loss, dz


# ---------------------------------------------------------------- triplet margin loss

def triplet_loss(a, p, n, margin=1.0):
    """mean over rows of max(0, |a - p|^2 - |a - n|^2 + margin); a, p, n: (N, D)."""
    N = a.shape[0]
    d_ap = np.sum((a - p) ** 2, axis=1)
    d_an = np.sum((a - n) ** 2, axis=1)
    losses = np.maximum(0, d_ap - d_an + margin)
    active = (losses > 0).astype(float)[:, None]
    da = 2 * (n - p) * active / N
    dp = -2 * (a - p) * active / N
    dn = 2 * (a - n) * active / N
    return losses.mean(), da, dp, dn


def triplet_loss_always_active(a, p, n, margin=1.0):
    N = a.shape[0]
    d_ap = np.sum((a - p) ** 2, axis=1)
    d_an = np.sum((a - n) ** 2, axis=1)
    losses = np.maximum(0, d_ap - d_an + margin)
    da = 2 * (n - p) / N  # BUG: no mask: triplets already past the margin (loss 0) still get a gradient
    dp = -2 * (a - p) / N
    dn = 2 * (a - n) / N
    return losses.mean(), da, dp, dn


# ---------------------------------------------------------------- contrastive loss (Hadsell et al.)

def contrastive_loss(x1, x2, same, margin=3.0):
    """mean of 0.5 * (same * d^2 + (1 - same) * max(0, margin - d)^2), d = |x1 - x2|; same: integer 0/1 (N,)."""
    N = x1.shape[0]
    diff = x1 - x2
    d = np.sqrt(np.sum(diff ** 2, axis=1))
    s = same.astype(float)
    hinge = np.maximum(0, margin - d)
    loss = 0.5 * np.sum(s * d ** 2 + (1 - s) * hinge ** 2) / N
    coef = s - (1 - s) * hinge / d
    dx1 = coef[:, None] * diff / N
    return loss, dx1, -dx1


def contrastive_loss_no_norm(x1, x2, same, margin=3.0):
    N = x1.shape[0]
    diff = x1 - x2
    d = np.sqrt(np.sum(diff ** 2, axis=1))
    s = same.astype(float)
    hinge = np.maximum(0, margin - d)
    loss = 0.5 * np.sum(s * d ** 2 + (1 - s) * hinge ** 2) / N
    coef = s - (1 - s) * hinge  # BUG: dd/dx1 = diff / d; the 1 / d is missing for the dissimilar pairs
    dx1 = coef[:, None] * diff / N
    return loss, dx1, -dx1


# ---------------------------------------------------------------- least squares with an L1 penalty

def lasso_loss(w, X, y, lam):
    """0.5 * mean((X w - y)^2) + lam * |w|_1; at w_j = 0 the subgradient sign(0) = 0 is used."""
    N = X.shape[0]
    r = X @ w - y
    loss = 0.5 * np.sum(r ** 2) / N + lam * np.sum(np.abs(w))
    dw = X.T @ r / N + lam * np.sign(w)
    return loss, dw


def lasso_loss_sign_ge(w, X, y, lam):
    """The same loss, the subgradient +1 at w_j = 0 (as ``np.where(w >= 0, 1, -1)`` gives): also in [-1, 1]."""
    N = X.shape[0]
    r = X @ w - y
    loss = 0.5 * np.sum(r ** 2) / N + lam * np.sum(np.abs(w))
    dw = X.T @ r / N + lam * np.where(w >= 0, 1.0, -1.0)
    return loss, dw


def lasso_loss_nan_sign(w, X, y, lam):
    N = X.shape[0]
    r = X @ w - y
    loss = 0.5 * np.sum(r ** 2) / N + lam * np.sum(np.abs(w))
    dw = X.T @ r / N + lam * w / np.abs(w)  # BUG: sign as w / |w|: 0 / 0 = NaN at the weights that are exactly 0
    return loss, dw


# ---------------------------------------------------------------- the cases

def gauss(fn, N=7):
    return lambda rng: ((fn, rng.standard_normal(N), 0.7 * rng.standard_normal(N), rng.standard_normal(N)), {})


def poisson(fn, N=8):
    return lambda rng: ((fn, 0.5 * rng.standard_normal(N), rng.integers(0, 6, N)), {})


def triplets(fn, N=8, D=3):
    return lambda rng: ((fn, *(rng.standard_normal((N, D)) for _ in range(3)), 1.0), {})


def pairs(fn, N=8, D=3):
    def make(rng):
        same = np.array([0, 1] * (N // 2))[rng.permutation(N)]  # both kinds of pair in every draw
        return (fn, rng.standard_normal((N, D)), rng.standard_normal((N, D)), same, 3.0), {}
    return make


W_ZEROS = [0.0, 1.2, 0.0, -0.7]


def lasso(fn):
    def make(rng):
        w = np.array(W_ZEROS) + np.where(np.array(W_ZEROS) == 0, 0.0, 0.3 * rng.standard_normal(4))
        return (fn, w, rng.standard_normal((6, 4)), rng.standard_normal(6), 0.1), {}
    return make


def cli(fn, *shapes):
    return ("--loss-fn", f"{{file}}:{fn.__name__}", "--shapes", *shapes)


S = "prob-losses"
LASSO_CLI = ("[0.0, 1.2, 0.0, -0.7]", "6,4", "6", "0.1")
CASES = [
    # --- correct
    Case("r3_probloss.gaussian_nll", S, "loss", gauss(gaussian_nll), cli=cli(gaussian_nll, "7", "7", "7")),
    Case("r3_probloss.poisson_nll", S, "loss", poisson(poisson_nll), cli=cli(poisson_nll, "8", "8:int<6")),
    Case("r3_probloss.poisson_nll_softplus", S, "loss", poisson(poisson_nll_softplus),
         cli=cli(poisson_nll_softplus, "8", "8:int<6")),
    Case("r3_probloss.triplet", S, "loss", triplets(triplet_loss), cli=cli(triplet_loss, "8,3", "8,3", "8,3", "1.0")),
    Case("r3_probloss.contrastive", S, "loss", pairs(contrastive_loss),
         cli=cli(contrastive_loss, "8,3", "8,3", "8:int<2", "3.0")),
    Case("r3_probloss.lasso", S, "loss", lasso(lasso_loss), cli=cli(lasso_loss, *LASSO_CLI)),
    Case("r3_probloss.lasso.sign_ge", S, "loss", lasso(lasso_loss_sign_ge), cli=cli(lasso_loss_sign_ge, *LASSO_CLI)),
    # --- buggy
    Case("r3_probloss.gaussian_nll.no_half", S, "loss", gauss(gaussian_nll_no_half),
         bug="dlogvar drops the 0.5 of the log-likelihood: twice the true gradient (dmu right)",
         names=("scaled",), cli=cli(gaussian_nll_no_half, "7", "7", "7")),
    Case("r3_probloss.gaussian_nll.var_not_chained", S, "loss", gauss(gaussian_nll_var_not_chained),
         bug="dlogvar is the derivative w.r.t. the variance: the exp's derivative (a factor var) not chained",
         names=("located", "derivative", "missing-term"), cli=cli(gaussian_nll_var_not_chained, "7", "7", "7")),
    Case("r3_probloss.poisson_nll_softplus.wrong_sigmoid", S, "loss", poisson(poisson_nll_softplus_wrong_sigmoid),
         bug="softplus' written as 1 / (1 + e^z) = sigmoid(-z) instead of sigmoid(z)",
         names=("derivative", "located"), cli=cli(poisson_nll_softplus_wrong_sigmoid, "8", "8:int<6")),
    Case("r3_probloss.triplet.always_active", S, "loss", triplets(triplet_loss_always_active),
         bug="the margin's hinge not masked: triplets with zero loss still get a gradient",
         names=("located",), cli=cli(triplet_loss_always_active, "8,3", "8,3", "8,3", "1.0")),
    Case("r3_probloss.contrastive.no_norm", S, "loss", pairs(contrastive_loss_no_norm),
         bug="the dissimilar pairs' gradient misses the 1 / d of d|x1 - x2|/dx1 (the similar pairs right)",
         names=("located",), cli=cli(contrastive_loss_no_norm, "8,3", "8,3", "8:int<2", "3.0")),
    Case("r3_probloss.lasso.nan_sign", S, "loss", lasso(lasso_loss_nan_sign),
         bug="the L1 subgradient as w / |w|: NaN at the weights that are exactly 0",
         names=("nonfinite",), cli=cli(lasso_loss_nan_sign, *LASSO_CLI)),
]
