"""A Keras-like ``Model`` subclass: layers are attributes (``self.dense1 = Dense(...)``) called as functions in
``call(x)`` (``self.dense2(relu(self.dense1(x)))``); ``model(x)`` is ``call``; ``trainable_weights`` gathers the
layers' weights; ``backward(dout) -> dx`` walks the layers back; ``get_gradients()`` returns the gradients in the
order of ``trainable_weights``.

A learner checks them as ``nngrad.check_layer(TwoLayerModel(4, 5, 3), x)``, or from the shell with
``--layer FILE:TwoLayerModel --kwargs '{"n_in": 4, "units": 5, "n_out": 3}' --input-shape 6,4``. A buggy model is
a subclass with the one method a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


class Layer:
    def __call__(self, x):
        return self.call(x)


class Dense(Layer):
    def __init__(self, n_in, units, rng):
        self.kernel = rng.standard_normal((n_in, units)) / np.sqrt(n_in)
        self.bias = 0.1 * rng.standard_normal(units)

    @property
    def trainable_weights(self):
        return [self.kernel, self.bias]

    def call(self, x):
        self.x = x
        return x @ self.kernel + self.bias

    def backward(self, dout):
        self.grads = [self.x.T @ dout, dout.sum(axis=0)]
        return dout @ self.kernel.T


class ReLU(Layer):
    def call(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Model(Layer):
    def _layers(self):
        return [v for v in vars(self).values() if isinstance(v, Dense)]

    @property
    def trainable_weights(self):
        return [w for layer in self._layers() for w in layer.trainable_weights]

    def get_gradients(self):
        return [g for layer in self._layers() for g in layer.grads]


class TwoLayerModel(Model):
    def __init__(self, n_in, units, n_out, rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        self.dense1 = Dense(n_in, units, rng)
        self.act = ReLU()
        self.dense2 = Dense(units, n_out, rng)

    def call(self, x):
        return self.dense2(self.act(self.dense1(x)))

    def backward(self, dout):
        return self.dense1.backward(self.act.backward(self.dense2.backward(dout)))


class TwoLayerModelBackwardOrder(TwoLayerModel):
    def get_gradients(self):
        # BUG: the gradients gathered in backward's order (last layer first), not trainable_weights' order
        return [g for layer in reversed(self._layers()) for g in layer.grads]


class ResidualModel(Model):
    """y = x + dense2(relu(dense1(x))); x (N, D)."""

    def __init__(self, dim, units, rng=None):
        rng = rng if rng is not None else np.random.default_rng(0)
        self.dense1 = Dense(dim, units, rng)
        self.act = ReLU()
        self.dense2 = Dense(units, dim, rng)

    def call(self, x):
        return x + self.dense2(self.act(self.dense1(x)))

    def backward(self, dout):
        return dout + self.dense1.backward(self.act.backward(self.dense2.backward(dout)))


class ResidualModelNoSkip(ResidualModel):
    def backward(self, dout):
        return self.dense1.backward(self.act.backward(self.dense2.backward(dout)))  # BUG: the skip's dout dropped


# ---------------------------------------------------------------- the cases

def two(cls):
    return lambda rng: ((cls(4, 5, 3, rng=rng), rng.standard_normal((6, 4))), {})


def res(cls):
    return lambda rng: ((cls(4, 6, rng=rng), rng.standard_normal((6, 4))), {})


def cli(cls, kw):
    return ("--layer", f"{{file}}:{cls.__name__}", "--kwargs", kw, "--input-shape", "6,4")


S = "keras-model"
TWO, RES = '{"n_in": 4, "units": 5, "n_out": 3}', '{"dim": 4, "units": 6}'
CASES = [
    Case("r6_keras.TwoLayerModel", S, "layer", two(TwoLayerModel), cli=cli(TwoLayerModel, TWO)),
    Case("r6_keras.TwoLayerModel.backward_order", S, "layer", two(TwoLayerModelBackwardOrder),
         bug="get_gradients() in backward's order (dense2's first) while trainable_weights lists dense1's first: "
             "every weight's gradient is another's (wrong shapes)", names=("shape", "reordered", "misplaced"),
         cli=cli(TwoLayerModelBackwardOrder, TWO)),
    Case("r6_keras.ResidualModel", S, "layer", res(ResidualModel), cli=cli(ResidualModel, RES)),
    Case("r6_keras.ResidualModel.no_skip", S, "layer", res(ResidualModelNoSkip),
         bug="the skip connection's gradient left out of dx (the weights right)",
         names=("split", "located", "missing-term"), cli=cli(ResidualModelNoSkip, RES)),
]
