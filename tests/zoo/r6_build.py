"""A network built from a config list: ``build(config)`` turns ``[["dense", 4, 5], ["tanh"], ["dense", 5, 3]]``
into a ``Net`` holding a list of layer objects. Each layer's ``backward(dout)`` returns a dict of gradients
(``{'x': dx, 'W': dW, 'b': db}``; an activation only ``{'x': dx}``); ``net.step_backward(dout)`` walks the layers
back, files each layer's parameter gradients in ``layer.grads`` (the same keys as ``layer.params``) and returns
dx. ``net.forward(x)``.

A learner checks them as ``nngrad.check_layer(build(config), x)``, or from the shell with ``--layer FILE:build
--kwargs '{"config": [["dense", 4, 5], ["tanh"], ["dense", 5, 3]]}' --input-shape 6,4``. A buggy layer is a second
class the config names (``# BUG:``)."""

import numpy as np

from .case import Case


class Dense:
    def __init__(self, n_in, n_out, rng):
        self.params = {"W": rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), "b": 0.1 * rng.standard_normal(n_out)}
        self.grads = {}

    def forward(self, x):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        return {"x": dout @ self.params["W"].T, "W": self.x.T @ dout, "b": dout.sum(axis=0)}


class DenseMeanBias(Dense):
    def backward(self, dout):
        # BUG: the bias gradient averaged over the batch where the forward adds b to every sample (a sum is due)
        return {"x": dout @ self.params["W"].T, "W": self.x.T @ dout, "b": dout.mean(axis=0)}


class Tanh:
    params: dict = {}

    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return {"x": dout * (1 - self.y ** 2)}


class TanhDxKey(Tanh):
    def backward(self, dout):
        return {"dx": dout * (1 - self.y ** 2)}  # BUG: keyed 'dx'; step_backward reads 'x' and passes dout on as is


class Sigmoid(Tanh):
    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dout):
        return {"x": dout * self.y * (1 - self.y)}


class Net:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def step_backward(self, dout):
        for layer in reversed(self.layers):
            out = layer.backward(dout)
            layer.grads = {k: v for k, v in out.items() if k in layer.params}
            dout = out.get("x", dout)
        return dout


KINDS = {"dense": Dense, "dense_mean_bias": DenseMeanBias, "tanh": Tanh, "tanh_dx_key": TanhDxKey,
         "sigmoid": Sigmoid}


def build(config, rng=None):
    rng = rng if rng is not None else np.random.default_rng(0)
    layers = []
    for kind, *sizes in config:
        cls = KINDS[kind]
        layers.append(cls(*sizes, rng) if sizes else cls())
    return Net(layers)


# ---------------------------------------------------------------- the cases

def net(config):
    return lambda rng: ((build(config, rng=rng), rng.standard_normal((6, 4))), {})


def cli(config):
    import json
    return ("--layer", "{file}:build", "--kwargs", json.dumps({"config": config}), "--input-shape", "6,4")


S = "config-build"
MLP = [["dense", 4, 5], ["tanh"], ["dense", 5, 3]]
SIG = [["dense", 4, 6], ["sigmoid"], ["dense", 6, 6], ["sigmoid"], ["dense", 6, 2]]
MEAN = [["dense", 4, 5], ["tanh"], ["dense_mean_bias", 5, 3]]
KEY = [["dense", 4, 5], ["tanh_dx_key"], ["dense", 5, 5], ["tanh"], ["dense", 5, 3]]
CASES = [
    Case("r6_build.build.mlp", S, "layer", net(MLP), cli=cli(MLP)),
    Case("r6_build.build.sigmoid_mlp", S, "layer", net(SIG), cli=cli(SIG)),
    Case("r6_build.build.mean_bias", S, "layer", net(MEAN),
         bug="the last dense layer's db a mean over the batch: 1/6 of the true gradient (the rest right)",
         names=("batch", "scaled", "split"), cli=cli(MEAN)),
    Case("r6_build.build.dx_key", S, "layer", net(KEY),
         bug="the first tanh returns its gradient under 'dx', the net reads 'x': tanh's derivative skipped (dx and "
             "the first dense's W, b wrong)", names=("split", "located", "derivative", "layer")),
]
