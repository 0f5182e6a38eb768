"""Parameters as attributes of a ``types.SimpleNamespace``, the quick container of notebook code that wants dots
without a class: ``p = SimpleNamespace(W=..., b=...)``, ``loss_and_grads(p, ...) -> (loss, g)`` with ``g`` a
SimpleNamespace of the same attribute names, the update ``for k in vars(p): setattr(p, k, getattr(p, k) - lr *
getattr(g, k))``. Models: a siamese encoder, one tanh layer applied with the same W, b to both inputs of a pair,
under a contrastive loss on the squared distance (integer "same" flags); and a robust linear regression under a
Huber loss.

A learner checks it as ``nngrad.check_loss(siamese_loss, p, x1, x2, same)`` (p first: its gradient is the one
returned). A buggy version is a second function with the one line a learner got wrong (``# BUG:``)."""

from types import SimpleNamespace

import numpy as np

from .case import Case


def siamese_loss(p, x1, x2, same, margin=2.0):
    """e = tanh(x W + b) for x1 and x2 (shared W, b); d2 = |e1 - e2|^2; loss = mean(same * d2 + (1 - same) *
    max(0, margin - d2)). x1, x2: (N, D); same: (N,) int 0/1; p.W: (D, H), p.b: (H,)."""
    N = x1.shape[0]
    e1 = np.tanh(x1 @ p.W + p.b)
    e2 = np.tanh(x2 @ p.W + p.b)
    diff = e1 - e2
    d2 = np.sum(diff ** 2, axis=1)
    s = same.astype(float)
    hinge = np.maximum(0.0, margin - d2)
    loss = np.mean(s * d2 + (1 - s) * hinge)
    dd2 = (s - (1 - s) * (hinge > 0)) / N
    ddiff = 2 * diff * dd2[:, None]
    dz1 = ddiff * (1 - e1 ** 2)
    dz2 = -ddiff * (1 - e2 ** 2)
    g = SimpleNamespace(W=x1.T @ dz1 + x2.T @ dz2, b=dz1.sum(axis=0) + dz2.sum(axis=0))
    return loss, g


def siamese_loss_one_branch(p, x1, x2, same, margin=2.0):
    N = x1.shape[0]
    e1 = np.tanh(x1 @ p.W + p.b)
    e2 = np.tanh(x2 @ p.W + p.b)
    diff = e1 - e2
    d2 = np.sum(diff ** 2, axis=1)
    s = same.astype(float)
    hinge = np.maximum(0.0, margin - d2)
    loss = np.mean(s * d2 + (1 - s) * hinge)
    dd2 = (s - (1 - s) * (hinge > 0)) / N
    ddiff = 2 * diff * dd2[:, None]
    dz1 = ddiff * (1 - e1 ** 2)
    g = SimpleNamespace(W=x1.T @ dz1, b=dz1.sum(axis=0))  # BUG: the shared weights' gradient from branch 1 only
    return loss, g


def huber_regression_loss(p, X, y, delta=0.5):
    """mean Huber loss of r = X w + b - y: 0.5 r^2 where |r| <= delta, delta (|r| - 0.5 delta) beyond.
    p.w: (D,), p.b: (1,); X: (N, D), y: (N,)."""
    r = X @ p.w + p.b - y
    a = np.abs(r)
    loss = np.mean(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))
    dr = np.where(a <= delta, r, delta * np.sign(r)) / len(y)
    return loss, SimpleNamespace(w=X.T @ dr, b=np.array([dr.sum()]))


def huber_regression_loss_linear_part(p, X, y, delta=0.5):
    r = X @ p.w + p.b - y
    a = np.abs(r)
    loss = np.mean(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))
    dr = np.where(a <= delta, r, delta * r) / len(y)  # BUG: delta * r beyond the threshold, not delta * sign(r)
    return loss, SimpleNamespace(w=X.T @ dr, b=np.array([dr.sum()]))


# ---------------------------------------------------------------- the cases

def siamese(fn, N=8, D=4, H=3):
    def make(rng):
        p = SimpleNamespace(W=rng.standard_normal((D, H)) / np.sqrt(D), b=0.1 * rng.standard_normal(H))
        same = np.array([0, 1] * (N // 2))[rng.permutation(N)]
        return (fn, p, rng.standard_normal((N, D)), rng.standard_normal((N, D)), same), {}
    return make


def regression(fn, N=10, D=3):
    def make(rng):
        p = SimpleNamespace(w=rng.standard_normal(D), b=0.1 * rng.standard_normal(1))
        return (fn, p, rng.standard_normal((N, D)), rng.standard_normal(N)), {}
    return make


S = "namespace-params"
CASES = [
    # --- correct
    Case("r4_namespace.siamese", S, "loss", siamese(siamese_loss)),
    Case("r4_namespace.huber_regression", S, "loss", regression(huber_regression_loss)),
    # --- buggy
    Case("r4_namespace.siamese.one_branch", S, "loss", siamese(siamese_loss_one_branch),
         bug="the shared weights' gradient taken from the first branch only: x2's path through W, b left out",
         names=("missing-term", "split", "located")),
    Case("r4_namespace.huber_regression.linear_part", S, "loss", regression(huber_regression_loss_linear_part),
         bug="beyond the threshold the residual's derivative is delta * r, not delta * sign(r): wrong only for "
             "the samples with |r| > delta", names=("located", "derivative")),
]
