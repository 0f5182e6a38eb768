"""Character-level models on integer inputs, as two famous pieces of Karpathy's code are copied by learners.

``min-char-rnn`` (the gist): a vanilla RNN unrolled over the T characters of ``inputs`` (a list of integer
indices), one-hot vectors as columns, ``lossFun(inputs, targets, hprev, model) -> (loss, grads, hs[T - 1])``:
backpropagation through time with ``dhnext`` carried from step to step, the gradients clipped to [-5, 5] in
place, the last hidden state returned for the next chunk. Here the parameters (Wxh, Whh, Why, bh, by, the gist's
globals) are in a dict ``model`` and the gradients in a dict of the same keys. The learner drops the hidden state
and checks the rest: ``nngrad.check_loss(lambda model: lossFun(inputs, targets, hprev, model)[:2], model)``.

makemore part 4, "becoming a backprop ninja": a character MLP whose batch ``Xb`` (B, block) holds the indices of
the previous characters, ``emb = C[Xb]``, concatenated, a tanh layer, the logits, the cross-entropy written out
step by step, and the backward by hand, the embedding's gradient accumulated row by row in a loop:
``mlp_forward_backward(C, W1, b1, W2, b2, Xb, Yb) -> (loss, dC, dW1, db1, dW2, db2)``, checked as
``nngrad.check_loss(mlp_forward_backward, C, W1, b1, W2, b2, Xb, Yb)`` or from the shell.

A buggy version is a second function with the one line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


# ---------------------------------------------------------------- min-char-rnn

def lossFun(inputs, targets, hprev, model):
    """inputs, targets are both list of integers. hprev is Hx1 array of initial hidden state.
    returns the loss, gradients on model parameters, and last hidden state"""
    Wxh, Whh, Why, bh, by = model["Wxh"], model["Whh"], model["Why"], model["bh"], model["by"]
    vocab_size = Wxh.shape[1]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    # forward pass
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))  # encode in 1-of-k representation
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)  # hidden state
        ys[t] = np.dot(Why, hs[t]) + by  # unnormalized log probabilities for next chars
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))  # probabilities for next chars
        loss += -np.log(ps[t][targets[t], 0])  # softmax (cross-entropy loss)
    # backward pass: compute gradients going backwards
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1  # backprop into y
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext  # backprop into h
        dhraw = (1 - hs[t] * hs[t]) * dh  # backprop through tanh nonlinearity
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(dparam, -5, 5, out=dparam)  # clip to mitigate exploding gradients
    grads = {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}
    return loss, grads, hs[len(inputs) - 1]


def lossFun_no_dhnext(inputs, targets, hprev, model):
    Wxh, Whh, Why, bh, by = model["Wxh"], model["Whh"], model["Why"], model["bh"], model["by"]
    vocab_size = Wxh.shape[1]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy)  # BUG: + dhnext dropped: the gradient from later steps is never carried back
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(dparam, -5, 5, out=dparam)
    grads = {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}
    return loss, grads, hs[len(inputs) - 1]


def lossFun_whh_current_h(inputs, targets, hprev, model):
    Wxh, Whh, Why, bh, by = model["Wxh"], model["Whh"], model["Why"], model["bh"], model["by"]
    vocab_size = Wxh.shape[1]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t].T)  # BUG: hs[t], this step's state; Whh multiplies the previous one, hs[t-1]
        dhnext = np.dot(Whh.T, dhraw)
    for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(dparam, -5, 5, out=dparam)
    grads = {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}
    return loss, grads, hs[len(inputs) - 1]


# ---------------------------------------------------------------- makemore: the backprop ninja's MLP

def mlp_forward_backward(C, W1, b1, W2, b2, Xb, Yb):
    n = Xb.shape[0]
    # forward pass, chunked into smaller steps that are possible to backward one at a time
    emb = C[Xb]  # embed the characters into vectors
    embcat = emb.reshape(emb.shape[0], -1)  # concatenate the vectors
    hprebn = embcat @ W1 + b1  # hidden layer pre-activation
    h = np.tanh(hprebn)  # hidden layer
    logits = h @ W2 + b2  # output layer
    logit_maxes = logits.max(1, keepdims=True)
    norm_logits = logits - logit_maxes  # subtract max for numerical stability
    counts = np.exp(norm_logits)
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = np.log(probs)
    loss = -logprobs[np.arange(n), Yb].mean()
    # backward pass
    dlogits = probs.copy()
    dlogits[np.arange(n), Yb] -= 1
    dlogits /= n
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhprebn = (1.0 - h ** 2) * dh
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.reshape(emb.shape)
    dC = np.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    return loss, dC, dW1, db1, dW2, db2


def mlp_forward_backward_tanh_of_preact(C, W1, b1, W2, b2, Xb, Yb):
    n = Xb.shape[0]
    emb = C[Xb]
    embcat = emb.reshape(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    h = np.tanh(hprebn)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdims=True)
    norm_logits = logits - logit_maxes
    counts = np.exp(norm_logits)
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = np.log(probs)
    loss = -logprobs[np.arange(n), Yb].mean()
    dlogits = probs.copy()
    dlogits[np.arange(n), Yb] -= 1
    dlogits /= n
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhprebn = (1.0 - hprebn ** 2) * dh  # BUG: tanh's derivative 1 - t^2 taken of the pre-activation, not of h
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.reshape(emb.shape)
    dC = np.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    return loss, dC, dW1, db1, dW2, db2


def mlp_forward_backward_emb_order(C, W1, b1, W2, b2, Xb, Yb):
    n = Xb.shape[0]
    emb = C[Xb]
    embcat = emb.reshape(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    h = np.tanh(hprebn)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdims=True)
    norm_logits = logits - logit_maxes
    counts = np.exp(norm_logits)
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = np.log(probs)
    loss = -logprobs[np.arange(n), Yb].mean()
    dlogits = probs.copy()
    dlogits[np.arange(n), Yb] -= 1
    dlogits /= n
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhprebn = (1.0 - h ** 2) * dh
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    B, block, n_embd = emb.shape
    demb = dembcat.reshape(B, n_embd, block).transpose(0, 2, 1)  # BUG: embcat is laid out (block, n_embd) per row
    dC = np.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    return loss, dC, dW1, db1, dW2, db2


# ---------------------------------------------------------------- the cases

def char_rnn(fn, V=5, H=6, T=6, carried=False):
    def make(rng):
        model = {"Wxh": rng.standard_normal((H, V)) * 0.1, "Whh": rng.standard_normal((H, H)) * 0.1,
                 "Why": rng.standard_normal((V, H)) * 0.1, "bh": np.zeros((H, 1)), "by": np.zeros((V, 1))}
        data = [int(i) for i in rng.integers(0, V, T + 1)]
        inputs, targets = data[:-1], data[1:]
        hprev = np.tanh(rng.standard_normal((H, 1))) if carried else np.zeros((H, 1))
        return (lambda model: fn(inputs, targets, hprev, model)[:2], model), {}
    return make


def ninja(fn, V=7, n_embd=3, block=2, n_hidden=8, B=5):
    def make(rng):
        C = rng.standard_normal((V, n_embd))
        W1 = rng.standard_normal((n_embd * block, n_hidden)) * (5 / 3) / (n_embd * block) ** 0.5
        b1 = rng.standard_normal(n_hidden) * 0.1
        W2 = rng.standard_normal((n_hidden, V)) * 0.1
        b2 = rng.standard_normal(V) * 0.1
        return (fn, C, W1, b1, W2, b2, rng.integers(0, V, (B, block)), rng.integers(0, V, B)), {}
    return make


def cli(fn, block=2):
    return ("--loss-fn", f"{{file}}:{fn.__name__}", "--shapes", "7,3", f"{3 * block},8", "8", "8,7", "7",
            f"5,{block}:int<7", "5:int<7")


CASES = [
    # --- correct
    Case("r4_charrnn.lossFun", "min-char-rnn", "loss", char_rnn(lossFun)),
    Case("r4_charrnn.lossFun.carried_h", "min-char-rnn", "loss", char_rnn(lossFun, carried=True)),
    Case("r4_charrnn.mlp_forward_backward", "makemore-ninja", "loss", ninja(mlp_forward_backward),
         cli=cli(mlp_forward_backward)),
    Case("r4_charrnn.mlp_forward_backward.block3", "makemore-ninja", "loss", ninja(mlp_forward_backward, block=3),
         cli=cli(mlp_forward_backward, block=3)),
    # --- buggy
    Case("r4_charrnn.lossFun.no_dhnext", "min-char-rnn", "loss", char_rnn(lossFun_no_dhnext, carried=True),
         bug="BPTT's dhnext not added to dh: each step's hidden gradient ignores the later steps (Why, by right)",
         names=("located", "split", "missing-term")),
    Case("r4_charrnn.lossFun.whh_current_h", "min-char-rnn", "loss", char_rnn(lossFun_whh_current_h),
         bug="dWhh pairs dhraw with hs[t] instead of hs[t-1]: dWhh wrong, every other gradient right",
         names=("split", "located")),
    Case("r4_charrnn.mlp_forward_backward.tanh_of_preact", "makemore-ninja", "loss",
         ninja(mlp_forward_backward_tanh_of_preact),
         bug="tanh's derivative 1 - t^2 evaluated at the pre-activation instead of at h: dW1, db1, dC wrong, "
             "dW2, db2 right", names=("layer", "derivative", "located", "split"),
         cli=cli(mlp_forward_backward_tanh_of_preact)),
    Case("r4_charrnn.mlp_forward_backward.emb_order", "makemore-ninja", "loss",
         ninja(mlp_forward_backward_emb_order),
         bug="dembcat reshaped as (B, n_embd, block) and transposed, where embcat is (block, n_embd) per row: dC "
             "gets its numbers from the wrong positions (dW1, db1, dW2, db2 right)",
         names=("reordered", "located", "split"), cli=cli(mlp_forward_backward_emb_order)),
]
