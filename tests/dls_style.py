"""An L-layer network in the style of the deep-learning specialisation, written for nngrad's tests: a parameters
dict W1, b1, ..., X (n_x, m) with samples as columns, ReLU layers then a sigmoid, the binary cross-entropy. The
buggy backwards carry one mistake each; initialize_parameters_deep uses its own generator."""

import numpy as np


def initialize_parameters_deep(layer_dims):
    rng = np.random.default_rng(1)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) / np.sqrt(layer_dims[l - 1])
        parameters[f"b{l}"] = 0.1 * rng.standard_normal((layer_dims[l], 1))
    return parameters


def L_model_forward(X, parameters):
    caches, A, L = [], X, len(parameters) // 2
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = W @ A + b
        caches.append(((A, W, b), Z))
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(0, Z)
    return A, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return np.squeeze(cost)


def linear_backward(dZ, cache):
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def linear_backward_no_m(dZ, cache):
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T, np.sum(dZ, axis=1, keepdims=True) / m  # BUG: dW without 1/m


def linear_backward_no_keepdims(dZ, cache):
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1) / m  # BUG: db of shape (n,), not (n, 1)


def backward_with(linear):
    def L_model_backward(AL, Y, caches):
        grads, L = {}, len(caches)
        Y = Y.reshape(AL.shape)
        dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
        for l in reversed(range(1, L + 1)):
            linear_cache, Z = caches[l - 1]
            dZ = dA * AL * (1 - AL) if l == L else dA * (Z > 0)
            dA, grads[f"dW{l}"], grads[f"db{l}"] = linear(dZ, linear_cache)
            grads[f"dA{l - 1}"] = dA
        return grads

    return L_model_backward


L_model_backward = backward_with(linear_backward)
L_model_backward_no_m = backward_with(linear_backward_no_m)
L_model_backward_no_keepdims = backward_with(linear_backward_no_keepdims)
