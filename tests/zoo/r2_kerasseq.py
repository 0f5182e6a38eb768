"""Sequence layers in Keras' style, as "Keras from scratch" tutorials write them: ``call(...)`` is the forward,
``backward(...)`` returns the inputs' gradients, ``trainable_weights`` lists the weights (``kernel``,
``recurrent_kernel``, ``bias``, as Keras names an LSTM's) and ``get_gradients()`` their gradients in that order.
An LSTM cell's single step ``call(x, h_prev, c_prev) -> (h, c)`` with the gates i, f, c~, o in Keras' column order,
``backward(dh, dc) -> (dx, dh_prev, dc_prev)``; ``GlobalAveragePooling1D`` and ``MaxPooling1D`` on (N, T, C)
sequences (channels last, as Keras).

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

import json

import numpy as np

from .case import Case


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class Layer:
    trainable_weights: list = []

    def get_gradients(self):
        return []

    def __call__(self, *inputs):
        return self.call(*inputs)


class LSTMCell(Layer):
    def __init__(self, units, input_dim):
        self.units = units
        self.kernel = np.random.uniform(-0.5, 0.5, (input_dim, 4 * units))
        self.recurrent_kernel = np.random.uniform(-0.5, 0.5, (units, 4 * units))
        self.bias = np.zeros(4 * units)

    @property
    def trainable_weights(self):
        return [self.kernel, self.recurrent_kernel, self.bias]

    def call(self, x, h_prev, c_prev):
        z = x @ self.kernel + h_prev @ self.recurrent_kernel + self.bias
        H = self.units
        i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
        c = f * c_prev + i * g
        tc = np.tanh(c)
        h = o * tc
        self.cache = (x, h_prev, c_prev, i, f, g, o, tc)
        return h, c

    def _gates(self, dh, dc_total):
        x, h_prev, c_prev, i, f, g, o, tc = self.cache
        di, df, dg = dc_total * g, dc_total * c_prev, dc_total * i
        do = dh * tc
        return np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)

    def backward(self, dh, dc):
        x, h_prev, c_prev, i, f, g, o, tc = self.cache
        dc_total = dc + dh * o * (1 - tc ** 2)
        dz = self._gates(dh, dc_total)
        self.kernel_grad = x.T @ dz
        self.recurrent_kernel_grad = h_prev.T @ dz
        self.bias_grad = dz.sum(axis=0)
        return dz @ self.kernel.T, dz @ self.recurrent_kernel.T, dc_total * f

    def get_gradients(self):
        return [self.kernel_grad, self.recurrent_kernel_grad, self.bias_grad]


class LSTMCellCellPathOnly(LSTMCell):
    def backward(self, dh, dc):
        x, h_prev, c_prev, i, f, g, o, tc = self.cache
        dc_total = dc  # BUG: the path from h = o * tanh(c) into c is missing (+ dh * o * (1 - tanh(c)^2))
        dz = self._gates(dh, dc_total)
        self.kernel_grad = x.T @ dz
        self.recurrent_kernel_grad = h_prev.T @ dz
        self.bias_grad = dz.sum(axis=0)
        return dz @ self.kernel.T, dz @ self.recurrent_kernel.T, dc_total * f


class GlobalAveragePooling1D(Layer):
    def call(self, inputs):
        self.steps = inputs.shape[1]
        return inputs.mean(axis=1)

    def backward(self, grad):
        return np.repeat(grad[:, None, :], self.steps, axis=1) / self.steps


class GlobalAveragePooling1DNoDivide(GlobalAveragePooling1D):
    def backward(self, grad):
        return np.repeat(grad[:, None, :], self.steps, axis=1)  # BUG: the mean over time steps' 1 / T is missing


class MaxPooling1D(Layer):
    def __init__(self, pool_size=2):
        self.pool_size = pool_size

    def call(self, inputs):
        N, T, C = inputs.shape
        p = self.pool_size
        self.inputs = inputs
        windows = inputs[:, :T // p * p].reshape(N, T // p, p, C)
        self.argmax = windows.argmax(axis=2)
        return windows.max(axis=2)

    def backward(self, grad):
        N, T, C = self.inputs.shape
        p = self.pool_size
        dwin = np.zeros((N, T // p, p, C))
        n, t, c = np.meshgrid(np.arange(N), np.arange(T // p), np.arange(C), indexing="ij")
        dwin[n, t, self.argmax, c] = grad
        dx = np.zeros_like(self.inputs)
        dx[:, :T // p * p] = dwin.reshape(N, T // p * p, C)
        return dx


class MaxPooling1DUpsampled(MaxPooling1D):
    def backward(self, grad):
        N, T, C = self.inputs.shape
        p = self.pool_size
        dx = np.zeros_like(self.inputs)
        dx[:, :T // p * p] = np.repeat(grad, p, axis=1)  # BUG: an average pool's upsampling: every element of the window
        return dx


# ---------------------------------------------------------------- the cases

def _fill(layer, rng, scale=0.5):
    for w in layer.trainable_weights:
        w[...] = scale * rng.standard_normal(w.shape)
    return layer


def lstm(cls, N=3, D=4, H=3):
    def make(rng):
        np.random.seed(int(rng.integers(2 ** 31)))
        inputs = (rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)))
        return (_fill(cls(H, D), rng), inputs), {}
    return make


def layer(build, *shape):
    return lambda rng: ((build(), rng.standard_normal(shape)), {})


def cli(cls, shape, **kwargs):
    args = ("--layer", f"{{file}}:{cls.__name__}")
    if kwargs:
        args += ("--kwargs", json.dumps(kwargs))
    return (*args, "--input-shape", shape)


S = "keras-seq"
CASES = [
    # --- correct
    Case("r2_kerasseq.LSTMCell", S, "layer", lstm(LSTMCell)),
    Case("r2_kerasseq.GlobalAveragePooling1D", S, "layer", layer(GlobalAveragePooling1D, 3, 5, 2),
         cli=cli(GlobalAveragePooling1D, "3,5,2")),
    Case("r2_kerasseq.MaxPooling1D", S, "layer", layer(lambda: MaxPooling1D(2), 2, 7, 3),
         cli=cli(MaxPooling1D, "2,7,3", pool_size=2)),
    # --- buggy
    Case("r2_kerasseq.LSTMCell.cell_path_only", S, "layer", lstm(LSTMCellCellPathOnly),
         bug="dc misses the path through h = o * tanh(c): every gate but o gets only the incoming dc",
         names=("located",)),
    Case("r2_kerasseq.GlobalAveragePooling1D.no_divide", S, "layer", layer(GlobalAveragePooling1DNoDivide, 3, 5, 2),
         bug="backward repeats grad over the T steps without the mean's 1 / T", names=("scaled",),
         cli=cli(GlobalAveragePooling1DNoDivide, "3,5,2")),
    Case("r2_kerasseq.MaxPooling1D.upsampled", S, "layer", layer(lambda: MaxPooling1DUpsampled(2), 2, 7, 3),
         bug="max pooling's backward sends grad to every element of the window (an average pool's upsampling)",
         names=("located", "known-mistake"), cli=cli(MaxPooling1DUpsampled, "2,7,3", pool_size=2)),
]
