"""Layers that keep the gradient of their input: ``backward(grad_output)`` returns nothing and stores
``self.grad_input`` (and a linear layer's ``self.grad_W``, ``self.grad_b``), the way Lua Torch's ``nn`` modules
(``updateGradInput``) and some course frameworks do. A ``Sequential`` chains them: its ``backward`` walks the
layers in reverse, passing each layer's ``grad_input`` to the one before, returns nothing either, and exposes the
result as its own ``grad_input`` (the first layer's). A ``Residual`` wraps a Sequential: out = x + f(x).

A learner checks them as ``nngrad.check_layer(TanhMLP(4, 5, 3), x)``, or from the shell with
``--layer FILE:TanhMLP --kwargs '{"n_in": 4, "n_hidden": 5, "n_out": 3}' --input-shape 6,4``. A buggy network is a
class with the one thing a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _randn(rng, *shape):
    return rng.standard_normal(shape) if rng is not None else np.random.randn(*shape)


class Linear:
    def __init__(self, n_in, n_out, rng=None):
        self.W = _randn(rng, n_in, n_out) / np.sqrt(n_in)
        self.b = 0.1 * _randn(rng, n_out)
        self.x = self.grad_input = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_output):
        self.grad_W = self.x.T @ grad_output
        self.grad_b = grad_output.sum(axis=0)
        self.grad_input = grad_output @ self.W.T


class Tanh:
    def forward(self, x):
        self.x = x
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_output):
        self.grad_input = grad_output * (1 - self.y ** 2)


class TanhOfInput(Tanh):
    def backward(self, grad_output):
        self.grad_input = grad_output * (1 - self.x ** 2)  # BUG: 1 - x^2 of the input, where 1 - tanh(x)^2 is due


class Softplus:
    def forward(self, x):
        self.x = x
        return np.logaddexp(0, x)

    def backward(self, grad_output):
        self.grad_input = grad_output / (1 + np.exp(-self.x))


class Sequential:
    def __init__(self, *layers):
        self.layers = list(layers)
        self.grad_input = None

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_output):
        for layer in reversed(self.layers):
            layer.backward(grad_output)
            grad_output = layer.grad_input
        self.grad_input = grad_output


class Residual(Sequential):
    """out = x + layers(x)."""

    def forward(self, x):
        return x + super().forward(x)

    def backward(self, grad_output):
        super().backward(grad_output)
        self.grad_input = self.grad_input + grad_output


class ResidualNoSkip(Residual):
    def backward(self, grad_output):
        super(Residual, self).backward(grad_output)  # BUG: the skip path's + grad_output never added


class TanhMLP(Sequential):
    def __init__(self, n_in, n_hidden, n_out, rng=None):
        super().__init__(Linear(n_in, n_hidden, rng), Tanh(), Linear(n_hidden, n_out, rng))


class TanhMLPOfInput(Sequential):
    def __init__(self, n_in, n_hidden, n_out, rng=None):
        super().__init__(Linear(n_in, n_hidden, rng), TanhOfInput(), Linear(n_hidden, n_out, rng))


class ResidualNet(Sequential):
    """Linear(n_in, d), Residual(Linear(d, d), Softplus, Linear(d, d)), Linear(d, n_out)."""

    residual = Residual

    def __init__(self, n_in, d, n_out, rng=None):
        block = self.residual(Linear(d, d, rng), Softplus(), Linear(d, d, rng))
        super().__init__(Linear(n_in, d, rng), block, Linear(d, n_out, rng))


class ResidualNetNoSkip(ResidualNet):
    residual = ResidualNoSkip


# ---------------------------------------------------------------- the cases

def net(cls, x_shape, *sizes):
    return lambda rng: ((cls(*sizes, rng=rng), rng.standard_normal(x_shape)), {})


def cli(cls, input_shape, **kwargs):
    import json

    return ("--layer", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps(kwargs), "--input-shape", input_shape)


S = "sequential-grad-input"
MLP = dict(n_in=4, n_hidden=5, n_out=3)
RES = dict(n_in=4, d=5, n_out=3)
CASES = [
    # --- correct
    Case("r5_seqgrad.TanhMLP", S, "layer", net(TanhMLP, (6, 4), 4, 5, 3), cli=cli(TanhMLP, "6,4", **MLP)),
    Case("r5_seqgrad.ResidualNet", S, "layer", net(ResidualNet, (6, 4), 4, 5, 3), cli=cli(ResidualNet, "6,4", **RES)),
    # --- buggy
    Case("r5_seqgrad.TanhMLP.of_input", S, "layer", net(TanhMLPOfInput, (6, 4), 4, 5, 3),
         bug="tanh's grad_input as 1 - x^2 of its input (the pre-activation), not 1 - tanh(x)^2: the second "
             "linear layer's gradients right, the first's and dx wrong",
         names=("layer", "known-mistake", "derivative", "located", "split"), cli=cli(TanhMLPOfInput, "6,4", **MLP)),
    Case("r5_seqgrad.ResidualNet.no_skip", S, "layer", net(ResidualNetNoSkip, (6, 4), 4, 5, 3),
         bug="the residual block's backward drops its skip path (grad_input without + grad_output): the first "
             "layer's gradients and dx wrong, the block's and the last layer's right",
         names=("missing-term", "layer", "located", "split"), cli=cli(ResidualNetNoSkip, "6,4", **RES)),
]
