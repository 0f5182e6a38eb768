"""Layers written with ``np.einsum`` for every contraction, the way a learner writes them after reading the
transformer papers: a bilinear layer of two inputs, a dense layer applied to every time step of (B, T, D), a
transformer's pre-norm feed-forward block (layer norm, two linear maps with a ReLU, the residual), a gated linear
unit, and a dense layer. The constructor takes the arrays (``GLU(W, b, V, c)``), ``forward(x)`` (or ``forward(x1,
x2)``) returns y, ``backward(dout)`` returns dx (a tuple for two inputs) and leaves ``dW``, ``db``, ... beside
``W``, ``b``, ...

A buggy variant subclasses the correct layer and rewrites the one method a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


class Bilinear:
    """y[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j] + b[o]; W: (O, I, J)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x1, x2):
        self.x1, self.x2 = x1, x2
        return np.einsum("ni,oij,nj->no", x1, self.W, x2) + self.b

    def backward(self, dout):
        self.dW = np.einsum("no,ni,nj->oij", dout, self.x1, self.x2)
        self.db = dout.sum(axis=0)
        dx1 = np.einsum("no,oij,nj->ni", dout, self.W, self.x2)
        dx2 = np.einsum("no,oij,ni->nj", dout, self.W, self.x1)
        return dx1, dx2


class BilinearSwapped(Bilinear):
    def backward(self, dout):
        self.dW = np.einsum("no,nj,ni->oij", dout, self.x1, self.x2)  # BUG: i and j swapped: x1 fills the j axis
        self.db = dout.sum(axis=0)
        dx1 = np.einsum("no,oij,nj->ni", dout, self.W, self.x2)
        dx2 = np.einsum("no,oij,ni->nj", dout, self.W, self.x1)
        return dx1, dx2


class TimeDistributedDense:
    """The same dense layer at every step: x (B, T, D) -> (B, T, H)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return np.einsum("btd,dh->bth", x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.einsum("btd,bth->dh", self.x, dout)
        self.db = dout.sum(axis=(0, 1))
        return np.einsum("bth,dh->btd", dout, self.W)


class TimeDistributedDenseBatchOnly(TimeDistributedDense):
    def backward(self, dout):
        self.dW = np.einsum("btd,bth->dh", self.x, dout)
        self.db = dout.sum(axis=0)  # BUG: summed over the batch only, not over the time steps: shape (T, H)
        return np.einsum("bth,dh->btd", dout, self.W)


class FeedForwardBlock:
    """Pre-norm transformer feed-forward: y = x + relu(LN(x) @ W1 + b1) @ W2 + b2, LN over the last axis with
    gamma, beta; x: (B, T, D), W1: (D, F), W2: (F, D)."""

    def __init__(self, gamma, beta, W1, b1, W2, b2, eps=1e-5):
        self.gamma, self.beta, self.W1, self.b1, self.W2, self.b2 = gamma, beta, W1, b1, W2, b2
        self.eps = eps

    def forward(self, x):
        mu = x.mean(axis=-1, keepdims=True)
        self.std = np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + self.eps)
        self.xhat = (x - mu) / self.std
        self.ln = self.gamma * self.xhat + self.beta
        self.z = np.einsum("btd,df->btf", self.ln, self.W1) + self.b1
        self.h = np.maximum(self.z, 0)
        return x + np.einsum("btf,fd->btd", self.h, self.W2) + self.b2

    def _ln_backward(self, dln):
        self.dgamma = np.einsum("btd,btd->d", dln, self.xhat)
        self.dbeta = dln.sum(axis=(0, 1))
        dxhat = dln * self.gamma
        return (dxhat - dxhat.mean(axis=-1, keepdims=True)
                - self.xhat * (dxhat * self.xhat).mean(axis=-1, keepdims=True)) / self.std

    def _mlp_backward(self, dout):
        self.dW2 = np.einsum("btf,btd->fd", self.h, dout)
        self.db2 = dout.sum(axis=(0, 1))
        dz = np.einsum("btd,fd->btf", dout, self.W2) * (self.z > 0)
        self.dW1 = np.einsum("btd,btf->df", self.ln, dz)
        self.db1 = dz.sum(axis=(0, 1))
        return np.einsum("btf,df->btd", dz, self.W1)

    def backward(self, dout):
        return dout + self._ln_backward(self._mlp_backward(dout))


class FeedForwardBlockNoResidual(FeedForwardBlock):
    def backward(self, dout):
        return self._ln_backward(self._mlp_backward(dout))  # BUG: the residual path's dout is not added to dx


class FeedForwardBlockLNNoMean(FeedForwardBlock):
    def _ln_backward(self, dln):
        self.dgamma = np.einsum("btd,btd->d", dln, self.xhat)
        self.dbeta = dln.sum(axis=(0, 1))
        dxhat = dln * self.gamma
        return (dxhat - self.xhat * (dxhat * self.xhat).mean(axis=-1, keepdims=True)) / self.std  # BUG: no mean term


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class GLU:
    """Gated linear unit: y = (x W + b) * sigmoid(x V + c); x: (N, D), W, V: (D, H)."""

    def __init__(self, W, b, V, c):
        self.W, self.b, self.V, self.c = W, b, V, c

    def forward(self, x):
        self.x = x
        self.a = np.einsum("nd,dh->nh", x, self.W) + self.b
        self.g = _sigmoid(np.einsum("nd,dh->nh", x, self.V) + self.c)
        return self.a * self.g

    def _backward(self, da, dgz):
        self.dW = np.einsum("nd,nh->dh", self.x, da)
        self.db = da.sum(axis=0)
        self.dV = np.einsum("nd,nh->dh", self.x, dgz)
        self.dc = dgz.sum(axis=0)
        return np.einsum("nh,dh->nd", da, self.W) + np.einsum("nh,dh->nd", dgz, self.V)

    def backward(self, dout):
        return self._backward(dout * self.g, dout * self.a * self.g * (1 - self.g))


class GLUGateLinear(GLU):
    def backward(self, dout):
        return self._backward(dout * self.g, dout * self.a)  # BUG: the gate's sigmoid' g * (1 - g) is not applied


class EinsumDense:
    """y = x W + b written as einsum."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        self.out = np.einsum("ni,io->no", x, self.W) + self.b
        return self.out

    def backward(self, dout):
        self.dW = np.einsum("ni,no->io", self.x, dout)
        self.db = np.einsum("no->o", dout)
        return np.einsum("no,io->ni", dout, self.W)


class EinsumDenseHebbian(EinsumDense):
    def backward(self, dout):
        self.dW = np.einsum("ni,no->io", self.x, self.out)  # BUG: the layer's output where dout is due (Hebb's x y)
        self.db = np.einsum("no->o", dout)
        return np.einsum("no,io->ni", dout, self.W)


# ---------------------------------------------------------------- the cases

def layer(cls, params, *x_shapes):
    """params: {name: shape}, drawn N(0, 1) (gamma around 1); the inputs drawn N(0, 1)."""
    def make(rng):
        arrays = {k: (1.0 if k == "gamma" else 0.0) + rng.standard_normal(s) for k, s in params.items()}
        xs = tuple(rng.standard_normal(s) for s in x_shapes)
        return (cls(**arrays), xs[0] if len(xs) == 1 else xs), {}
    return make


def cli(cls, params, *x_shapes):
    args = ["--layer", f"{{file}}:{cls.__name__}"]
    for k, s in params.items():
        args += ["--param", f"{k}={','.join(map(str, s))}"]
    shapes = [",".join(map(str, s)) for s in x_shapes]
    args += ["--input-shape", shapes[0]] if len(shapes) == 1 else ["--shapes", *shapes]
    return tuple(args)


def case(name, cls, params, *x_shapes, **kw):
    return Case(f"r3_einsum.{name}", "einsum-layers", "layer", layer(cls, params, *x_shapes),
                cli=cli(cls, params, *x_shapes), **kw)


BIL = {"W": (3, 4, 4), "b": (3,)}
TDD = {"W": (4, 3), "b": (3,)}
FFN = {"gamma": (4,), "beta": (4,), "W1": (4, 6), "b1": (6,), "W2": (6, 4), "b2": (4,)}
GLU_P = {"W": (4, 3), "b": (3,), "V": (4, 3), "c": (3,)}
DENSE = {"W": (4, 3), "b": (3,)}

CASES = [
    # --- correct
    case("Bilinear", Bilinear, BIL, (5, 4), (5, 4)),
    case("TimeDistributedDense", TimeDistributedDense, TDD, (2, 5, 4)),
    case("FeedForwardBlock", FeedForwardBlock, FFN, (2, 3, 4)),
    case("GLU", GLU, GLU_P, (5, 4)),
    case("EinsumDense", EinsumDense, DENSE, (5, 4)),
    # --- buggy
    case("Bilinear.swapped_indices", BilinearSwapped, BIL, (5, 4), (5, 4),
         bug="dW's einsum puts x1 on the j axis and x2 on the i axis: dW transposed in its last two axes",
         names=("transposed", "located")),
    case("TimeDistributedDense.db_batch_only", TimeDistributedDenseBatchOnly, TDD, (2, 5, 4),
         bug="db summed over the batch axis only: shape (T, H) for b of shape (H,)", names=("shape",)),
    case("FeedForwardBlock.no_residual", FeedForwardBlockNoResidual, FFN, (2, 3, 4),
         bug="dx misses the residual path: dout itself is not added", names=("missing-term",)),
    case("FeedForwardBlock.ln_no_mean", FeedForwardBlockLNNoMean, FFN, (2, 3, 4),
         bug="layer norm's backward without its mean term (- mean(dxhat)): dx wrong, the parameters right",
         names=("known-mistake", "missing-term", "split")),
    case("GLU.gate_linear", GLUGateLinear, GLU_P, (5, 4),
         bug="the gate's pre-activation gradient misses sigmoid' = g (1 - g): dV, dc and dx wrong",
         names=("known-mistake", "derivative", "missing-term", "split")),
    case("EinsumDense.hebbian", EinsumDenseHebbian, DENSE, (5, 4),
         bug="dW = x^T y (the output) instead of x^T dout: a Hebbian update, not a gradient",
         names=("known-mistake", "split")),
]
