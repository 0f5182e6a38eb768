"""Whole networks:

- *Deep Learning from Scratch* style: a ``params`` dict, ``loss(x, t)`` returning a float and ``gradient(x, t)``
  returning a dict keyed like ``params``; chapter 5's ``TwoLayerNet`` is built from the layer objects of ``dlfs.py`` in
  an OrderedDict ``self.layers`` that share the params arrays; chapter 4's ``SigmoidTwoLayerNet`` backpropagates by
  hand; chapter 6's ``MultiLayerNet`` adds weight decay;
- CS231n style: a ``params`` dict and ``loss(X, y)`` returning ``(loss, grads)`` (``TwoLayerNet``-like
  ``CS231nTwoLayerNet``, ``FullyConnectedNet`` over the functions of ``cs231n.py``).

A buggy network subclasses the correct one and changes one layer or one line (``# BUG:``)."""

# ruff: noqa: UP031  (learner code, kept the way learners write it)

from collections import OrderedDict

import numpy as np

from . import cs231n as F
from .case import Case
from .dlfs import (
    Affine,
    AffineNoBatchSum,
    Dropout,
    Relu,
    ReluMaskFromDout,
    Sigmoid,
    SoftmaxWithLoss,
    cross_entropy_error,
    sigmoid,
    softmax,
)

# ================================================================ Deep Learning from Scratch

class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params["W1"] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.lastLayer.forward(y, t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.sum(y == t) / float(x.shape[0])

    def gradient(self, x, t):
        self.loss(x, t)  # forward
        dout = 1
        dout = self.lastLayer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        grads["W1"], grads["b1"] = self.layers["Affine1"].dW, self.layers["Affine1"].db
        grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        return grads


class TwoLayerNetReluMaskFromDout(TwoLayerNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.layers["Relu1"] = ReluMaskFromDout()  # BUG: this Relu's backward masks with dout <= 0


class TwoLayerNetNoBatchSum(TwoLayerNet):
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        super().__init__(input_size, hidden_size, output_size, weight_init_std)
        # BUG: an Affine whose db is dout itself, not its sum over the batch
        self.layers["Affine1"] = AffineNoBatchSum(self.params["W1"], self.params["b1"])
        self.layers["Affine2"] = AffineNoBatchSum(self.params["W2"], self.params["b2"])


class TwoLayerNetBatchTwice(TwoLayerNet):
    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)  # already (y - t) / batch_size
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        batch_size = x.shape[0]
        grads = {}
        for i in ("1", "2"):  # BUG: divides by the batch size a second time
            grads["W" + i] = self.layers["Affine" + i].dW / batch_size
            grads["b" + i] = self.layers["Affine" + i].db / batch_size
        return grads


class InPlaceDropout(Dropout):
    """Inverted dropout (the kept units scaled by 1 / (1 - ratio)), written in place to save memory."""

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            x *= self.mask / (1.0 - self.dropout_ratio)  # BUG: x is the Sigmoid's self.out: its cache changes
            return x
        return x

    def backward(self, dout):
        return dout * self.mask / (1.0 - self.dropout_ratio)


class SigmoidDropoutNet(TwoLayerNet):
    """Affine - Sigmoid - Dropout - Affine - SoftmaxWithLoss."""

    dropout_class = Dropout

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, dropout_ratio=0.3):
        super().__init__(input_size, hidden_size, output_size, weight_init_std)
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Sigmoid1"] = Sigmoid()
        self.layers["Dropout1"] = self.dropout_class(dropout_ratio)
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])


class SigmoidInPlaceDropoutNet(SigmoidDropoutNet):
    dropout_class = InPlaceDropout  # BUG: its forward multiplies the Sigmoid's cached output in place


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)


class SigmoidTwoLayerNet:
    """Chapter 4's network, its gradient by hand; t one-hot."""

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size)}

    def predict(self, x):
        W1, W2 = self.params["W1"], self.params["W2"]
        b1, b2 = self.params["b1"], self.params["b2"]
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        return softmax(a2)

    def loss(self, x, t):
        y = self.predict(x)
        return cross_entropy_error(y, t)

    def gradient(self, x, t):
        W1, W2 = self.params["W1"], self.params["W2"]
        b1, b2 = self.params["b1"], self.params["b2"]
        grads = {}
        batch_num = x.shape[0]
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        y = softmax(a2)
        dy = (y - t) / batch_num
        grads["W2"] = np.dot(z1.T, dy)
        grads["b2"] = np.sum(dy, axis=0)
        da1 = np.dot(dy, W2.T)
        dz1 = self._sigmoid_grad(a1) * da1
        grads["W1"] = np.dot(x.T, dz1)
        grads["b1"] = np.sum(dz1, axis=0)
        return grads

    def _sigmoid_grad(self, a1):
        return sigmoid_grad(a1)


class SigmoidTwoLayerNetWrongGrad(SigmoidTwoLayerNet):
    def _sigmoid_grad(self, a1):
        return a1 * (1.0 - a1)  # BUG: y * (1 - y) applied to the pre-activation a1, not to sigmoid(a1)


class MultiLayerNet:
    """Affine - Relu - ... - Affine - SoftmaxWithLoss with L2 weight decay 0.5 * lambda * sum(W**2)."""

    def __init__(self, input_size, hidden_size_list, output_size, weight_decay_lambda=0.1):
        self.weight_decay_lambda = weight_decay_lambda
        self.hidden_layer_num = len(hidden_size_list)
        sizes = [input_size] + hidden_size_list + [output_size]
        self.params = {}
        for idx in range(1, len(sizes)):
            scale = np.sqrt(2.0 / sizes[idx - 1])  # He
            self.params["W%d" % idx] = scale * np.random.randn(sizes[idx - 1], sizes[idx])
            self.params["b%d" % idx] = np.zeros(sizes[idx])
        self.layers = OrderedDict()
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers["Affine%d" % idx] = Affine(self.params["W%d" % idx], self.params["b%d" % idx])
            self.layers["Relu%d" % idx] = Relu()
        idx = self.hidden_layer_num + 1
        self.layers["Affine%d" % idx] = Affine(self.params["W%d" % idx], self.params["b%d" % idx])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        weight_decay = 0
        for idx in range(1, self.hidden_layer_num + 2):
            W = self.params["W%d" % idx]
            weight_decay += 0.5 * self.weight_decay_lambda * np.sum(W ** 2)
        return self.last_layer.forward(y, t) + weight_decay

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            layer = self.layers["Affine%d" % idx]
            grads["W%d" % idx] = layer.dW + self.weight_decay_lambda * layer.W
            grads["b%d" % idx] = layer.db
        return grads


class MultiLayerNetNoDecayGrad(MultiLayerNet):
    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            grads["W%d" % idx] = self.layers["Affine%d" % idx].dW  # BUG: the weight decay's lambda * W is missing
            grads["b%d" % idx] = self.layers["Affine%d" % idx].db
        return grads


# ================================================================ CS231n

class CS231nTwoLayerNet:
    """affine - relu - affine - softmax, L2 regularization reg * sum(W**2)."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4, reg=0.05):
        self.params = {"W1": std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size)}
        self.reg = reg

    def loss(self, X, y):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N = X.shape[0]
        hidden = np.maximum(0, X.dot(W1) + b1)
        scores = hidden.dot(W2) + b2
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(N), y])) + self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads["W2"] = hidden.T.dot(dscores) + 2 * self.reg * W2
        grads["b2"] = dscores.sum(axis=0)
        dhidden = dscores.dot(W2.T)
        dhidden[hidden <= 0] = 0
        grads["W1"] = X.T.dot(dhidden) + 2 * self.reg * W1
        grads["b1"] = dhidden.sum(axis=0)
        return loss, grads


class CS231nTwoLayerNetNoReluMask(CS231nTwoLayerNet):
    def loss(self, X, y):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N = X.shape[0]
        hidden = np.maximum(0, X.dot(W1) + b1)
        scores = hidden.dot(W2) + b2
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(N), y])) + self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads["W2"] = hidden.T.dot(dscores) + 2 * self.reg * W2
        grads["b2"] = dscores.sum(axis=0)
        dhidden = dscores.dot(W2.T)  # BUG: the ReLU's mask (dhidden[hidden <= 0] = 0) is missing
        grads["W1"] = X.T.dot(dhidden) + 2 * self.reg * W1
        grads["b1"] = dhidden.sum(axis=0)
        return loss, grads


class FullyConnectedNet:
    """{affine - relu - [dropout]} x (L - 1) - affine - softmax, L2 regularization 0.5 * reg * sum(W**2)."""

    def __init__(self, hidden_dims, input_dim, num_classes, dropout_keep_ratio=1, reg=0.0, weight_scale=1e-2,
                 seed=None):
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.params = {}
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed

    def loss(self, X, y=None):
        caches = []
        out = X
        for i in range(1, self.num_layers):
            out, cache = F.affine_relu_forward(out, self.params["W%d" % i], self.params["b%d" % i])
            caches.append(cache)
            if self.use_dropout:
                out, cache = F.dropout_forward(out, self.dropout_param)
                caches.append(cache)
        L = self.num_layers
        scores, cache = F.affine_forward(out, self.params["W%d" % L], self.params["b%d" % L])
        caches.append(cache)
        if y is None:
            return scores

        loss, dscores = F.softmax_loss(scores, y)
        for i in range(1, L + 1):
            loss += 0.5 * self.reg * np.sum(self.params["W%d" % i] ** 2)
        grads = {}
        dout, grads["W%d" % L], grads["b%d" % L] = self._last_backward(dscores, caches.pop())
        for i in range(L - 1, 0, -1):
            if self.use_dropout:
                dout = F.dropout_backward(dout, caches.pop())
            dout, grads["W%d" % i], grads["b%d" % i] = F.affine_relu_backward(dout, caches.pop())
        for i in range(1, L + 1):
            grads["W%d" % i] += self.reg * self.params["W%d" % i]
        return loss, grads

    def _last_backward(self, dscores, cache):
        return F.affine_backward(dscores, cache)


class FullyConnectedNetReluOnScores(FullyConnectedNet):
    def _last_backward(self, dscores, cache):
        # BUG: the last layer is a plain affine; backing through affine_relu_backward needs its (fc, relu) cache,
        # so the student rebuilt one: the scores' gradient gets masked where the scores are <= 0
        x, w, b = cache
        scores = x.reshape(x.shape[0], -1).dot(w) + b
        return F.affine_relu_backward(dscores, (cache, scores))


# ================================================================ the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def redraw(net, rng, scale=1.0):
    """Draws every parameter again from the rng, in place: the layer objects share these arrays."""
    for value in net.params.values():
        value[...] = scale * normal(rng, *value.shape)
    return net


def dlfs_net(cls, one_hot=False, **kwargs):
    def make(rng):
        # scale 0.3: no class probability below ~1e-2, where cross_entropy_error's log(y + 1e-7) would show
        net = redraw(cls(4, 5, 3, **kwargs), rng, 0.3)
        t = rng.integers(0, 3, 6)
        return (net, normal(rng, 6, 4), np.eye(3)[t] if one_hot else t), {}
    return make


def multilayer(cls):
    def make(rng):
        net = redraw(cls(4, [5, 4], 3, weight_decay_lambda=0.1), rng, 0.3)  # see dlfs_net
        return (net, normal(rng, 6, 4), rng.integers(0, 3, 6)), {}
    return make


def cs231n_net(cls):
    def make(rng):
        net = redraw(cls(4, 5, 3, reg=0.05), rng, 0.7)
        return (net, normal(rng, 6, 4), rng.integers(0, 3, 6)), {}
    return make


def fc_net(cls, **kwargs):
    def make(rng):
        net = redraw(cls([5, 4], 4, 3, reg=0.1, **kwargs), rng, 0.7)
        return (net, normal(rng, 6, 4), rng.integers(0, 3, 6)), {}
    return make


def net_cli(cls, kwargs='{"input_size": 4, "hidden_size": 5, "output_size": 3, "weight_init_std": 0.3}'):
    return ("--net", f"{{file}}:{cls.__name__}", "--kwargs", kwargs, "--input-shape", "6,4")


CS231N_KWARGS = '{"input_size": 4, "hidden_size": 5, "output_size": 3, "std": 0.3, "reg": 0.05}'
FC_KWARGS = '{"hidden_dims": [5, 4], "input_dim": 4, "num_classes": 3, "reg": 0.1, "weight_scale": 0.5}'
S = "network"
CASES = [
    # --- correct
    Case("networks.TwoLayerNet", S, "network", dlfs_net(TwoLayerNet), cli=net_cli(TwoLayerNet)),
    Case("networks.SigmoidTwoLayerNet", S, "network", dlfs_net(SigmoidTwoLayerNet, one_hot=True)),
    Case("networks.SigmoidDropoutNet", S, "network", dlfs_net(SigmoidDropoutNet), cli=net_cli(SigmoidDropoutNet)),
    Case("networks.MultiLayerNet.weight_decay", S, "network", multilayer(MultiLayerNet)),
    Case("networks.CS231nTwoLayerNet", S, "network", cs231n_net(CS231nTwoLayerNet),
         cli=net_cli(CS231nTwoLayerNet, CS231N_KWARGS)),
    Case("networks.FullyConnectedNet", S, "network", fc_net(FullyConnectedNet),
         cli=net_cli(FullyConnectedNet, FC_KWARGS)),
    Case("networks.FullyConnectedNet.dropout_seeded", S, "network",
         fc_net(FullyConnectedNet, dropout_keep_ratio=0.7, seed=231)),
    # --- buggy
    Case("networks.TwoLayerNet.relu_mask_from_dout", S, "network", dlfs_net(TwoLayerNetReluMaskFromDout),
         bug="its Relu layer takes backward's mask from dout instead of x", names=("layer", "known-mistake"),
         cli=net_cli(TwoLayerNetReluMaskFromDout)),
    Case("networks.TwoLayerNet.no_batch_sum", S, "network", dlfs_net(TwoLayerNetNoBatchSum),
         bug="its Affine layers leave db = dout (no sum over the batch): gradients of b of shape (N, n)",
         names=("shape", "layer", "batch"), cli=net_cli(TwoLayerNetNoBatchSum)),
    Case("networks.TwoLayerNet.batch_twice", S, "network", dlfs_net(TwoLayerNetBatchTwice),
         bug="gradient divides by the batch size again after SoftmaxWithLoss already did", names=("scaled", "batch"),
         cli=net_cli(TwoLayerNetBatchTwice)),
    Case("networks.SigmoidDropoutNet.in_place", S, "network", dlfs_net(SigmoidInPlaceDropoutNet),
         bug="an inverted Dropout that scales its input in place, changing the Sigmoid's cached output",
         names=("cache-changed", "layer", "input-modified"), cli=net_cli(SigmoidInPlaceDropoutNet)),
    Case("networks.SigmoidTwoLayerNet.wrong_sigmoid_grad", S, "network",
         dlfs_net(SigmoidTwoLayerNetWrongGrad, one_hot=True),
         bug="the hand-written gradient uses a1 * (1 - a1) on the pre-activation instead of sigmoid'(a1)",
         names=("known-mistake", "located")),
    Case("networks.MultiLayerNet.no_decay_grad", S, "network", multilayer(MultiLayerNetNoDecayGrad),
         bug="the loss has the weight decay, the gradient of the weights forgets its lambda * W",
         names=("located", "regularization")),
    Case("networks.CS231nTwoLayerNet.no_relu_mask", S, "network", cs231n_net(CS231nTwoLayerNetNoReluMask),
         bug="dhidden not masked by the ReLU: W1, b1 wrong where the hidden units are off", names=("located",),
         cli=net_cli(CS231nTwoLayerNetNoReluMask, CS231N_KWARGS)),
    Case("networks.FullyConnectedNet.relu_on_scores", S, "network", fc_net(FullyConnectedNetReluOnScores),
         bug="the last (plain affine) layer backpropagated through affine_relu_backward: the scores' gradient is "
             "masked where the scores are <= 0", names=("located",),
         cli=net_cli(FullyConnectedNetReluOnScores, FC_KWARGS)),
]
