"""*Dive into Deep Learning*'s "from scratch" chapters, rewritten in numpy with the gradients by hand: the
parameters are a list ``params = [W1, b1, W2, b2]``, ``net(X, params)`` is the forward, ``sgd(params, grads, lr,
batch_size)`` updates them in place, and one function ``loss_and_grads(params, X, y, ...) -> (l, grads)`` returns the
mean loss and a list of gradients in the order of ``params``. The learner checks it as
``nngrad.check_loss(loss_and_grads, params, X, y, ...)``: params a list of arrays of different shapes. Softmax
regression with d2l's ``l2_penalty(w) = sum(w ** 2) / 2``, an MLP, and an MLP with d2l's ``dropout_layer`` (inverted
scaling, the mask drawn from numpy's global generator).

A buggy variant is a second function with the one line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def softmax(O):
    O_exp = np.exp(O - O.max(axis=1, keepdims=True))
    return O_exp / O_exp.sum(axis=1, keepdims=True)


def cross_entropy(y_hat, y):
    return -np.log(y_hat[np.arange(len(y_hat)), y])


def l2_penalty(w):
    return np.sum(w ** 2) / 2


def relu(X):
    return np.maximum(X, 0)


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return np.zeros_like(X), np.zeros_like(X)
    mask = (np.random.uniform(0, 1, X.shape) > dropout).astype(np.float64)
    return mask * X / (1.0 - dropout), mask


def sgd(params, grads, lr, batch_size):
    """Minibatch stochastic gradient descent (the gradients are already means over the batch)."""
    for param, grad in zip(params, grads):
        param -= lr * grad


def net_softmax(X, params):
    W, b = params
    return softmax(X.reshape((-1, W.shape[0])) @ W + b)


def softmax_regression(params, X, y, lambd):
    W, b = params
    n = len(y)
    y_hat = net_softmax(X, params)
    l = cross_entropy(y_hat, y).mean() + lambd * l2_penalty(W)
    dO = y_hat.copy()
    dO[np.arange(n), y] -= 1
    dO /= n
    dW = X.T @ dO + lambd * W
    db = dO.sum(axis=0)
    return l, [dW, db]


def softmax_regression_decays_bias(params, X, y, lambd):
    W, b = params
    n = len(y)
    y_hat = net_softmax(X, params)
    l = cross_entropy(y_hat, y).mean() + lambd * l2_penalty(W)
    dO = y_hat.copy()
    dO[np.arange(n), y] -= 1
    dO /= n
    grads = [X.T @ dO, dO.sum(axis=0)]
    for param, grad in zip(params, grads):
        grad += lambd * param  # BUG: the penalty is on W only, its gradient added to b as well
    return l, grads


def mlp(params, X, y):
    W1, b1, W2, b2 = params
    n = len(y)
    Z1 = X @ W1 + b1
    H = relu(Z1)
    y_hat = softmax(H @ W2 + b2)
    l = cross_entropy(y_hat, y).mean()
    dO = y_hat.copy()
    dO[np.arange(n), y] -= 1
    dO /= n
    dW2, db2 = H.T @ dO, dO.sum(axis=0)
    dZ1 = (dO @ W2.T) * (Z1 > 0)
    dW1, db1 = X.T @ dZ1, dZ1.sum(axis=0)
    return l, [dW1, db1, dW2, db2]


def mlp_dW1_transposed(params, X, y):
    W1, b1, W2, b2 = params
    n = len(y)
    Z1 = X @ W1 + b1
    H = relu(Z1)
    y_hat = softmax(H @ W2 + b2)
    l = cross_entropy(y_hat, y).mean()
    dO = y_hat.copy()
    dO[np.arange(n), y] -= 1
    dO /= n
    dW2, db2 = H.T @ dO, dO.sum(axis=0)
    dZ1 = (dO @ W2.T) * (Z1 > 0)
    dW1, db1 = dZ1.T @ X, dZ1.sum(axis=0)  # BUG: dZ1.T @ X is the transpose of X.T @ dZ1 (W1 is square)
    return l, [dW1, db1, dW2, db2]


def mlp_dropout(params, X, y, dropout=0.5):
    W1, b1, W2, b2 = params
    n = len(y)
    Z1 = X @ W1 + b1
    H, mask = dropout_layer(relu(Z1), dropout)
    y_hat = softmax(H @ W2 + b2)
    l = cross_entropy(y_hat, y).mean()
    dO = y_hat.copy()
    dO[np.arange(n), y] -= 1
    dO /= n
    dW2, db2 = H.T @ dO, dO.sum(axis=0)
    dH = dO @ W2.T * mask / (1.0 - dropout)
    dZ1 = dH * (Z1 > 0)
    dW1, db1 = X.T @ dZ1, dZ1.sum(axis=0)
    return l, [dW1, db1, dW2, db2]


def mlp_dropout_mask_forgotten(params, X, y, dropout=0.5):
    W1, b1, W2, b2 = params
    n = len(y)
    Z1 = X @ W1 + b1
    H, mask = dropout_layer(relu(Z1), dropout)
    y_hat = softmax(H @ W2 + b2)
    l = cross_entropy(y_hat, y).mean()
    dO = y_hat.copy()
    dO[np.arange(n), y] -= 1
    dO /= n
    dW2, db2 = H.T @ dO, dO.sum(axis=0)
    dH = dO @ W2.T / (1.0 - dropout)  # BUG: scaled by 1 / (1 - p) but the mask is not applied in backward
    dZ1 = dH * (Z1 > 0)
    dW1, db1 = X.T @ dZ1, dZ1.sum(axis=0)
    return l, [dW1, db1, dW2, db2]


# ---------------------------------------------------------------- the cases

def init_params(rng, *sizes, sigma=0.5):
    """[W1, b1, W2, b2, ...]: d2l's normal(0, sigma) weights, small random biases (as after some training)."""
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params += [sigma * rng.standard_normal((n_in, n_out)), 0.1 * rng.standard_normal(n_out)]
    return params


def make(fn, sizes, *extra, n=8):
    def build(rng):
        params = init_params(rng, *sizes)
        X, y = rng.standard_normal((n, sizes[0])), rng.integers(0, sizes[-1], n)
        return (fn, params, X, y, *extra), {}
    return build


S = "d2l"
CASES = [
    # --- correct
    Case("r2_d2l.softmax_regression", S, "loss", make(softmax_regression, (4, 3), 0.3)),
    Case("r2_d2l.mlp", S, "loss", make(mlp, (4, 4, 3))),
    Case("r2_d2l.mlp_dropout", S, "loss", make(mlp_dropout, (4, 6, 3), 0.5)),
    # --- buggy
    Case("r2_d2l.softmax_regression.decays_bias", S, "loss", make(softmax_regression_decays_bias, (4, 3), 0.3),
         bug="the L2 penalty is on W only; its gradient lambd * param is added to b too",
         names=("regularization", "decay-part")),
    Case("r2_d2l.mlp.dW1_transposed", S, "loss", make(mlp_dW1_transposed, (4, 4, 3)),
         bug="dW1 = dZ1.T @ X: the square W1's gradient transposed", names=("transposed",)),
    Case("r2_d2l.mlp_dropout.mask_forgotten", S, "loss", make(mlp_dropout_mask_forgotten, (4, 6, 3), 0.5),
         bug="dropout's backward scales by 1 / (1 - p) but does not apply the mask", names=("located",)),
]
