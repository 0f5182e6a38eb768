"""Pure functions in numpy in the style JAX teaches (before ``jax.grad``): the parameters are a list of ``(W, b)``
tuples, ``predict(params, x)``, ``loss(params, x, y)``, and a hand-written ``grad_loss(params, x, y)`` returning
the same nested structure, ``[(dW, db), ...]`` (or ``value_and_grad``: ``(loss, grads)``). The learner checks a
``value_and_grad`` with ``nngrad.check_loss(value_and_grad, params, x, y)``, and a ``loss`` / ``grad_loss`` pair
with ``nngrad.check_function(lambda p: loss(p, x, y), lambda p: grad_loss(p, x, y), params)``.

Models: an MLP with tanh hidden layers and a softmax cross-entropy (integer labels), the same with an L2 penalty
on the weights, and a residual MLP (input projection, one residual block relu(h W1 + b1) W2 + b2 added to h, an
output map) with a squared error.

A buggy variant is a second function with the one line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def init_params(rng, sizes):
    return [(rng.standard_normal((m, n)) / np.sqrt(m), 0.1 * rng.standard_normal(n))
            for m, n in zip(sizes[:-1], sizes[1:])]


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def predict(params, x):
    a = x
    for W, b in params[:-1]:
        a = np.tanh(a @ W + b)
    W, b = params[-1]
    return a @ W + b


def loss(params, x, y):
    logp = _log_softmax(predict(params, x))
    return -np.mean(logp[np.arange(len(y)), y])


def _forward_cache(params, x):
    acts, a = [x], x
    for W, b in params[:-1]:
        a = np.tanh(a @ W + b)
        acts.append(a)
    return acts


def grad_loss(params, x, y):
    acts = _forward_cache(params, x)
    W, b = params[-1]
    logits = acts[-1] @ W + b
    delta = np.exp(_log_softmax(logits))
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads = []
    for i in reversed(range(len(params))):
        W, b = params[i]
        grads.append((acts[i].T @ delta, delta.sum(axis=0)))
        if i > 0:
            delta = (delta @ W.T) * (1 - acts[i] ** 2)
    return grads[::-1]


def value_and_grad(params, x, y):
    return loss(params, x, y), grad_loss(params, x, y)


def value_and_grad_unreversed(params, x, y):
    acts = _forward_cache(params, x)
    W, b = params[-1]
    logits = acts[-1] @ W + b
    delta = np.exp(_log_softmax(logits))
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads = []
    for i in reversed(range(len(params))):
        W, b = params[i]
        grads.append((acts[i].T @ delta, delta.sum(axis=0)))
        if i > 0:
            delta = (delta @ W.T) * (1 - acts[i] ** 2)
    return loss(params, x, y), grads  # BUG: built from the last layer back, never reversed: grads[0] is the last's


def value_and_grad_keepdims(params, x, y):
    acts = _forward_cache(params, x)
    W, b = params[-1]
    logits = acts[-1] @ W + b
    delta = np.exp(_log_softmax(logits))
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads = []
    for i in reversed(range(len(params))):
        W, b = params[i]
        grads.append((acts[i].T @ delta, delta.sum(axis=0, keepdims=True)))  # BUG: db (1, n) for b of shape (n,)
        if i > 0:
            delta = (delta @ W.T) * (1 - acts[i] ** 2)
    return loss(params, x, y), grads[::-1]


def grad_loss_pre_activation(params, x, y):
    acts, zs, a = [x], [x], x
    for W, b in params[:-1]:
        z = a @ W + b
        a = np.tanh(z)
        zs.append(z)
        acts.append(a)
    W, b = params[-1]
    delta = np.exp(_log_softmax(acts[-1] @ W + b))
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads = []
    for i in reversed(range(len(params))):
        W, b = params[i]
        grads.append((zs[i].T @ delta, delta.sum(axis=0)))  # BUG: zs[i], the pre-activation, where acts[i] is due
        if i > 0:
            delta = (delta @ W.T) * (1 - acts[i] ** 2)
    return grads[::-1]


# ---------------------------------------------------------------- an L2 penalty on the weights

def value_and_grad_l2(params, x, y, l2=0.1):
    value, grads = value_and_grad(params, x, y)
    value = value + 0.5 * l2 * sum(np.sum(W ** 2) for W, _ in params)
    return value, [(dW + l2 * W, db) for (dW, db), (W, _) in zip(grads, params)]


# ---------------------------------------------------------------- a residual MLP, squared error

def residual_predict(params, x):
    (Wi, bi), (W1, b1), (W2, b2), (Wo, bo) = params
    h = x @ Wi + bi
    z = h @ W1 + b1
    h2 = h + np.maximum(z, 0) @ W2 + b2
    return h2 @ Wo + bo, (h, z, h2)


def residual_value_and_grad(params, x, y):
    (Wi, bi), (W1, b1), (W2, b2), (Wo, bo) = params
    out, (h, z, h2) = residual_predict(params, x)
    N = x.shape[0]
    value = 0.5 * np.sum((out - y) ** 2) / N
    dout = (out - y) / N
    dWo, dbo = h2.T @ dout, dout.sum(axis=0)
    dh2 = dout @ Wo.T
    r = np.maximum(z, 0)
    dW2, db2 = r.T @ dh2, dh2.sum(axis=0)
    dz = (dh2 @ W2.T) * (z > 0)
    dW1, db1 = h.T @ dz, dz.sum(axis=0)
    dh = dh2 + dz @ W1.T
    dWi, dbi = x.T @ dh, dh.sum(axis=0)
    return value, [(dWi, dbi), (dW1, db1), (dW2, db2), (dWo, dbo)]


def residual_value_and_grad_no_skip(params, x, y):
    (Wi, bi), (W1, b1), (W2, b2), (Wo, bo) = params
    out, (h, z, h2) = residual_predict(params, x)
    N = x.shape[0]
    value = 0.5 * np.sum((out - y) ** 2) / N
    dout = (out - y) / N
    dWo, dbo = h2.T @ dout, dout.sum(axis=0)
    dh2 = dout @ Wo.T
    r = np.maximum(z, 0)
    dW2, db2 = r.T @ dh2, dh2.sum(axis=0)
    dz = (dh2 @ W2.T) * (z > 0)
    dW1, db1 = h.T @ dz, dz.sum(axis=0)
    dh = dz @ W1.T  # BUG: the skip connection's dh2 is not added: only the block's path reaches h
    dWi, dbi = x.T @ dh, dh.sum(axis=0)
    return value, [(dWi, dbi), (dW1, db1), (dW2, db2), (dWo, dbo)]


# ---------------------------------------------------------------- the cases

SIZES = [4, 5, 3, 3]


def classify(fn, sizes=SIZES, N=6, *extra):
    def make(rng):
        params = init_params(rng, sizes)
        return (fn, params, rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N), *extra), {}
    return make


def pair(grad_fn, sizes=SIZES, N=6):
    """check_function(lambda p: loss(p, x, y), lambda p: grad_fn(p, x, y), params)."""
    def make(rng):
        params = init_params(rng, sizes)
        x, y = rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)
        return (lambda p: loss(p, x, y), lambda p: grad_fn(p, x, y), params), {}
    return make


def _residual_params(rng):
    Wi, bi = rng.standard_normal((3, 4)) / np.sqrt(3), 0.1 * rng.standard_normal(4)
    W1, b1 = rng.standard_normal((4, 5)) / 2, 0.1 * rng.standard_normal(5)
    W2, b2 = rng.standard_normal((5, 4)) / np.sqrt(5), 0.1 * rng.standard_normal(4)
    Wo, bo = rng.standard_normal((4, 2)) / 2, 0.1 * rng.standard_normal(2)
    return [(Wi, bi), (W1, b1), (W2, b2), (Wo, bo)]


def residual_case(fn, N=6):
    def make(rng):
        return (fn, _residual_params(rng), rng.standard_normal((N, 3)), rng.standard_normal((N, 2))), {}
    return make


S = "jax-functional"
CASES = [
    # --- correct
    Case("r3_jax.value_and_grad", S, "loss", classify(value_and_grad)),
    Case("r3_jax.value_and_grad_l2", S, "loss", classify(value_and_grad_l2)),
    Case("r3_jax.residual_value_and_grad", S, "loss", residual_case(residual_value_and_grad)),
    Case("r3_jax.grad_loss", S, "function", pair(grad_loss)),
    # --- buggy
    Case("r3_jax.value_and_grad.unreversed", S, "loss", classify(value_and_grad_unreversed),
         bug="grads appended from the last layer back and never reversed: each (dW, db) sits at another layer's "
             "place (shapes (3, 3), (5, 3), (4, 5) for W of (4, 5), (5, 3), (3, 3))", names=("shape",)),
    Case("r3_jax.value_and_grad.keepdims", S, "loss", classify(value_and_grad_keepdims),
         bug="db summed with keepdims=True: shape (1, n) for a bias of shape (n,)", names=("shape",)),
    Case("r3_jax.residual_value_and_grad.no_skip", S, "loss", residual_case(residual_value_and_grad_no_skip),
         bug="the residual block's skip path is dropped in backward: dWi, dbi miss dh2 (the block's own "
             "parameters and the output map right)", names=("missing-term", "located", "split")),
    Case("r3_jax.grad_loss.pre_activation", S, "function", pair(grad_loss_pre_activation),
         bug="dW of every layer after the first uses its input's pre-activation z where a = tanh(z) is due",
         names=("layer", "located")),
]
