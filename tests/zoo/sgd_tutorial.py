"""Two tutorial styles whose backward takes the SGD step itself and returns only the input's gradient:

- row batches, ``backward(input, grad_output)``: the layer is handed its input again and steps with its own
  ``self.learning_rate`` (``Dense``, ``ReLU``, ``Sigmoid``);
- column vectors, ``backward(output_gradient, learning_rate)``: ``DenseLayer`` keeps its input, ``Activation``
  takes a function and its derivative (``Tanh``, ``SigmoidActivation``), ``Softmax`` multiplies by its Jacobian.

The step reveals the parameters' gradient: dW = -(W_after - W_before) / learning_rate.
A buggy variant subclasses the correct class and rewrites the one piece a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case

# ---------------------------------------------------------------- row batches: backward(input, grad_output)

class Layer:
    """A layer does nothing by default: the output is the input."""

    def forward(self, input):
        return input

    def backward(self, input, grad_output):
        num_units = input.shape[1]
        d_layer_d_input = np.eye(num_units)
        return np.dot(grad_output, d_layer_d_input)  # chain rule


class ReLU(Layer):
    def forward(self, input):
        return np.maximum(0, input)

    def backward(self, input, grad_output):
        relu_grad = input > 0
        return grad_output * relu_grad


class Sigmoid(Layer):
    def forward(self, input):
        return 1 / (1 + np.exp(-input))

    def backward(self, input, grad_output):
        s = 1 / (1 + np.exp(-input))
        return grad_output * s * (1 - s)


class SigmoidFromInput(Sigmoid):
    def backward(self, input, grad_output):
        return grad_output * input * (1 - input)  # BUG: s * (1 - s) evaluated at the input instead of at s


class Dense(Layer):
    def __init__(self, input_units, output_units, learning_rate=0.1):
        self.learning_rate = learning_rate
        self.weights = np.random.normal(loc=0.0, scale=np.sqrt(2 / (input_units + output_units)),
                                        size=(input_units, output_units))
        self.biases = np.zeros(output_units)

    def forward(self, input):
        return np.dot(input, self.weights) + self.biases

    def backward(self, input, grad_output):
        grad_input = np.dot(grad_output, self.weights.T)
        grad_weights = np.dot(input.T, grad_output)
        grad_biases = grad_output.sum(axis=0)
        assert grad_weights.shape == self.weights.shape and grad_biases.shape == self.biases.shape
        self.weights = self.weights - self.learning_rate * grad_weights
        self.biases = self.biases - self.learning_rate * grad_biases
        return grad_input


class DenseStepFirst(Dense):
    def backward(self, input, grad_output):
        grad_weights = np.dot(input.T, grad_output)
        grad_biases = grad_output.sum(axis=0)
        self.weights = self.weights - self.learning_rate * grad_weights
        self.biases = self.biases - self.learning_rate * grad_biases
        grad_input = np.dot(grad_output, self.weights.T)  # BUG: computed with the already-updated weights
        return grad_input


class DenseBiasMean(Dense):
    def backward(self, input, grad_output):
        grad_input = np.dot(grad_output, self.weights.T)
        grad_weights = np.dot(input.T, grad_output)
        grad_biases = grad_output.mean(axis=0)  # BUG: the mean over the batch; grad_weights is a sum
        self.weights = self.weights - self.learning_rate * grad_weights
        self.biases = self.biases - self.learning_rate * grad_biases
        return grad_input


class DenseNoTranspose(Dense):
    def backward(self, input, grad_output):
        grad_input = np.dot(grad_output, self.weights)  # BUG: should be weights.T (runs only with square weights)
        grad_weights = np.dot(input.T, grad_output)
        grad_biases = grad_output.sum(axis=0)
        self.weights = self.weights - self.learning_rate * grad_weights
        self.biases = self.biases - self.learning_rate * grad_biases
        return grad_input


# ---------------------------------------------------------------- columns: backward(output_gradient, learning_rate)

class BaseLayer:
    def __init__(self):
        self.input = None
        self.output = None

    def forward(self, input):
        raise NotImplementedError

    def backward(self, output_gradient, learning_rate):
        raise NotImplementedError


class DenseLayer(BaseLayer):
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(output_size, input_size)
        self.bias = np.random.randn(output_size, 1)

    def forward(self, input):
        self.input = input
        return np.dot(self.weights, self.input) + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = np.dot(output_gradient, self.input.T)
        input_gradient = np.dot(self.weights.T, output_gradient)
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient
        return input_gradient


class DenseLayerStepFirst(DenseLayer):
    def backward(self, output_gradient, learning_rate):
        weights_gradient = np.dot(output_gradient, self.input.T)
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient
        return np.dot(self.weights.T, output_gradient)  # BUG: the input gradient uses the updated weights


class DenseLayerBatchMean(DenseLayer):
    """Extended to a batch of columns (input_size, batch)."""

    def backward(self, output_gradient, learning_rate):
        weights_gradient = np.dot(output_gradient, self.input.T)
        input_gradient = np.dot(self.weights.T, output_gradient)
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * np.mean(output_gradient, axis=1, keepdims=True)  # BUG: mean, the loss is a sum
        return input_gradient


class Activation(BaseLayer):
    def __init__(self, activation, activation_prime):
        self.activation = activation
        self.activation_prime = activation_prime

    def forward(self, input):
        self.input = input
        return self.activation(self.input)

    def backward(self, output_gradient, learning_rate):
        return np.multiply(output_gradient, self.activation_prime(self.input))


class Tanh(Activation):
    def __init__(self):
        def tanh(x):
            return np.tanh(x)

        def tanh_prime(x):
            return 1 - np.tanh(x) ** 2

        super().__init__(tanh, tanh_prime)


class TanhOneMinusY(Activation):
    def __init__(self):
        def tanh(x):
            return np.tanh(x)

        def tanh_prime(x):
            return 1 - np.tanh(x)  # BUG: 1 - tanh(x) instead of 1 - tanh(x)**2

        super().__init__(tanh, tanh_prime)


class SigmoidActivation(Activation):
    def __init__(self):
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))

        def sigmoid_prime(x):
            s = sigmoid(x)
            return s * (1 - s)

        super().__init__(sigmoid, sigmoid_prime)


class SigmoidActivationFromInput(Activation):
    def __init__(self):
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))

        def sigmoid_prime(x):
            return x * (1 - x)  # BUG: the formula s * (1 - s) applied to x instead of s = sigmoid(x)

        super().__init__(sigmoid, sigmoid_prime)


class Softmax(BaseLayer):
    def forward(self, input):
        tmp = np.exp(input)
        self.output = tmp / np.sum(tmp)
        return self.output

    def backward(self, output_gradient, learning_rate):
        n = np.size(self.output)
        return np.dot((np.identity(n) - self.output.T) * self.output, output_gradient)


class SoftmaxDiagonal(Softmax):
    def backward(self, output_gradient, learning_rate):
        return output_gradient * self.output * (1 - self.output)  # BUG: the Jacobian's diagonal only


# ---------------------------------------------------------------- the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def activation(cls, *shape):
    return lambda rng: ((cls(), normal(rng, *shape)), {})


def dense(cls, n_in=4, n_out=3, batch=5):
    def make(rng):
        layer = cls(n_in, n_out)
        layer.weights = normal(rng, n_in, n_out)
        layer.biases = normal(rng, n_out)
        return (layer, normal(rng, batch, n_in)), {}
    return make


def dense_column(cls, n_in=4, n_out=3, batch=1):
    def make(rng):
        layer = cls(n_in, n_out)
        layer.weights = normal(rng, n_out, n_in)
        layer.bias = normal(rng, n_out, 1)
        return (layer, normal(rng, n_in, batch)), {}
    return make


def relu_zeros(rng):
    x = np.round(normal(rng, 5, 3))
    x[2, 0] = 0.0
    return (ReLU(), x), {}


def cli(cls, shape, kwargs=None):
    extra = ("--kwargs", kwargs) if kwargs else ()
    return ("--layer", f"{{file}}:{cls.__name__}", *extra, "--input-shape", shape)


def dense_cli(cls, n_in=4, n_out=3, batch=5):
    return cli(cls, f"{batch},{n_in}", f'{{"input_units": {n_in}, "output_units": {n_out}}}')


def column_cli(cls, n_in=4, n_out=3, batch=1):
    return cli(cls, f"{n_in},{batch}", f'{{"input_size": {n_in}, "output_size": {n_out}}}')


S = "sgd-tutorial"
CASES = [
    # --- correct
    Case("sgd_tutorial.Dense", S, "layer", dense(Dense), cli=dense_cli(Dense)),
    Case("sgd_tutorial.ReLU", S, "layer", activation(ReLU, 5, 3), cli=cli(ReLU, "5,3")),
    Case("sgd_tutorial.ReLU.exact_zeros", S, "layer", relu_zeros),
    Case("sgd_tutorial.Sigmoid", S, "layer", activation(Sigmoid, 5, 3), cli=cli(Sigmoid, "5,3")),
    Case("sgd_tutorial.DenseLayer", S, "layer", dense_column(DenseLayer), cli=column_cli(DenseLayer)),
    Case("sgd_tutorial.Tanh", S, "layer", activation(Tanh, 3, 5), cli=cli(Tanh, "3,5")),
    Case("sgd_tutorial.SigmoidActivation", S, "layer", activation(SigmoidActivation, 3, 5),
         cli=cli(SigmoidActivation, "3,5")),
    Case("sgd_tutorial.Softmax", S, "layer", activation(Softmax, 4, 1), cli=cli(Softmax, "4,1")),
    # --- buggy
    Case("sgd_tutorial.Dense.step_first", S, "layer", dense(DenseStepFirst),
         bug="updates the weights first, then computes grad_input with the updated weights",
         names=("updated-weights",), cli=dense_cli(DenseStepFirst)),
    Case("sgd_tutorial.Dense.bias_mean", S, "layer", dense(DenseBiasMean),
         bug="grad_biases is the batch mean while grad_weights is the batch sum", names=("batch", "scaled"),
         cli=dense_cli(DenseBiasMean)),
    Case("sgd_tutorial.Dense.no_transpose", S, "layer", dense(DenseNoTranspose, 4, 4),
         bug="grad_input = grad_output @ weights instead of weights.T (square weights)", names=("transposed", "known-mistake"),
         cli=dense_cli(DenseNoTranspose, 4, 4)),
    Case("sgd_tutorial.Sigmoid.from_input", S, "layer", activation(SigmoidFromInput, 5, 3),
         bug="sigmoid' as input * (1 - input)", names=("known-mistake",), cli=cli(SigmoidFromInput, "5,3")),
    Case("sgd_tutorial.DenseLayer.step_first", S, "layer", dense_column(DenseLayerStepFirst),
         bug="updates the weights first, then the input gradient with the updated weights",
         names=("updated-weights",), cli=column_cli(DenseLayerStepFirst)),
    Case("sgd_tutorial.DenseLayer.batch_mean", S, "layer", dense_column(DenseLayerBatchMean, batch=5),
         bug="with a batch of columns the bias step uses the mean of the output gradient: right for batch 1 only",
         names=("batch", "scaled"), cli=column_cli(DenseLayerBatchMean, batch=5)),
    Case("sgd_tutorial.Tanh.one_minus_y", S, "layer", activation(TanhOneMinusY, 3, 5),
         bug="tanh' as 1 - tanh(x)", names=("known-mistake",), cli=cli(TanhOneMinusY, "3,5")),
    Case("sgd_tutorial.SigmoidActivation.from_input", S, "layer", activation(SigmoidActivationFromInput, 3, 5),
         bug="sigmoid' as x * (1 - x) on the input", names=("known-mistake",),
         cli=cli(SigmoidActivationFromInput, "3,5")),
    Case("sgd_tutorial.Softmax.diagonal", S, "layer", activation(SoftmaxDiagonal, 4, 1),
         bug="softmax backward with the Jacobian's diagonal only", names=("known-mistake",),
         cli=cli(SoftmaxDiagonal, "4,1")),
]
