"""Layers written in Keras' style, as in "build Keras from scratch" tutorials: ``call(inputs)`` is the forward,
``backward(grad)`` returns the gradient of the inputs and stores the weights' gradients, ``trainable_weights`` lists
the weights and ``get_gradients()`` their gradients in the same order. A ``Sequential`` model holds a list of layers.
Weights are named ``kernel`` and ``bias``, as in Keras; a recurrent cell's ``call(inputs, states)`` takes two.

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

import json

import numpy as np

from .case import Case


class Layer:
    trainable_weights: list = []

    def get_gradients(self):
        return []

    def __call__(self, *inputs):
        return self.call(*inputs)


class Dense(Layer):
    def __init__(self, units, input_dim):
        limit = np.sqrt(6 / (input_dim + units))  # glorot_uniform
        self.kernel = np.random.uniform(-limit, limit, (input_dim, units))
        self.bias = np.zeros(units)

    @property
    def trainable_weights(self):
        return [self.kernel, self.bias]

    def call(self, inputs):
        self.inputs = inputs
        return inputs @ self.kernel + self.bias

    def backward(self, grad):
        self.kernel_grad = self.inputs.T @ grad
        self.bias_grad = grad.sum(axis=0)
        return grad @ self.kernel.T

    def get_gradients(self):
        return [self.kernel_grad, self.bias_grad]


class DenseAccumulating(Dense):
    def __init__(self, units, input_dim):
        super().__init__(units, input_dim)
        self.kernel_grad = np.zeros_like(self.kernel)
        self.bias_grad = np.zeros_like(self.bias)

    def backward(self, grad):
        self.kernel_grad += self.inputs.T @ grad  # BUG: += with nothing that resets it: each backward adds again
        self.bias_grad += grad.sum(axis=0)
        return grad @ self.kernel.T


class DenseMeanBias(Dense):
    def backward(self, grad):
        self.kernel_grad = self.inputs.T @ grad
        self.bias_grad = grad.mean(axis=0)  # BUG: mean over the batch instead of the sum
        return grad @ self.kernel.T


class Swish(Layer):
    def call(self, inputs):
        self.inputs = inputs
        self.sig = 1 / (1 + np.exp(-inputs))
        return inputs * self.sig

    def backward(self, grad):
        return grad * (self.sig + self.inputs * self.sig * (1 - self.sig))


class SwishSigmoidOnly(Swish):
    def backward(self, grad):
        return grad * self.sig  # BUG: d/dx [x * sigmoid(x)] taken as sigmoid(x): the product rule forgotten


class ELU(Layer):
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def call(self, inputs):
        self.inputs = inputs
        self.outputs = np.where(inputs > 0, inputs, self.alpha * (np.exp(inputs) - 1))
        return self.outputs

    def backward(self, grad):
        return grad * np.where(self.inputs > 0, 1.0, self.outputs + self.alpha)


class ELUOutputAsDerivative(ELU):
    def backward(self, grad):
        return grad * np.where(self.inputs > 0, 1.0, self.outputs)  # BUG: for x <= 0 uses f(x), not f(x) + alpha


class BatchNormalization(Layer):
    """Normalises with the unbiased (n - 1) variance, as some tutorials do."""

    def __init__(self, dim, epsilon=1e-3):
        self.gamma = np.ones(dim)
        self.beta = np.zeros(dim)
        self.epsilon = epsilon

    @property
    def trainable_weights(self):
        return [self.gamma, self.beta]

    def call(self, inputs):
        n = inputs.shape[0]
        self.mean = inputs.mean(axis=0)
        self.xc = inputs - self.mean
        self.var = (self.xc ** 2).sum(axis=0) * (1.0 / (n - 1))
        self.std = np.sqrt(self.var + self.epsilon)
        self.xhat = self.xc / self.std
        return self.gamma * self.xhat + self.beta

    def backward(self, grad):
        n = grad.shape[0]
        self.gamma_grad = (grad * self.xhat).sum(axis=0)
        self.beta_grad = grad.sum(axis=0)
        dxhat = grad * self.gamma
        dvar = (dxhat * self.xc).sum(axis=0) * -0.5 / self.std ** 3
        dmean = -dxhat.sum(axis=0) / self.std
        return dxhat / self.std + dvar * 2 * self.xc * (1.0 / (n - 1)) + dmean / n

    def get_gradients(self):
        return [self.gamma_grad, self.beta_grad]


class BatchNormalizationNoVarTerm(BatchNormalization):
    def backward(self, grad):
        n = grad.shape[0]
        self.gamma_grad = (grad * self.xhat).sum(axis=0)
        self.beta_grad = grad.sum(axis=0)
        dxhat = grad * self.gamma
        dmean = -dxhat.sum(axis=0) / self.std
        return dxhat / self.std + dmean / n  # BUG: the path through the variance is missing


class GRUCell(Layer):
    """h' = (1 - z) * n + z * h, z = sigmoid(x Wz + h Uz + bz), r likewise, n = tanh(x Wn + r * (h Un) + bn)."""

    def __init__(self, units, input_dim):
        self.kernel = np.random.randn(input_dim, 3 * units) * 0.5
        self.recurrent_kernel = np.random.randn(units, 3 * units) * 0.5
        self.bias = np.zeros(3 * units)
        self.units = units

    @property
    def trainable_weights(self):
        return [self.kernel, self.recurrent_kernel, self.bias]

    def call(self, inputs, states):
        u = self.units
        self.inputs, self.states = inputs, states
        xw = inputs @ self.kernel + self.bias
        hu = states @ self.recurrent_kernel
        sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
        self.z = sig(xw[:, :u] + hu[:, :u])
        self.r = sig(xw[:, u:2 * u] + hu[:, u:2 * u])
        self.hn = hu[:, 2 * u:]
        self.n = np.tanh(xw[:, 2 * u:] + self.r * self.hn)
        return (1 - self.z) * self.n + self.z * states

    def backward(self, grad):
        dn = grad * (1 - self.z)
        dz = grad * (self.states - self.n)
        dan = dn * (1 - self.n ** 2)
        dr = dan * self.hn
        daz = dz * self.z * (1 - self.z)
        dar = dr * self.r * (1 - self.r)
        dxw = np.concatenate([daz, dar, dan], axis=1)
        dhu = np.concatenate([daz, dar, dan * self.r], axis=1)
        self.grads = [self.inputs.T @ dxw, self.states.T @ dhu, dxw.sum(axis=0)]
        dinputs = dxw @ self.kernel.T
        dstates = dhu @ self.recurrent_kernel.T + grad * self.z
        return dinputs, dstates

    def get_gradients(self):
        return self.grads


class GRUCellNoDirectPath(GRUCell):
    def backward(self, grad):
        dn = grad * (1 - self.z)
        dz = grad * (self.states - self.n)
        dan = dn * (1 - self.n ** 2)
        dr = dan * self.hn
        daz = dz * self.z * (1 - self.z)
        dar = dr * self.r * (1 - self.r)
        dxw = np.concatenate([daz, dar, dan], axis=1)
        dhu = np.concatenate([daz, dar, dan * self.r], axis=1)
        self.grads = [self.inputs.T @ dxw, self.states.T @ dhu, dxw.sum(axis=0)]
        dinputs = dxw @ self.kernel.T
        dstates = dhu @ self.recurrent_kernel.T  # BUG: forgets the direct path z * h: + grad * z is missing
        return dinputs, dstates


class Conv1D(Layer):
    """'valid' 1-D convolution over inputs (batch, steps, channels), kernel (kernel_size, channels, filters)."""

    def __init__(self, filters, kernel_size, channels, strides=1):
        self.kernel = np.random.randn(kernel_size, channels, filters) * 0.3
        self.bias = np.zeros(filters)
        self.strides = strides

    @property
    def trainable_weights(self):
        return [self.kernel, self.bias]

    def call(self, inputs):
        self.inputs = inputs
        k, s = self.kernel.shape[0], self.strides
        steps = (inputs.shape[1] - k) // s + 1
        out = np.zeros((inputs.shape[0], steps, self.kernel.shape[2]))
        for t in range(steps):
            window = inputs[:, t * s:t * s + k, :]  # (batch, k, channels)
            out[:, t, :] = np.tensordot(window, self.kernel, axes=([1, 2], [0, 1]))
        return out + self.bias

    def backward(self, grad):
        k, s = self.kernel.shape[0], self.strides
        dinputs = np.zeros_like(self.inputs)
        self.kernel_grad = np.zeros_like(self.kernel)
        for t in range(grad.shape[1]):
            window = self.inputs[:, t * s:t * s + k, :]
            self.kernel_grad += np.tensordot(window, grad[:, t, :], axes=([0], [0]))
            dinputs[:, t * s:t * s + k, :] += np.tensordot(grad[:, t, :], self.kernel, axes=([1], [2]))
        self.bias_grad = grad.sum(axis=(0, 1))
        return dinputs

    def get_gradients(self):
        return [self.kernel_grad, self.bias_grad]


class Conv1DStrideIgnored(Conv1D):
    def backward(self, grad):
        k, s = self.kernel.shape[0], self.strides
        dinputs = np.zeros_like(self.inputs)
        self.kernel_grad = np.zeros_like(self.kernel)
        for t in range(grad.shape[1]):
            window = self.inputs[:, t * s:t * s + k, :]
            self.kernel_grad += np.tensordot(window, grad[:, t, :], axes=([0], [0]))
            dinputs[:, t:t + k, :] += np.tensordot(grad[:, t, :], self.kernel, axes=([1], [2]))  # BUG: t, not t * s
        self.bias_grad = grad.sum(axis=(0, 1))
        return dinputs


class Sequential(Layer):
    def __init__(self, layers):
        self.layers = layers

    @property
    def trainable_weights(self):
        return [w for layer in self.layers for w in layer.trainable_weights]

    def call(self, inputs):
        for layer in self.layers:
            inputs = layer.call(inputs)
        return inputs

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def get_gradients(self):
        return [g for layer in self.layers for g in layer.get_gradients()]


# ---------------------------------------------------------------- the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def _fill(layer, rng, scale=1.0):
    for w in layer.trainable_weights:
        w[...] = scale * normal(rng, *w.shape)
    return layer


def layer(build, *shape, scale=1.0):
    return lambda rng: ((_fill(build(), rng, scale), normal(rng, *shape)), {})


def gru(cls, N=3, D=4, H=5):
    def make(rng):
        return (_fill(cls(H, D), rng, 0.5), (normal(rng, N, D), normal(rng, N, H))), {}
    return make


def cli(cls, shape, **kwargs):
    args = ("--layer", f"{{file}}:{cls.__name__}")
    if kwargs:
        args += ("--kwargs", json.dumps(kwargs))
    return (*args, "--input-shape", shape)


S = "keraslike"
CONV = {"filters": 2, "kernel_size": 3, "channels": 2, "strides": 2}
CASES = [
    # --- correct
    Case("keraslike.Dense", S, "layer", layer(lambda: Dense(3, 4), 5, 4), cli=cli(Dense, "5,4", units=3, input_dim=4)),
    Case("keraslike.Sequential", S, "layer", layer(lambda: Sequential([Dense(5, 4), Swish(), Dense(3, 5)]), 6, 4)),
    Case("keraslike.Sequential.dense_batchnorm", S, "layer",
         layer(lambda: Sequential([Dense(3, 4), BatchNormalization(3)]), 6, 4)),
    Case("keraslike.Swish", S, "layer", layer(Swish, 5, 4), cli=cli(Swish, "5,4")),
    Case("keraslike.ELU", S, "layer", layer(lambda: ELU(0.7), 5, 4), cli=cli(ELU, "5,4", alpha=0.7)),
    Case("keraslike.BatchNormalization.unbiased", S, "layer", layer(lambda: BatchNormalization(3), 6, 3),
         cli=cli(BatchNormalization, "6,3", dim=3)),
    Case("keraslike.GRUCell", S, "layer", gru(GRUCell)),
    Case("keraslike.Conv1D.strided", S, "layer", layer(lambda: Conv1D(**CONV), 2, 9, 2),
         cli=cli(Conv1D, "2,9,2", **CONV)),
    # --- buggy
    Case("keraslike.Dense.accumulating", S, "layer", layer(lambda: DenseAccumulating(3, 4), 5, 4),
         bug="kernel_grad += ...: nothing resets it (Keras layers have no zero_grad), the second backward doubles it",
         names=("not-repeatable",), cli=cli(DenseAccumulating, "5,4", units=3, input_dim=4)),
    Case("keraslike.Sequential.inner_mean_bias", S, "layer",
         layer(lambda: Sequential([Dense(5, 4), Swish(), DenseMeanBias(3, 5)]), 6, 4),
         bug="the last Dense's bias gradient is the mean of grad over the batch, not the sum",
         names=("scaled", "batch", "layer")),
    Case("keraslike.Swish.sigmoid_only", S, "layer", layer(SwishSigmoidOnly, 5, 4),
         bug="swish' taken as sigmoid(x): the x * sigmoid'(x) term is missing", names=("known-mistake", "located", "derivative"),
         cli=cli(SwishSigmoidOnly, "5,4")),
    Case("keraslike.ELU.output_as_derivative", S, "layer", layer(lambda: ELUOutputAsDerivative(0.7), 5, 4),
         bug="ELU' for x <= 0 taken as f(x) = alpha (e^x - 1) instead of f(x) + alpha", names=("located",),
         cli=cli(ELUOutputAsDerivative, "5,4", alpha=0.7)),
    Case("keraslike.BatchNormalization.no_var_term", S, "layer", layer(lambda: BatchNormalizationNoVarTerm(3), 6, 3),
         bug="batch norm backward without the variance's term", names=("known-mistake",),
         cli=cli(BatchNormalizationNoVarTerm, "6,3", dim=3)),
    Case("keraslike.GRUCell.no_direct_path", S, "layer", gru(GRUCellNoDirectPath),
         bug="dstates forgets the direct path z * h (+ grad * z)", names=("located", "known-mistake", "missing-term")),
    Case("keraslike.Conv1D.stride_ignored", S, "layer", layer(lambda: Conv1DStrideIgnored(**CONV), 2, 9, 2),
         bug="strided Conv1D backward scatters dinputs at t instead of t * strides", names=("located",),
         cli=cli(Conv1DStrideIgnored, "2,9,2", **CONV)),
]
