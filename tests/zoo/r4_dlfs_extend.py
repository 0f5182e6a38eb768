"""*Deep Learning from Scratch*, chapter 6: ``MultiLayerNetExtend`` (common/multi_layer_net_extend.py), the network
of the batch-normalisation and dropout experiments. Its parameters live in ``self.params`` (W1, b1, ..., and
gamma1, beta1, ... where ``use_batchnorm``), its layers in an ``OrderedDict`` (Affine1, BatchNorm1,
Activation_function1, Dropout1, ..., the last Affine), and the loss in ``self.last_layer`` (SoftmaxWithLoss).
``loss(x, t, train_flg=False)`` adds the weight decay; ``gradient(x, t)`` runs ``self.loss(x, t, train_flg=True)``
(batch statistics, dropout masks drawn from ``np.random``), then the layers' backwards in reverse
(``layers = list(self.layers.values()); layers.reverse()``), and returns a dict with the keys of ``params``. The
book checks it with ``numerical_gradient``, which differentiates ``self.loss(x, t, train_flg=True)``: the
gradient is that of the training-mode loss (test mode uses the running averages instead).

A learner checks it as ``nngrad.check_network(net, x_batch, t_batch)`` (t integer labels), or from the shell
with ``--net``. A buggy network is a subclass with the one method a learner got wrong (``# BUG:``)."""

from collections import OrderedDict

import numpy as np

from .case import Case


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        dx = dout
        return dx


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = 1 / (1 + np.exp(-x))
        self.out = out
        return out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        dx = dx.reshape(*self.original_x_shape)
        return dx


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.input_shape = None
        self.running_mean = running_mean
        self.running_var = running_var
        self.batch_size = None
        self.xc = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        if x.ndim != 2:
            N, C, H, W = x.shape
            x = x.reshape(N, -1)
        out = self.__forward(x, train_flg)
        return out.reshape(*self.input_shape)

    def __forward(self, x, train_flg):
        if self.running_mean is None:
            N, D = x.shape
            self.running_mean = np.zeros(D)
            self.running_var = np.zeros(D)
        if train_flg:
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc ** 2, axis=0)
            std = np.sqrt(var + 10e-7)
            xn = xc / std
            self.batch_size = x.shape[0]
            self.xc = xc
            self.xn = xn
            self.std = std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            xc = x - self.running_mean
            xn = xc / ((np.sqrt(self.running_var + 10e-7)))
        return self.gamma * xn + self.beta

    def backward(self, dout):
        if dout.ndim != 2:
            N, C, H, W = dout.shape
            dout = dout.reshape(N, -1)
        dx = self.__backward(dout)
        return dx.reshape(*self.input_shape)

    def __backward(self, dout):
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        dx = dxc - dmu / self.batch_size
        self.dgamma = dgamma
        self.dbeta = dbeta
        return dx


class MultiLayerNetExtend:
    """Fully connected net with weight decay, dropout and batch normalisation (the book's ``MultiLayerNetExtend``)."""

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
                 weight_decay_lambda=0, use_dropout=False, dropout_ration=0.5, use_batchnorm=False):
        self.input_size = input_size
        self.output_size = output_size
        self.hidden_size_list = hidden_size_list
        self.hidden_layer_num = len(hidden_size_list)
        self.use_dropout = use_dropout
        self.weight_decay_lambda = weight_decay_lambda
        self.use_batchnorm = use_batchnorm
        self.params = {}

        self.__init_weight(weight_init_std)

        activation_layer = {"sigmoid": Sigmoid, "relu": Relu}
        self.layers = OrderedDict()
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers["Affine" + str(idx)] = Affine(self.params["W" + str(idx)], self.params["b" + str(idx)])
            if self.use_batchnorm:
                self.params["gamma" + str(idx)] = np.ones(hidden_size_list[idx - 1])
                self.params["beta" + str(idx)] = np.zeros(hidden_size_list[idx - 1])
                self.layers["BatchNorm" + str(idx)] = BatchNormalization(self.params["gamma" + str(idx)],
                                                                         self.params["beta" + str(idx)])
            self.layers["Activation_function" + str(idx)] = activation_layer[activation]()
            if self.use_dropout:
                self.layers["Dropout" + str(idx)] = Dropout(dropout_ration)

        idx = self.hidden_layer_num + 1
        self.layers["Affine" + str(idx)] = Affine(self.params["W" + str(idx)], self.params["b" + str(idx)])
        self.last_layer = SoftmaxWithLoss()

    def __init_weight(self, weight_init_std):
        all_size_list = [self.input_size] + self.hidden_size_list + [self.output_size]
        for idx in range(1, len(all_size_list)):
            scale = weight_init_std
            if str(weight_init_std).lower() in ("relu", "he"):
                scale = np.sqrt(2.0 / all_size_list[idx - 1])
            elif str(weight_init_std).lower() in ("sigmoid", "xavier"):
                scale = np.sqrt(1.0 / all_size_list[idx - 1])
            self.params["W" + str(idx)] = scale * np.random.randn(all_size_list[idx - 1], all_size_list[idx])
            self.params["b" + str(idx)] = np.zeros(all_size_list[idx])

    def predict(self, x, train_flg=False):
        for key, layer in self.layers.items():
            if "Dropout" in key or "BatchNorm" in key:
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        y = self.predict(x, train_flg)
        weight_decay = 0
        for idx in range(1, self.hidden_layer_num + 2):
            W = self.params["W" + str(idx)]
            weight_decay += 0.5 * self.weight_decay_lambda * np.sum(W ** 2)
        return self.last_layer.forward(y, t) + weight_decay

    def _backward_layers(self):
        dout = 1
        dout = self.last_layer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)

    def _collect(self):
        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            grads["W" + str(idx)] = self.layers["Affine" + str(idx)].dW \
                + self.weight_decay_lambda * self.params["W" + str(idx)]
            grads["b" + str(idx)] = self.layers["Affine" + str(idx)].db
            if self.use_batchnorm and idx != self.hidden_layer_num + 1:
                grads["gamma" + str(idx)] = self.layers["BatchNorm" + str(idx)].dgamma
                grads["beta" + str(idx)] = self.layers["BatchNorm" + str(idx)].dbeta
        return grads

    def gradient(self, x, t):
        # forward
        self.loss(x, t, train_flg=True)
        # backward
        self._backward_layers()
        return self._collect()


class MultiLayerNetExtendReversedTwice(MultiLayerNetExtend):
    def _backward_layers(self):
        dout = 1
        dout = self.last_layer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in reversed(layers):  # BUG: reversed again: the layers' backwards run in forward order
            dout = layer.backward(dout)


class MultiLayerNetExtendBetaGetsDgamma(MultiLayerNetExtend):
    def _collect(self):
        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            grads["W" + str(idx)] = self.layers["Affine" + str(idx)].dW \
                + self.weight_decay_lambda * self.params["W" + str(idx)]
            grads["b" + str(idx)] = self.layers["Affine" + str(idx)].db
            if self.use_batchnorm and idx != self.hidden_layer_num + 1:
                grads["gamma" + str(idx)] = self.layers["BatchNorm" + str(idx)].dgamma
                grads["beta" + str(idx)] = self.layers["BatchNorm" + str(idx)].dgamma  # BUG: copy-paste: dbeta
        return grads


# ---------------------------------------------------------------- the cases

def net(cls, **kwargs):
    def make(rng):
        np.random.seed(int(rng.integers(2 ** 31)))  # the book draws the weights with np.random.randn
        network = cls(**{k: list(v) if isinstance(v, list) else v for k, v in kwargs.items()})
        x = rng.standard_normal((6, kwargs["input_size"]))
        return (network, x, rng.integers(0, kwargs["output_size"], 6)), {}
    return make


def cli(cls, **kwargs):
    import json

    return ("--net", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps(kwargs), "--input-shape",
            f"6,{kwargs['input_size']}")


S = "dlfs-extend"
# weight_init_std 0.3: the logits stay small, so no class probability comes near the 1e-7 of cross_entropy_error's
# log(y + 1e-7), which makes the book's gradient differ from its loss by 1e-7 / y
BN = dict(input_size=4, hidden_size_list=[5, 5], output_size=3, weight_init_std=0.3, weight_decay_lambda=0.1,
          use_batchnorm=True)
DROP = dict(input_size=4, hidden_size_list=[5, 4], output_size=3, weight_init_std=0.3, use_batchnorm=True,
            use_dropout=True, dropout_ration=0.3)
SQUARE = dict(input_size=4, hidden_size_list=[4, 4], output_size=4, weight_init_std=0.3, use_batchnorm=True)
CASES = [
    # --- correct
    Case("r4_dlfs_extend.MultiLayerNetExtend", S, "network", net(MultiLayerNetExtend, **BN),
         cli=cli(MultiLayerNetExtend, **BN)),
    Case("r4_dlfs_extend.MultiLayerNetExtend.dropout", S, "network", net(MultiLayerNetExtend, **DROP),
         cli=cli(MultiLayerNetExtend, **DROP)),
    # --- buggy
    Case("r4_dlfs_extend.MultiLayerNetExtend.reversed_twice", S, "network",
         net(MultiLayerNetExtendReversedTwice, **SQUARE),
         bug="the OrderedDict's layers reversed twice (list.reverse() then reversed()): the backwards run in forward "
             "order (every layer 4 wide, so nothing raises): every gradient wrong",
         names=("located", "layer"), cli=cli(MultiLayerNetExtendReversedTwice, **SQUARE)),
    Case("r4_dlfs_extend.MultiLayerNetExtend.beta_gets_dgamma", S, "network",
         net(MultiLayerNetExtendBetaGetsDgamma, **BN),
         bug="grads['beta' + idx] copied from the batch norm's dgamma (copy-paste): every beta's gradient is gamma's",
         names=("split", "located", "misplaced", "reordered", "layer"),
         cli=cli(MultiLayerNetExtendBetaGetsDgamma, **BN)),
]
