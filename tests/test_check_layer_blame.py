"""A network's `layer` finding blames only a layer whose own gradients are wrong at the inputs it saw: a ReLU that
zeroes the dout it is given in place (the book's ``dout[self.mask] = 0``), harmless where nothing reads that dout
afterwards, is never named as the cause (issue 25, item 9)."""

from collections import OrderedDict

import numpy as np

from nngrad import check_network


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0  # in place, as the book does
        return dout


class Affine:
    def __init__(self, W, b, db_scale=1.0):
        self.W, self.b, self.db_scale = W, b, db_scale

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = self.db_scale * dout.sum(axis=0)
        return dout @ self.W.T


class SoftmaxWithLoss:
    def forward(self, x, t):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y, self.t = e / e.sum(axis=1, keepdims=True), t
        return -np.log(self.y[np.arange(len(t)), t]).mean()

    def backward(self, dout=1):
        d = self.y.copy()
        d[np.arange(len(self.t)), self.t] -= 1
        return d / len(self.t)


class TwoLayerNet:
    """Deep Learning from Scratch's layer-object network; ``db_scale`` plants a bug in the second Affine's db."""

    def __init__(self, db_scale=1.0, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W1": rng.standard_normal((4, 6)), "b1": rng.standard_normal(6),
                       "W2": rng.standard_normal((6, 3)), "b2": rng.standard_normal(3)}
        self.layers = OrderedDict(Affine1=Affine(self.params["W1"], self.params["b1"]), Relu1=Relu(),
                                  Affine2=Affine(self.params["W2"], self.params["b2"], db_scale))
        self.last_layer = SoftmaxWithLoss()

    def loss(self, x, t):
        for layer in self.layers.values():
            x = layer.forward(x)
        return self.last_layer.forward(x, t)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        a1, a2 = self.layers["Affine1"], self.layers["Affine2"]
        return {"W1": a1.dW, "b1": a1.db, "W2": a2.dW, "b2": a2.db}


def test_a_relu_changing_dout_in_place_is_not_blamed_where_its_own_gradients_are_right():
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    right = check_network(TwoLayerNet(), x, t)
    assert right.status == "PASS", right
    wrong = check_network(TwoLayerNet(db_scale=2.0), x, t)
    assert wrong.status == "FAIL"
    blamed = [str(f) for f in wrong.findings if f.kind == "layer"]
    assert not any("Relu" in s for s in blamed), wrong.findings
