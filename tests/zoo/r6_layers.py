"""Layers learners add after the basics, each a plain class with ``forward(x)`` and ``backward(dout) -> dx``,
parameters in attributes ``W``, ``b`` (gradients ``dW``, ``db``): maxout (the max over K linear pieces), a highway
layer (a gate T mixing tanh(x Wh + bh) with x itself), a squeeze-and-excitation block on (N, C, L), instance norm
(each sample's channel normalised over its own positions), a 2-D max pool whose windows overlap (stride < size),
and a mean embedding bag whose bags are given by offsets into a flat list of ids (torch's ``EmbeddingBag``).

A learner checks them as ``nngrad.check_layer(Maxout(4, 3), x)``, or from the shell with
``--layer FILE:Maxout --kwargs '{"n_in": 4, "n_out": 3}' --input-shape 5,4``. A buggy layer is a subclass with
the one method a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _rng(rng):
    return rng if rng is not None else np.random.default_rng(0)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Maxout:
    """x (N, n_in) -> (N, n_out): the max over k affine pieces per output unit."""

    def __init__(self, n_in, n_out, k=3, rng=None):
        rng = _rng(rng)
        self.W = rng.standard_normal((n_in, n_out * k)) / np.sqrt(n_in)
        self.b = 0.1 * rng.standard_normal(n_out * k)
        self.n_out, self.k = n_out, k

    def forward(self, x):
        self.x = x
        self.z = (x @ self.W + self.b).reshape(len(x), self.n_out, self.k)
        self.arg = self.z.argmax(axis=2)
        return self.z.max(axis=2)

    def _route(self, dout):
        dz = np.zeros_like(self.z)
        np.put_along_axis(dz, self.arg[..., None], dout[..., None], axis=2)
        return dz

    def backward(self, dout):
        dz = self._route(dout).reshape(len(self.x), -1)
        self.dW = self.x.T @ dz
        self.db = dz.sum(axis=0)
        return dz @ self.W.T


class MaxoutAllPieces(Maxout):
    def _route(self, dout):
        # BUG: the gradient routed to every piece, not only the one that won the max
        return np.repeat(dout[..., None], self.k, axis=2)


class Highway:
    """y = T * H + (1 - T) * x, H = tanh(x Wh + bh), T = sigmoid(x Wt + bt); x (N, D)."""

    def __init__(self, dim, rng=None):
        rng = _rng(rng)
        self.Wh = rng.standard_normal((dim, dim)) / np.sqrt(dim)
        self.bh = 0.1 * rng.standard_normal(dim)
        self.Wt = rng.standard_normal((dim, dim)) / np.sqrt(dim)
        self.bt = -1.0 + 0.1 * rng.standard_normal(dim)

    def forward(self, x):
        self.x = x
        self.H = np.tanh(x @ self.Wh + self.bh)
        self.T = _sigmoid(x @ self.Wt + self.bt)
        return self.T * self.H + (1 - self.T) * x

    def _carry(self, dout):
        return dout * (1 - self.T)

    def backward(self, dout):
        dzh = dout * self.T * (1 - self.H ** 2)
        dzt = dout * (self.H - self.x) * self.T * (1 - self.T)
        self.dWh, self.dbh = self.x.T @ dzh, dzh.sum(axis=0)
        self.dWt, self.dbt = self.x.T @ dzt, dzt.sum(axis=0)
        return self._carry(dout) + dzh @ self.Wh.T + dzt @ self.Wt.T


class HighwayUngatedCarry(Highway):
    def _carry(self, dout):
        return dout  # BUG: the carry path's gate (1 - T) dropped: x passed through with weight 1


class SEBlock:
    """Squeeze and excitation on x (N, C, L): s = mean over L, g = sigmoid(s W + b), y = x * g (per channel)."""

    def __init__(self, channels, rng=None):
        rng = _rng(rng)
        self.W = rng.standard_normal((channels, channels)) / np.sqrt(channels)
        self.b = 0.1 * rng.standard_normal(channels)

    def forward(self, x):
        self.x = x
        self.s = x.mean(axis=2)
        self.g = _sigmoid(self.s @ self.W + self.b)
        return x * self.g[:, :, None]

    def backward(self, dout):
        dg = (dout * self.x).sum(axis=2)
        da = dg * self.g * (1 - self.g)
        self.dW, self.db = self.s.T @ da, da.sum(axis=0)
        ds = da @ self.W.T
        return dout * self.g[:, :, None] + ds[:, :, None] / self.x.shape[2]


class SEBlockNoSqueezePath(SEBlock):
    def backward(self, dout):
        dg = (dout * self.x).sum(axis=2)
        da = dg * self.g * (1 - self.g)
        self.dW, self.db = self.s.T @ da, da.sum(axis=0)
        return dout * self.g[:, :, None]  # BUG: dx through the squeeze (the gate's own dependence on x) left out


class InstanceNorm:
    """x (N, C, L): each (sample, channel) normalised over its L positions, then gamma, beta per channel."""

    def __init__(self, channels, eps=1e-5, rng=None):
        rng = _rng(rng)
        self.gamma = 1 + 0.1 * rng.standard_normal(channels)
        self.beta = 0.1 * rng.standard_normal(channels)
        self.eps = eps

    def forward(self, x):
        mu = x.mean(axis=2, keepdims=True)
        self.std = np.sqrt(x.var(axis=2, keepdims=True) + self.eps)
        self.xhat = (x - mu) / self.std
        return self.xhat * self.gamma[:, None] + self.beta[:, None]

    def backward(self, dout):
        self.dgamma = (dout * self.xhat).sum(axis=(0, 2))
        self.dbeta = dout.sum(axis=(0, 2))
        d = dout * self.gamma[:, None]
        return (d - d.mean(axis=2, keepdims=True)
                - self.xhat * (d * self.xhat).mean(axis=2, keepdims=True)) / self.std


class InstanceNormBatchMeans(InstanceNorm):
    def backward(self, dout):
        self.dgamma = (dout * self.xhat).sum(axis=(0, 2))
        self.dbeta = dout.sum(axis=(0, 2))
        d = dout * self.gamma[:, None]
        # BUG: the means of the backward taken over the batch axis (batch norm's formula), not over positions
        return (d - d.mean(axis=0, keepdims=True)
                - self.xhat * (d * self.xhat).mean(axis=0, keepdims=True)) / self.std


class MaxPool2D:
    """x (N, C, H, W), windows size x size every stride (stride < size: windows overlap)."""

    def __init__(self, size=3, stride=2):
        self.size, self.stride = size, stride

    def _windows(self, x):
        n = (x.shape[2] - self.size) // self.stride + 1
        m = (x.shape[3] - self.size) // self.stride + 1
        for i in range(n):
            for j in range(m):
                yield i, j, (slice(i * self.stride, i * self.stride + self.size),
                             slice(j * self.stride, j * self.stride + self.size))

    def forward(self, x):
        self.x = x
        n = (x.shape[2] - self.size) // self.stride + 1
        m = (x.shape[3] - self.size) // self.stride + 1
        out = np.empty(x.shape[:2] + (n, m))
        for i, j, (rs, cs) in self._windows(x):
            out[:, :, i, j] = x[:, :, rs, cs].max(axis=(2, 3))
        return out

    def _mask(self, patch):
        flat = patch.reshape(patch.shape[0], patch.shape[1], -1)
        mask = np.zeros_like(flat)
        np.put_along_axis(mask, flat.argmax(axis=2)[..., None], 1.0, axis=2)
        return mask.reshape(patch.shape)

    def backward(self, dout):
        dx = np.zeros_like(self.x)
        for i, j, (rs, cs) in self._windows(self.x):
            dx[:, :, rs, cs] += self._mask(self.x[:, :, rs, cs]) * dout[:, :, i, j][:, :, None, None]
        return dx


class MaxPool2DOverwrite(MaxPool2D):
    def backward(self, dout):
        dx = np.zeros_like(self.x)
        for i, j, (rs, cs) in self._windows(self.x):
            # BUG: '=' where '+=' is due: where windows overlap, the later window overwrites the earlier's gradient
            dx[:, :, rs, cs] = self._mask(self.x[:, :, rs, cs]) * dout[:, :, i, j][:, :, None, None]
        return dx


class EmbeddingBag:
    """Mean of the embeddings of each bag; ids (n,) flat integer ids, bag b is ids[offsets[b]:offsets[b + 1]]
    (the last runs to the end); -> (B, dim)."""

    def __init__(self, num_embeddings, dim, offsets, rng=None):
        rng = _rng(rng)
        self.W = rng.standard_normal((num_embeddings, dim))
        self.offsets = list(offsets)

    def _bags(self, n):
        ends = self.offsets[1:] + [n]
        return list(zip(self.offsets, ends))

    def forward(self, ids):
        self.ids = ids
        return np.stack([self.W[ids[s:e]].mean(axis=0) for s, e in self._bags(len(ids))])

    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        for b, (s, e) in enumerate(self._bags(len(self.ids))):
            np.add.at(self.dW, self.ids[s:e], dout[b] / (e - s))


class EmbeddingBagInclusiveEnd(EmbeddingBag):
    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        for b, (s, e) in enumerate(self._bags(len(self.ids))):
            # BUG: the end taken as inclusive (e - 1) in the backward: each bag's last id gets no gradient
            rows = self.ids[s:e - 1] if b < len(self.offsets) - 1 else self.ids[s:e]
            np.add.at(self.dW, rows, dout[b] / (e - s))


# ---------------------------------------------------------------- the cases

S = "layer-zoo-2"


def layer(cls, shape, **kw):
    return lambda rng: ((cls(rng=rng, **kw) if cls not in (MaxPool2D, MaxPool2DOverwrite) else cls(**kw),
                         rng.standard_normal(shape)), {})


def cli(cls, shape, **kw):
    import json
    return ("--layer", f"{{file}}:{cls.__name__}", *(("--kwargs", json.dumps(kw)) if kw else ()),
            "--input-shape", ",".join(map(str, shape)))


def bag(cls):
    def make(rng):
        return (cls(10, 4, [0, 3, 4, 7], rng=rng), rng.integers(0, 10, 9)), {}
    return make


CASES = [
    Case("r6_layers.Maxout", S, "layer", layer(Maxout, (5, 4), n_in=4, n_out=3),
         cli=cli(Maxout, (5, 4), n_in=4, n_out=3)),
    Case("r6_layers.Maxout.all_pieces", S, "layer", layer(MaxoutAllPieces, (5, 4), n_in=4, n_out=3),
         bug="maxout's gradient routed to all k pieces instead of the winning one (dx, dW, db wrong)",
         names=("routing", "tie", "located", "split", "derivative"),
         cli=cli(MaxoutAllPieces, (5, 4), n_in=4, n_out=3)),
    Case("r6_layers.Highway", S, "layer", layer(Highway, (5, 4), dim=4), cli=cli(Highway, (5, 4), dim=4)),
    Case("r6_layers.Highway.ungated_carry", S, "layer", layer(HighwayUngatedCarry, (5, 4), dim=4),
         bug="the carry term's gate (1 - T) dropped from dx: dx wrong, the parameters right",
         names=("split", "located", "derivative"), cli=cli(HighwayUngatedCarry, (5, 4), dim=4)),
    Case("r6_layers.SEBlock", S, "layer", layer(SEBlock, (3, 4, 5), channels=4),
         cli=cli(SEBlock, (3, 4, 5), channels=4)),
    Case("r6_layers.SEBlock.no_squeeze_path", S, "layer", layer(SEBlockNoSqueezePath, (3, 4, 5), channels=4),
         bug="dx only through the scaling, not through the squeeze that computes the gate: dx wrong, dW, db right",
         names=("split", "located"), cli=cli(SEBlockNoSqueezePath, (3, 4, 5), channels=4)),
    Case("r6_layers.InstanceNorm", S, "layer", layer(InstanceNorm, (3, 4, 6), channels=4),
         cli=cli(InstanceNorm, (3, 4, 6), channels=4)),
    Case("r6_layers.InstanceNorm.batch_means", S, "layer", layer(InstanceNormBatchMeans, (3, 4, 6), channels=4),
         bug="the backward's means over the batch axis (batch norm's) instead of each instance's positions: dx "
             "wrong, dgamma and dbeta right", names=("split", "located", "batch"),
         cli=cli(InstanceNormBatchMeans, (3, 4, 6), channels=4)),
    Case("r6_layers.MaxPool2D", S, "layer", layer(MaxPool2D, (2, 2, 7, 7)), cli=cli(MaxPool2D, (2, 2, 7, 7))),
    Case("r6_layers.MaxPool2D.overwrite", S, "layer", layer(MaxPool2DOverwrite, (2, 2, 7, 7)),
         bug="overlapping windows' gradients overwritten ('=') instead of added: dx wrong where windows overlap",
         names=("located", "routing", "overwritten"), cli=cli(MaxPool2DOverwrite, (2, 2, 7, 7))),
    Case("r6_layers.EmbeddingBag", S, "layer", bag(EmbeddingBag)),
    Case("r6_layers.EmbeddingBag.inclusive_end", S, "layer", bag(EmbeddingBagInclusiveEnd),
         bug="the bag's end taken as inclusive in the backward: each bag's last id (but the last bag's) gets no "
             "gradient (dW wrong in those rows)", names=("located", "zero-gradient")),
]
