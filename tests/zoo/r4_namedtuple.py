"""Parameters as a ``namedtuple``, the immutable container of functional-style tutorials (and of JAX's
examples before Flax): ``Params = namedtuple("Params", "W1 b1 W2 b2")``, ``loss_and_grad(params, X, y) -> (loss,
grads)`` with ``grads`` a ``Params`` of the same fields, and the update ``Params(*(p - lr * g for p, g in
zip(params, grads)))``. Models: an autoencoder with tied weights (the decoder uses W.T: W's gradient has two
terms), and a two-layer classifier with an L2 penalty on the weights.

A learner checks it as ``nngrad.check_loss(loss_and_grad, params, X)`` / ``(..., params, X, y)``. A buggy version
is a second function with the one line a learner got wrong (``# BUG:``)."""

from collections import namedtuple

import numpy as np

from .case import Case

AEParams = namedtuple("AEParams", ["W", "b_h", "b_o"])
Params = namedtuple("Params", "W1 b1 W2 b2")


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def tied_autoencoder_loss(p, X):
    """h = sigmoid(X W + b_h), X_hat = h W^T + b_o, loss = 0.5 * mean over samples of ||X_hat - X||^2.
    p: AEParams with W (D, H), b_h (H,), b_o (D,); X: (N, D)."""
    N = X.shape[0]
    h = _sigmoid(X @ p.W + p.b_h)
    X_hat = h @ p.W.T + p.b_o
    r = X_hat - X
    loss = 0.5 * np.sum(r ** 2) / N
    dX_hat = r / N
    db_o = dX_hat.sum(axis=0)
    dW_dec = dX_hat.T @ h            # the decoder's use of W (as W.T)
    dh = dX_hat @ p.W
    dz = dh * h * (1 - h)
    dW_enc = X.T @ dz                # the encoder's use of W
    db_h = dz.sum(axis=0)
    return loss, AEParams(W=dW_enc + dW_dec, b_h=db_h, b_o=db_o)


def tied_autoencoder_loss_one_use(p, X):
    N = X.shape[0]
    h = _sigmoid(X @ p.W + p.b_h)
    X_hat = h @ p.W.T + p.b_o
    r = X_hat - X
    loss = 0.5 * np.sum(r ** 2) / N
    dX_hat = r / N
    db_o = dX_hat.sum(axis=0)
    dh = dX_hat @ p.W
    dz = dh * h * (1 - h)
    dW_enc = X.T @ dz
    db_h = dz.sum(axis=0)
    return loss, AEParams(W=dW_enc, b_h=db_h, b_o=db_o)  # BUG: the tied W's gradient from the encoder's use only


def classifier_loss(p, X, y, lam=0.01):
    """mean softmax cross-entropy of a tanh layer and a linear layer, + lam / 2 (|W1|^2 + |W2|^2).
    p: Params with W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); y: (N,) integer labels."""
    N = X.shape[0]
    h = np.tanh(X @ p.W1 + p.b1)
    s = h @ p.W2 + p.b2
    s = s - s.max(axis=1, keepdims=True)
    P = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean() + lam / 2 * (np.sum(p.W1 ** 2) + np.sum(p.W2 ** 2))
    ds = P.copy()
    ds[np.arange(N), y] -= 1
    ds /= N
    dW2 = h.T @ ds + lam * p.W2
    db2 = ds.sum(axis=0)
    dz = (ds @ p.W2.T) * (1 - h ** 2)
    dW1 = X.T @ dz + lam * p.W1
    db1 = dz.sum(axis=0)
    return loss, Params(dW1, db1, dW2, db2)


def classifier_loss_positional(p, X, y, lam=0.01):
    N = X.shape[0]
    h = np.tanh(X @ p.W1 + p.b1)
    s = h @ p.W2 + p.b2
    s = s - s.max(axis=1, keepdims=True)
    P = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean() + lam / 2 * (np.sum(p.W1 ** 2) + np.sum(p.W2 ** 2))
    ds = P.copy()
    ds[np.arange(N), y] -= 1
    ds /= N
    dW2 = h.T @ ds + lam * p.W2
    db2 = ds.sum(axis=0)
    dz = (ds @ p.W2.T) * (1 - h ** 2)
    dW1 = X.T @ dz + lam * p.W1
    db1 = dz.sum(axis=0)
    return loss, Params(dW1, dW2, db1, db2)  # BUG: positional, weights first: the fields are W1 b1 W2 b2


# ---------------------------------------------------------------- the cases

def autoencoder(fn, N=6, D=5, H=3):
    def make(rng):
        p = AEParams(W=rng.standard_normal((D, H)) / np.sqrt(D), b_h=0.1 * rng.standard_normal(H),
                     b_o=0.1 * rng.standard_normal(D))
        return (fn, p, rng.standard_normal((N, D))), {}
    return make


def classifier(fn, N=7, D=4, H=5, C=3):
    def make(rng):
        p = Params(rng.standard_normal((D, H)) / 2, 0.1 * rng.standard_normal(H), rng.standard_normal((H, C)) / 2,
                   0.1 * rng.standard_normal(C))
        return (fn, p, rng.standard_normal((N, D)), rng.integers(0, C, N)), {}
    return make


S = "namedtuple-params"
CASES = [
    # --- correct
    Case("r4_namedtuple.tied_autoencoder", S, "loss", autoencoder(tied_autoencoder_loss)),
    Case("r4_namedtuple.classifier", S, "loss", classifier(classifier_loss)),
    # --- buggy
    Case("r4_namedtuple.tied_autoencoder.one_use", S, "loss", autoencoder(tied_autoencoder_loss_one_use),
         bug="the tied weight's gradient counts the encoder's use only: the decoder's dX_hat^T h (from W.T) is "
             "missing; b_h, b_o right", names=("missing-term", "split", "located")),
    Case("r4_namedtuple.classifier.positional", S, "loss", classifier(classifier_loss_positional),
         bug="grads built positionally as Params(dW1, dW2, db1, db2): b1's field holds dW2 (5, 3) for a (5,) bias, "
             "W2's holds db1", names=("shape", "reordered")),
]
