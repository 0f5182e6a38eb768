"""Layers outside the usual catalogue, in the two most common shapes of learner code: classes in *Deep Learning
from Scratch*'s style (``forward(x)`` returns out, ``backward(dout)`` returns dx, parameters beside their
gradients ``W``/``dW``) and CS231n-style functional pairs (``*_forward(...) -> (out, cache)``,
``*_backward(dout, cache) -> grads``) and loss functions ``(loss, dx)``. GELU (the exact one, with erf), ELU, binary
cross-entropy on probabilities, Huber, scaled dot-product attention, a strided 1-D convolution, a hinge loss with
+1/-1 labels, a word embedding indexed by integer ids (N, T), a layer whose gradients accumulate with a
``zero_grad()``, and one whose ``parameters()`` returns (param, grad) pairs.

A buggy variant is a subclass or a second function with the one line a learner got wrong (``# BUG:``)."""

import json
import math

import numpy as np

from .case import Case

erf = np.vectorize(math.erf)


# ---------------------------------------------------------------- classes

class GELU:
    def forward(self, x):
        self.x = x
        self.cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        return x * self.cdf

    def backward(self, dout):
        pdf = np.exp(-0.5 * self.x ** 2) / math.sqrt(2 * math.pi)
        return dout * (self.cdf + self.x * pdf)


class GELUOnlyPdfTerm(GELU):
    def backward(self, dout):
        pdf = np.exp(-0.5 * self.x ** 2) / math.sqrt(2 * math.pi)
        return dout * self.x * pdf  # BUG: the Phi(x) term of the product rule is missing


class ELU:
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * (np.exp(x) - 1))

    def backward(self, dout):
        return dout * np.where(self.x > 0, 1.0, self.alpha * np.exp(self.x))


class ELUConstantSlope(ELU):
    def backward(self, dout):
        return dout * np.where(self.x > 0, 1.0, self.alpha)  # BUG: the slope alpha * e^x taken as alpha


class BinaryCrossEntropy:
    """The mean binary cross-entropy of probabilities y (after a sigmoid) against 0/1 targets t."""

    def forward(self, y, t):
        self.y, self.t = y, t
        return -np.mean(t * np.log(y) + (1 - t) * np.log(1 - y))

    def backward(self, dout=1):
        return dout * (self.y - self.t) / (self.y * (1 - self.y)) / self.y.size


class BinaryCrossEntropyLogitForm(BinaryCrossEntropy):
    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.y.size  # BUG: the gradient w.r.t. the logits, not the probabilities


class AffineAccumulating:
    """Adds its gradients up over backward calls (gradient accumulation); the loop calls zero_grad() first."""

    def __init__(self, W, b):
        self.W, self.b = W, b
        self.dW, self.db = np.zeros_like(W), np.zeros_like(b)

    def zero_grad(self):
        self.dW[...] = 0
        self.db[...] = 0

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW += self.x.T @ dout
        self.db += dout.sum(axis=0)
        return dout @ self.W.T


class AffinePairs:
    """``parameters()`` returns (param, grad) pairs, for an optimizer written as ``for p, g in layer.parameters()``."""

    def __init__(self, W, b):
        self.W, self.b = W, b
        self.dW, self.db = np.zeros_like(W), np.zeros_like(b)

    def parameters(self):
        return [(self.W, self.dW), (self.b, self.db)]

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class AffinePairsBuiltOnce(AffinePairs):
    def __init__(self, W, b):
        super().__init__(W, b)
        self.params = [(self.W, self.dW), (self.b, self.db)]  # BUG: pairs made once; backward rebinds self.dW

    def parameters(self):
        return self.params


# ---------------------------------------------------------------- functions

def huber_loss(pred, target, delta=1.0):
    r = pred - target
    small = np.abs(r) <= delta
    loss = np.mean(np.where(small, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta)))
    dpred = np.where(small, r, delta * np.sign(r)) / r.size
    return loss, dpred


def huber_loss_no_delta(pred, target, delta=1.0):
    r = pred - target
    small = np.abs(r) <= delta
    loss = np.mean(np.where(small, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta)))
    dpred = np.where(small, r, np.sign(r)) / r.size  # BUG: delta * sign(r) written as sign(r)
    return loss, dpred


def hinge_loss(scores, y):
    """scores (N,), y (N,) labels +1 / -1."""
    N = y.shape[0]
    margins = np.maximum(0, 1 - y * scores)
    loss = margins.sum() / N
    dscores = np.where(margins > 0, -y, 0) / N
    return loss, dscores


def hinge_loss_no_mean(scores, y):
    N = y.shape[0]
    margins = np.maximum(0, 1 - y * scores)
    loss = margins.sum() / N
    dscores = np.where(margins > 0, -y, 0)  # BUG: not divided by N like the loss
    return loss, dscores


def attention_forward(Q, K, V):
    d = Q.shape[-1]
    scores = Q @ K.T / np.sqrt(d)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    A = e / e.sum(axis=1, keepdims=True)
    out = A @ V
    return out, (Q, K, V, A)


def attention_backward(dout, cache):
    Q, K, V, A = cache
    d = Q.shape[-1]
    dA = dout @ V.T
    dV = A.T @ dout
    dscores = A * (dA - np.sum(dA * A, axis=1, keepdims=True))
    dQ = dscores @ K / np.sqrt(d)
    dK = dscores.T @ Q / np.sqrt(d)
    return dQ, dK, dV


def attention_backward_diagonal_softmax(dout, cache):
    Q, K, V, A = cache
    d = Q.shape[-1]
    dA = dout @ V.T
    dV = A.T @ dout
    dscores = dA * A * (1 - A)  # BUG: the softmax Jacobian's diagonal only
    dQ = dscores @ K / np.sqrt(d)
    dK = dscores.T @ Q / np.sqrt(d)
    return dQ, dK, dV


def conv1d_forward(x, w, b, conv_param):
    """x (N, C, L), w (F, C, K), b (F,), conv_param {"stride": s} -> out (N, F, L_out), L_out = (L - K) // s + 1."""
    stride = conv_param["stride"]
    N, C, L = x.shape
    F, _, K = w.shape
    L_out = (L - K) // stride + 1
    out = np.zeros((N, F, L_out))
    for i in range(L_out):
        window = x[:, :, i * stride:i * stride + K]
        out[:, :, i] = np.einsum("nck,fck->nf", window, w) + b
    return out, (x, w, b, conv_param)


def conv1d_backward(dout, cache):
    x, w, b, conv_param = cache
    stride = conv_param["stride"]
    K = w.shape[2]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(dout.shape[2]):
        window = x[:, :, i * stride:i * stride + K]
        dw += np.einsum("nf,nck->fck", dout[:, :, i], window)
        dx[:, :, i * stride:i * stride + K] += np.einsum("nf,fck->nck", dout[:, :, i], w)
    db = dout.sum(axis=(0, 2))
    return dx, dw, db


def conv1d_backward_dw_unstrided(dout, cache):
    x, w, b, conv_param = cache
    stride = conv_param["stride"]
    K = w.shape[2]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(dout.shape[2]):
        dw += np.einsum("nf,nck->fck", dout[:, :, i], x[:, :, i:i + K])  # BUG: the window at i, not i * stride
        dx[:, :, i * stride:i * stride + K] += np.einsum("nf,fck->nck", dout[:, :, i], w)
    db = dout.sum(axis=(0, 2))
    return dx, dw, db


def word_embedding_forward(x, W):
    """x (N, T) integer word ids, W (V, D) -> out (N, T, D)."""
    out = W[x]
    return out, (x, W)


def word_embedding_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout)
    return dW


def word_embedding_backward_assign(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    dW[x] = dout  # BUG: assignment: a word that occurs twice keeps only its last occurrence's gradient
    return dW


# ---------------------------------------------------------------- the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def layer(build, *shape, scale=1.0):
    return lambda rng: ((build(), scale * normal(rng, *shape)), {})


def affine(cls, n_in=4, n_out=3, batch=5):
    return lambda rng: ((cls(normal(rng, n_in, n_out), normal(rng, n_out)), normal(rng, batch, n_in)), {})


def bce(cls):
    def make(rng):
        return (cls(), rng.uniform(0.05, 0.95, (5, 2))), {"t": rng.integers(0, 2, (5, 2)).astype(float)}
    return make


def huber(fn, delta=1.0, at_threshold=False):
    def make(rng):
        target = np.round(2 * normal(rng, 3, 4))
        pred = target + 2 * delta * normal(rng, 3, 4)
        if at_threshold:  # residuals exactly at -delta and +delta
            pred[0, 1], pred[1, 3], pred[2, 0] = target[0, 1] - delta, target[1, 3] + delta, target[2, 0] + delta
        return (fn, pred, target, delta), {}
    return make


def hinge(fn):
    def make(rng):
        y = rng.choice([-1, 1], 8)
        scores = 1.5 * normal(rng, 8)
        scores[0], scores[5] = 2.5 * y[0], -0.5 * y[5]  # one margin inactive, one active, whatever the draw
        return (fn, scores, y), {}
    return make


def attention(bwd, T=4, S=5, d=3):
    return lambda rng: ((attention_forward, bwd, normal(rng, T, d), normal(rng, S, d), normal(rng, S, 2)), {})


def conv1d(bwd):
    return lambda rng: ((conv1d_forward, bwd, normal(rng, 2, 2, 9), normal(rng, 3, 2, 3), normal(rng, 3),
                        {"stride": 2}), {})


IDS = [[0, 3, 3, 5], [1, 0, 7, 3]]  # (N, T) = (2, 4), vocabulary of 8; word 3 three times, word 0 twice


def embedding(bwd):
    return lambda rng: ((word_embedding_forward, bwd, np.array(IDS), normal(rng, 8, 3)), {})


def cli(cls, shape, *extra):
    return ("--layer", f"{{file}}:{cls.__name__}", *extra, "--input-shape", shape)


def pair_cli(fwd, bwd, *shapes):
    return ("--pair", f"{{file}}:{fwd.__name__},{bwd.__name__}", "--shapes", *shapes)


HINGE_Y = "[1, -1, -1, 1, 1, -1, 1, -1]"
CONV_PARAM = '{"stride": 2}'
S = "beyond"
CASES = [
    # --- correct
    Case("beyond.GELU", S, "layer", layer(GELU, 5, 4, scale=2.0), cli=cli(GELU, "5,4")),
    Case("beyond.ELU", S, "layer", layer(lambda: ELU(1.3), 5, 4), cli=cli(ELU, "5,4", "--kwargs", '{"alpha": 1.3}')),
    Case("beyond.BinaryCrossEntropy", S, "layer", bce(BinaryCrossEntropy),
         cli=cli(BinaryCrossEntropy, "5,2", "--draw", "uniform", "--targets", "onehot")),
    Case("beyond.huber_loss.at_threshold", S, "loss", huber(huber_loss, at_threshold=True)),
    Case("beyond.hinge_loss", S, "loss", hinge(hinge_loss), cli=("--loss-fn", "{file}:hinge_loss", "--shapes", "8",
                                                                 HINGE_Y)),
    Case("beyond.attention", S, "pair", attention(attention_backward),
         cli=pair_cli(attention_forward, attention_backward, "4,3", "5,3", "5,2")),
    Case("beyond.conv1d.strided", S, "pair", conv1d(conv1d_backward),
         cli=pair_cli(conv1d_forward, conv1d_backward, "2,2,9", "3,2,3", "3", CONV_PARAM)),
    Case("beyond.word_embedding", S, "pair", embedding(word_embedding_backward),
         cli=pair_cli(word_embedding_forward, word_embedding_backward, json.dumps(IDS), "8,3")),
    Case("beyond.AffineAccumulating.zero_grad", S, "layer", affine(AffineAccumulating),
         cli=cli(AffineAccumulating, "5,4", "--param", "W=4,3", "--param", "b=3")),
    Case("beyond.AffinePairs", S, "layer", affine(AffinePairs)),
    # --- buggy
    Case("beyond.GELU.only_pdf_term", S, "layer", layer(GELUOnlyPdfTerm, 5, 4, scale=2.0),
         bug="GELU' as x * phi(x): the Phi(x) term is missing", names=("known-mistake", "located", "derivative"),
         cli=cli(GELUOnlyPdfTerm, "5,4")),
    Case("beyond.ELU.constant_slope", S, "layer", layer(lambda: ELUConstantSlope(1.3), 5, 4),
         bug="ELU' for x <= 0 taken as alpha instead of alpha * e^x", names=("located",),
         cli=cli(ELUConstantSlope, "5,4", "--kwargs", '{"alpha": 1.3}')),
    Case("beyond.BinaryCrossEntropy.logit_form", S, "layer", bce(BinaryCrossEntropyLogitForm),
         bug="BCE on probabilities with the logits' gradient (y - t): the 1 / (y (1 - y)) factor is missing",
         names=("known-mistake", "located", "derivative")),
    Case("beyond.huber_loss.no_delta", S, "loss", huber(huber_loss_no_delta, delta=2.0),
         bug="outside the threshold the gradient is sign(r), not delta * sign(r)", names=("located",),
         cli=("--loss-fn", "{file}:huber_loss_no_delta", "--shapes", "3,4", "3,4", "0.5")),
    Case("beyond.hinge_loss.no_mean", S, "loss", hinge(hinge_loss_no_mean),
         bug="dscores not divided by N like the loss", names=("scaled", "batch"),
         cli=("--loss-fn", "{file}:hinge_loss_no_mean", "--shapes", "8", HINGE_Y)),
    Case("beyond.attention.diagonal_softmax", S, "pair", attention(attention_backward_diagonal_softmax),
         bug="the softmax inside attention backpropagated through its Jacobian's diagonal only",
         names=("known-mistake",), cli=pair_cli(attention_forward, attention_backward_diagonal_softmax,
                                                "4,3", "5,3", "5,2")),
    Case("beyond.conv1d.dw_unstrided", S, "pair", conv1d(conv1d_backward_dw_unstrided),
         bug="dw takes the window at i instead of i * stride", names=("located",),
         cli=pair_cli(conv1d_forward, conv1d_backward_dw_unstrided, "2,2,9", "3,2,3", "3", CONV_PARAM)),
    Case("beyond.word_embedding.assign", S, "pair", embedding(word_embedding_backward_assign),
         bug="dW[x] = dout: repeated word ids keep only one occurrence's gradient", names=("located",),
         cli=pair_cli(word_embedding_forward, word_embedding_backward_assign, json.dumps(IDS), "8,3")),
    Case("beyond.AffinePairs.built_once", S, "layer", affine(AffinePairsBuiltOnce),
         bug="parameters() returns pairs built in __init__: backward rebinds self.dW, the pairs keep the zeros",
         names=("zero-gradient", "located", "misplaced")),
]
