"""The full model of *Neural Networks from Scratch* (Kinsley and Kukiela), as it stands at the end of the book
(chapters 18-22): layers that take ``forward(inputs, training)``, a ``Model`` with a list of layers, ``add``,
``set(loss=..., optimizer=..., accuracy=...)`` and ``finalize()`` linking each layer's ``prev`` and ``next`` and
replacing a final softmax with cross-entropy by the combined ``Activation_Softmax_Loss_CategoricalCrossentropy``
in ``backward(output, y)``; regularisers L1 and L2 on weights and biases, whose loss
``loss.calculate(output, y, include_regularization=True) -> (data_loss, regularization_loss)`` adds. Parameters
live in each Dense layer's ``weights`` (n_in, n_out) and ``biases`` (1, n_out), gradients in ``dweights``,
``dbiases``. A training step of the book: ``output = model.forward(X, training=True)``, ``data_loss, reg_loss =
model.loss.calculate(output, y, include_regularization=True)``, ``model.backward(output, y)``.

The learner builds a model in a class of its own (``SpiralClassifier(n_inputs=2, n_hidden=8, n_classes=3)``)
whose ``__init__`` adds the layers, sets the loss and finalises.

A buggy variant subclasses the class with the one method a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


class Layer_Input:
    def forward(self, inputs, training):
        self.output = inputs


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons, weight_regularizer_l1=0, weight_regularizer_l2=0,
                 bias_regularizer_l1=0, bias_regularizer_l2=0):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))
        self.weight_regularizer_l1 = weight_regularizer_l1
        self.weight_regularizer_l2 = weight_regularizer_l2
        self.bias_regularizer_l1 = bias_regularizer_l1
        self.bias_regularizer_l2 = bias_regularizer_l2

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l1 > 0:
            dL1 = np.ones_like(self.weights)
            dL1[self.weights < 0] = -1
            self.dweights += self.weight_regularizer_l1 * dL1
        if self.weight_regularizer_l2 > 0:
            self.dweights += 2 * self.weight_regularizer_l2 * self.weights
        if self.bias_regularizer_l1 > 0:
            dL1 = np.ones_like(self.biases)
            dL1[self.biases < 0] = -1
            self.dbiases += self.bias_regularizer_l1 * dL1
        if self.bias_regularizer_l2 > 0:
            self.dbiases += 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dense_L2NoTwo(Layer_Dense):
    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l2 > 0:
            self.dweights += self.weight_regularizer_l2 * self.weights  # BUG: d(l2 * w^2)/dw is 2 * l2 * w
        if self.bias_regularizer_l2 > 0:
            self.dbiases += 2 * self.bias_regularizer_l2 * self.biases
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dense_L1NoNegative(Layer_Dense):
    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        if self.weight_regularizer_l1 > 0:
            dL1 = np.ones_like(self.weights)  # BUG: the line dL1[self.weights < 0] = -1 is missing: +1 everywhere
            self.dweights += self.weight_regularizer_l1 * dL1
        self.dinputs = np.dot(dvalues, self.weights.T)


class Layer_Dropout:
    def __init__(self, rate):
        self.rate = 1 - rate

    def forward(self, inputs, training):
        self.inputs = inputs
        if not training:
            self.output = inputs.copy()
            return
        self.binary_mask = np.random.binomial(1, self.rate, size=inputs.shape) / self.rate
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask


class Activation_ReLU:
    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0

    def predictions(self, outputs):
        return outputs


class Activation_Softmax:
    def forward(self, inputs, training):
        self.inputs = inputs
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)

    def backward(self, dvalues):
        self.dinputs = np.empty_like(dvalues)
        for index, (single_output, single_dvalues) in enumerate(zip(self.output, dvalues)):
            single_output = single_output.reshape(-1, 1)
            jacobian_matrix = np.diagflat(single_output) - np.dot(single_output, single_output.T)
            self.dinputs[index] = np.dot(jacobian_matrix, single_dvalues)

    def predictions(self, outputs):
        return np.argmax(outputs, axis=1)


class Activation_Linear:
    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = inputs

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()

    def predictions(self, outputs):
        return outputs


class Loss:
    def regularization_loss(self):
        regularization_loss = 0
        for layer in self.trainable_layers:
            if layer.weight_regularizer_l1 > 0:
                regularization_loss += layer.weight_regularizer_l1 * np.sum(np.abs(layer.weights))
            if layer.weight_regularizer_l2 > 0:
                regularization_loss += layer.weight_regularizer_l2 * np.sum(layer.weights * layer.weights)
            if layer.bias_regularizer_l1 > 0:
                regularization_loss += layer.bias_regularizer_l1 * np.sum(np.abs(layer.biases))
            if layer.bias_regularizer_l2 > 0:
                regularization_loss += layer.bias_regularizer_l2 * np.sum(layer.biases * layer.biases)
        return regularization_loss

    def remember_trainable_layers(self, trainable_layers):
        self.trainable_layers = trainable_layers

    def calculate(self, output, y, *, include_regularization=False):
        sample_losses = self.forward(output, y)
        data_loss = np.mean(sample_losses)
        if not include_regularization:
            return data_loss
        return data_loss, self.regularization_loss()


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
        self.dinputs = self.dinputs / samples


class Loss_CategoricalCrossentropy_BiasCopyPaste(Loss_CategoricalCrossentropy):
    def regularization_loss(self):
        regularization_loss = 0
        for layer in self.trainable_layers:
            if layer.weight_regularizer_l2 > 0:
                regularization_loss += layer.weight_regularizer_l2 * np.sum(layer.weights * layer.weights)
            if layer.bias_regularizer_l2 > 0:
                regularization_loss += layer.bias_regularizer_l2 * np.sum(layer.weights * layer.weights)  # BUG: weights
        return regularization_loss


class Loss_MeanSquaredError(Loss):
    def forward(self, y_pred, y_true):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        outputs = len(dvalues[0])
        self.dinputs = -2 * (y_true - dvalues) / outputs
        self.dinputs = self.dinputs / samples


class Activation_Softmax_Loss_CategoricalCrossentropy:
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples


class Activation_Softmax_Loss_CategoricalCrossentropy_ByClasses(Activation_Softmax_Loss_CategoricalCrossentropy):
    def backward(self, dvalues, y_true):
        samples = len(dvalues[0])  # BUG: len(dvalues[0]) is the number of classes, not of samples
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(len(dvalues)), y_true] -= 1
        self.dinputs = self.dinputs / samples


class Optimizer_SGD:
    def __init__(self, learning_rate=1.0, decay=0.0, momentum=0.0):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0
        self.momentum = momentum

    def update_params(self, layer):
        layer.weights += -self.current_learning_rate * layer.dweights
        layer.biases += -self.current_learning_rate * layer.dbiases


class Model:
    combined = Activation_Softmax_Loss_CategoricalCrossentropy

    def __init__(self):
        self.layers = []
        self.softmax_classifier_output = None

    def add(self, layer):
        self.layers.append(layer)

    def set(self, *, loss, optimizer, accuracy=None):
        self.loss = loss
        self.optimizer = optimizer
        self.accuracy = accuracy

    def finalize(self):
        self.input_layer = Layer_Input()
        layer_count = len(self.layers)
        self.trainable_layers = []
        for i in range(layer_count):
            if i == 0:
                self.layers[i].prev = self.input_layer
                self.layers[i].next = self.layers[i + 1]
            elif i < layer_count - 1:
                self.layers[i].prev = self.layers[i - 1]
                self.layers[i].next = self.layers[i + 1]
            else:
                self.layers[i].prev = self.layers[i - 1]
                self.layers[i].next = self.loss
                self.output_layer_activation = self.layers[i]
            if hasattr(self.layers[i], "weights"):
                self.trainable_layers.append(self.layers[i])
        self.loss.remember_trainable_layers(self.trainable_layers)
        if isinstance(self.layers[-1], Activation_Softmax) and isinstance(self.loss, Loss_CategoricalCrossentropy):
            self.softmax_classifier_output = self.combined()

    def forward(self, X, training):
        self.input_layer.forward(X, training)
        for layer in self.layers:
            layer.forward(layer.prev.output, training)
        return layer.output

    def backward(self, output, y):
        if self.softmax_classifier_output is not None:
            self.softmax_classifier_output.backward(output, y)
            self.layers[-1].dinputs = self.softmax_classifier_output.dinputs
            for layer in reversed(self.layers[:-1]):
                layer.backward(layer.next.dinputs)
            return
        self.loss.backward(output, y)
        for layer in reversed(self.layers):
            layer.backward(layer.next.dinputs)

    def train(self, X, y, *, epochs=1, print_every=1):
        for epoch in range(1, epochs + 1):
            output = self.forward(X, training=True)
            data_loss, regularization_loss = self.loss.calculate(output, y, include_regularization=True)
            self.backward(output, y)
            for layer in self.trainable_layers:
                self.optimizer.update_params(layer)


# ---------------------------------------------------------------- the learner's models

class SpiralClassifier(Model):
    """Dense - ReLU - Dense - Softmax with categorical cross-entropy, L1/L2 regularisers on both Dense layers."""
    dense = Layer_Dense
    loss_class = Loss_CategoricalCrossentropy

    def __init__(self, n_inputs=2, n_hidden=8, n_classes=3, l1=0.0, l2=0.0, bias_l1=0.0, dropout=0.0):
        super().__init__()
        reg = {"weight_regularizer_l1": l1, "weight_regularizer_l2": l2, "bias_regularizer_l1": bias_l1,
               "bias_regularizer_l2": l2}
        self.add(self.dense(n_inputs, n_hidden, **reg))
        self.add(Activation_ReLU())
        if dropout > 0:
            self.add(Layer_Dropout(dropout))
        self.add(self.dense(n_hidden, n_classes, **reg))
        self.add(Activation_Softmax())
        self.set(loss=self.loss_class(), optimizer=Optimizer_SGD(learning_rate=0.5))
        self.finalize()


class SpiralClassifierL2NoTwo(SpiralClassifier):
    dense = Layer_Dense_L2NoTwo


class SpiralClassifierL1NoNegative(SpiralClassifier):
    dense = Layer_Dense_L1NoNegative


class SpiralClassifierBiasCopyPaste(SpiralClassifier):
    loss_class = Loss_CategoricalCrossentropy_BiasCopyPaste


class SpiralClassifierByClasses(SpiralClassifier):
    combined = Activation_Softmax_Loss_CategoricalCrossentropy_ByClasses


class SineRegressor(Model):
    """Dense - ReLU - Dense - ReLU - Dense - Linear with mean squared error (the book's sine data)."""

    def __init__(self, n_inputs=1, n_hidden=8, n_outputs=1):
        super().__init__()
        self.add(Layer_Dense(n_inputs, n_hidden))
        self.add(Activation_ReLU())
        self.add(Layer_Dense(n_hidden, n_hidden))
        self.add(Activation_ReLU())
        self.add(Layer_Dense(n_hidden, n_outputs))
        self.add(Activation_Linear())
        self.set(loss=Loss_MeanSquaredError(), optimizer=Optimizer_SGD(learning_rate=0.05))
        self.finalize()


# ---------------------------------------------------------------- the cases

def model(cls, N=6, targets="labels", **kwargs):
    """The model built as the learner builds it, its Dense weights then redrawn N(0, 0.5^2) (the book's 0.01 * randn
    makes every gradient tiny); X (N, n_inputs), y integer labels (or float targets for the regressor)."""
    def make(rng):
        np.random.seed(int(rng.integers(2 ** 31)))
        net = cls(**kwargs)
        for layer in net.trainable_layers:
            layer.weights = 0.5 * rng.standard_normal(layer.weights.shape)
            if not kwargs.get("bias_l1"):  # the L1-on-zero-biases case keeps the book's zero biases
                layer.biases = 0.1 * rng.standard_normal(layer.biases.shape)
        n_in = net.trainable_layers[0].weights.shape[0]
        X = rng.standard_normal((N, n_in))
        if targets == "labels":
            y = rng.integers(0, net.trainable_layers[-1].weights.shape[1], N)
        else:
            y = rng.standard_normal((N, net.trainable_layers[-1].weights.shape[1]))
        return (net, X, y), {}
    return make


def cli(cls, input_shape="6,2", classes=3, **kwargs):
    import json

    args = ("--net", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps(kwargs), "--input-shape", input_shape)
    return args + ("--classes", str(classes)) if classes else args


S = "nnfs-model"
REG = {"l2": 0.05}
CASES = [
    # --- correct
    Case("r3_nnfs_model.SpiralClassifier", S, "network", model(SpiralClassifier), cli=cli(SpiralClassifier)),
    Case("r3_nnfs_model.SpiralClassifier.l2", S, "network", model(SpiralClassifier, **REG),
         cli=cli(SpiralClassifier, **REG)),
    Case("r3_nnfs_model.SpiralClassifier.l1_on_zero_biases", S, "network",
         model(SpiralClassifier, l1=0.01, bias_l1=0.05), cli=cli(SpiralClassifier, l1=0.01, bias_l1=0.05)),
    Case("r3_nnfs_model.SpiralClassifier.dropout", S, "network", model(SpiralClassifier, dropout=0.2)),
    Case("r3_nnfs_model.SineRegressor", S, "network", model(SineRegressor, targets="floats")),
    # --- buggy
    Case("r3_nnfs_model.SpiralClassifier.l2_no_two", S, "network", model(SpiralClassifierL2NoTwo, **REG),
         bug="the weights' L2 gradient is l2 * w where the loss l2 * sum(w^2) gives 2 * l2 * w",
         names=("regularization",), cli=cli(SpiralClassifierL2NoTwo, **REG)),
    Case("r3_nnfs_model.SpiralClassifier.l1_no_negative", S, "network", model(SpiralClassifierL1NoNegative, l1=0.05),
         bug="the L1 subgradient is +1 everywhere (dL1[w < 0] = -1 missing): wrong where a weight is negative",
         names=("regularization", "decay-part", "located"), cli=cli(SpiralClassifierL1NoNegative, l1=0.05)),
    Case("r3_nnfs_model.SpiralClassifier.bias_reg_copy_paste", S, "network",
         model(SpiralClassifierBiasCopyPaste, **REG),
         bug="the loss's bias L2 term sums the weights squared (copy-paste): dweights miss it, dbiases decay a "
             "term the loss lacks", names=("regularization", "decay-part"),
         cli=cli(SpiralClassifierBiasCopyPaste, **REG)),
    Case("r3_nnfs_model.SpiralClassifier.divides_by_classes", S, "network",
         model(SpiralClassifierByClasses, N=6),
         bug="the combined softmax/cross-entropy backward divides by len(dvalues[0]) (the classes, 3) instead of "
             "the samples (6): every gradient twice too large", names=("scaled",),
         cli=cli(SpiralClassifierByClasses)),
]
