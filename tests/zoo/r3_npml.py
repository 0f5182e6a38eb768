"""Layers in the style of the numpy-ml library (ddbourgin/numpy-ml), which learners read and copy: the arrays live
in a ``parameters`` dict and their gradients in a ``gradients`` dict of the same keys; the weights are created at
the first ``forward`` from the input's width (``is_initialized``); ``forward(X, retain_derived=True)`` keeps X and
the pre-activations in ``self.X`` and ``self.derived_variables``; ``backward(dLdy, retain_grads=True)`` returns dX
and *adds* to ``self.gradients`` (``+=``), which ``flush_gradients()`` sets back to zero together with the
retained X, as the library's optimiser step does after each update. Activations are objects with ``fn(z)`` and
``grad(z)``.

Layers: a fully connected layer with an activation, a radial-basis-function layer with learnable centres and
log-widths, a mixture of two linear experts under a softmax gate, a softmax with a learnable temperature,
polynomial features (x, x^2, x^3) followed by a dense map.

A buggy variant subclasses the correct layer and rewrites the one method a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


class Tanh:
    def fn(self, z):
        return np.tanh(z)

    def grad(self, z):
        return 1 - np.tanh(z) ** 2


class ReLU:
    def fn(self, z):
        return np.maximum(z, 0)

    def grad(self, z):
        return (z > 0).astype(float)


class Identity:
    def fn(self, z):
        return z

    def grad(self, z):
        return np.ones_like(z)


ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "identity": Identity}


class LayerBase:
    def __init__(self):
        self.X = None
        self.trainable = True
        self.is_initialized = False
        self.parameters = {}
        self.gradients = {}
        self.derived_variables = {}

    def _init_params(self, n_in):
        raise NotImplementedError

    def _maybe_init(self, X):
        if not self.is_initialized:
            self._init_params(X.shape[1])
            self.gradients = {k: np.zeros_like(v) for k, v in self.parameters.items()}
            self.is_initialized = True

    def flush_gradients(self):
        """Erase the retained inputs and derived variables, and set every gradient to zero."""
        assert self.trainable, "Layer is frozen"
        self.X = None
        self.derived_variables = {k: None for k in self.derived_variables}
        for k, v in self.gradients.items():
            self.gradients[k] = np.zeros_like(v)


class FullyConnected(LayerBase):
    def __init__(self, n_out, act_fn="identity"):
        super().__init__()
        self.n_out = n_out
        self.act_fn = ACTIVATIONS[act_fn]()

    def _init_params(self, n_in):
        W = np.random.randn(n_in, self.n_out) * np.sqrt(2 / n_in)
        b = 0.1 * np.random.randn(1, self.n_out)
        self.parameters = {"W": W, "b": b}

    def forward(self, X, retain_derived=True):
        self._maybe_init(X)
        Z = X @ self.parameters["W"] + self.parameters["b"]
        if retain_derived:
            self.X = X
            self.derived_variables["Z"] = Z
        return self.act_fn.fn(Z)

    def backward(self, dLdy, retain_grads=True):
        X, Z = self.X, self.derived_variables["Z"]
        dZ = dLdy * self.act_fn.grad(Z)
        dX = dZ @ self.parameters["W"].T
        if retain_grads:
            self.gradients["W"] += X.T @ dZ
            self.gradients["b"] += dZ.sum(axis=0, keepdims=True)
        return dX


class FullyConnectedBiasBeforeAct(FullyConnected):
    def backward(self, dLdy, retain_grads=True):
        X, Z = self.X, self.derived_variables["Z"]
        dZ = dLdy * self.act_fn.grad(Z)
        dX = dZ @ self.parameters["W"].T
        if retain_grads:
            self.gradients["W"] += X.T @ dZ
            self.gradients["b"] += dLdy.sum(axis=0, keepdims=True)  # BUG: dLdy, before the activation's derivative
        return dX


class RBF(LayerBase):
    """y[n, k] = exp(-exp(log_gamma[k]) * |x_n - C_k|^2): K learnable centres C (K, D) and log-widths (K,)."""

    def __init__(self, n_centers):
        super().__init__()
        self.n_centers = n_centers

    def _init_params(self, n_in):
        self.parameters = {"C": np.random.randn(self.n_centers, n_in),
                           "log_gamma": np.full(self.n_centers, -np.log(n_in)) + 0.2 * np.random.randn(self.n_centers)}

    def forward(self, X, retain_derived=True):
        self._maybe_init(X)
        diff = X[:, None, :] - self.parameters["C"][None, :, :]  # (N, K, D)
        d2 = np.sum(diff ** 2, axis=2)
        Y = np.exp(-np.exp(self.parameters["log_gamma"]) * d2)
        if retain_derived:
            self.X = X
            self.derived_variables.update(diff=diff, d2=d2, Y=Y)
        return Y

    def _dY(self, dLdy):
        v = self.derived_variables
        gamma = np.exp(self.parameters["log_gamma"])
        dd2 = -dLdy * v["Y"] * gamma  # dL/d(d2), (N, K)
        dlog_gamma = np.sum(-dLdy * v["Y"] * v["d2"] * gamma, axis=0)
        return dd2, dlog_gamma

    def backward(self, dLdy, retain_grads=True):
        diff = self.derived_variables["diff"]
        dd2, dlog_gamma = self._dY(dLdy)
        dX = np.sum(2 * dd2[:, :, None] * diff, axis=1)
        if retain_grads:
            self.gradients["C"] += -np.sum(2 * dd2[:, :, None] * diff, axis=0)
            self.gradients["log_gamma"] += dlog_gamma
        return dX


class RBFCentreSign(RBF):
    def backward(self, dLdy, retain_grads=True):
        diff = self.derived_variables["diff"]
        dd2, dlog_gamma = self._dY(dLdy)
        dX = -np.sum(2 * dd2[:, :, None] * diff, axis=1)  # BUG: the minus of d/dC copied into d/dX
        if retain_grads:
            self.gradients["C"] += -np.sum(2 * dd2[:, :, None] * diff, axis=0)
            self.gradients["log_gamma"] += dlog_gamma
        return dX


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class MixtureOfExperts(LayerBase):
    """Two linear experts x W1, x W2 mixed by a softmax gate g = softmax(x Wg): y = g0 (x W1) + g1 (x W2)."""

    def __init__(self, n_out):
        super().__init__()
        self.n_out = n_out

    def _init_params(self, n_in):
        s = 1 / np.sqrt(n_in)
        self.parameters = {"W1": s * np.random.randn(n_in, self.n_out), "W2": s * np.random.randn(n_in, self.n_out),
                           "Wg": np.random.randn(n_in, 2)}

    def forward(self, X, retain_derived=True):
        self._maybe_init(X)
        p = self.parameters
        E = np.stack([X @ p["W1"], X @ p["W2"]], axis=1)  # (N, 2, O)
        G = _softmax(X @ p["Wg"])  # (N, 2)
        if retain_derived:
            self.X = X
            self.derived_variables.update(E=E, G=G)
        return np.einsum("ne,neo->no", G, E)

    def _gate_backward(self, dG, G):
        return G * (dG - np.sum(dG * G, axis=1, keepdims=True))

    def backward(self, dLdy, retain_grads=True):
        X, p = self.X, self.parameters
        E, G = self.derived_variables["E"], self.derived_variables["G"]
        dE = G[:, :, None] * dLdy[:, None, :]  # (N, 2, O)
        dG = np.einsum("no,neo->ne", dLdy, E)
        dS = self._gate_backward(dG, G)
        dX = dE[:, 0] @ p["W1"].T + dE[:, 1] @ p["W2"].T + dS @ p["Wg"].T
        if retain_grads:
            self.gradients["W1"] += X.T @ dE[:, 0]
            self.gradients["W2"] += X.T @ dE[:, 1]
            self.gradients["Wg"] += X.T @ dS
        return dX


class MixtureOfExpertsDiagonalGate(MixtureOfExperts):
    def _gate_backward(self, dG, G):
        return dG * G * (1 - G)  # BUG: only the diagonal of the gate softmax's Jacobian


class TemperatureSoftmax(LayerBase):
    """y = softmax(x / T) over the last axis with a learnable temperature T (a (1,) array)."""

    def __init__(self, T=1.0):
        super().__init__()
        self.parameters = {"T": np.array([float(T)])}
        self.gradients = {"T": np.zeros(1)}
        self.is_initialized = True

    def forward(self, X, retain_derived=True):
        Y = _softmax(X / self.parameters["T"])
        if retain_derived:
            self.X = X
            self.derived_variables["Y"] = Y
        return Y

    def _dZ(self, dLdy):
        Y = self.derived_variables["Y"]
        return Y * (dLdy - np.sum(dLdy * Y, axis=1, keepdims=True))  # dL/d(x / T)

    def backward(self, dLdy, retain_grads=True):
        T = self.parameters["T"]
        dZ = self._dZ(dLdy)
        if retain_grads:
            self.gradients["T"] += np.array([-np.sum(dZ * self.X) / T[0] ** 2])
        return dZ / T


class TemperatureSoftmaxOneT(TemperatureSoftmax):
    def backward(self, dLdy, retain_grads=True):
        T = self.parameters["T"]
        dZ = self._dZ(dLdy)
        if retain_grads:
            self.gradients["T"] += np.array([-np.sum(dZ * self.X) / T[0]])  # BUG: d(x / T)/dT is -x / T^2, not -x / T
        return dZ / T


class PolynomialDense(LayerBase):
    """Polynomial features [x, x^2, x^3] (N, 3D), then a dense map to n_out."""

    def __init__(self, n_out):
        super().__init__()
        self.n_out = n_out

    def _init_params(self, n_in):
        self.parameters = {"W": np.random.randn(3 * n_in, self.n_out) / np.sqrt(3 * n_in),
                           "b": 0.1 * np.random.randn(1, self.n_out)}

    def forward(self, X, retain_derived=True):
        self._maybe_init(X)
        P = np.concatenate([X, X ** 2, X ** 3], axis=1)
        if retain_derived:
            self.X = X
            self.derived_variables["P"] = P
        return P @ self.parameters["W"] + self.parameters["b"]

    def _dX(self, dP, X):
        D = X.shape[1]
        return dP[:, :D] + dP[:, D:2 * D] * 2 * X + dP[:, 2 * D:] * 3 * X ** 2

    def backward(self, dLdy, retain_grads=True):
        X, P = self.X, self.derived_variables["P"]
        dP = dLdy @ self.parameters["W"].T
        if retain_grads:
            self.gradients["W"] += P.T @ dLdy
            self.gradients["b"] += dLdy.sum(axis=0, keepdims=True)
        return self._dX(dP, X)


class PolynomialDenseCubeRule(PolynomialDense):
    def _dX(self, dP, X):
        D = X.shape[1]
        return dP[:, :D] + dP[:, D:2 * D] * 2 * X + dP[:, 2 * D:] * 3 * X  # BUG: d(x^3)/dx written 3 x, not 3 x^2


# ---------------------------------------------------------------- the cases

def layer(build, *shape, T=None):
    def make(rng):
        np.random.seed(int(rng.integers(2 ** 31)))  # the weights are drawn at the first forward, from np.random
        module = build() if T is None else build(T=1.5 + 0.5 * rng.random())
        return (module, rng.standard_normal(shape)), {}
    return make


def cli(cls, input_shape, **kwargs):
    import json

    return ("--layer", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps(kwargs), "--input-shape", input_shape)


S = "numpy-ml"
CASES = [
    # --- correct
    Case("r3_npml.FullyConnected.tanh", S, "layer", layer(lambda: FullyConnected(3, "tanh"), 5, 4),
         cli=cli(FullyConnected, "5,4", n_out=3, act_fn="tanh")),
    Case("r3_npml.FullyConnected.relu", S, "layer", layer(lambda: FullyConnected(3, "relu"), 6, 4),
         cli=cli(FullyConnected, "6,4", n_out=3, act_fn="relu")),
    Case("r3_npml.RBF", S, "layer", layer(lambda: RBF(4), 5, 3), cli=cli(RBF, "5,3", n_centers=4)),
    Case("r3_npml.MixtureOfExperts", S, "layer", layer(lambda: MixtureOfExperts(3), 5, 4),
         cli=cli(MixtureOfExperts, "5,4", n_out=3)),
    Case("r3_npml.TemperatureSoftmax", S, "layer", layer(TemperatureSoftmax, 5, 4, T=True),
         cli=cli(TemperatureSoftmax, "5,4", T=1.7)),
    Case("r3_npml.PolynomialDense", S, "layer", layer(lambda: PolynomialDense(3), 5, 2),
         cli=cli(PolynomialDense, "5,2", n_out=3)),
    # --- buggy
    Case("r3_npml.FullyConnected.bias_before_act", S, "layer",
         layer(lambda: FullyConnectedBiasBeforeAct(3, "tanh"), 5, 4),
         bug="the bias gradient sums dLdy, before the activation's derivative (dW and dX right)",
         names=("split", "located", "known-mistake"), cli=cli(FullyConnectedBiasBeforeAct, "5,4", n_out=3, act_fn="tanh")),
    Case("r3_npml.RBF.centre_sign", S, "layer", layer(lambda: RBFCentreSign(4), 5, 3),
         bug="dX carries the minus sign of dC: dX = -(true dX)", names=("scaled",),
         cli=cli(RBFCentreSign, "5,3", n_centers=4)),
    Case("r3_npml.MixtureOfExperts.diagonal_gate", S, "layer",
         layer(lambda: MixtureOfExpertsDiagonalGate(3), 5, 4),
         bug="the gate's softmax backward keeps only its Jacobian's diagonal g (1 - g): dWg and dX wrong",
         names=("known-mistake", "located", "split"), cli=cli(MixtureOfExpertsDiagonalGate, "5,4", n_out=3)),
    Case("r3_npml.TemperatureSoftmax.one_T", S, "layer", layer(TemperatureSoftmaxOneT, 5, 4, T=True),
         bug="dT = -sum(dz * x) / T: one factor 1 / T missing (T times too large); dX right",
         names=("scaled", "split"), cli=cli(TemperatureSoftmaxOneT, "5,4", T=1.7)),
    Case("r3_npml.PolynomialDense.cube_rule", S, "layer", layer(lambda: PolynomialDenseCubeRule(3), 5, 2),
         bug="the cubic feature's derivative written 3 x instead of 3 x^2: dX wrong, dW, db right",
         names=("split", "located", "derivative"), cli=cli(PolynomialDenseCubeRule, "5,2", n_out=3)),
]
