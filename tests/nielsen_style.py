"""Networks in the style of Nielsen's *Neural Networks and Deep Learning* (network.py and network2.py), written
for nngrad's tests: samples are columns, backprop(x, y) takes one sample and returns (nabla_b, nabla_w). Each
buggy twin carries one mistake learners make. Initialised from their own generator (seed), never numpy's global
one."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1.0 - s)


class Network:
    """network.py: the quadratic cost, whose derivative cost_derivative returns."""

    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.num_layers, self.sizes = len(sizes), list(sizes)
        self.biases = [rng.standard_normal((n, 1)) for n in sizes[1:]]
        self.weights = [rng.standard_normal((n, k)) for k, n in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(w @ a + b)
        return a

    def prime(self, z):
        return sigmoid_prime(z)

    def output_delta(self, z, a, y):
        return self.cost_derivative(a, y) * self.prime(z)

    def outer(self, delta, a_prev):
        return delta @ a_prev.T

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.output_delta(zs[-1], activations[-1], y)
        nabla_b[-1], nabla_w[-1] = delta, self.outer(delta, activations[-2])
        for l in range(2, self.num_layers):
            delta = (self.weights[-l + 1].T @ delta) * self.prime(zs[-l])
            nabla_b[-l], nabla_w[-l] = delta, self.outer(delta, activations[-l - 1])
        return nabla_b, nabla_w

    def cost_derivative(self, output_activations, y):
        return output_activations - y


class WrongSigmoidPrime(Network):
    def prime(self, z):
        return z * (1.0 - z)  # BUG: the derivative taken of z, as if z were the sigmoid's output


class TransposedNablaW(Network):
    def outer(self, delta, a_prev):
        return a_prev @ delta.T  # BUG: (n_in, n_out), the transpose of the weights' shape


class QuadraticCost:
    @staticmethod
    def fn(a, y):
        return 0.5 * np.linalg.norm(a - y) ** 2

    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    @staticmethod
    def fn(a, y):
        return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    @staticmethod
    def delta(z, a, y):
        return a - y


class CrossEntropyWrongDelta(CrossEntropyCost):
    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)  # BUG: the quadratic cost's delta for the cross-entropy


class Network2(Network):
    """network2.py: a cost class with fn and delta; weights scaled by 1/sqrt(n_in)."""

    def __init__(self, sizes, cost=CrossEntropyCost, seed=0):
        super().__init__(sizes, seed)
        self.weights = [w / np.sqrt(w.shape[1]) for w in self.weights]
        self.cost = cost

    def output_delta(self, z, a, y):
        return self.cost.delta(z, a, y)


class Network2WrongDelta(Network2):
    def __init__(self, sizes, seed=0):
        super().__init__(sizes, CrossEntropyWrongDelta, seed)
