"""Neural-network pieces in plain Python lists, as in "from scratch, no numpy" tutorials: a vector is a list of
floats, a matrix a list of rows; loops everywhere; ``math.exp``. Functional pairs ``dense_forward(x, W, b) ->
(out, cache)`` / ``dense_backward(dout, cache) -> (dx, dW, db)``, losses ``mse_loss(pred, target) -> (loss,
dpred)`` and ``hinge_loss(scores, y) -> (loss, dscores)`` with y a list of +1 / -1 labels.

A buggy variant is a second function with the one line a learner got wrong (``# BUG:``)."""

import math


from .case import Case


def dense_forward(x, W, b):
    """x: batch x n_in rows, W: n_in x n_out, b: n_out."""
    out = []
    for row in x:
        out.append([sum(row[i] * W[i][j] for i in range(len(row))) + b[j] for j in range(len(b))])
    return out, (x, W)


def dense_backward(dout, cache):
    x, W = cache
    n_in, n_out = len(W), len(W[0])
    dx = [[sum(d[j] * W[i][j] for j in range(n_out)) for i in range(n_in)] for d in dout]
    dW = [[sum(x[n][i] * dout[n][j] for n in range(len(x))) for j in range(n_out)] for i in range(n_in)]
    db = [sum(d[j] for d in dout) for j in range(n_out)]
    return dx, dW, db


def dense_backward_swapped(dout, cache):
    x, W = cache
    n_in, n_out = len(W), len(W[0])
    dx = [[sum(d[j] * W[i][j] for j in range(n_out)) for i in range(n_in)] for d in dout]
    # BUG: the indices i and j swapped in the product below: dW[i][j] sums x[n][j] * dout[n][i]
    dW = [[sum(x[n][j] * dout[n][i] for n in range(len(x))) for j in range(n_out)] for i in range(n_in)]
    db = [sum(d[j] for d in dout) for j in range(n_out)]
    return dx, dW, db


def mse_loss(pred, target):
    n = len(pred)
    loss = sum((p - t) ** 2 for p, t in zip(pred, target)) / n
    dpred = [2 * (p - t) / n for p, t in zip(pred, target)]
    return loss, dpred


def mse_loss_no_two(pred, target):
    n = len(pred)
    loss = sum((p - t) ** 2 for p, t in zip(pred, target)) / n
    dpred = [(p - t) / n for p, t in zip(pred, target)]  # BUG: the 2 of the square's derivative is missing
    return loss, dpred


def hinge_loss(scores, y):
    n = len(scores)
    loss, dscores = 0.0, []
    for s, label in zip(scores, y):
        margin = 1 - label * s
        loss += max(0.0, margin) / n
        dscores.append(-label / n if margin > 0 else 0.0)
    return loss, dscores


def hinge_loss_always_active(scores, y):
    n = len(scores)
    loss, dscores = 0.0, []
    for s, label in zip(scores, y):
        margin = 1 - label * s
        loss += max(0.0, margin) / n
        dscores.append(-label / n)  # BUG: the margin's condition is forgotten: -y even where margin <= 0
    return loss, dscores


def swish_forward(x):
    sig = [1 / (1 + math.exp(-v)) for v in x]
    return [v * s for v, s in zip(x, sig)], (x, sig)


def swish_backward(dout, cache):
    x, sig = cache
    return [d * (s + v * s * (1 - s)) for d, v, s in zip(dout, x, sig)]


def swish_backward_no_one_minus(dout, cache):
    x, sig = cache
    return [d * (s + v * s) for d, v, s in zip(dout, x, sig)]  # BUG: sigmoid' written as s instead of s * (1 - s)


# ---------------------------------------------------------------- the cases

def vector(rng, n):
    return [float(v) for v in rng.standard_normal(n)]


def matrix(rng, rows, cols):
    return [vector(rng, cols) for _ in range(rows)]


def dense(bwd, n_in=3, n_out=3, batch=4):
    return lambda rng: ((dense_forward, bwd, matrix(rng, batch, n_in), matrix(rng, n_in, n_out), vector(rng, n_out)),
                        {})


def mse(fn):
    return lambda rng: ((fn, vector(rng, 6), vector(rng, 6)), {})


def hinge(fn):
    def make(rng):
        y = [int(v) for v in rng.choice([-1, 1], 8)]
        scores = [float(v) for v in 1.5 * rng.standard_normal(8)]
        scores[0], scores[5] = 2.5 * y[0], -0.5 * y[5]  # one margin inactive, one active, whatever the draw
        return (fn, scores, y), {}
    return make


def swish(bwd):
    return lambda rng: ((swish_forward, bwd, [float(v) for v in 2.5 * rng.standard_normal(7)]), {})


def pair_cli(fwd, bwd, *shapes):
    return ("--pair", f"{{file}}:{fwd.__name__},{bwd.__name__}", "--shapes", *shapes)


HINGE_Y = "[1, -1, -1, 1, 1, -1, 1, -1]"
S = "purepython"
CASES = [
    # --- correct
    Case("purepython.dense", S, "pair", dense(dense_backward, 3, 2),
         cli=pair_cli(dense_forward, dense_backward, "4,3", "3,2", "2")),
    Case("purepython.mse_loss", S, "loss", mse(mse_loss), cli=("--loss-fn", "{file}:mse_loss", "--shapes", "6", "6")),
    Case("purepython.hinge_loss", S, "loss", hinge(hinge_loss),
         cli=("--loss-fn", "{file}:hinge_loss", "--shapes", "8", HINGE_Y)),
    Case("purepython.swish", S, "pair", swish(swish_backward), cli=pair_cli(swish_forward, swish_backward, "7")),
    # --- buggy
    Case("purepython.dense.swapped_indices", S, "pair", dense(dense_backward_swapped),
         bug="dW[i][j] summed from x[n][j] * dout[n][i]: a square dW transposed", names=("transposed",),
         cli=pair_cli(dense_forward, dense_backward_swapped, "4,3", "3,3", "3")),
    Case("purepython.mse_loss.no_two", S, "loss", mse(mse_loss_no_two),
         bug="d/dp (p - t)^2 written as (p - t): half the gradient", names=("scaled",),
         cli=("--loss-fn", "{file}:mse_loss_no_two", "--shapes", "6", "6")),
    Case("purepython.hinge_loss.always_active", S, "loss", hinge(hinge_loss_always_active),
         bug="hinge gradient -y / n even where the margin is inactive", names=("located",)),
    Case("purepython.swish.no_one_minus", S, "pair", swish(swish_backward_no_one_minus),
         bug="swish' = s + x * s: sigmoid' taken as s, not s * (1 - s)", names=("known-mistake", "located", "derivative"),
         cli=pair_cli(swish_forward, swish_backward_no_one_minus, "7")),
]


