"""Loss functions written the way CS231n's ``layers.py`` writes them, ``loss_fn(x, y, ...) -> (loss, dx)`` (or
``(loss, da, db)`` for a loss of two float inputs), for the losses of the papers learners re-implement: label
smoothing, focal loss, a cosine-similarity loss between two embeddings, and a softmax with a temperature. x: (N, C)
scores, y: (N,) integer labels; the loss is the mean over the N samples.

A buggy variant is a second function with the one line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def label_smoothing_loss(x, y, smoothing=0.1):
    """Cross-entropy against (1 - smoothing) * one_hot + smoothing / C."""
    N, C = x.shape
    probs = _softmax(x)
    target = np.full((N, C), smoothing / C)
    target[np.arange(N), y] += 1 - smoothing
    loss = -np.sum(target * np.log(probs)) / N
    dx = (probs - target) / N
    return loss, dx


def label_smoothing_loss_no_uniform(x, y, smoothing=0.1):
    N, C = x.shape
    probs = _softmax(x)
    target = np.full((N, C), smoothing / C)
    target[np.arange(N), y] += 1 - smoothing
    loss = -np.sum(target * np.log(probs)) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1 - smoothing  # BUG: the smoothing / C that every class's target holds is not subtracted
    dx /= N
    return loss, dx


def focal_loss(x, y, gamma=2.0):
    """Multi-class focal loss: mean over samples of -(1 - p_t)^gamma * log(p_t), p = softmax(x)."""
    N = x.shape[0]
    p = _softmax(x)
    pt = p[np.arange(N), y]
    loss = np.mean(-(1 - pt) ** gamma * np.log(pt))
    # dL/dpt for each sample, then through the softmax: dpt/dx = pt * (onehot - p)
    dpt = gamma * (1 - pt) ** (gamma - 1) * np.log(pt) - (1 - pt) ** gamma / pt
    onehot = np.zeros_like(p)
    onehot[np.arange(N), y] = 1
    dx = (dpt * pt)[:, None] * (onehot - p) / N
    return loss, dx


def focal_loss_constant_factor(x, y, gamma=2.0):
    N = x.shape[0]
    p = _softmax(x)
    pt = p[np.arange(N), y]
    loss = np.mean(-(1 - pt) ** gamma * np.log(pt))
    onehot = np.zeros_like(p)
    onehot[np.arange(N), y] = 1
    dx = ((1 - pt) ** gamma)[:, None] * (p - onehot) / N  # BUG: (1 - p_t)^gamma treated as a constant weight
    return loss, dx


def cosine_embedding_loss(a, b):
    """Mean over rows of 1 - cos(a_i, b_i); a, b (N, D)."""
    N = a.shape[0]
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    cos = np.sum(a * b, axis=1, keepdims=True) / (na * nb)
    loss = np.mean(1 - cos)
    da = -(b / (na * nb) - cos * a / na ** 2) / N
    db = -(a / (na * nb) - cos * b / nb ** 2) / N
    return loss, da, db


def cosine_embedding_loss_no_norm_term(a, b):
    N = a.shape[0]
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    cos = np.sum(a * b, axis=1, keepdims=True) / (na * nb)
    loss = np.mean(1 - cos)
    da = -(b / (na * nb)) / N  # BUG: the norms treated as constants: the - cos * a / |a|^2 term is missing
    db = -(a / (na * nb) - cos * b / nb ** 2) / N
    return loss, da, db


def temperature_softmax_loss(x, y, T=2.0):
    """Cross-entropy of softmax(x / T) (distillation's softened scores)."""
    N = x.shape[0]
    probs = _softmax(x / T)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N * T
    return loss, dx


def temperature_softmax_loss_no_T(x, y, T=2.0):
    N = x.shape[0]
    probs = _softmax(x / T)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N  # BUG: the chain rule's 1 / T from x / T is missing
    return loss, dx


# ---------------------------------------------------------------- the cases

def scores(fn, *extra, N=6, C=4):
    return lambda rng: ((fn, 1.5 * rng.standard_normal((N, C)), rng.integers(0, C, N), *extra), {})


def pairs(fn, N=5, D=4):
    return lambda rng: ((fn, rng.standard_normal((N, D)), rng.standard_normal((N, D))), {})


def cli(fn, *shapes):
    return ("--loss-fn", f"{{file}}:{fn.__name__}", "--shapes", *shapes)


S = "loss-fns"
CASES = [
    # --- correct
    Case("r2_losses.label_smoothing", S, "loss", scores(label_smoothing_loss, 0.1),
         cli=cli(label_smoothing_loss, "6,4", "labels", "0.1")),
    Case("r2_losses.focal", S, "loss", scores(focal_loss, 2.0), cli=cli(focal_loss, "6,4", "labels", "2.0")),
    Case("r2_losses.cosine_embedding", S, "loss", pairs(cosine_embedding_loss),
         cli=cli(cosine_embedding_loss, "5,4", "5,4")),
    Case("r2_losses.temperature_softmax", S, "loss", scores(temperature_softmax_loss, 2.0),
         cli=cli(temperature_softmax_loss, "6,4", "labels", "2.0")),
    # --- buggy
    Case("r2_losses.label_smoothing.no_uniform", S, "loss", scores(label_smoothing_loss_no_uniform, 0.1),
         bug="dx subtracts only (1 - smoothing) at the label: the smoothing / C of every class's target is missing",
         names=("located",), cli=cli(label_smoothing_loss_no_uniform, "6,4", "labels", "0.1")),
    Case("r2_losses.focal.constant_factor", S, "loss", scores(focal_loss_constant_factor, 2.0),
         bug="the focal factor (1 - p_t)^gamma treated as a constant: its own derivative is missing",
         names=("located",), cli=cli(focal_loss_constant_factor, "6,4", "labels", "2.0")),
    Case("r2_losses.cosine_embedding.no_norm_term", S, "loss", pairs(cosine_embedding_loss_no_norm_term),
         bug="da treats |a| and |b| as constants: the - cos * a / |a|^2 term is missing (db right)",
         names=("located",), cli=cli(cosine_embedding_loss_no_norm_term, "5,4", "5,4")),
    Case("r2_losses.temperature_softmax.no_T", S, "loss", scores(temperature_softmax_loss_no_T, 2.0),
         bug="dx misses the 1 / T of the chain rule through x / T: T times too large", names=("scaled",),
         cli=cli(temperature_softmax_loss_no_T, "6,4", "labels", "2.0")),
]
