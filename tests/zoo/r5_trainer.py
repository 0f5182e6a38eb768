"""A model as a list of dicts, one per layer: ``{'W': (n_in, n_out), 'b': (n_out,), 'act': 'relu'}`` (the last
layer's act ``'linear'``), softmax cross-entropy on integer labels. Two ways a learner organises it:

- a class ``Trainer`` holding ``self.model``, with ``loss(batch)`` and ``compute_gradients(batch)`` taking
  ``batch = (X, y)`` and returning a list of dicts ``{'W': dW, 'b': db}`` in the model's order, beside a
  ``train_step(batch, lr)``; an optional L2 penalty 0.5 * l2 * sum ||W||^2 on the weights (not the biases);
- a function ``mlp_loss(model, X, y) -> (loss, grads)``, grads a list of dicts like the model's (no 'act').

A learner checks them as ``nngrad.check_network(trainer, X, y)`` (from the shell ``--net FILE:Trainer --kwargs
'{"layer_sizes": [4, 5, 3]}' --input-shape 6,4``) and ``nngrad.check_loss(mlp_loss, model, X, y)``. A buggy one is
a subclass or a second function with the one thing a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case

ACTS = {
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z, a: 1 - a ** 2),
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
}


def _randn(rng, *shape):
    return rng.standard_normal(shape) if rng is not None else np.random.randn(*shape)


def make_model(layer_sizes, act, rng=None):
    acts = [act] * (len(layer_sizes) - 2) + ["linear"]
    return [{"W": _randn(rng, n_in, n_out) / np.sqrt(n_in), "b": 0.1 * _randn(rng, n_out), "act": a}
            for n_in, n_out, a in zip(layer_sizes[:-1], layer_sizes[1:], acts)]


def _forward(model, X):
    caches, a = [], X
    for layer in model:
        z = a @ layer["W"] + layer["b"]
        caches.append((a, z))
        a = ACTS[layer["act"]][0](z)
    return a, caches


def _softmax_ce(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    N = y.shape[0]
    loss = -np.mean(np.log(p[np.arange(N), y]))
    d = p.copy()
    d[np.arange(N), y] -= 1
    return loss, d / N


class Trainer:
    def __init__(self, layer_sizes, act="relu", l2=0.0, rng=None):
        self.model = make_model(layer_sizes, act, rng)
        self.l2 = l2

    def loss(self, batch):
        X, y = batch
        logits, _ = _forward(self.model, X)
        return _softmax_ce(logits, y)[0] + 0.5 * self.l2 * sum(np.sum(layer["W"] ** 2) for layer in self.model)

    def compute_gradients(self, batch):
        X, y = batch
        logits, caches = _forward(self.model, X)
        _, g = _softmax_ce(logits, y)
        grads = [None] * len(self.model)
        for i in reversed(range(len(self.model))):
            a_prev, z = caches[i]
            layer = self.model[i]
            g = g * ACTS[layer["act"]][1](z, ACTS[layer["act"]][0](z))
            grads[i] = {"W": a_prev.T @ g + self.l2 * layer["W"], "b": g.sum(axis=0)}
            g = g @ layer["W"].T
        return grads

    def train_step(self, batch, lr=0.1):
        for layer, grad in zip(self.model, self.compute_gradients(batch)):
            layer["W"] -= lr * grad["W"]
            layer["b"] -= lr * grad["b"]


class TrainerAppended(Trainer):
    def compute_gradients(self, batch):
        X, y = batch
        logits, caches = _forward(self.model, X)
        _, g = _softmax_ce(logits, y)
        grads = []
        for i in reversed(range(len(self.model))):
            a_prev, z = caches[i]
            layer = self.model[i]
            g = g * ACTS[layer["act"]][1](z, ACTS[layer["act"]][0](z))
            grads.append({"W": a_prev.T @ g + self.l2 * layer["W"], "b": g.sum(axis=0)})
            g = g @ layer["W"].T
        return grads  # BUG: appended from the last layer back and never reversed: grads[0] is the last layer's


class TrainerDecayedBias(Trainer):
    def compute_gradients(self, batch):
        X, y = batch
        logits, caches = _forward(self.model, X)
        _, g = _softmax_ce(logits, y)
        grads = [None] * len(self.model)
        for i in reversed(range(len(self.model))):
            a_prev, z = caches[i]
            layer = self.model[i]
            g = g * ACTS[layer["act"]][1](z, ACTS[layer["act"]][0](z))
            grads[i] = {"W": a_prev.T @ g + self.l2 * layer["W"],
                        "b": g.sum(axis=0) + self.l2 * layer["b"]}  # BUG: decay on the bias the loss does not decay
            g = g @ layer["W"].T
        return grads


class TrainerLowercaseKey(Trainer):
    def compute_gradients(self, batch):
        X, y = batch
        logits, caches = _forward(self.model, X)
        _, g = _softmax_ce(logits, y)
        grads = [None] * len(self.model)
        for i in reversed(range(len(self.model))):
            a_prev, z = caches[i]
            layer = self.model[i]
            g = g * ACTS[layer["act"]][1](z, ACTS[layer["act"]][0](z))
            grads[i] = {"w": a_prev.T @ g + self.l2 * layer["W"], "b": g.sum(axis=0)}  # BUG: key "w" for "W"
            g = g @ layer["W"].T
        return grads


def mlp_loss(model, X, y):
    """-> (loss, grads): grads[i] = {'W': ..., 'b': ...} for model[i]."""
    logits, caches = _forward(model, X)
    loss, g = _softmax_ce(logits, y)
    grads = [None] * len(model)
    for i in reversed(range(len(model))):
        a_prev, z = caches[i]
        f, df = ACTS[model[i]["act"]]
        g = g * df(z, f(z))
        grads[i] = {"W": a_prev.T @ g, "b": g.sum(axis=0)}
        g = g @ model[i]["W"].T
    return loss, grads


def mlp_loss_act_off_by_one(model, X, y):
    logits, caches = _forward(model, X)
    loss, g = _softmax_ce(logits, y)
    grads = [None] * len(model)
    f, df = ACTS[model[-1]["act"]]
    g = g * df(caches[-1][1], f(caches[-1][1]))
    for i in reversed(range(len(model))):
        a_prev, z = caches[i]
        grads[i] = {"W": a_prev.T @ g, "b": g.sum(axis=0)}
        g = g @ model[i]["W"].T
        if i > 0:
            z_prev = caches[i - 1][1]
            f, df = ACTS[model[i]["act"]]  # BUG: layer i's activation where layer i - 1's (which made a_prev) is due
            g = g * df(z_prev, f(z_prev))
    return loss, grads


# ---------------------------------------------------------------- the cases

def trainer(cls, sizes, N=6, **kw):
    def make(rng):
        t = cls(sizes, rng=rng, **kw)
        return (t, rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)), {}
    return make


def tree(fn, sizes, acts, N=6):
    def make(rng):
        model = make_model(sizes, "relu", rng)
        for layer, a in zip(model, acts):
            layer["act"] = a
        return (fn, model, rng.standard_normal((N, sizes[0])), rng.integers(0, sizes[-1], N)), {}
    return make


def cli(cls, input_shape, **kwargs):
    import json

    return ("--net", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps(kwargs), "--input-shape", input_shape)


T, L = "trainer", "layer-dicts"
SQUARE = [4, 4, 4, 4]
TREE_ACTS = ("tanh", "relu", "linear")
CASES = [
    # --- correct
    Case("r5_trainer.Trainer", T, "network", trainer(Trainer, [4, 5, 3]),
         cli=cli(Trainer, "6,4", layer_sizes=[4, 5, 3])),
    Case("r5_trainer.Trainer.tanh_l2", T, "network", trainer(Trainer, [4, 5, 4, 3], act="tanh", l2=0.1),
         cli=cli(Trainer, "6,4", layer_sizes=[4, 5, 4, 3], act="tanh", l2=0.1)),
    Case("r5_trainer.mlp_loss", L, "loss", tree(mlp_loss, [4, 5, 5, 3], TREE_ACTS)),
    # --- buggy
    Case("r5_trainer.Trainer.appended", T, "network", trainer(TrainerAppended, SQUARE),
         bug="the list of gradient dicts built from the last layer back and not reversed: model[0]'s gradients "
             "are the last layer's (the middle layer's right)",
         names=("reordered", "located", "layer", "split"), cli=cli(TrainerAppended, "6,4", layer_sizes=SQUARE)),
    Case("r5_trainer.Trainer.decayed_bias", T, "network", trainer(TrainerDecayedBias, [4, 5, 3], l2=0.1),
         bug="the L2 decay's gradient added to the biases, which the loss does not decay",
         names=("decay-part", "regularization"), cli=cli(TrainerDecayedBias, "6,4", layer_sizes=[4, 5, 3], l2=0.1)),
    Case("r5_trainer.Trainer.lowercase_key", T, "network", trainer(TrainerLowercaseKey, [4, 5, 3]),
         bug="each weight's gradient under the key 'w', the model's key being 'W': no gradient for any W",
         names=("shape", "unchecked", "misplaced"), cli=cli(TrainerLowercaseKey, "6,4", layer_sizes=[4, 5, 3])),
    Case("r5_trainer.mlp_loss.act_off_by_one", L, "loss", tree(mlp_loss_act_off_by_one, [4, 5, 5, 3], TREE_ACTS),
         bug="the activation's derivative looked up from the layer above ('relu' for the tanh layer, 'linear' for "
             "the relu one): the last layer's gradients right, the others wrong",
         names=("layer", "located", "derivative", "split")),
]
