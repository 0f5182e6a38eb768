"""Links written in Chainer's style: a ``Parameter`` holds ``data`` and ``grad`` (None until a backward, then
accumulated: ``grad = g`` the first time, ``grad += g`` after), a ``Link`` yields its parameters from ``params()``
and sets every ``grad`` back to None in ``cleargrads()``, which the training loop calls before each backward
(``model.cleargrads(); loss.backward(); optimizer.update()``). A ``Chain`` registers its child links by name and
walks them in ``params()`` and ``cleargrads()``. ``forward(x)`` returns y, ``backward(gy)`` returns gx.
Linear (W of shape (out_size, in_size), as Chainer's), PReLU with a learnable slope per channel, layer
normalisation with gamma and beta, an MLP chain.

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

import json

import numpy as np

from .case import Case


class Parameter:
    def __init__(self, data):
        self.data = data
        self.grad = None

    def cleargrad(self):
        self.grad = None

    def accumulate(self, g):
        if self.grad is None:
            self.grad = g
        else:
            self.grad += g


class Link:
    def params(self):
        for value in vars(self).values():
            if isinstance(value, Parameter):
                yield value

    def cleargrads(self):
        for p in self.params():
            p.cleargrad()


class Chain(Link):
    def __init__(self):
        self._children = []

    def add_link(self, name, link):
        setattr(self, name, link)
        self._children.append(name)

    def children(self):
        for name in self._children:
            yield getattr(self, name)

    def params(self):
        for child in self.children():
            yield from child.params()


class Linear(Link):
    def __init__(self, in_size, out_size):
        self.W = Parameter(np.random.normal(0, np.sqrt(1 / in_size), (out_size, in_size)))
        self.b = Parameter(np.zeros(out_size))

    def forward(self, x):
        self.x = x
        return x @ self.W.data.T + self.b.data

    def backward(self, gy):
        self.W.accumulate(gy.T @ self.x)
        self.b.accumulate(gy.sum(axis=0))
        return gy @ self.W.data


class PReLU(Link):
    """y = x where x >= 0, W * x elsewhere, one learnable slope per channel (the last axis)."""

    def __init__(self, shape=4, init=0.25):
        self.W = Parameter(np.full(shape, init))

    def forward(self, x):
        self.x = x
        return np.where(x >= 0, x, self.W.data * x)

    def backward(self, gy):
        self.W.accumulate(np.sum(gy * np.where(self.x >= 0, 0.0, self.x), axis=0))
        return gy * np.where(self.x >= 0, 1.0, self.W.data)


class PReLUSlopeEverywhere(PReLU):
    def backward(self, gy):
        self.W.accumulate(np.sum(gy * self.x, axis=0))  # BUG: dy/dW = x for every x, also where x >= 0 (there 0)
        return gy * np.where(self.x >= 0, 1.0, self.W.data)


class LayerNormalization(Link):
    def __init__(self, size=4, eps=1e-5):
        self.gamma = Parameter(np.ones(size))
        self.beta = Parameter(np.zeros(size))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(axis=1, keepdims=True)
        self.xc = x - mu
        self.std = np.sqrt((self.xc ** 2).mean(axis=1, keepdims=True) + self.eps)
        self.xhat = self.xc / self.std
        return self.gamma.data * self.xhat + self.beta.data

    def backward(self, gy):
        self.gamma.accumulate(np.sum(gy * self.xhat, axis=0))
        self.beta.accumulate(np.sum(gy, axis=0))
        gxhat = gy * self.gamma.data
        D = gy.shape[1]
        return (D * gxhat - gxhat.sum(axis=1, keepdims=True)
                - self.xhat * np.sum(gxhat * self.xhat, axis=1, keepdims=True)) / (D * self.std)


class LayerNormalizationGammaAxis(LayerNormalization):
    def backward(self, gy):
        self.gamma.accumulate(np.sum(gy * self.xhat, axis=1))  # BUG: summed over the features, not the batch
        self.beta.accumulate(np.sum(gy, axis=0))
        gxhat = gy * self.gamma.data
        D = gy.shape[1]
        return (D * gxhat - gxhat.sum(axis=1, keepdims=True)
                - self.xhat * np.sum(gxhat * self.xhat, axis=1, keepdims=True)) / (D * self.std)


class ReLU(Link):
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


class MLP(Chain):
    def __init__(self, n_in=4, n_hidden=5, n_out=3):
        super().__init__()
        self.add_link("l1", Linear(n_in, n_hidden))
        self.add_link("a1", ReLU())
        self.add_link("l2", Linear(n_hidden, n_out))

    def forward(self, x):
        for link in self.children():
            x = link.forward(x)
        return x

    def backward(self, gy):
        for link in reversed(list(self.children())):
            gy = link.backward(gy)
        return gy


class MLPClearsOwnOnly(MLP):
    def cleargrads(self):
        self.l1.cleargrads()  # BUG: only the first child is cleared: l2's grads accumulate over backward calls


class MLPSharedActivation(Chain):
    """Two hidden layers of the same width and one ReLU link reused after each."""

    def __init__(self, n=4):
        super().__init__()
        self.add_link("l1", Linear(n, n))
        self.add_link("l2", Linear(n, n))
        self.add_link("act", ReLU())

    def forward(self, x):
        h = self.act.forward(self.l1.forward(x))
        return self.act.forward(self.l2.forward(h))  # BUG: the same ReLU link twice: its mask is now l2's

    def backward(self, gy):
        gh = self.l2.backward(self.act.backward(gy))
        return self.l1.backward(self.act.backward(gh))


class MLPTwoActivations(MLPSharedActivation):
    def __init__(self, n=4):
        super().__init__(n)
        self.add_link("act2", ReLU())

    def forward(self, x):
        h = self.act.forward(self.l1.forward(x))
        return self.act2.forward(self.l2.forward(h))

    def backward(self, gy):
        gh = self.l2.backward(self.act2.backward(gy))
        return self.l1.backward(self.act.backward(gh))


# ---------------------------------------------------------------- the cases

def _randomise(link, rng):
    """Every parameter drawn afresh from rng (the slope and gamma away from their initial constants)."""
    for p in link.params():
        p.data = p.data + 0.5 * rng.standard_normal(p.data.shape)
    return link


def link(build, *shape):
    def make(rng):
        np.random.seed(int(rng.integers(2 ** 31)))  # the constructors draw W with numpy's global generator
        return (_randomise(build(), rng), rng.standard_normal(shape)), {}
    return make


def cli(cls, input_shape, **kwargs):
    args = ("--layer", f"{{file}}:{cls.__name__}")
    if kwargs:
        args += ("--kwargs", json.dumps(kwargs))
    return (*args, "--input-shape", input_shape)


S = "chainer"
CASES = [
    # --- correct
    Case("r2_chainer.Linear", S, "layer", link(lambda: Linear(4, 3), 5, 4),
         cli=cli(Linear, "5,4", in_size=4, out_size=3)),
    Case("r2_chainer.PReLU", S, "layer", link(lambda: PReLU(4), 6, 4), cli=cli(PReLU, "6,4", shape=4)),
    Case("r2_chainer.LayerNormalization", S, "layer", link(lambda: LayerNormalization(4), 4, 4),
         cli=cli(LayerNormalization, "4,4", size=4)),
    Case("r2_chainer.MLP", S, "layer", link(MLP, 6, 4)),
    Case("r2_chainer.MLP.two_activations", S, "layer", link(MLPTwoActivations, 6, 4)),
    # --- buggy
    Case("r2_chainer.PReLU.slope_everywhere", S, "layer", link(lambda: PReLUSlopeEverywhere(4), 6, 4),
         bug="the slope's gradient sums gy * x over every x; where x >= 0 the output does not depend on W",
         names=("located",), cli=cli(PReLUSlopeEverywhere, "6,4", shape=4)),
    Case("r2_chainer.LayerNormalization.gamma_axis", S, "layer",
         link(lambda: LayerNormalizationGammaAxis(4), 4, 4),
         bug="gamma's gradient summed over axis 1 (the features) instead of axis 0 (the batch); N = D hides the shape",
         names=("located", "batch"), cli=cli(LayerNormalizationGammaAxis, "4,4", size=4)),
    Case("r2_chainer.MLP.clears_first_only", S, "layer", link(MLPClearsOwnOnly, 6, 4),
         bug="the chain's cleargrads() clears only l1: l2's grads accumulate over backward calls",
         names=("not-repeatable",)),
    Case("r2_chainer.MLP.shared_activation", S, "layer", link(MLPSharedActivation, 6, 4),
         bug="one ReLU link used after both layers: backward through the first use reads the second use's mask",
         names=("located", "layer")),
]
