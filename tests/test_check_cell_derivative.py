"""Inside a layer: the activation's derivative left out on the way to one input only (a cell's dh), and batch
normalisation with the unbiased (n - 1) variance recognised by the catalogue; each in two styles."""

import numpy as np

import nngrad


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Param:
    def __init__(self, data):
        self.data, self.grad = data, np.zeros_like(data)


class TorchRNNCell:
    """h' = tanh(x W_ih + h W_hh + b), parameters with .data and .grad; ``skip`` leaves tanh' out of dh."""

    def __init__(self, rng, skip=False, D=4, H=5):
        self.W_ih, self.W_hh = Param(0.5 * rng.standard_normal((D, H))), Param(0.5 * rng.standard_normal((H, H)))
        self.b, self.skip = Param(rng.standard_normal(H)), skip

    def parameters(self):
        return [self.W_ih, self.W_hh, self.b]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = np.zeros_like(p.data)

    def forward(self, x, h):
        self.x, self.h = x, h
        self.out = np.tanh(x @ self.W_ih.data + h @ self.W_hh.data + self.b.data)
        return self.out

    def backward(self, dout):
        da = dout * (1 - self.out ** 2)
        self.W_ih.grad += self.x.T @ da
        self.W_hh.grad += self.h.T @ da
        self.b.grad += da.sum(axis=0)
        return da @ self.W_ih.data.T, (dout if self.skip else da) @ self.W_hh.data.T


class GatedSum:
    """A book-style layer of two inputs: out = sigmoid(x @ W + u @ V + b), gradients in dW, dV, db; ``skip``
    leaves sigmoid' out of du."""

    def __init__(self, rng, skip=False, D=3, E=2, H=4):
        self.W, self.V, self.b = rng.standard_normal((D, H)), rng.standard_normal((E, H)), rng.standard_normal(H)
        self.skip = skip

    def forward(self, x, u):
        self.x, self.u = x, u
        self.out = _sigmoid(x @ self.W + u @ self.V + self.b)
        return self.out

    def backward(self, dout):
        da = dout * self.out * (1 - self.out)
        self.dW, self.dV, self.db = self.x.T @ da, self.u.T @ da, da.sum(axis=0)
        return da @ self.W.T, (dout if self.skip else da) @ self.V.T


def _known(report):
    return [f.message for f in report.findings if f.kind == "known-mistake"]


def test_torch_style_cell_dh_without_tanh_derivative_is_named_for_dh_alone():
    rng = np.random.default_rng(1)
    inputs = (rng.standard_normal((3, 4)), rng.standard_normal((3, 5)))
    assert nngrad.check_layer(TorchRNNCell(np.random.default_rng(2)), inputs).status == "PASS"
    report = nngrad.check_layer(TorchRNNCell(np.random.default_rng(2), skip=True), inputs)
    (words,) = _known(report)
    assert words.startswith("dx[1] is exactly what a backward with tanh's derivative left out")


def test_book_style_gated_layer_du_without_sigmoid_derivative_is_named_for_du_alone():
    rng = np.random.default_rng(3)
    inputs = (rng.standard_normal((4, 3)), rng.standard_normal((4, 2)))
    assert nngrad.check_layer(GatedSum(np.random.default_rng(4)), inputs).status == "PASS"
    report = nngrad.check_layer(GatedSum(np.random.default_rng(4), skip=True), inputs)
    (words,) = _known(report)
    assert "sigmoid's derivative left out" in words and words.startswith("dx[1] is exactly")


class KerasBatchNorm:
    """Keras-like: call(inputs), backward(grad), get_gradients(); the unbiased variance (n - 1); ``drop``: the
    variance's term left out of dx."""

    def __init__(self, rng, drop=False, dim=3):
        self.gamma, self.beta = 1 + 0.3 * rng.standard_normal(dim), rng.standard_normal(dim)
        self.drop, self.epsilon = drop, 1e-3

    @property
    def trainable_weights(self):
        return [self.gamma, self.beta]

    def call(self, inputs):
        n = inputs.shape[0]
        self.xc = inputs - inputs.mean(axis=0)
        self.std = np.sqrt((self.xc ** 2).sum(axis=0) / (n - 1) + self.epsilon)
        self.xhat = self.xc / self.std
        return self.gamma * self.xhat + self.beta

    def backward(self, grad):
        n = grad.shape[0]
        self.gamma_grad, self.beta_grad = (grad * self.xhat).sum(axis=0), grad.sum(axis=0)
        dxhat = grad * self.gamma
        dvar = 0 if self.drop else (dxhat * self.xc).sum(axis=0) * -0.5 / self.std ** 3
        return dxhat / self.std + dvar * 2 * self.xc / (n - 1) - dxhat.sum(axis=0) / self.std / n

    def get_gradients(self):
        return [self.gamma_grad, self.beta_grad]


class BookBatchNorm:
    """Book style: forward(x) / backward(dout), dgamma and dbeta attributes; the unbiased variance; ``drop``: the
    mean's term left out of dx."""

    def __init__(self, rng, drop=False, dim=4):
        self.gamma, self.beta = 1 + 0.3 * rng.standard_normal(dim), rng.standard_normal(dim)
        self.drop = drop

    def forward(self, x):
        n = x.shape[0]
        self.xc = x - x.mean(axis=0)
        self.std = np.sqrt((self.xc ** 2).sum(axis=0) / (n - 1) + 1e-5)
        self.xhat = self.xc / self.std
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        n = dout.shape[0]
        self.dgamma, self.dbeta = (dout * self.xhat).sum(axis=0), dout.sum(axis=0)
        g = dout * self.gamma
        mean = 0 if self.drop else g.mean(axis=0)
        return (g - mean - self.xhat * (g * self.xhat).sum(axis=0) / (n - 1)) / self.std


def test_keras_style_batch_norm_with_unbiased_variance_is_recognised_without_its_variance_term():
    x = np.random.default_rng(5).standard_normal((6, 3))
    assert nngrad.check_layer(KerasBatchNorm(np.random.default_rng(6)), x).status == "PASS"
    (words,) = _known(nngrad.check_layer(KerasBatchNorm(np.random.default_rng(6), drop=True), x))
    assert "batch normalisation with the variance's term missing" in words


def test_book_style_batch_norm_with_unbiased_variance_is_recognised_without_its_mean_term():
    x = np.random.default_rng(7).standard_normal((5, 4))
    assert nngrad.check_layer(BookBatchNorm(np.random.default_rng(8)), x).status == "PASS"
    (words,) = _known(nngrad.check_layer(BookBatchNorm(np.random.default_rng(8), drop=True), x))
    assert "batch normalisation with the mean's term missing" in words
