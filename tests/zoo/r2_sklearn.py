"""A multi-layer perceptron written after scikit-learn's ``MLPClassifier`` (``sklearn/neural_network/
_multilayer_perceptron.py``), as learners re-implement it: ``coefs_[i]`` of shape (n_in, n_out) and
``intercepts_[i]`` of shape (n_out,) in lists, ``_forward_pass(activations)`` filling the list of activations in
place (ReLU hidden layers, softmax output), and ``_backprop(X, y, activations, deltas, coef_grads,
intercept_grads) -> (loss, coef_grads, intercept_grads)`` filling the lists it is given: the mean log loss plus
``0.5 * alpha * sum(||coef||^2) / n_samples``, the coef gradients ``(a.T @ delta + alpha * coef) / n_samples``, the
intercept gradients ``mean(delta, 0)``. y: integer labels, binarised inside.

The learner hands the estimator to ``nngrad.check_network(mlp, X, y)``.

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

import json

import numpy as np

from .case import Case


def inplace_relu(X):
    np.maximum(X, 0, out=X)


def inplace_relu_derivative(Z, delta):
    delta[Z == 0] = 0


def softmax(X):
    tmp = X - X.max(axis=1)[:, np.newaxis]
    np.exp(tmp, out=X)
    X /= X.sum(axis=1)[:, np.newaxis]
    return X


def log_loss(y_true, y_prob):
    eps = np.finfo(y_prob.dtype).eps
    y_prob = np.clip(y_prob, eps, 1 - eps)
    return -np.sum(y_true * np.log(y_prob)) / y_prob.shape[0]


class MLPScratch:
    def __init__(self, layer_sizes=(4, 5, 3), alpha=0.0001, random_state=0):
        rng = np.random.RandomState(random_state)
        self.layer_sizes = list(layer_sizes)
        self.n_layers_ = len(self.layer_sizes)
        self.n_outputs_ = self.layer_sizes[-1]
        self.alpha = alpha
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            bound = np.sqrt(6.0 / (fan_in + fan_out))
            self.coefs_.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            self.intercepts_.append(rng.uniform(-bound, bound, fan_out))

    def _binarize(self, y):
        return np.eye(self.n_outputs_)[y] if y.ndim == 1 else y

    def _forward_pass(self, activations):
        for i in range(self.n_layers_ - 1):
            activations[i + 1] = activations[i] @ self.coefs_[i] + self.intercepts_[i]
            if (i + 1) != (self.n_layers_ - 1):
                inplace_relu(activations[i + 1])
        softmax(activations[i + 1])
        return activations

    def _compute_loss_grad(self, layer, n_samples, activations, deltas, coef_grads, intercept_grads):
        coef_grads[layer] = activations[layer].T @ deltas[layer]
        coef_grads[layer] += self.alpha * self.coefs_[layer]
        coef_grads[layer] /= n_samples
        intercept_grads[layer] = np.mean(deltas[layer], 0)

    def _backprop(self, X, y, activations, deltas, coef_grads, intercept_grads):
        n_samples = X.shape[0]
        y = self._binarize(y)
        activations = self._forward_pass(activations)
        loss = log_loss(y, activations[-1])
        values = sum(np.dot(s.ravel(), s.ravel()) for s in self.coefs_)
        loss += (0.5 * self.alpha) * values / n_samples
        last = self.n_layers_ - 2
        deltas[last] = activations[-1] - y
        self._compute_loss_grad(last, n_samples, activations, deltas, coef_grads, intercept_grads)
        for i in range(self.n_layers_ - 2, 0, -1):
            deltas[i - 1] = deltas[i] @ self.coefs_[i].T
            inplace_relu_derivative(activations[i], deltas[i - 1])
            self._compute_loss_grad(i - 1, n_samples, activations, deltas, coef_grads, intercept_grads)
        return loss, coef_grads, intercept_grads


class MLPDecaysIntercepts(MLPScratch):
    def _compute_loss_grad(self, layer, n_samples, activations, deltas, coef_grads, intercept_grads):
        coef_grads[layer] = activations[layer].T @ deltas[layer]
        coef_grads[layer] += self.alpha * self.coefs_[layer]
        coef_grads[layer] /= n_samples
        intercept_grads[layer] = np.mean(deltas[layer], 0)
        intercept_grads[layer] += self.alpha * self.intercepts_[layer] / n_samples  # BUG: no penalty on intercepts


class MLPMaskOfNextLayer(MLPScratch):
    def _backprop(self, X, y, activations, deltas, coef_grads, intercept_grads):
        n_samples = X.shape[0]
        y = self._binarize(y)
        activations = self._forward_pass(activations)
        loss = log_loss(y, activations[-1])
        values = sum(np.dot(s.ravel(), s.ravel()) for s in self.coefs_)
        loss += (0.5 * self.alpha) * values / n_samples
        last = self.n_layers_ - 2
        deltas[last] = activations[-1] - y
        self._compute_loss_grad(last, n_samples, activations, deltas, coef_grads, intercept_grads)
        for i in range(self.n_layers_ - 2, 0, -1):
            deltas[i - 1] = deltas[i] @ self.coefs_[i].T
            # BUG: off by one: the next layer's mask (silent where the hidden layers are equally wide)
            inplace_relu_derivative(activations[i + 1], deltas[i - 1])
            self._compute_loss_grad(i - 1, n_samples, activations, deltas, coef_grads, intercept_grads)
        return loss, coef_grads, intercept_grads


# ---------------------------------------------------------------- the cases

def mlp(cls, layer_sizes, alpha, n=8):
    def make(rng):
        net = cls(layer_sizes, alpha, random_state=int(rng.integers(2 ** 31)))
        return (net, rng.standard_normal((n, layer_sizes[0])), rng.integers(0, layer_sizes[-1], n)), {}
    return make


def cli(cls, layer_sizes, alpha, n=8):
    return ("--net", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps({"layer_sizes": layer_sizes, "alpha": alpha}),
            "--input-shape", f"{n},{layer_sizes[0]}")


S = "sklearn-mlp"
CASES = [
    # --- correct
    Case("r2_sklearn.MLP", S, "network", mlp(MLPScratch, [4, 5, 3], 0.0001),
         cli=cli(MLPScratch, [4, 5, 3], 0.0001)),
    Case("r2_sklearn.MLP.alpha_two_hidden", S, "network", mlp(MLPScratch, [4, 5, 5, 3], 0.5)),
    # --- buggy
    Case("r2_sklearn.MLP.decays_intercepts", S, "network", mlp(MLPDecaysIntercepts, [4, 5, 3], 0.5),
         bug="intercept_grads get alpha * intercept / n_samples: the loss penalises only the coefs",
         names=("regularization",), cli=cli(MLPDecaysIntercepts, [4, 5, 3], 0.5)),
    Case("r2_sklearn.MLP.mask_of_next_layer", S, "network", mlp(MLPMaskOfNextLayer, [4, 5, 5, 5], 0.5),
         bug="the ReLU derivative for deltas[i - 1] reads activations[i + 1]: the next layer's mask",
         names=("layer", "located")),
]
