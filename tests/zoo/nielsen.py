"""Michael Nielsen's *Neural Networks and Deep Learning*, chapter 1's ``network.py``: a ``Network(sizes)`` with
``weights`` and ``biases`` lists (``weights[l]`` of shape (n_out, n_in), ``biases[l]`` a column (n_out, 1)),
``feedforward(a)`` on a column, ``backprop(x, y) -> (nabla_b, nabla_w)`` for one training example of the quadratic
cost 0.5 * ||a - y||^2 (``cost_derivative`` returns a - y); ``update_mini_batch`` sums the nablas over the batch.
A learner who did chapter 2's exercise writes a "fully matrix-based" backprop over all columns at once.

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

import json

import numpy as np

from .case import Case


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class Network:
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def cost_derivative(self, output_activations, y):
        return (output_activations - y)


class NetworkSigmoidPrimeOfActivation(Network):
    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            sp = sigmoid_prime(activations[-l])  # BUG: sigmoid_prime of the activation, not of z
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class NetworkCostDerivativeSign(Network):
    def cost_derivative(self, output_activations, y):
        return (y - output_activations)  # BUG: the sign: dC/da of 0.5 ||a - y||^2 is a - y


class NetworkMatrix(Network):
    """Chapter 2's exercise: backprop over a matrix x of shape (n_in, m), every column a training example."""

    def backprop(self, x, y):
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta.sum(axis=1, keepdims=True)
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta.sum(axis=1, keepdims=True)
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class NetworkMatrixNoKeepdims(NetworkMatrix):
    def backprop(self, x, y):
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta.sum(axis=1)  # BUG: no keepdims: shape (n,) for biases of shape (n, 1)
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta.sum(axis=1)
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


# ---------------------------------------------------------------- the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def net(cls, sizes=(4, 5, 3), m=1):
    def make(rng):
        network = cls(list(sizes))
        network.weights = [normal(rng, *w.shape) for w in network.weights]
        network.biases = [normal(rng, *b.shape) for b in network.biases]
        x = normal(rng, sizes[0], m)
        y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], m)]  # one-hot columns, as the book's MNIST loader
        return (network, x, y), {}
    return make


def cli(cls, m=1, sizes=(4, 5, 3)):
    return ("--net", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps({"sizes": list(sizes)}),
            "--input-shape", f"{sizes[0]},{m}", "--targets", "onehot")


S = "nielsen"
CASES = [
    # --- correct
    Case("nielsen.Network", S, "network", net(Network), cli=cli(Network)),
    Case("nielsen.Network.mini_batch", S, "network", net(Network, m=3)),
    Case("nielsen.NetworkMatrix", S, "network", net(NetworkMatrix, (3, 4, 4, 2), m=4), cli=cli(NetworkMatrix, 4)),
    # --- buggy
    Case("nielsen.Network.sigmoid_prime_of_activation", S, "network",
         net(NetworkSigmoidPrimeOfActivation, (3, 4, 4, 2)),
         bug="the hidden layers' sigmoid_prime taken of the activations instead of z",
         names=("known-mistake", "layer")),
    Case("nielsen.Network.cost_derivative_sign", S, "network", net(NetworkCostDerivativeSign, m=2),
         bug="cost_derivative returns y - a: every nabla has its sign flipped", names=("scaled",),
         cli=cli(NetworkCostDerivativeSign)),
    Case("nielsen.NetworkMatrix.no_keepdims", S, "network", net(NetworkMatrixNoKeepdims, m=4),
         bug="nabla_b summed over the columns without keepdims: shape (n,) for biases of shape (n, 1)",
         names=("shape",), cli=cli(NetworkMatrixNoKeepdims, 4)),
]
