"""numpy modules written in PyTorch's style, the way learners write them after a PyTorch course: a ``Parameter``
holds ``.data`` and ``.grad``; a ``Module`` finds its parameters through its attributes and sub-modules
(``parameters()``) and has ``zero_grad()``; ``forward(x)`` returns the output, ``backward(dout)`` returns dx and
*accumulates* into ``p.grad`` (``+=``), as autograd does, so the training loop calls ``zero_grad()`` before each
backward. ``Sequential(*layers)`` keeps a list, a residual block holds a ``Linear``; a recurrent cell takes two
inputs ``forward(x, h)``; ``Embedding`` is indexed by integer ids; a loss module's ``forward(pred, target)`` returns
the loss and ``backward()`` its gradient.

A buggy variant subclasses the correct class and rewrites the one method a learner got wrong (``# BUG:``)."""

import math

import numpy as np

from .case import Case


class Parameter:
    def __init__(self, data):
        self.data = data
        self.grad = np.zeros_like(data)


class Module:
    def parameters(self):
        params = []
        for value in vars(self).values():
            if isinstance(value, Parameter):
                params.append(value)
            elif isinstance(value, Module):
                params += value.parameters()
            elif isinstance(value, (list, tuple)):
                for item in value:
                    if isinstance(item, Module):
                        params += item.parameters()
        return params

    def zero_grad(self):
        for p in self.parameters():
            p.grad = np.zeros_like(p.data)

    def __call__(self, *args):
        return self.forward(*args)


# ---------------------------------------------------------------- layers

class Linear(Module):
    def __init__(self, in_features, out_features):
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(np.random.uniform(-bound, bound, (in_features, out_features)))
        self.bias = Parameter(np.zeros(out_features))

    def forward(self, x):
        self.x = x
        return x @ self.weight.data + self.bias.data

    def backward(self, dout):
        self.weight.grad += self.x.T @ dout
        self.bias.grad += dout.sum(axis=0)
        return dout @ self.weight.data.T


class LinearTransposedGrad(Linear):
    def backward(self, dout):
        self.weight.grad += (dout.T @ self.x)  # BUG: the transpose of x.T @ dout (the same shape when square)
        self.bias.grad += dout.sum(axis=0)
        return dout @ self.weight.data.T


class LinearMeanBias(Linear):
    def backward(self, dout):
        self.weight.grad += self.x.T @ dout
        self.bias.grad += dout.mean(axis=0)  # BUG: mean over the batch; the forward adds the bias to every row
        return dout @ self.weight.data.T


class ReLU(Module):
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Tanh(Module):
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1 - self.out ** 2)


class GELU(Module):
    """The tanh approximation, as in GPT-2."""

    def forward(self, x):
        self.x = x
        self.inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
        self.t = np.tanh(self.inner)
        return 0.5 * x * (1 + self.t)

    def backward(self, dout):
        dinner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * self.x ** 2)
        local = 0.5 * (1 + self.t) + 0.5 * self.x * (1 - self.t ** 2) * dinner
        return dout * local


class GELUNoProductRule(GELU):
    def backward(self, dout):
        return dout * 0.5 * (1 + self.t)  # BUG: drops the x * d(tanh)/dx term of the product rule


class Sequential(Module):
    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


class ResidualBlock(Module):
    def __init__(self, dim):
        self.fc = Linear(dim, dim)
        self.act = Tanh()

    def forward(self, x):
        return x + self.act(self.fc(x))

    def backward(self, dout):
        return dout + self.fc.backward(self.act.backward(dout))


class ResidualBlockMeanBias(ResidualBlock):
    def __init__(self, dim):
        super().__init__(dim)
        self.fc = LinearMeanBias(dim, dim)  # BUG: its Linear's bias gradient is a mean over the batch


class BatchNorm1d(Module):
    def __init__(self, num_features, eps=1e-5):
        self.gamma = Parameter(np.ones(num_features))
        self.beta = Parameter(np.zeros(num_features))
        self.eps = eps

    def forward(self, x):
        self.mu = x.mean(axis=0)
        self.var = x.var(axis=0)
        self.xhat = (x - self.mu) / np.sqrt(self.var + self.eps)
        return self.gamma.data * self.xhat + self.beta.data

    def backward(self, dout):
        n = dout.shape[0]
        self.gamma.grad += (dout * self.xhat).sum(axis=0)
        self.beta.grad += dout.sum(axis=0)
        dxhat = dout * self.gamma.data
        inv_std = 1 / np.sqrt(self.var + self.eps)
        return inv_std / n * (n * dxhat - dxhat.sum(axis=0) - self.xhat * (dxhat * self.xhat).sum(axis=0))


class RNNCell(Module):
    def __init__(self, input_size, hidden_size):
        k = 1 / math.sqrt(hidden_size)
        self.W_ih = Parameter(np.random.uniform(-k, k, (input_size, hidden_size)))
        self.W_hh = Parameter(np.random.uniform(-k, k, (hidden_size, hidden_size)))
        self.b = Parameter(np.zeros(hidden_size))

    def forward(self, x, h):
        self.x, self.h = x, h
        self.h_new = np.tanh(x @ self.W_ih.data + h @ self.W_hh.data + self.b.data)
        return self.h_new

    def backward(self, dh_new):
        da = dh_new * (1 - self.h_new ** 2)
        self.W_ih.grad += self.x.T @ da
        self.W_hh.grad += self.h.T @ da
        self.b.grad += da.sum(axis=0)
        return da @ self.W_ih.data.T, da @ self.W_hh.data.T


class RNNCellNoTanhInDh(RNNCell):
    def backward(self, dh_new):
        da = dh_new * (1 - self.h_new ** 2)
        self.W_ih.grad += self.x.T @ da
        self.W_hh.grad += self.h.T @ da
        self.b.grad += da.sum(axis=0)
        return da @ self.W_ih.data.T, dh_new @ self.W_hh.data.T  # BUG: dh_prev skips tanh' (dh_new, not da)


class Embedding(Module):
    def __init__(self, num_embeddings, embedding_dim):
        self.weight = Parameter(np.random.randn(num_embeddings, embedding_dim))

    def forward(self, ids):
        self.ids = ids
        return self.weight.data[ids]

    def backward(self, dout):
        np.add.at(self.weight.grad, self.ids, dout)
        return None  # no gradient for integer ids


class EmbeddingFancyIndex(Embedding):
    def backward(self, dout):
        self.weight.grad[self.ids] += dout  # BUG: buffered: a word that occurs twice gets one occurrence's gradient
        return None


class HuberLoss(Module):
    def __init__(self, delta=1.0):
        self.delta = delta

    def forward(self, pred, target):
        self.r = pred - target
        small = np.abs(self.r) <= self.delta
        losses = np.where(small, 0.5 * self.r ** 2, self.delta * (np.abs(self.r) - 0.5 * self.delta))
        return losses.mean()

    def backward(self):
        return np.clip(self.r, -self.delta, self.delta) / self.r.size


class HuberLossNoDelta(HuberLoss):
    def backward(self):
        return np.clip(self.r, -1, 1) / self.r.size  # BUG: clipped at 1, not at delta


class Dense:
    """A torch-like layer without Parameter objects: the gradients in ``self.dW``, ``self.db``, added up."""

    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_in, n_out) * 0.1
        self.b = np.zeros(n_out)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW += self.x.T @ dout  # BUG: accumulated, and nothing ever resets dW, db (no zero_grad)
        self.db += dout.sum(axis=0)
        return dout @ self.W.T


class SelfAttention(Module):
    """Single-head scaled dot-product self-attention over x of shape (T, d)."""

    def __init__(self, d):
        self.Wq = Parameter(np.random.randn(d, d) / math.sqrt(d))
        self.Wk = Parameter(np.random.randn(d, d) / math.sqrt(d))
        self.Wv = Parameter(np.random.randn(d, d) / math.sqrt(d))

    def forward(self, x):
        self.x = x
        self.q, self.k, self.v = x @ self.Wq.data, x @ self.Wk.data, x @ self.Wv.data
        s = self.q @ self.k.T / math.sqrt(x.shape[1])
        e = np.exp(s - s.max(axis=1, keepdims=True))
        self.a = e / e.sum(axis=1, keepdims=True)
        return self.a @ self.v

    def backward(self, dout):
        d = self.x.shape[1]
        da = dout @ self.v.T
        dv = self.a.T @ dout
        ds = self.a * (da - (da * self.a).sum(axis=1, keepdims=True))
        dq = ds @ self.k / math.sqrt(d)
        dk = ds.T @ self.q / math.sqrt(d)
        self.Wq.grad += self.x.T @ dq
        self.Wk.grad += self.x.T @ dk
        self.Wv.grad += self.x.T @ dv
        return dq @ self.Wq.data.T + dk @ self.Wk.data.T + dv @ self.Wv.data.T


class SelfAttentionNoScaleInBackward(SelfAttention):
    def backward(self, dout):
        da = dout @ self.v.T
        dv = self.a.T @ dout
        ds = self.a * (da - (da * self.a).sum(axis=1, keepdims=True))
        dq = ds @ self.k  # BUG: forgets the 1 / sqrt(d) of the scores in dq and dk
        dk = ds.T @ self.q
        self.Wq.grad += self.x.T @ dq
        self.Wk.grad += self.x.T @ dk
        self.Wv.grad += self.x.T @ dv
        return dq @ self.Wq.data.T + dk @ self.Wk.data.T + dv @ self.Wv.data.T


# ---------------------------------------------------------------- the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def _fill(module, rng):
    """Every parameter redrawn from rng (the constructors draw from numpy's global generator)."""
    for p in module.parameters():
        p.data[...] = normal(rng, *p.data.shape)
    return module


def module(build, *shape):
    def make(rng):
        return (_fill(build(), rng), normal(rng, *shape)), {}
    return make


def dense(cls, n_in=4, n_out=3, batch=5):
    def make(rng):
        layer = cls(n_in, n_out)
        layer.W, layer.b = normal(rng, n_in, n_out), normal(rng, n_out)
        return (layer, normal(rng, batch, n_in)), {}
    return make


def rnn(cls, N=3, D=4, H=5):
    def make(rng):
        cell = _fill(cls(D, H), rng)
        for p in (cell.W_ih, cell.W_hh):
            p.data *= 0.5
        return (cell, (normal(rng, N, D), normal(rng, N, H))), {}
    return make


def embedding(cls, V=6, D=3):
    def make(rng):
        ids = rng.integers(0, V, (2, 4))
        ids[1, 3] = ids[0, 0]  # a word that occurs twice
        return (_fill(cls(V, D), rng), ids), {}
    return make


def huber(cls, delta=1.0, at_threshold=False):
    def make(rng):
        target = np.round(2 * normal(rng, 4, 3))
        pred = target + 2 * delta * normal(rng, 4, 3)
        if at_threshold:  # residuals exactly at +delta and -delta: smooth once, not twice, there
            pred[0, 0], pred[2, 1], pred[3, 2] = target[0, 0] + delta, target[2, 1] - delta, target[3, 2] + delta
        return (cls(delta), pred), {"t": target}
    return make


def cli(cls, shape, **kwargs):
    import json

    args = ("--layer", f"{{file}}:{cls.__name__}")
    if kwargs:
        args += ("--kwargs", json.dumps(kwargs))
    return (*args, "--input-shape", shape)


S = "torchlike"
CASES = [
    # --- correct
    Case("torchlike.Linear.zero_grad", S, "layer", module(lambda: Linear(4, 3), 5, 4),
         cli=cli(Linear, "5,4", in_features=4, out_features=3)),
    Case("torchlike.Sequential", S, "layer", module(lambda: Sequential(Linear(4, 5), ReLU(), Linear(5, 3)), 6, 4)),
    Case("torchlike.ResidualBlock", S, "layer", module(lambda: ResidualBlock(4), 5, 4),
         cli=cli(ResidualBlock, "5,4", dim=4)),
    Case("torchlike.Sequential.linear_batchnorm", S, "layer",
         module(lambda: Sequential(Linear(4, 3), BatchNorm1d(3)), 6, 4)),
    Case("torchlike.RNNCell", S, "layer", rnn(RNNCell)),
    Case("torchlike.Embedding", S, "layer", embedding(Embedding)),
    Case("torchlike.HuberLoss.at_threshold", S, "layer", huber(HuberLoss, at_threshold=True)),
    Case("torchlike.GELU", S, "layer", module(GELU, 5, 4), cli=cli(GELU, "5,4")),
    Case("torchlike.SelfAttention", S, "layer", module(lambda: SelfAttention(4), 5, 4),
         cli=cli(SelfAttention, "5,4", d=4)),
    # --- buggy
    Case("torchlike.Dense.no_reset", S, "layer", dense(Dense),
         bug="dW += ... and db += ... with no zero_grad anywhere: the second backward doubles them",
         names=("not-repeatable",), cli=cli(Dense, "5,4", n_in=4, n_out=3)),
    Case("torchlike.Sequential.inner_transposed", S, "layer",
         module(lambda: Sequential(Linear(4, 4), Tanh(), LinearTransposedGrad(4, 4)), 6, 4),
         bug="the second Linear's weight.grad is dout.T @ x: its square gradient transposed",
         names=("transposed", "layer")),
    Case("torchlike.ResidualBlock.mean_bias", S, "layer", module(lambda: ResidualBlockMeanBias(4), 5, 4),
         bug="the block's Linear (self.fc) takes the mean of dout over the batch for its bias gradient",
         names=("scaled", "batch"), cli=cli(ResidualBlockMeanBias, "5,4", dim=4)),
    Case("torchlike.RNNCell.dh_prev_no_tanh", S, "layer", rnn(RNNCellNoTanhInDh),
         bug="dh_prev = dh_new @ W_hh.T: skips the tanh derivative", names=("known-mistake", "located")),
    Case("torchlike.Embedding.fancy_index", S, "layer", embedding(EmbeddingFancyIndex),
         bug="weight.grad[ids] += dout is buffered: a repeated id keeps one occurrence's gradient",
         names=("located",)),
    Case("torchlike.HuberLoss.no_delta", S, "layer", huber(HuberLossNoDelta, delta=2.0),
         bug="Huber's gradient clipped at 1 instead of delta = 2", names=("located",)),
    Case("torchlike.GELU.no_product_rule", S, "layer", module(GELUNoProductRule, 5, 4),
         bug="GELU' as 0.5 * (1 + tanh(...)): the x * tanh' term of the product rule is missing",
         names=("known-mistake", "located", "derivative"), cli=cli(GELUNoProductRule, "5,4")),
    Case("torchlike.SelfAttention.no_scale", S, "layer", module(lambda: SelfAttentionNoScaleInBackward(4), 5, 4),
         bug="attention backward forgets 1/sqrt(d) in dq and dk", names=("scaled",),
         cli=cli(SelfAttentionNoScaleInBackward, "5,4", d=4)),
]
