"""Layers in the style of *Neural Networks from Scratch in Python*: ``forward(inputs)`` stores ``self.output``
and returns None; ``backward(dvalues)`` stores ``self.dinputs``, ``self.dweights``, ``self.dbiases``. Loss classes:
``forward(y_pred, y_true)`` returns the per-sample losses (``calculate`` takes their mean), ``backward(dvalues,
y_true)`` is given the predictions. Dropout draws its mask with ``np.random.binomial``.

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case

# ---------------------------------------------------------------- dense layer

class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dense_NoKeepdims(Layer_Dense):
    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0)  # BUG: no keepdims: shape (n,), the biases are (1, n)
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dense_Transposed(Layer_Dense):
    def backward(self, dvalues):
        self.dweights = np.dot(dvalues.T, self.inputs)  # BUG: the transpose of inputs.T @ dvalues
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


# ---------------------------------------------------------------- activations

class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()  # we're about to modify it
        self.dinputs[self.inputs <= 0] = 0


class Activation_ReLU_NoCopy(Activation_ReLU):
    def backward(self, dvalues):
        self.dinputs = dvalues  # BUG: no copy: the next line zeroes the caller's dvalues
        self.dinputs[self.inputs <= 0] = 0


class Activation_ReLU_MaskFromDvalues(Activation_ReLU):
    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[dvalues <= 0] = 0  # BUG: masks where the gradient is negative, not where the input was


class Activation_Softmax:
    def forward(self, inputs):
        self.inputs = inputs
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)

    def backward(self, dvalues):
        self.dinputs = np.empty_like(dvalues)
        for index, (single_output, single_dvalues) in enumerate(zip(self.output, dvalues)):
            single_output = single_output.reshape(-1, 1)
            jacobian_matrix = np.diagflat(single_output) - np.dot(single_output, single_output.T)
            self.dinputs[index] = np.dot(jacobian_matrix, single_dvalues)


class Activation_Softmax_Diagonal(Activation_Softmax):
    def backward(self, dvalues):
        self.dinputs = dvalues * self.output * (1 - self.output)  # BUG: the Jacobian's diagonal only


class Activation_Sigmoid:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output) * self.output


class Activation_Sigmoid_FromInputs(Activation_Sigmoid):
    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.inputs) * self.inputs  # BUG: sigmoid' from the inputs, not the output


class Layer_Dropout:
    def __init__(self, rate):
        self.rate = 1 - rate  # stored as the keep rate

    def forward(self, inputs):
        self.inputs = inputs
        self.binary_mask = np.random.binomial(1, self.rate, size=inputs.shape) / self.rate
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask


class Layer_Dropout_Unscaled(Layer_Dropout):
    def forward(self, inputs):
        self.inputs = inputs
        self.binary_mask = np.random.binomial(1, self.rate, size=inputs.shape)
        self.output = inputs * self.binary_mask / self.rate

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask  # BUG: forgets the 1 / keep-rate scale of the forward


# ---------------------------------------------------------------- losses

class Loss:
    def calculate(self, output, y):
        sample_losses = self.forward(output, y)
        return np.mean(sample_losses)


class Loss_CategoricalCrossentropy(Loss):
    def forward(self, y_pred, y_true):
        samples = len(y_pred)
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        if len(y_true.shape) == 1:
            correct_confidences = y_pred_clipped[range(samples), y_true]
        elif len(y_true.shape) == 2:
            correct_confidences = np.sum(y_pred_clipped * y_true, axis=1)
        return -np.log(correct_confidences)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        labels = len(dvalues[0])
        if len(y_true.shape) == 1:
            y_true = np.eye(labels)[y_true]
        self.dinputs = -y_true / dvalues
        self.dinputs = self.dinputs / samples  # the loss is the mean over the samples


class Loss_CategoricalCrossentropy_NoMean(Loss_CategoricalCrossentropy):
    def backward(self, dvalues, y_true):
        labels = len(dvalues[0])
        if len(y_true.shape) == 1:
            y_true = np.eye(labels)[y_true]
        self.dinputs = -y_true / dvalues  # BUG: not divided by the number of samples


class Activation_Softmax_Loss_CategoricalCrossentropy:
    def __init__(self):
        self.activation = Activation_Softmax()
        self.loss = Loss_CategoricalCrossentropy()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples


class Activation_Softmax_Loss_CategoricalCrossentropy_NoCopy(Activation_Softmax_Loss_CategoricalCrossentropy):
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues  # BUG: no copy: -= 1 below changes the predictions it was given
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples


class Activation_Softmax_Loss_CategoricalCrossentropy_NoMean(Activation_Softmax_Loss_CategoricalCrossentropy):
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1  # BUG: forgets / samples


class Loss_MeanSquaredError(Loss):
    def forward(self, y_pred, y_true):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        outputs = len(dvalues[0])
        self.dinputs = -2 * (y_true - dvalues) / outputs
        self.dinputs = self.dinputs / samples


class Loss_MeanSquaredError_NoOutputs(Loss_MeanSquaredError):
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        self.dinputs = -2 * (y_true - dvalues)  # BUG: forgets / outputs (the mean over each sample's outputs)
        self.dinputs = self.dinputs / samples


class Loss_BinaryCrossentropy(Loss):
    def forward(self, y_pred, y_true):
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        sample_losses = -(y_true * np.log(y_pred_clipped) + (1 - y_true) * np.log(1 - y_pred_clipped))
        return np.mean(sample_losses, axis=-1)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        outputs = len(dvalues[0])
        clipped_dvalues = np.clip(dvalues, 1e-7, 1 - 1e-7)
        self.dinputs = -(y_true / clipped_dvalues - (1 - y_true) / (1 - clipped_dvalues)) / outputs
        self.dinputs = self.dinputs / samples


class Loss_BinaryCrossentropy_Sign(Loss_BinaryCrossentropy):
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        outputs = len(dvalues[0])
        clipped_dvalues = np.clip(dvalues, 1e-7, 1 - 1e-7)
        self.dinputs = (y_true / clipped_dvalues - (1 - y_true) / (1 - clipped_dvalues)) / outputs  # BUG: sign lost
        self.dinputs = self.dinputs / samples


# ---------------------------------------------------------------- the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def activation(cls, *shape, **kwargs):
    return lambda rng: ((cls(**kwargs), normal(rng, *shape)), {})


def dense(cls, n_in=4, n_out=3, batch=5, dtype=np.float64):
    def make(rng):
        layer = cls(n_in, n_out)
        layer.weights = normal(rng, n_in, n_out).astype(dtype)  # instead of 0.01 * randn: a gradient of size 1
        layer.biases = normal(rng, 1, n_out).astype(dtype)
        return (layer, normal(rng, batch, n_in).astype(dtype)), {}
    return make


def dense_cli(cls, n_in=4, n_out=3, batch=5):
    return ("--layer", f"{{file}}:{cls.__name__}", "--kwargs", f'{{"n_inputs": {n_in}, "n_neurons": {n_out}}}',
            "--input-shape", f"{batch},{n_in}")


def cli(cls, shape, *extra):
    return ("--layer", f"{{file}}:{cls.__name__}", *extra, "--input-shape", shape)


def relu_zeros(rng):
    x = np.round(normal(rng, 5, 3))
    x[1, 1] = 0.0
    return (Activation_ReLU(), x), {}


def probabilities(rng, n, k):
    p = rng.uniform(0.1, 1.0, (n, k))
    return p / p.sum(axis=1, keepdims=True)  # rows of a softmax's output


def cce(cls, one_hot=False):
    def make(rng):
        y = rng.integers(0, 3, 5)
        return (cls(), probabilities(rng, 5, 3), np.eye(3)[y] if one_hot else y), {}
    return make


def softmax_cce(cls, one_hot=False):
    def make(rng):
        y = rng.integers(0, 3, 5)
        return (cls(), normal(rng, 5, 3), np.eye(3)[y] if one_hot else y), {}
    return make


def mse(cls):
    return lambda rng: ((cls(), normal(rng, 5, 2), normal(rng, 5, 2)), {})


def bce(cls):
    return lambda rng: ((cls(), rng.uniform(0.05, 0.95, (5, 2)), rng.integers(0, 2, (5, 2)).astype(float)), {})


DROPOUT_CLI = ("--kwargs", '{"rate": 0.3}')

CASES = [
    # --- correct
    Case("nnfs.Layer_Dense", "nnfs", "layer", dense(Layer_Dense), cli=dense_cli(Layer_Dense)),
    Case("nnfs.Layer_Dense.float32", "nnfs", "layer", dense(Layer_Dense, dtype=np.float32)),
    Case("nnfs.Activation_ReLU", "nnfs", "layer", activation(Activation_ReLU, 5, 3), cli=cli(Activation_ReLU, "5,3")),
    Case("nnfs.Activation_ReLU.exact_zeros", "nnfs", "layer", relu_zeros),
    Case("nnfs.Activation_Softmax", "nnfs", "layer", activation(Activation_Softmax, 5, 3),
         cli=cli(Activation_Softmax, "5,3")),
    Case("nnfs.Activation_Sigmoid", "nnfs", "layer", activation(Activation_Sigmoid, 5, 3),
         cli=cli(Activation_Sigmoid, "5,3")),
    Case("nnfs.Layer_Dropout", "nnfs", "layer", activation(Layer_Dropout, 6, 5, rate=0.3),
         cli=cli(Layer_Dropout, "6,5", *DROPOUT_CLI)),
    Case("nnfs.Loss_CategoricalCrossentropy", "nnfs", "layer", cce(Loss_CategoricalCrossentropy)),
    Case("nnfs.Loss_CategoricalCrossentropy.one_hot", "nnfs", "layer", cce(Loss_CategoricalCrossentropy, True)),
    Case("nnfs.Activation_Softmax_Loss_CategoricalCrossentropy", "nnfs", "layer",
         softmax_cce(Activation_Softmax_Loss_CategoricalCrossentropy)),
    Case("nnfs.Activation_Softmax_Loss_CategoricalCrossentropy.one_hot", "nnfs", "layer",
         softmax_cce(Activation_Softmax_Loss_CategoricalCrossentropy, True)),
    Case("nnfs.Loss_MeanSquaredError", "nnfs", "layer", mse(Loss_MeanSquaredError)),
    Case("nnfs.Loss_BinaryCrossentropy", "nnfs", "layer", bce(Loss_BinaryCrossentropy)),
    # --- buggy
    Case("nnfs.Layer_Dense.no_keepdims", "nnfs", "layer", dense(Layer_Dense_NoKeepdims),
         bug="dbiases summed without keepdims: shape (3,) for biases of shape (1, 3)", names=("shape",),
         cli=dense_cli(Layer_Dense_NoKeepdims)),
    Case("nnfs.Layer_Dense.transposed", "nnfs", "layer", dense(Layer_Dense_Transposed, 4, 4),
         bug="dweights = dvalues.T @ inputs: a square dW transposed", names=("transposed",),
         cli=dense_cli(Layer_Dense_Transposed, 4, 4)),
    Case("nnfs.Activation_ReLU.no_copy", "nnfs", "layer", activation(Activation_ReLU_NoCopy, 5, 3),
         bug="dinputs = dvalues without copy(): zeroes the caller's dvalues in place", names=("dout-modified",),
         cli=cli(Activation_ReLU_NoCopy, "5,3")),
    Case("nnfs.Activation_ReLU.mask_from_dvalues", "nnfs", "layer", activation(Activation_ReLU_MaskFromDvalues, 5, 3),
         bug="ReLU's mask taken from dvalues <= 0 instead of inputs <= 0", names=("known-mistake", "located"),
         cli=cli(Activation_ReLU_MaskFromDvalues, "5,3")),
    Case("nnfs.Activation_Softmax.diagonal", "nnfs", "layer", activation(Activation_Softmax_Diagonal, 5, 3),
         bug="softmax backward as dvalues * y * (1 - y), the Jacobian's diagonal", names=("known-mistake",),
         cli=cli(Activation_Softmax_Diagonal, "5,3")),
    Case("nnfs.Activation_Sigmoid.from_inputs", "nnfs", "layer", activation(Activation_Sigmoid_FromInputs, 5, 3),
         bug="sigmoid' computed from the inputs x * (1 - x) instead of the output", names=("known-mistake",),
         cli=cli(Activation_Sigmoid_FromInputs, "5,3")),
    Case("nnfs.Layer_Dropout.unscaled", "nnfs", "layer", activation(Layer_Dropout_Unscaled, 6, 5, rate=0.3),
         bug="inverted dropout whose backward forgets the 1 / (1 - rate) scale", names=("scaled",),
         cli=cli(Layer_Dropout_Unscaled, "6,5", *DROPOUT_CLI)),
    Case("nnfs.Loss_CategoricalCrossentropy.no_mean", "nnfs", "layer", cce(Loss_CategoricalCrossentropy_NoMean),
         bug="the loss is the mean over samples, dinputs not divided by the number of samples",
         names=("scaled", "batch")),
    Case("nnfs.Activation_Softmax_Loss_CategoricalCrossentropy.no_copy", "nnfs", "layer",
         softmax_cce(Activation_Softmax_Loss_CategoricalCrossentropy_NoCopy),
         bug="dinputs = dvalues without copy(): subtracts 1 from the predictions passed in",
         names=("dout-modified", "input-modified", "not-repeatable")),
    Case("nnfs.Activation_Softmax_Loss_CategoricalCrossentropy.no_mean", "nnfs", "layer",
         softmax_cce(Activation_Softmax_Loss_CategoricalCrossentropy_NoMean),
         bug="softmax + cross-entropy gradient not divided by the number of samples", names=("scaled", "batch")),
    Case("nnfs.Loss_MeanSquaredError.no_outputs", "nnfs", "layer", mse(Loss_MeanSquaredError_NoOutputs),
         bug="forgets dividing by the number of outputs: twice too large for 2 outputs", names=("scaled",)),
    Case("nnfs.Loss_BinaryCrossentropy.sign", "nnfs", "layer", bce(Loss_BinaryCrossentropy_Sign),
         bug="binary cross-entropy gradient with its sign flipped", names=("scaled",)),
]
