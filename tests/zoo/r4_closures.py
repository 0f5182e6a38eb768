"""Layers built by factory functions that return closures, the functional style of "no classes, just functions"
tutorials: ``dense(W, b)`` returns ``(fwd, bwd)``, two functions sharing the layer's cache through the enclosing
scope; ``bwd(g)`` returns the input's gradient and a dict of the layer's own. A model is a list of such pairs
built from a parameter dict, and the function a learner checks is ``loss_and_grads(params, X, y) -> (loss,
grads)``, ``params`` and ``grads`` dicts with the same keys (W1, b1, W2, b2, ...), the grads filled from the
last layer back. A second form writes the backward closures inline, in the forward's own loop, binding what each
needs through default arguments.

A learner checks it as ``nngrad.check_loss(loss_and_grads, params, X, y)`` (y integer labels). A buggy version
is a second function with the one line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def dense(W, b):
    cache = {}

    def fwd(x):
        cache["x"] = x
        return x @ W + b

    def bwd(g):
        return g @ W.T, {"W": cache["x"].T @ g, "b": g.sum(axis=0)}

    return fwd, bwd


def dense_default_cache(W, b, cache={}):  # BUG: a mutable default: every layer the factory builds shares one cache
    def fwd(x):
        cache["x"] = x
        return x @ W + b

    def bwd(g):
        return g @ W.T, {"W": cache["x"].T @ g, "b": g.sum(axis=0)}

    return fwd, bwd


def tanh_layer():
    cache = {}

    def fwd(x):
        cache["y"] = np.tanh(x)
        return cache["y"]

    def bwd(g):
        return g * (1 - cache["y"] ** 2), {}

    return fwd, bwd


def softmax_cross_entropy(logits, y):
    """mean cross-entropy of integer labels y, and its gradient w.r.t. the logits."""
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    d = p.copy()
    d[np.arange(n), y] -= 1
    return loss, d / n


def build(params, make_dense=dense):
    """[(suffix of the layer's keys, (fwd, bwd))]: dense, tanh, dense, tanh, ..., dense."""
    L = len(params) // 2
    layers = []
    for i in range(1, L + 1):
        layers.append((str(i), make_dense(params[f"W{i}"], params[f"b{i}"])))
        if i < L:
            layers.append(("", tanh_layer()))
    return layers


def _run(layers, X, y):
    a = X
    for _, (fwd, _) in layers:
        a = fwd(a)
    loss, g = softmax_cross_entropy(a, y)
    grads = {}
    for suffix, (_, bwd) in reversed(layers):
        g, local = bwd(g)
        for k, v in local.items():
            grads[k + suffix] = v
    return loss, grads


def loss_and_grads(params, X, y):
    return _run(build(params), X, y)


def loss_and_grads_default_cache(params, X, y):
    return _run(build(params, make_dense=dense_default_cache), X, y)


def loss_and_grads_inline(params, X, y):
    """The same network with its backward closures written in the forward's loop."""
    L = len(params) // 2
    a = X
    backs = []
    for i in range(1, L + 1):
        W, b = params[f"W{i}"], params[f"b{i}"]
        x_in = a
        z = x_in @ W + b
        a = np.tanh(z) if i < L else z

        def back(g, x_in=x_in, W=W, a=a, last=(i == L)):
            dz = g if last else g * (1 - a ** 2)
            return dz @ W.T, x_in.T @ dz, dz.sum(axis=0)

        backs.append((i, back))
    loss, g = softmax_cross_entropy(a, y)
    grads = {}
    for i, back in reversed(backs):
        g, grads[f"W{i}"], grads[f"b{i}"] = back(g)
    return loss, grads


def loss_and_grads_late_binding(params, X, y):
    L = len(params) // 2
    a = X
    backs = []
    for i in range(1, L + 1):
        W, b = params[f"W{i}"], params[f"b{i}"]
        x_in = a
        z = x_in @ W + b
        a = np.tanh(z) if i < L else z

        def back(g, x_in=x_in, a=a, last=(i == L)):
            dz = g if last else g * (1 - a ** 2)
            return dz @ W.T, x_in.T @ dz, dz.sum(axis=0)  # BUG: W is looked up when back runs: the last layer's W

        backs.append((i, back))
    loss, g = softmax_cross_entropy(a, y)
    grads = {}
    for i, back in reversed(backs):
        g, grads[f"W{i}"], grads[f"b{i}"] = back(g)
    return loss, grads


# ---------------------------------------------------------------- the cases

def mlp(fn, sizes, N=6):
    def make(rng):
        params = {}
        for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            params[f"W{i}"] = rng.standard_normal((m, n)) / np.sqrt(m)
            params[f"b{i}"] = 0.1 * rng.standard_normal(n)
        return (fn, params, rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)), {}
    return make


S = "closures"
CASES = [
    # --- correct
    Case("r4_closures.loss_and_grads", S, "loss", mlp(loss_and_grads, (4, 5, 3))),
    Case("r4_closures.loss_and_grads_inline", S, "loss", mlp(loss_and_grads_inline, (4, 4, 4, 4))),
    # --- buggy
    Case("r4_closures.loss_and_grads.default_cache", S, "loss", mlp(loss_and_grads_default_cache, (4, 4, 3)),
         bug="dense(W, b, cache={}): both layers write one cache, so dW1 is computed with the second layer's input "
             "(every width 4, nothing raises); dW2, db1, db2 right", names=("located", "layer", "split")),
    Case("r4_closures.loss_and_grads_inline.late_binding", S, "loss", mlp(loss_and_grads_late_binding, (4, 4, 4, 4)),
         bug="the backward closures bind x_in and a by default argument but not W: each uses the last layer's W "
             "for dx (late binding): the second layer's dx is wrong, so W1, b1 are (W2, b2, W3, b3 right)",
         names=("located", "layer", "split")),
]
