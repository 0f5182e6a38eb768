"""Parameters in one flat buffer, the way a learner writes an optimiser-friendly model (or copies it from a
"write your own Adam" tutorial): a 1-D ``self.flat`` holds every parameter, ``self.W = self.flat[:k].reshape(...)``
and ``self.b = self.flat[k:]`` are views into it; the gradients likewise in ``self.gflat`` with views ``self.dW``,
``self.db``, which backward fills in place (``self.dW[...] = ...``). ``parameters()`` returns the one
``(flat, gflat)`` pair the optimiser steps (``flat -= lr * gflat``). A whole MLP can share one buffer, its layers
holding views at their offsets. ``forward(x)``, ``backward(dout) -> dx``.

A learner checks them as ``nngrad.check_layer(FlatLinear(4, 3), x)``, or from the shell with
``--layer FILE:FlatLinear --kwargs '{"n_in": 4, "n_out": 3}' --input-shape 6,4``. A buggy layer is a subclass
with the one thing a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _randn(rng, n):
    return rng.standard_normal(n) if rng is not None else np.random.randn(n)


class FlatLinear:
    def __init__(self, n_in, n_out, rng=None):
        k = n_in * n_out
        self.flat = 0.5 * _randn(rng, k + n_out)
        self.gflat = np.zeros_like(self.flat)
        self._views(n_in, n_out)
        self.x = None

    def _views(self, n_in, n_out):
        k = n_in * n_out
        self.W, self.b = self.flat[:k].reshape(n_in, n_out), self.flat[k:]
        self.dW, self.db = self.gflat[:k].reshape(n_in, n_out), self.gflat[k:]

    def parameters(self):
        return [(self.flat, self.gflat)]

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW[...] = self.x.T @ dout
        self.db[...] = dout.sum(axis=0)
        return dout @ self.W.T


class FlatLinearHeInit(FlatLinear):
    def __init__(self, n_in, n_out, rng=None):
        super().__init__(n_in, n_out, rng)
        self.W = self.W * np.sqrt(2 / n_in)  # BUG: a new array, no longer a view: flat (and its step) never reach W


class FlatLinearRebound(FlatLinear):
    def backward(self, dout):
        self.dW = self.x.T @ dout  # BUG: rebinds dW to a new array: gflat's W part (what the optimiser reads) stays 0
        self.db[...] = dout.sum(axis=0)
        return dout @ self.W.T


class FlatLinearOverlap(FlatLinear):
    def _views(self, n_in, n_out):
        k = n_in * n_out
        self.W, self.b = self.flat[:k].reshape(n_in, n_out), self.flat[k:]
        # BUG: the bias-gradient view starts one element early: db overwrites dW's last element, and its own last
        # element is never written
        self.dW, self.db = self.gflat[:k].reshape(n_in, n_out), self.gflat[k - 1:k - 1 + n_out]


class FlatMLP:
    """Linear, tanh, Linear, all parameters in one buffer: W1 (n_in, n_hidden), b1, W2 (n_hidden, n_out), b2."""

    def __init__(self, n_in, n_hidden, n_out, rng=None):
        shapes = [(n_in, n_hidden), (n_hidden,), (n_hidden, n_out), (n_out,)]
        sizes = [int(np.prod(s)) for s in shapes]
        self.flat = 0.5 * _randn(rng, sum(sizes))
        self.gflat = np.zeros_like(self.flat)
        offsets = np.cumsum([0] + sizes)
        views = [(self.flat[o:o + n].reshape(s), self.gflat[o:o + n].reshape(s))
                 for o, n, s in zip(offsets, sizes, shapes)]
        (self.W1, self.dW1), (self.b1, self.db1), (self.W2, self.dW2), (self.b2, self.db2) = views
        self.x = self.h = None

    def parameters(self):
        return [(self.flat, self.gflat)]

    def forward(self, x):
        self.x = x
        self.h = np.tanh(x @ self.W1 + self.b1)
        return self.h @ self.W2 + self.b2

    def backward(self, dout):
        self.dW2[...] = self.h.T @ dout
        self.db2[...] = dout.sum(axis=0)
        dz = dout @ self.W2.T * (1 - self.h ** 2)
        self.dW1[...] = self.x.T @ dz
        self.db1[...] = dz.sum(axis=0)
        return dz @ self.W1.T


# ---------------------------------------------------------------- the cases

def layer(cls, x_shape, *sizes):
    return lambda rng: ((cls(*sizes, rng=rng), rng.standard_normal(x_shape)), {})


def cli(cls, input_shape, **kwargs):
    import json

    return ("--layer", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps(kwargs), "--input-shape", input_shape)


S = "flat-buffer"
LIN = dict(n_in=4, n_out=3)
CASES = [
    # --- correct
    Case("r5_flatbuf.FlatLinear", S, "layer", layer(FlatLinear, (6, 4), 4, 3), cli=cli(FlatLinear, "6,4", **LIN)),
    Case("r5_flatbuf.FlatMLP", S, "layer", layer(FlatMLP, (6, 4), 4, 5, 3),
         cli=cli(FlatMLP, "6,4", n_in=4, n_hidden=5, n_out=3)),
    # --- buggy
    Case("r5_flatbuf.FlatLinear.he_init", S, "layer", layer(FlatLinearHeInit, (6, 4), 4, 3),
         bug="W rescaled after the view was made (self.W = self.W * s): W is a copy, the flat buffer's W part "
             "does not reach the output, yet gflat claims a gradient for it",
         names=("ignored", "misplaced", "unchecked"), cli=cli(FlatLinearHeInit, "6,4", **LIN)),
    Case("r5_flatbuf.FlatLinear.rebound", S, "layer", layer(FlatLinearRebound, (6, 4), 4, 3),
         bug="backward rebinds self.dW instead of writing into the view: gflat's W part stays zero",
         names=("misplaced", "zero-gradient", "scaled"), cli=cli(FlatLinearRebound, "6,4", **LIN)),
    Case("r5_flatbuf.FlatLinear.overlap", S, "layer", layer(FlatLinearOverlap, (6, 4), 4, 3),
         bug="the bias-gradient view one element early: gflat's last W element holds db[0] and its last b "
             "element stays 0", names=("located", "reordered"), cli=cli(FlatLinearOverlap, "6,4", **LIN)),
]
