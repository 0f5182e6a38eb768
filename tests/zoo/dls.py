"""The deep-learning specialisation (course 1, week 4), "Building your Deep Neural Network: Step by Step": a
``parameters`` dict W1, b1, ... (``W[l]`` of shape (n_l, n_{l-1}), ``b[l]`` a column (n_l, 1)), X of shape
(n_x, m) with the examples as columns; ``L_model_forward(X, parameters) -> (AL, caches)`` (ReLU layers, then a
sigmoid), ``compute_cost(AL, Y)`` the mean binary cross-entropy, ``L_model_backward(AL, Y, caches) -> grads``
with dA0, dW1, db1, ... The helpers ``relu_backward(dA, cache)`` and ``sigmoid_backward(dA, cache)`` come with
the assignment.

A buggy variant is a second ``L_model_backward`` built on the one helper a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def relu(Z):
    A = np.maximum(0, Z)
    return A, Z


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ


def initialize_parameters_deep(layer_dims):
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters['W' + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters['b' + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    if activation == "sigmoid":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        Z, linear_cache = linear_forward(A_prev, W, b)
        A, activation_cache = relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters['W' + str(l)], parameters['b' + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters['W' + str(L)], parameters['b' + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -1 / m * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    cost = np.squeeze(cost)
    return cost


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation, linear_backward=linear_backward,
                               sigmoid_backward=sigmoid_backward):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
        dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db


def L_model_backward(AL, Y, caches, linear_backward=linear_backward, sigmoid_backward=sigmoid_backward,
                     dAL_of=None):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)) if dAL_of is None else dAL_of(AL, Y)
    current_cache = caches[L - 1]
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid", linear_backward,
                                                                sigmoid_backward)
    grads["dA" + str(L - 1)] = dA_prev_temp
    grads["dW" + str(L)] = dW_temp
    grads["db" + str(L)] = db_temp
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, "relu",
                                                                    linear_backward, sigmoid_backward)
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads


# ---------------------------------------------------------------- the learners' mistakes

def linear_backward_no_keepdims(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1)  # BUG: no keepdims=True: db has shape (n,), b is (n, 1)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_backward_no_m(dZ, cache):
    A_prev, W, b = cache
    dW = np.dot(dZ, A_prev.T)  # BUG: forgets 1/m: the cost is a mean over the examples
    db = np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def sigmoid_backward_of_z(dA, cache):
    Z = cache
    dZ = dA * Z * (1 - Z)  # BUG: s * (1 - s) written with Z instead of s = sigmoid(Z)
    return dZ


def dAL_sign_flipped(AL, Y):
    return np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)  # BUG: the minus sign of the cost's derivative dropped


def L_model_backward_no_keepdims(AL, Y, caches):
    return L_model_backward(AL, Y, caches, linear_backward=linear_backward_no_keepdims)


def L_model_backward_no_m(AL, Y, caches):
    return L_model_backward(AL, Y, caches, linear_backward=linear_backward_no_m)


def L_model_backward_sigmoid_of_z(AL, Y, caches):
    return L_model_backward(AL, Y, caches, sigmoid_backward=sigmoid_backward_of_z)


def L_model_backward_dAL_sign(AL, Y, caches):
    return L_model_backward(AL, Y, caches, dAL_of=dAL_sign_flipped)


# ---------------------------------------------------------------- the cases

def model(backward, layer_dims=(4, 5, 1), m=6, scale=0.7):
    def make(rng):
        parameters = {}
        for l in range(1, len(layer_dims)):
            parameters['W' + str(l)] = scale * rng.standard_normal((layer_dims[l], layer_dims[l - 1]))
            parameters['b' + str(l)] = 0.5 * rng.standard_normal((layer_dims[l], 1))
        X = rng.standard_normal((layer_dims[0], m))
        Y = rng.integers(0, 2, (1, m)).astype(float)
        return (parameters, X, Y), {"forward": L_model_forward, "cost": compute_cost, "backward": backward}
    return make


S = "dls"
CASES = [
    # --- correct
    Case("dls.L_model", S, "network", model(L_model_backward)),
    Case("dls.L_model.three_layers", S, "network", model(L_model_backward, (4, 5, 3, 1), m=8)),
    # --- buggy
    Case("dls.L_model.db_no_keepdims", S, "network", model(L_model_backward_no_keepdims),
         bug="db = 1/m * np.sum(dZ, axis=1) without keepdims: shape (5,) for b of shape (5, 1)", names=("shape",)),
    Case("dls.L_model.no_one_over_m", S, "network", model(L_model_backward_no_m, (4, 5, 3, 1)),
         bug="linear_backward forgets 1/m in dW and db", names=("scaled", "batch")),
    Case("dls.L_model.sigmoid_backward_of_z", S, "network", model(L_model_backward_sigmoid_of_z),
         bug="sigmoid_backward as dA * Z * (1 - Z): sigma' from Z, not from sigmoid(Z)",
         names=("known-mistake", "layer")),
    Case("dls.L_model.dAL_sign", S, "network", model(L_model_backward_dAL_sign),
         bug="dAL without its minus sign: every gradient flipped", names=("scaled",)),
]
