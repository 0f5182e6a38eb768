"""Layers in the style of *Deep Learning from Scratch*: ``forward(x)`` returns out, ``backward(dout)`` returns
dx and leaves ``self.dW``, ``self.db`` (``dgamma``, ``dbeta``); loss layers take ``forward(x, t)`` and
``backward(dout=1)``; constructors take the arrays (``Affine(W, b)``); ``Dropout`` draws its mask with numpy's global
generator; ``Convolution`` and ``Pooling`` work over im2col/col2im.

A buggy variant subclasses the correct layer and rewrites the one method a learner got wrong (``# BUG:``)."""

# ruff: noqa: RUF059, B015  (learner code, kept the way learners write it; B015: ReluEqTypo's == is its bug)

import numpy as np

from .case import Case

# ---------------------------------------------------------------- helper functions (the book's functions.py/util.py)

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)  # against overflow
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:  # one-hot labels -> indices
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) -> (N*out_h*out_w, C*filter_h*filter_w): one row per filter position."""
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The adjoint of im2col: adds every row back onto the positions it was read from."""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]


# ---------------------------------------------------------------- activation layers

class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class ReluDoutInPlace(Relu):
    def backward(self, dout):
        dout[self.mask] = 0  # BUG: zeroes the caller's dout in place (and returns it as dx)
        dx = dout
        return dx


class ReluMaskFromDout(Relu):
    def backward(self, dout):
        dx = dout.copy()
        dx[dout <= 0] = 0  # BUG: the mask is taken from dout, not from the forward's x
        return dx


class ReluForwardInPlace(Relu):
    def forward(self, x):
        self.mask = (x <= 0)
        x[self.mask] = 0  # BUG: no copy: zeroes the caller's x
        return x


class ReluEqTypo(Relu):
    def forward(self, x):
        self.mask = (x <= 0)
        out = np.zeros_like(x)
        out[~self.mask] == x[~self.mask]  # BUG: == instead of =, out stays all zeros
        return out


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        out = sigmoid(x)
        self.out = out
        return out  # the same array backward reads

    def backward(self, dout):
        dx = dout * (1.0 - self.out) * self.out
        return dx


class SigmoidExpMinusOne(Sigmoid):
    def forward(self, x):
        out = 1 / (1 + np.exp(-1))  # BUG: exp(-1) instead of exp(-x): a constant, whatever x is
        self.out = out
        return out


class SigmoidGradFromInput(Sigmoid):
    def forward(self, x):
        self.x = x
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        dx = dout * (1.0 - self.x) * self.x  # BUG: sigmoid' from the input x instead of the output
        return dx


class Tanh:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out ** 2)


class TanhOneMinusY(Tanh):
    def backward(self, dout):
        return dout * (1.0 - self.out)  # BUG: tanh' as 1 - y instead of 1 - y**2


class Softmax:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = softmax(x)
        return self.out

    def backward(self, dout):
        dx = self.out * dout
        dx -= self.out * np.sum(dx, axis=1, keepdims=True)  # the full Jacobian: y * (dout - <dout, y>)
        return dx


class SoftmaxDiagonal(Softmax):
    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)  # BUG: only the diagonal of softmax's Jacobian


# ---------------------------------------------------------------- layers with parameters

class Affine:
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape  # tensors (N, C, H, W) work too
        x = x.reshape(x.shape[0], -1)
        self.x = x
        out = np.dot(self.x, self.W) + self.b
        return out

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        dx = dx.reshape(*self.original_x_shape)
        return dx


class AffineNoBatchSum(Affine):
    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = dout  # BUG: db is the sum of dout over the batch: np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class AffineTransposedDW(Affine):
    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(dout.T, self.x)  # BUG: dW transposed (should be x.T @ dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class AffineDxNoTranspose(Affine):
    def backward(self, dout):
        dx = np.dot(dout, self.W)  # BUG: should be dout @ W.T (runs only because W is square)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class AffineAccumulating(Affine):
    def __init__(self, W, b):
        super().__init__(W, b)
        self.dW = np.zeros_like(W)
        self.db = np.zeros_like(b)

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW += np.dot(self.x.T, dout)  # BUG: += keeps the previous call's gradient
        self.db += np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class AffineStepInside(Affine):
    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        self.W -= 0.01 * self.dW  # BUG: an SGD step inside backward changes the layer's parameters
        self.b -= 0.01 * self.db
        return dx.reshape(*self.original_x_shape)


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


class DropoutNoMask(Dropout):
    def backward(self, dout):
        return dout  # BUG: forgets the mask: dropped units get a gradient


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.input_shape = None
        self.running_mean = running_mean  # for test time
        self.running_var = running_var
        self.batch_size = None
        self.xc = None
        self.xn = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        if x.ndim != 2:
            x = x.reshape(x.shape[0], -1)
        out = self.__forward(x, train_flg)
        return out.reshape(*self.input_shape)

    def __forward(self, x, train_flg):
        if self.running_mean is None:
            _, D = x.shape
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
            xn = xc / np.sqrt(self.running_var + 10e-7)
        return self.gamma * xn + self.beta

    def backward(self, dout):
        if dout.ndim != 2:
            dout = dout.reshape(dout.shape[0], -1)
        dx = self._backward(dout)
        return dx.reshape(*self.input_shape)

    def _backward(self, dout):
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


class BatchNormalizationNoMeanTerm(BatchNormalization):
    def _backward(self, dout):
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dx = dxc  # BUG: forgets the path through the batch mean (dx = dxc - dmu / N)
        self.dgamma = dgamma
        self.dbeta = dbeta
        return dx


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = 1 + (H + 2 * self.pad - FH) // self.stride
        out_w = 1 + (W + 2 * self.pad - FW) // self.stride
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x = x
        self.col = col
        self.col_W = col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class ConvolutionBiasBeforeReshape(Convolution):
    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        self.db = np.sum(dout, axis=0)  # BUG: summed before the reshape: shape (FN, out_h, out_w), not (FN,)
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x = None
        self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = int(1 + (H - self.pool_h) / self.stride)
        out_w = int(1 + (W - self.pool_w) / self.stride)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        arg_max = np.argmax(col, axis=1)  # one maximum per window, the first of any ties
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        self.col = col
        self.arg_max = arg_max
        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class PoolingEveryMax(Pooling):
    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        mask = (self.col == np.max(self.col, axis=1, keepdims=True))  # BUG: every tied maximum gets dout
        dmax = mask * dout.reshape(-1, 1)
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


# ---------------------------------------------------------------- layers with two inputs (the book's chapter 5)

class MulLayer:
    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout):
        dx = dout * self.y  # d(xy)/dx = y
        dy = dout * self.x
        return dx, dy


class MulLayerSwapped(MulLayer):
    def backward(self, dout):
        dx = dout * self.x  # BUG: dx and dy swapped: d(xy)/dx is y
        dy = dout * self.y
        return dx, dy


class AddLayer:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        dx = dout * 1
        dy = dout * 1
        return dx, dy


# ---------------------------------------------------------------- loss layers: forward(x, t) -> loss, backward(dout=1)

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
        if self.t.size == self.y.size:  # one-hot labels
            dx = (self.y - self.t) / batch_size
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            dx = dx / batch_size
        return dx * dout


class SoftmaxWithLossNoBatchDivide(SoftmaxWithLoss):
    def backward(self, dout=1):
        dx = self.y.copy()
        dx[np.arange(self.t.shape[0]), self.t] -= 1  # BUG: the loss is a batch mean, dx is not divided by the batch
        return dx * dout


class MeanSquaredLoss:
    def forward(self, y, t):
        self.y = y
        self.t = t
        return 0.5 * np.sum((y - t) ** 2) / y.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.y.shape[0]


class MeanSquaredLossMeanOverAll(MeanSquaredLoss):
    def forward(self, y, t):
        self.y = y
        self.t = t
        return 0.5 * np.mean((y - t) ** 2)  # BUG: the loss divides by N*D, backward by N only

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.y.shape[0]


# ---------------------------------------------------------------- the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def layer(build, *shape):
    """make(rng) for a layer without parameters and one standard normal input."""
    return lambda rng: ((build(), normal(rng, *shape)), {})


def affine(cls, n_in=4, n_out=3, batch=5, dtype=np.float64, x_shape=None):
    def make(rng):
        W = normal(rng, n_in, n_out).astype(dtype)
        b = normal(rng, n_out).astype(dtype)
        x = normal(rng, *(x_shape or (batch, n_in))).astype(dtype)
        return (cls(W, b), x), {}
    return make


def affine_cli(cls, n_in=4, n_out=3, batch=5):
    return ("--layer", f"{{file}}:{cls.__name__}", "--param", f"W={n_in},{n_out}", "--param", f"b={n_out}",
            "--input-shape", f"{batch},{n_in}")


def cli(cls, shape, *extra):
    return ("--layer", f"{{file}}:{cls.__name__}", *extra, "--input-shape", shape)


def exact_zeros(rng):
    x = np.round(normal(rng, 4, 3))  # many entries exactly 0.0
    x[0, 0] = 0.0
    return (Relu(), x), {}


def saturated(rng):
    x = np.sign(normal(rng, 4, 3)) * rng.uniform(20.0, 40.0, (4, 3))  # sigmoid' down to 1e-17
    return (Sigmoid(), x), {}


def softmax_loss(cls, one_hot=False):
    def make(rng):
        x = normal(rng, 5, 3)
        t = rng.integers(0, 3, 5)
        if one_hot:
            t = np.eye(3)[t]
        return (cls(), x, t), {}
    return make


def squared_loss(cls):
    return lambda rng: ((cls(), normal(rng, 5, 3), normal(rng, 5, 3)), {})


def two_inputs(cls):
    return lambda rng: ((cls(), (normal(rng, 4, 3), normal(rng, 4, 3))), {})


def batchnorm(cls):
    return lambda rng: ((cls(1.0 + 0.1 * normal(rng, 3), normal(rng, 3)), normal(rng, 6, 3)), {})


def conv(cls):
    def make(rng):
        W, b = 0.5 * normal(rng, 4, 3, 3, 3), normal(rng, 4)
        return (cls(W, b, stride=1, pad=1), normal(rng, 2, 3, 5, 5)), {}
    return make


def pool(cls, ties):
    def make(rng):
        x = normal(rng, 2, 2, 4, 4)
        if ties:
            x = np.round(x)  # windows of 2x2 with several equal maxima
            x[0, 0, :2, :2] = 1.0  # one window surely all tied
        return (cls(2, 2, stride=2), x), {}
    return make


CONV_CLI = ("--param", "W=4,3,3,3", "--param", "b=4", "--kwargs", '{"stride": 1, "pad": 1}')
POOL_CLI = ("--kwargs", '{"pool_h": 2, "pool_w": 2, "stride": 2}')
BN_CLI = ("--param", "gamma=3", "--param", "beta=3")

CASES = [
    # --- correct
    Case("dlfs.Relu", "dlfs", "layer", layer(Relu, 4, 3), cli=cli(Relu, "4,3")),
    Case("dlfs.Relu.exact_zeros", "dlfs", "layer", exact_zeros),
    Case("dlfs.Sigmoid", "dlfs", "layer", layer(Sigmoid, 4, 3), cli=cli(Sigmoid, "4,3")),
    Case("dlfs.Sigmoid.saturated", "dlfs", "layer", saturated),
    Case("dlfs.Tanh", "dlfs", "layer", layer(Tanh, 4, 3), cli=cli(Tanh, "4,3")),
    Case("dlfs.Softmax", "dlfs", "layer", layer(Softmax, 5, 4), cli=cli(Softmax, "5,4")),
    Case("dlfs.Affine", "dlfs", "layer", affine(Affine), cli=affine_cli(Affine)),
    Case("dlfs.Affine.tensor_input", "dlfs", "layer", affine(Affine, 6, 3, x_shape=(4, 2, 3))),
    Case("dlfs.Affine.float32", "dlfs", "layer", affine(Affine, dtype=np.float32)),
    Case("dlfs.Dropout", "dlfs", "layer", layer(Dropout, 6, 5), cli=cli(Dropout, "6,5")),
    Case("dlfs.BatchNormalization", "dlfs", "layer", batchnorm(BatchNormalization),
         cli=cli(BatchNormalization, "6,3", *BN_CLI)),
    Case("dlfs.Convolution", "dlfs", "layer", conv(Convolution), cli=cli(Convolution, "2,3,5,5", *CONV_CLI)),
    Case("dlfs.Pooling", "dlfs", "layer", pool(Pooling, ties=False), cli=cli(Pooling, "2,2,4,4", *POOL_CLI)),
    Case("dlfs.Pooling.ties", "dlfs", "layer", pool(Pooling, ties=True)),
    Case("dlfs.MulLayer", "dlfs", "layer", two_inputs(MulLayer)),
    Case("dlfs.AddLayer", "dlfs", "layer", two_inputs(AddLayer)),
    Case("dlfs.SoftmaxWithLoss", "dlfs", "layer", softmax_loss(SoftmaxWithLoss)),
    Case("dlfs.SoftmaxWithLoss.one_hot", "dlfs", "layer", softmax_loss(SoftmaxWithLoss, one_hot=True)),
    Case("dlfs.MeanSquaredLoss", "dlfs", "layer", squared_loss(MeanSquaredLoss)),
    # --- buggy
    Case("dlfs.Relu.dout_in_place", "dlfs", "layer", layer(ReluDoutInPlace, 4, 3),
         bug="backward zeroes dout in place (dout[self.mask] = 0) and returns it", names=("dout-modified",),
         cli=cli(ReluDoutInPlace, "4,3")),
    Case("dlfs.Relu.mask_from_dout", "dlfs", "layer", layer(ReluMaskFromDout, 4, 3),
         bug="backward's mask is dout <= 0 instead of the forward's x <= 0", names=("known-mistake", "located"),
         cli=cli(ReluMaskFromDout, "4,3")),
    Case("dlfs.Relu.forward_in_place", "dlfs", "layer", layer(ReluForwardInPlace, 4, 3),
         bug="forward zeroes the negative entries of its input x in place", names=("input-modified",),
         cli=cli(ReluForwardInPlace, "4,3")),
    Case("dlfs.Relu.eq_typo", "dlfs", "layer", layer(ReluEqTypo, 4, 3),
         bug="forward writes == instead of =: the output is all zeros whatever x is", names=("constant-output",),
         cli=cli(ReluEqTypo, "4,3")),
    Case("dlfs.Sigmoid.exp_minus_one", "dlfs", "layer", layer(SigmoidExpMinusOne, 4, 3),
         bug="forward computes 1 / (1 + exp(-1)): a constant scalar, not sigmoid(x)",
         names=("constant-output", "shape"), cli=cli(SigmoidExpMinusOne, "4,3")),
    Case("dlfs.Sigmoid.grad_from_input", "dlfs", "layer", layer(SigmoidGradFromInput, 4, 3),
         bug="backward uses x * (1 - x) with the input x instead of the output y", names=("known-mistake",),
         cli=cli(SigmoidGradFromInput, "4,3")),
    Case("dlfs.Tanh.one_minus_y", "dlfs", "layer", layer(TanhOneMinusY, 4, 3),
         bug="tanh' written as 1 - y instead of 1 - y**2", names=("known-mistake",), cli=cli(TanhOneMinusY, "4,3")),
    Case("dlfs.Softmax.diagonal", "dlfs", "layer", layer(SoftmaxDiagonal, 5, 4),
         bug="softmax's Jacobian reduced to its diagonal: dout * y * (1 - y)", names=("known-mistake",),
         cli=cli(SoftmaxDiagonal, "5,4")),
    Case("dlfs.Affine.db_no_batch_sum", "dlfs", "layer", affine(AffineNoBatchSum),
         bug="db = dout, without the sum over the batch", names=("shape", "batch"), cli=affine_cli(AffineNoBatchSum)),
    Case("dlfs.Affine.dW_transposed", "dlfs", "layer", affine(AffineTransposedDW),
         bug="dW = dout.T @ x: the transpose of the (4, 3) gradient", names=("shape", "transposed"),
         cli=affine_cli(AffineTransposedDW)),
    Case("dlfs.Affine.dW_transposed_square", "dlfs", "layer", affine(AffineTransposedDW, 4, 4),
         bug="dW = dout.T @ x: a square dW transposed", names=("transposed",),
         cli=affine_cli(AffineTransposedDW, 4, 4)),
    Case("dlfs.Affine.dx_no_transpose", "dlfs", "layer", affine(AffineDxNoTranspose, 4, 4),
         bug="dx = dout @ W instead of dout @ W.T (W square)", names=("transposed", "known-mistake"),
         cli=affine_cli(AffineDxNoTranspose, 4, 4)),
    Case("dlfs.Affine.accumulating", "dlfs", "layer", affine(AffineAccumulating),
         bug="self.dW += ...: every backward adds to the previous call's gradient", names=("not-repeatable",),
         cli=affine_cli(AffineAccumulating)),
    Case("dlfs.Affine.step_inside", "dlfs", "layer", affine(AffineStepInside),
         bug="backward takes an SGD step (W -= 0.01 * dW) on the layer's own parameters", names=("params-changed",),
         cli=affine_cli(AffineStepInside)),
    Case("dlfs.Dropout.no_mask", "dlfs", "layer", layer(DropoutNoMask, 6, 5),
         bug="backward returns dout unmasked: wrong wherever the mask dropped a unit", names=("located",),
         cli=cli(DropoutNoMask, "6,5")),
    Case("dlfs.BatchNormalization.no_mean_term", "dlfs", "layer", batchnorm(BatchNormalizationNoMeanTerm),
         bug="backward drops the gradient through the batch mean (dx = dxc)", names=("known-mistake",),
         cli=cli(BatchNormalizationNoMeanTerm, "6,3", *BN_CLI)),
    Case("dlfs.Convolution.db_before_reshape", "dlfs", "layer", conv(ConvolutionBiasBeforeReshape),
         bug="db summed over axis 0 of the 4-d dout before its reshape: shape (FN, OH, OW)", names=("shape",),
         cli=cli(ConvolutionBiasBeforeReshape, "2,3,5,5", *CONV_CLI)),
    Case("dlfs.Pooling.every_max", "dlfs", "layer", pool(PoolingEveryMax, ties=True),
         bug="max-pool backward sends dout to every tied maximum of a window", names=("tie",)),
    Case("dlfs.MulLayer.swapped", "dlfs", "layer", two_inputs(MulLayerSwapped),
         bug="multiply layer with dx and dy swapped (dx = dout * x)", names=("known-mistake",)),
    Case("dlfs.SoftmaxWithLoss.no_batch_divide", "dlfs", "layer", softmax_loss(SoftmaxWithLossNoBatchDivide),
         bug="dx = y - t not divided by the batch size", names=("scaled", "batch")),
    Case("dlfs.MeanSquaredLoss.mean_over_all", "dlfs", "layer", squared_loss(MeanSquaredLossMeanOverAll),
         bug="loss averages over all N*D entries, backward divides by N only: dx is D times too large",
         names=("scaled",)),
]
