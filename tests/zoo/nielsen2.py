"""Nielsen's chapter 3 ``network2.py``: the cost is a class with static ``fn(a, y)`` and ``delta(z, a, y)``
(``QuadraticCost``, ``CrossEntropyCost``), ``Network(sizes, cost=CrossEntropyCost)`` with
``default_weight_initializer`` (weights / sqrt(n_in)); ``backprop(x, y)`` starts from ``self.cost.delta``.

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

import json

import numpy as np

from .case import Case


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


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
        return (a - y)


class CrossEntropyCostQuadraticDelta(CrossEntropyCost):
    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)  # BUG: the quadratic cost's delta; cross-entropy's sigma' cancels


class QuadraticCostNoPrime(QuadraticCost):
    @staticmethod
    def delta(z, a, y):
        return (a - y)  # BUG: forgets sigmoid_prime(z): that is cross-entropy's delta, not the quadratic cost's


class Network:
    def __init__(self, sizes, cost=CrossEntropyCost):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.default_weight_initializer()
        self.cost = cost

    def default_weight_initializer(self):
        self.biases = [np.random.randn(y, 1) for y in self.sizes[1:]]
        self.weights = [np.random.randn(y, x) / np.sqrt(x) for x, y in zip(self.sizes[:-1], self.sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

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
        delta = (self.cost).delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)


class NetworkQuadratic(Network):
    def __init__(self, sizes, cost=QuadraticCost):
        super().__init__(sizes, cost)


class NetworkMismatchedDelta(Network):
    def __init__(self, sizes, cost=CrossEntropyCostQuadraticDelta):
        super().__init__(sizes, cost)


class NetworkQuadraticNoPrime(Network):
    def __init__(self, sizes, cost=QuadraticCostNoPrime):
        super().__init__(sizes, cost)


# ---------------------------------------------------------------- the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def net(cls, cost=None, sizes=(4, 5, 3), m=1):
    def make(rng):
        network = cls(list(sizes)) if cost is None else cls(list(sizes), cost=cost)
        network.weights = [normal(rng, *w.shape) for w in network.weights]
        network.biases = [normal(rng, *b.shape) for b in network.biases]
        x = normal(rng, sizes[0], m)
        y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], m)]
        return (network, x, y), {}
    return make


def cli(cls, m=1, sizes=(4, 5, 3)):
    return ("--net", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps({"sizes": list(sizes)}),
            "--input-shape", f"{sizes[0]},{m}", "--targets", "onehot")


S = "nielsen2"
CASES = [
    # --- correct
    Case("nielsen2.Network.cross_entropy", S, "network", net(Network), cli=cli(Network)),
    Case("nielsen2.Network.quadratic", S, "network", net(Network, QuadraticCost, m=3), cli=cli(NetworkQuadratic, 3)),
    # --- buggy
    Case("nielsen2.Network.mismatched_delta", S, "network", net(Network, CrossEntropyCostQuadraticDelta, m=2),
         bug="CrossEntropyCost.delta returns (a - y) * sigmoid_prime(z): the quadratic cost's delta",
         names=("known-mistake", "layer", "located"), cli=cli(NetworkMismatchedDelta, 2)),
    Case("nielsen2.Network.quadratic_no_prime", S, "network", net(NetworkQuadraticNoPrime, sizes=(3, 4, 2)),
         bug="QuadraticCost.delta forgets sigmoid_prime(z)", names=("known-mistake", "layer", "located"),
         cli=cli(NetworkQuadraticNoPrime, 1, (3, 4, 2))),
]
