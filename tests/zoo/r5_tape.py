"""A functional API with a tape: each forward function returns its output and a *tape*, a list of closures
recorded as it computes; ``grad(tape, dout)`` walks the tape backwards, each closure taking the gradient of its
output and returning ``(gradient of its input, {position: gradient of a forward argument})``, and returns the
gradients of the forward's arguments in their order (a tuple). Note the order of ``grad``'s arguments: the tape
first, then dout. Layers: a two-layer tanh MLP and a single-head causal self-attention on one sequence x (T, D).

A learner checks them as ``nngrad.check_pair(causal_attention, grad, x, Wq, Wk, Wv)``, or from the shell with
``--pair FILE:causal_attention,grad --shapes 5,4 4,4 4,4 4,4``. A buggy forward is a second function with the one
line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def grad(tape, dout):
    """Walks the tape backwards from dout; -> the gradients of the forward's arguments, in their order."""
    g, grads = dout, {}
    for step in reversed(tape):
        g, got = step(g)
        for i, v in got.items():
            grads[i] = grads[i] + v if i in grads else v
    return tuple(grads[i] for i in sorted(grads))


def mlp(x, W1, b1, W2, b2):
    """tanh(x W1 + b1) W2 + b2; x (N, D)."""
    tape = []
    tape.append(lambda g: (g @ W1.T, {0: g @ W1.T, 1: x.T @ g, 2: g.sum(axis=0)}))
    h = np.tanh(x @ W1 + b1)
    tape.append(lambda g: (g * (1 - h ** 2), {}))
    tape.append(lambda g: (g @ W2.T, {3: h.T @ g, 4: g.sum(axis=0)}))
    out = h @ W2 + b2
    return out, tape


def mlp_rebound(x, W1, b1, W2, b2):
    tape = []
    tape.append(lambda g: (g @ W1.T, {0: g @ W1.T, 1: x.T @ g, 2: g.sum(axis=0)}))
    h = np.tanh(x @ W1 + b1)
    tape.append(lambda g: (g * (1 - h ** 2), {}))
    tape.append(lambda g: (g @ W2.T, {3: h.T @ g, 4: g.sum(axis=0)}))
    h = h @ W2 + b2  # BUG: the name h reused for the output: the closures above read the output, not tanh's
    return h, tape


def _causal_softmax(S):
    T = S.shape[0]
    S = np.where(np.tril(np.ones((T, T), dtype=bool)), S, -np.inf)
    e = np.exp(S - S.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _attention_tape(x, Wq, Wk, Wv, backward_softmax):
    tape = []
    Q, K, V = x @ Wq, x @ Wk, x @ Wv
    tape.append(lambda g: (None, {0: g[0] @ Wq.T + g[1] @ Wk.T + g[2] @ Wv.T,
                                  1: x.T @ g[0], 2: x.T @ g[1], 3: x.T @ g[2]}))
    scale = 1 / np.sqrt(x.shape[1])
    S = Q @ K.T * scale
    A = _causal_softmax(S)

    def back_scores(g):
        dA, dV = g
        P = backward_softmax(S)
        dS = P * (dA - np.sum(dA * P, axis=1, keepdims=True))
        return (dS @ K * scale, dS.T @ Q * scale, dV), {}
    tape.append(back_scores)
    tape.append(lambda g: ((g @ V.T, A.T @ g), {}))
    return A @ V, tape


def causal_attention(x, Wq, Wk, Wv):
    """softmax(mask(Q K^T / sqrt(D))) V, Q = x Wq, K = x Wk, V = x Wv; x (T, D); position t attends to 0..t."""
    return _attention_tape(x, Wq, Wk, Wv, _causal_softmax)


def _plain_softmax(S):
    e = np.exp(S - S.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def causal_attention_unmasked_backward(x, Wq, Wk, Wv):
    # BUG: the backward recomputes the attention weights from the scores without the causal mask
    return _attention_tape(x, Wq, Wk, Wv, _plain_softmax)


# ---------------------------------------------------------------- the cases

def pair(fn, *shapes):
    return lambda rng: ((fn, grad, *(rng.standard_normal(s) for s in shapes)), {})


def cli(fn, *shapes):
    return ("--pair", f"{{file}}:{fn.__name__},grad", "--shapes", *shapes)


S = "tape"
MLP = ((4, 5), (5, 4), (4,), (4, 4), (4,))  # hidden as wide as the output
ATT = ((5, 4), (4, 4), (4, 4), (4, 4))
CASES = [
    # --- correct
    Case("r5_tape.mlp", S, "pair", pair(mlp, *MLP), cli=cli(mlp, "4,5", "5,4", "4", "4,4", "4")),
    Case("r5_tape.causal_attention", S, "pair", pair(causal_attention, *ATT),
         cli=cli(causal_attention, "5,4", "4,4", "4,4", "4,4")),
    # --- buggy
    Case("r5_tape.mlp.rebound", S, "pair", pair(mlp_rebound, *MLP),
         bug="the name h rebound to the output after the closures captured it: tanh's derivative and dW2 read the "
             "output (dW2 wrong, and everything below)", names=("split", "located", "derivative", "shape"),
         cli=cli(mlp_rebound, "4,5", "5,4", "4", "4,4", "4")),
    Case("r5_tape.causal_attention.unmasked_backward", S, "pair", pair(causal_attention_unmasked_backward, *ATT),
         bug="the causal mask applied in forward, not in backward: the backward's softmax lets each position attend "
             "to later ones (dx, dWq, dWk wrong; dWv right)", names=("split", "located"),
         cli=cli(causal_attention_unmasked_backward, "5,4", "4,4", "4,4", "4,4")),
]
