"""Code as it stands in a Jupyter notebook: cells that set globals (the data ``X``, ``y``) and functions that read
them. Each case runs its cells in a fresh namespace, as a notebook kernel does, and checks the function a learner
would hand to a gradient check: ``loss_and_grads(W1, b1, W2, b2)`` of a two-layer softmax classifier over the global
data, logistic regression's ``cost_and_grads(w, b)`` (the mean binary cross-entropy of probabilities), and the
machine-learning course's (ex4) ``nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y,
lambda_)`` over the unrolled parameters, regularised except the bias columns.

A buggy cell is a second version of the one cell a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case

TWO_LAYER = '''
def loss_and_grads(W1, b1, W2, b2):
    N = X.shape[0]
    h = np.tanh(X @ W1 + b1)
    scores = h @ W2 + b2
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW2 = h.T @ dscores
    db2 = dscores.sum(axis=0)
    dh = dscores @ W2.T
    dz = dh * (1 - h ** 2)
    dW1 = X.T @ dz
    db1 = dz.sum(axis=0)
    return loss, dW1, db1, dW2, db2
'''

TWO_LAYER_STALE_H = '''
def loss_and_grads(W1, b1, W2, b2):
    N = X.shape[0]
    h = np.tanh(X @ W1 + b1)
    scores = h @ W2 + b2
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW2 = h.T @ dscores
    db2 = dscores.sum(axis=0)
    dh = dscores @ W2.T
    dz = dh * (1 - hidden ** 2)  # BUG: `hidden` is a global left over from an earlier cell, not this call's h
    dW1 = X.T @ dz
    db1 = dz.sum(axis=0)
    return loss, dW1, db1, dW2, db2
'''

LOGISTIC = '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def cost_and_grads(w, b):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    dw = np.dot(X, (A - Y).T) / m
    db = np.sum(A - Y) / m
    return cost, dw, db
'''

LOGISTIC_DB_NOT_MEAN = '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def cost_and_grads(w, b):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    dw = np.dot(X, (A - Y).T) / m
    db = np.sum(A - Y)  # BUG: not divided by m like dw
    return cost, dw, db
'''

EX4 = '''
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def sigmoidGradient(z):
    return sigmoid(z) * (1 - sigmoid(z))

def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_=0.0):
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, (input_layer_size + 1)))
    Theta2 = np.reshape(nn_params[(hidden_layer_size * (input_layer_size + 1)):],
                        (num_labels, (hidden_layer_size + 1)))
    m = y.size
    a1 = np.concatenate([np.ones((m, 1)), X], axis=1)
    z2 = a1.dot(Theta1.T)
    a2 = np.concatenate([np.ones((m, 1)), sigmoid(z2)], axis=1)
    a3 = sigmoid(a2.dot(Theta2.T))
    y_matrix = np.eye(num_labels)[y]
    temp1, temp2 = Theta1, Theta2
    reg_term = (lambda_ / (2 * m)) * (np.sum(np.square(temp1[:, 1:])) + np.sum(np.square(temp2[:, 1:])))
    J = (-1 / m) * np.sum((np.log(a3) * y_matrix) + np.log(1 - a3) * (1 - y_matrix)) + reg_term
    delta_3 = a3 - y_matrix
    delta_2 = delta_3.dot(Theta2)[:, 1:] * sigmoidGradient(z2)
    Delta1 = delta_2.T.dot(a1)
    Delta2 = delta_3.T.dot(a2)
    Theta1_grad = (1 / m) * Delta1
    Theta2_grad = (1 / m) * Delta2
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]
    grad = np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
    return J, grad
'''

EX4_REGULARISES_BIAS = EX4.replace(
    "    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]\n",
    "    Theta1_grad = Theta1_grad + (lambda_ / m) * Theta1  # BUG: regularises the bias column too\n")


def run_cells(*cells, **globals_):
    """The notebook's kernel: a fresh namespace with numpy and the data, every cell run in order."""
    namespace = {"np": np, **globals_}
    for cell in cells:
        exec(compile(cell, "<notebook cell>", "exec"), namespace)  # noqa: S102
    return namespace


# ---------------------------------------------------------------- the cases

def two_layer(cell):
    def make(rng):
        X, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
        hidden = np.tanh(rng.standard_normal((6, 5)))  # an earlier cell's experiment
        ns = run_cells(cell, X=X, y=y, hidden=hidden)
        W1, b1, W2, b2 = (rng.standard_normal(s) for s in ((4, 5), (5,), (5, 3), (3,)))
        return (ns["loss_and_grads"], W1, b1, W2, b2), {}
    return make


def logistic(cell):
    def make(rng):
        X, Y = rng.standard_normal((3, 8)), rng.integers(0, 2, (1, 8)).astype(float)
        ns = run_cells(cell, X=X, Y=Y)
        return (ns["cost_and_grads"], rng.standard_normal((3, 1)), np.array(0.5)), {}
    return make


def ex4(cell, lambda_=1.0):
    def make(rng):
        input_layer_size, hidden_layer_size, num_labels, m = 3, 4, 3, 5
        ns = run_cells(cell)
        X, y = rng.standard_normal((m, input_layer_size)), rng.integers(0, num_labels, m)
        nn_params = 0.5 * rng.standard_normal(hidden_layer_size * (input_layer_size + 1)
                                              + num_labels * (hidden_layer_size + 1))
        return (ns["nnCostFunction"], nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_), {}
    return make


S = "notebook"
CASES = [
    # --- correct
    Case("notebook.loss_and_grads", S, "loss", two_layer(TWO_LAYER)),
    Case("notebook.logistic_cost_and_grads", S, "loss", logistic(LOGISTIC)),
    Case("notebook.ex4_nnCostFunction", S, "loss", ex4(EX4)),
    # --- buggy
    Case("notebook.loss_and_grads.stale_global", S, "loss", two_layer(TWO_LAYER_STALE_H),
         bug="dz uses a stale global `hidden` from an earlier cell instead of this call's h",
         names=("located", "layer")),
    Case("notebook.logistic_cost_and_grads.db_not_mean", S, "loss", logistic(LOGISTIC_DB_NOT_MEAN),
         bug="db = sum(A - Y) without / m", names=("scaled", "batch")),
    Case("notebook.ex4_nnCostFunction.regularises_bias", S, "loss", ex4(EX4_REGULARISES_BIAS),
         bug="Theta1's gradient regularises the bias column too", names=("regularization", "located", "decay-part")),
]
