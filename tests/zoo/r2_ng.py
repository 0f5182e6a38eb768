"""Andrew Ng's machine-learning course, exercises ported from Octave to numpy the way learners port them:
``costFunctionReg(theta, X, y, lambda_) -> (J, grad)`` (ex2, regularised logistic regression, theta[0] not
regularised), ``linearRegCostFunction(X, y, theta, lambda_) -> (J, grad)`` (ex5, theta third: the learner hands a
``lambda t: linearRegCostFunction(X, y, t, lambda_)`` to the check, as the course's own ``checkNNGradients`` does),
and ex4's ``nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_)`` over the
unrolled Theta1, Theta2 (bias columns first, not regularised).

A buggy variant is a second function with the one line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoidGradient(z):
    g = sigmoid(z)
    return g * (1 - g)


def costFunctionReg(theta, X, y, lambda_):
    m = y.size
    h = sigmoid(X.dot(theta))
    temp = theta.copy()
    temp[0] = 0
    J = (1 / m) * np.sum(-y.dot(np.log(h)) - (1 - y).dot(np.log(1 - h))) + (lambda_ / (2 * m)) * np.sum(np.square(temp))
    grad = (1 / m) * (h - y).dot(X)
    grad = grad + (lambda_ / m) * temp
    return J, grad


def costFunctionRegHalfLambda(theta, X, y, lambda_):
    m = y.size
    h = sigmoid(X.dot(theta))
    temp = theta.copy()
    temp[0] = 0
    J = (1 / m) * np.sum(-y.dot(np.log(h)) - (1 - y).dot(np.log(1 - h))) + (lambda_ / (2 * m)) * np.sum(np.square(temp))
    grad = (1 / m) * (h - y).dot(X)
    grad = grad + (lambda_ / (2 * m)) * temp  # BUG: the 1 / (2m) of J copied into the gradient: half the decay
    return J, grad


def linearRegCostFunction(X, y, theta, lambda_=0.0):
    m = y.size
    h = X.dot(theta)
    J = (1 / (2 * m)) * np.sum(np.square(h - y)) + (lambda_ / (2 * m)) * np.sum(np.square(theta[1:]))
    grad = (1 / m) * (h - y).dot(X)
    grad[1:] = grad[1:] + (lambda_ / m) * theta[1:]
    return J, grad


def linearRegCostFunctionFlipped(X, y, theta, lambda_=0.0):
    m = y.size
    h = X.dot(theta)
    J = (1 / (2 * m)) * np.sum(np.square(h - y)) + (lambda_ / (2 * m)) * np.sum(np.square(theta[1:]))
    grad = (1 / m) * (y - h).dot(X)  # BUG: (y - h) for (h - y): the data term's sign flipped, the decay's not
    grad[1:] = grad[1:] + (lambda_ / m) * theta[1:]
    return J, grad


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
    J = (-1 / m) * np.sum(np.log(a3) * y_matrix + np.log(1 - a3) * (1 - y_matrix))
    J += (lambda_ / (2 * m)) * (np.sum(np.square(Theta1[:, 1:])) + np.sum(np.square(Theta2[:, 1:])))
    delta_3 = a3 - y_matrix
    delta_2 = delta_3.dot(Theta2)[:, 1:] * sigmoidGradient(z2)
    Theta1_grad = (1 / m) * delta_2.T.dot(a1)
    Theta2_grad = (1 / m) * delta_3.T.dot(a2)
    Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] += (lambda_ / m) * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])


def nnCostFunctionGradientOfActivation(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_=0.0):
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
    J = (-1 / m) * np.sum(np.log(a3) * y_matrix + np.log(1 - a3) * (1 - y_matrix))
    J += (lambda_ / (2 * m)) * (np.sum(np.square(Theta1[:, 1:])) + np.sum(np.square(Theta2[:, 1:])))
    delta_3 = a3 - y_matrix
    delta_2 = delta_3.dot(Theta2)[:, 1:] * sigmoidGradient(a2[:, 1:])  # BUG: g'(a2) of the activation, not g'(z2)
    Theta1_grad = (1 / m) * delta_2.T.dot(a1)
    Theta2_grad = (1 / m) * delta_3.T.dot(a2)
    Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] += (lambda_ / m) * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])


# ---------------------------------------------------------------- the cases

Y01 = "[0, 1, 1, 0, 1, 0]"
EX4_Y = "[0, 2, 1, 1, 0]"


def logistic(fn, lambda_=1.0):
    def make(rng):
        X = np.concatenate([np.ones((6, 1)), rng.standard_normal((6, 2))], axis=1)
        return (fn, rng.standard_normal(3), X, np.array(json_list(Y01), dtype=float), lambda_), {}
    return make


def json_list(text):
    return [int(v) for v in text.strip("[]").split(",")]


def linear(fn, lambda_=1.0):
    def make(rng):
        X = np.concatenate([np.ones((7, 1)), rng.standard_normal((7, 3))], axis=1)
        y = rng.standard_normal(7)
        return (lambda t: fn(X, y, t, lambda_), rng.standard_normal(4)), {}
    return make


def ex4(fn, lambda_=1.0):
    def make(rng):
        n_in, n_hid, n_lab = 3, 4, 3
        nn_params = 0.5 * rng.standard_normal(n_hid * (n_in + 1) + n_lab * (n_hid + 1))
        return (fn, nn_params, n_in, n_hid, n_lab, rng.standard_normal((5, n_in)), np.array(json_list(EX4_Y)),
                lambda_), {}
    return make


def cli(fn, *shapes):
    return ("--loss-fn", f"{{file}}:{fn.__name__}", "--shapes", *shapes)


S = "ng-ml"
CASES = [
    # --- correct
    Case("r2_ng.costFunctionReg", S, "loss", logistic(costFunctionReg),
         cli=cli(costFunctionReg, "3", "6,3", Y01, "1.0")),
    Case("r2_ng.linearRegCostFunction", S, "loss", linear(linearRegCostFunction)),
    Case("r2_ng.nnCostFunction", S, "loss", ex4(nnCostFunction)),
    # --- buggy
    Case("r2_ng.costFunctionReg.half_lambda", S, "loss", logistic(costFunctionRegHalfLambda),
         bug="the gradient's decay is lambda / (2m) * theta[1:], copied from J: half of lambda / m",
         names=("regularization", "decay-part"), cli=cli(costFunctionRegHalfLambda, "3", "6,3", Y01, "1.0")),
    Case("r2_ng.linearRegCostFunction.data_term_flipped", S, "loss", linear(linearRegCostFunctionFlipped),
         bug="the data term's gradient is (y - h) X / m, sign flipped; the decay term keeps its sign",
         names=("located", "scaled")),
    Case("r2_ng.nnCostFunction.gradient_of_activation", S, "loss", ex4(nnCostFunctionGradientOfActivation),
         bug="delta_2 uses sigmoidGradient(a2) of the activation instead of sigmoidGradient(z2)",
         names=("known-mistake", "layer", "derivative")),
]
