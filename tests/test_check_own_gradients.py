"""Where the checked object gives its parameters' gradients itself (a Keras-like get_gradients(), a gradients
list beside its weights), those are the claim, not what its sub-layers keep: the object's own list is what its
training loop applies."""

import numpy as np

import nngrad


class Affine:
    """y = x @ w + c; x (N, n_in); keeps its gradients in grads (the right ones)."""

    def __init__(self, n_in, n_out, rng):
        self.w, self.c = rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out)

    def call(self, x):
        self.x = x
        return x @ self.w + self.c

    def backward(self, dy):
        self.grads = [self.x.T @ dy, dy.sum(axis=0)]
        return dy @ self.w.T


class KerasStack:
    """Two Affine layers with a tanh between; get_gradients() in the order of trainable_weights."""

    reverse = False

    def __init__(self, rng):
        self.first, self.second = Affine(3, 4, rng), Affine(4, 2, rng)

    @property
    def trainable_weights(self):
        return self.first_then_second([self.first.w, self.first.c], [self.second.w, self.second.c])

    def first_then_second(self, a, b):
        return a + b

    def call(self, x):
        self.h = np.tanh(self.first.call(x))
        return self.second.call(self.h)

    def backward(self, dy):
        return self.first.backward(self.second.backward(dy) * (1 - self.h ** 2))

    def get_gradients(self):
        layers = [self.second, self.first] if self.reverse else [self.first, self.second]
        return [g for layer in layers for g in layer.grads]


class KerasStackReversed(KerasStack):
    reverse = True  # the bug: backward's order, last layer first


class Square:
    """A (3, 3) matrix then a (3, 3) matrix: y = tanh(x @ a) @ b; keeps a dict of gradients by its own name."""

    swap = False

    def __init__(self, rng):
        self.a, self.b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))

    @property
    def weights(self):
        return [self.a, self.b]

    def forward(self, x):
        self.x, self.h = x, np.tanh(x @ self.a)
        return self.h @ self.b

    def backward(self, dy):
        self.da, self.db = None, self.h.T @ dy
        dh = dy @ self.b.T * (1 - self.h ** 2)
        self.da = self.x.T @ dh
        self.gradients = [self.db, self.da] if self.swap else [self.da, self.db]
        return dh @ self.a.T


class SquareSwapped(Square):
    swap = True  # the bug: the list the optimiser zips with weights is in the wrong order


class Holder:
    """The checked object: holds a Square; its own weights/gradients are the Square's, listed by itself."""

    def __init__(self, inner):
        self.inner = inner

    @property
    def weights(self):
        return self.inner.weights

    @property
    def gradients(self):
        return self.inner.gradients

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, dy):
        return self.inner.backward(dy)


def test_keras_model_get_gradients_in_the_wrong_order_fails_though_its_layers_are_right():
    x = np.random.default_rng(1).standard_normal((5, 3))
    assert nngrad.check_layer(KerasStack(np.random.default_rng(0)), x).status == "PASS"
    report = nngrad.check_layer(KerasStackReversed(np.random.default_rng(0)), x)
    assert report.status == "FAIL"
    assert any(r.verdict in ("FAIL", "shape") for r in report.rows)


def test_a_holders_gradients_list_swapped_fails_though_the_named_gradients_are_right():
    x = np.random.default_rng(2).standard_normal((4, 3))
    assert nngrad.check_layer(Holder(Square(np.random.default_rng(0))), x).status == "PASS"
    report = nngrad.check_layer(Holder(SquareSwapped(np.random.default_rng(0))), x)
    assert report.status == "FAIL"
