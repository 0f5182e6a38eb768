"""A network written without layer objects (Nielsen's lists, the specialisation's functions): the wrong derivative
rule is named in words, with its layer in the style's names (nngrad.check.stack), for tanh and sigmoid networks."""

import numpy as np
import pytest

import nngrad


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


ACT = {"sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
       "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2)}


class BookNet:
    """Nielsen's network.py with its hidden activation chosen (the output a sigmoid, the quadratic cost);
    ``hidden_prime_of`` says what the hidden layers' derivative is taken of ("z": right, "a": the activation),
    ``output_prime``: whether the output's delta has sigmoid'(z)."""

    def __init__(self, sizes, hidden="tanh", hidden_prime_of="z", output_prime=True, rng=None):
        self.num_layers = len(sizes)
        self.f, self.fprime = ACT[hidden]
        self.hidden_prime_of, self.output_prime = hidden_prime_of, output_prime
        self.weights = [rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]
        self.biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]

    def _act(self, l, z):
        return _sigmoid(z) if l == len(self.weights) - 1 else self.f(z)

    def feedforward(self, a):
        for l, (b, w) in enumerate(zip(self.biases, self.weights)):
            a = self._act(l, w @ a + b)
        return a

    def backprop(self, x, y):
        activations, zs = [x], []
        for l, (b, w) in enumerate(zip(self.biases, self.weights)):
            zs.append(w @ activations[-1] + b)
            activations.append(self._act(l, zs[-1]))
        nabla_b, nabla_w = [None] * len(self.biases), [None] * len(self.weights)
        delta = activations[-1] - y
        if self.output_prime:
            delta = delta * ACT["sigmoid"][1](zs[-1])
        nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T
        for l in range(2, self.num_layers):
            sp = self.fprime(zs[-l] if self.hidden_prime_of == "z" else activations[-l])
            delta = (self.weights[-l + 1].T @ delta) * sp
            nabla_b[-l], nabla_w[-l] = delta, delta @ activations[-l - 1].T
        return nabla_b, nabla_w


def course_model(hidden="tanh", skip_hidden_prime=False, output_twice=False):
    """The specialisation's forward / cost / backward for layers of ``hidden`` then a sigmoid output (mean binary
    cross-entropy); the bugs: the hidden layers' derivative skipped, or the output's dZ multiplied by sigma'."""
    f, fprime = ACT[hidden]

    def forward(X, parameters):
        L, A, caches = len(parameters) // 2, X, []
        for l in range(1, L + 1):
            Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
            caches.append((A, Z))
            A = _sigmoid(Z) if l == L else f(Z)
        return A, caches

    def cost(AL, Y):
        return float(-np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))

    def backward(AL, Y, caches):
        m, L, grads = Y.shape[1], len(caches), {}
        dZ = AL - Y
        if output_twice:
            dZ = dZ * AL * (1 - AL)
        for l in reversed(range(1, L + 1)):
            A_prev, Z = caches[l - 1]
            if l < L:
                dZ = dA if skip_hidden_prime else dA * fprime(Z)
            grads[f"dW{l}"] = dZ @ A_prev.T / m
            grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
            dA = parameters_of(caches, l).T @ dZ
        return grads

    state = {}

    def parameters_of(caches, l):
        return state["parameters"][f"W{l}"]

    def make(rng, dims=(4, 5, 3, 1), m=5):
        parameters = {}
        for l in range(1, len(dims)):
            parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
            parameters[f"b{l}"] = 0.5 * rng.standard_normal((dims[l], 1))
        state["parameters"] = parameters
        X, Y = rng.standard_normal((dims[0], m)), rng.integers(0, 2, (1, m)).astype(float)
        return parameters, X, Y, dict(forward=forward, cost=cost, backward=backward)

    return make


def _book(hidden, sizes=(3, 4, 4, 2), m=2, **bug):
    rng = np.random.default_rng(3)
    net = BookNet(list(sizes), hidden, rng=rng, **bug)
    x = rng.standard_normal((sizes[0], m))
    y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], m)]
    return nngrad.check_network(net, x, y)


def _course(hidden, **bug):
    parameters, X, Y, functions = course_model(hidden, **bug)(np.random.default_rng(4))
    return nngrad.check_network(parameters, X, Y, **functions)


def _layer(report):
    return [f.message for f in report.findings if f.kind == "layer"]


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
def test_correct_networks_pass_in_both_styles(hidden):
    assert _book(hidden).status == "PASS"
    assert _course(hidden).status == "PASS"


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
def test_book_style_hidden_derivative_of_the_activation_is_named_at_the_hidden_layers(hidden):
    report = _book(hidden, hidden_prime_of="a")
    assert report.status == "FAIL"
    (words,) = _layer(report)
    assert f"{hidden}'s derivative taken of the activation" in words
    assert "hidden layers, layers 1 (weights[0], biases[0]) and 2 (weights[1], biases[1])" in words


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
def test_book_style_output_delta_without_the_activation_derivative_is_named_at_the_output(hidden):
    report = _book(hidden, sizes=(3, 4, 2), output_prime=False)
    (words,) = _layer(report)
    assert "sigmoid's derivative left out" in words and "output layer, layer 2 (weights[1], biases[1])" in words
    assert "weights[0], biases[0] are wrong only because" in words


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
def test_course_style_hidden_derivative_left_out_is_named_with_its_layers(hidden):
    report = _course(hidden, skip_hidden_prime=True)
    assert report.status == "FAIL"
    (words,) = _layer(report)
    assert f"{hidden}'s derivative left out" in words and "layers 1 (W1, b1) and 2 (W2, b2)" in words


def test_course_style_output_derivative_twice_says_the_cost_cancels_it():
    report = _course("tanh", output_twice=True)
    (words,) = _layer(report)
    assert "sigmoid'(z) multiplied in twice" in words and "layer 3 (W3, b3)" in words and "a - y" in words


def test_a_network_the_stack_does_not_describe_gets_no_stack_finding():
    """softplus hidden units are not among the stack's activations: no rule is claimed, the check still fails."""
    rng = np.random.default_rng(5)
    net = BookNet([3, 4, 2], "tanh", hidden_prime_of="a", rng=rng)
    net.f = lambda z: np.log1p(np.exp(z))
    report = nngrad.check_network(net, rng.standard_normal((3, 1)), np.eye(2)[:, :1])
    assert report.status == "FAIL" and not _layer(report)
