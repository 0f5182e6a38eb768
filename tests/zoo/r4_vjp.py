"""Layers as functions that return their output and a closure computing the vector-Jacobian product, JAX's
``vjp`` written by hand: ``out, vjp = linear(x, W, b)``, then ``dx, dW, db = vjp(dout)``. What CS231n keeps in a
``cache`` tuple lives here in the closure; one generic ``backward(dout, vjp)`` calls it, so every layer is a pair
``(layer, backward)`` like CS231n's ``affine_forward`` / ``affine_backward``. Layers: a linear map, RMS
normalisation with a learnable gain (LLaMA's RMSNorm), and a SwiGLU gate (silu(x W) * (x V)).

A learner checks it as ``nngrad.check_pair(rmsnorm, backward, x, g)``, or from the shell with
``--pair FILE:rmsnorm,backward``. A buggy layer is a second function with the one line a learner got wrong
(``# BUG:``)."""

import numpy as np

from .case import Case

EPS = 1e-6


def backward(dout, vjp):
    """The backward of every layer in this file: its closure, applied to dout."""
    return vjp(dout)


def linear(x, W, b):
    def vjp(g):
        return g @ W.T, x.T @ g, g.sum(axis=0)
    return x @ W + b, vjp


def rmsnorm(x, g):
    """y = x / rms(x) * g over the last axis, rms = sqrt(mean(x^2) + eps); x: (N, D), g: (D,)."""
    rms = np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + EPS)
    xhat = x / rms

    def vjp(dy):
        dxhat = dy * g
        dx = (dxhat - xhat * np.mean(dxhat * xhat, axis=-1, keepdims=True)) / rms
        return dx, np.sum(dy * xhat, axis=0)
    return xhat * g, vjp


def rmsnorm_constant_rms(x, g):
    rms = np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + EPS)
    xhat = x / rms

    def vjp(dy):
        dxhat = dy * g
        dx = dxhat / rms  # BUG: rms treated as a constant: the term through rms's own dependence on x is missing
        return dx, np.sum(dy * xhat, axis=0)
    return xhat * g, vjp


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def swiglu(x, W, V):
    """silu(x @ W) * (x @ V), silu(a) = a * sigmoid(a); x: (N, D), W, V: (D, H)."""
    a, v = x @ W, x @ V
    s = _sigmoid(a)
    silu = a * s

    def vjp(dout):
        da = dout * v * (s + a * s * (1 - s))
        dv = dout * silu
        return da @ W.T + dv @ V.T, x.T @ da, x.T @ dv
    return silu * v, vjp


def swiglu_sigmoid_prime(x, W, V):
    a, v = x @ W, x @ V
    s = _sigmoid(a)
    silu = a * s

    def vjp(dout):
        da = dout * v * s * (1 - s)  # BUG: the sigmoid's derivative where silu's, s + a s (1 - s), is due
        dv = dout * silu
        return da @ W.T + dv @ V.T, x.T @ da, x.T @ dv
    return silu * v, vjp


# ---------------------------------------------------------------- the cases

def pair(fn, *shapes):
    return lambda rng: ((fn, backward, *(rng.standard_normal(s) for s in shapes)), {})


def cli(fn, *shapes):
    return ("--pair", f"{{file}}:{fn.__name__},backward", "--shapes", *shapes)


S = "vjp-closures"
CASES = [
    # --- correct
    Case("r4_vjp.linear", S, "pair", pair(linear, (4, 5), (5, 3), (3,)), cli=cli(linear, "4,5", "5,3", "3")),
    Case("r4_vjp.rmsnorm", S, "pair", pair(rmsnorm, (5, 6), (6,)), cli=cli(rmsnorm, "5,6", "6")),
    Case("r4_vjp.swiglu", S, "pair", pair(swiglu, (4, 5), (5, 3), (5, 3)), cli=cli(swiglu, "4,5", "5,3", "5,3")),
    # --- buggy
    Case("r4_vjp.rmsnorm.constant_rms", S, "pair", pair(rmsnorm_constant_rms, (5, 6), (6,)),
         bug="dx treats rms as a constant: the term -xhat * mean(dxhat * xhat) / rms is missing (dg right)",
         names=("missing-term", "known-mistake", "split"), cli=cli(rmsnorm_constant_rms, "5,6", "6")),
    Case("r4_vjp.swiglu.sigmoid_prime", S, "pair", pair(swiglu_sigmoid_prime, (4, 5), (5, 3), (5, 3)),
         bug="silu's derivative written as the sigmoid's, s (1 - s): dx and dW wrong, dV right",
         names=("derivative", "split", "located"), cli=cli(swiglu_sigmoid_prime, "4,5", "5,3", "5,3")),
]
