"""Layers written as ``@dataclass``es, the way a learner who likes type hints writes them: the parameters are
fields (``v: np.ndarray``), the gradients go into a ``grads: dict`` field keyed by the parameter's name
(``field(default_factory=dict)``), the forward's cache into a private field (``_cache``), and a block holds
another dataclass layer in a field. Layers from the 1-Lipschitz literature: a weight-normalised linear map
(Salimans and Kingma: w = g v / ||v||, one norm per output column), GroupSort's MaxMin activation (the units in
two halves a, b -> (max(a, b), min(a, b)); Anil et al.), and a residual block x + scale * MaxMin(x W + b).
Being dataclasses with ``eq=True``, their instances are unhashable (``__hash__`` is None).

A learner checks them as ``nngrad.check_layer(WeightNormLinear(v, g, b), x)``, or from the shell with
``--layer FILE:WeightNormLinear --param v=4,3 ...``. A buggy layer is a subclass with the one method a learner got
wrong (``# BUG:``)."""

from dataclasses import dataclass, field

import numpy as np

from .case import Case


@dataclass
class WeightNormLinear:
    """out = x @ w + b, w = g * v / ||v|| (each column of v normalised); x: (N, D), v: (D, H), g, b: (H,)."""
    v: np.ndarray
    g: np.ndarray
    b: np.ndarray
    grads: dict = field(default_factory=dict, repr=False)
    _cache: tuple = field(default=None, repr=False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        norm = np.linalg.norm(self.v, axis=0)
        w = self.g * self.v / norm
        self._cache = (x, norm, w)
        return x @ w + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, norm, w = self._cache
        dw = x.T @ dout
        dg = np.sum(dw * self.v, axis=0) / norm
        self.grads["g"] = dg
        self.grads["v"] = self.g / norm * (dw - self.v * dg / norm)
        self.grads["b"] = dout.sum(axis=0)
        return dout @ w.T


@dataclass
class WeightNormLinearNoProjection(WeightNormLinear):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, norm, w = self._cache
        dw = x.T @ dout
        dg = np.sum(dw * self.v, axis=0) / norm
        self.grads["g"] = dg
        self.grads["v"] = self.g / norm * dw  # BUG: the projection out of v's direction, - v * dg / norm, is missing
        self.grads["b"] = dout.sum(axis=0)
        return dout @ w.T


@dataclass
class MaxMin:
    """GroupSort with groups of 2: x (N, 2K) split into halves a, b; out = [max(a, b), min(a, b)]."""
    _a_wins: np.ndarray = field(default=None, repr=False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        K = x.shape[1] // 2
        a, b = x[:, :K], x[:, K:]
        self._a_wins = a >= b
        return np.concatenate([np.maximum(a, b), np.minimum(a, b)], axis=1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        K = dout.shape[1] // 2
        dmax, dmin = dout[:, :K], dout[:, K:]
        da = np.where(self._a_wins, dmax, dmin)
        db = np.where(self._a_wins, dmin, dmax)
        return np.concatenate([da, db], axis=1)


@dataclass
class MaxMinSameMask(MaxMin):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        K = dout.shape[1] // 2
        dmax, dmin = dout[:, :K], dout[:, K:]
        da = np.where(self._a_wins, dmax, dmin)
        db = np.where(self._a_wins, dmax, dmin)  # BUG: copy-paste of da's line: b gets max's gradient where a won
        return np.concatenate([da, db], axis=1)


@dataclass
class ResidualMaxMinBlock:
    """out = x + scale * MaxMin(x @ W + b); x: (N, D), W: (D, D), b: (D,), D even."""
    W: np.ndarray
    b: np.ndarray
    scale: float = 0.5
    act: MaxMin = field(default_factory=MaxMin)
    grads: dict = field(default_factory=dict, repr=False)
    _x: np.ndarray = field(default=None, repr=False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return x + self.scale * self.act.forward(x @ self.W + self.b)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dz = self.act.backward(self.scale * dout)
        self.grads["W"] = self._x.T @ dz
        self.grads["b"] = dz.sum(axis=0)
        return dout + dz @ self.W.T


@dataclass
class ResidualMaxMinBlockNoScale(ResidualMaxMinBlock):
    def backward(self, dout: np.ndarray) -> np.ndarray:
        dz = self.act.backward(dout)  # BUG: the branch's scale is left out of its backward
        self.grads["W"] = self._x.T @ dz
        self.grads["b"] = dz.sum(axis=0)
        return dout + dz @ self.W.T


# ---------------------------------------------------------------- the cases

def layer(cls, x_shape, **shapes):
    def make(rng):
        arrays = {k: rng.standard_normal(s) for k, s in shapes.items()}
        return (cls(**arrays), rng.standard_normal(x_shape)), {}
    return make


def cli(cls, input_shape, **shapes):
    args = ["--layer", f"{{file}}:{cls.__name__}"]
    for k, s in shapes.items():
        args += ["--param", f"{k}={','.join(map(str, s))}"]
    return (*args, "--input-shape", input_shape)


S = "dataclass-layers"
WN = dict(v=(4, 3), g=(3,), b=(3,))
RB = dict(W=(4, 4), b=(4,))
CASES = [
    # --- correct
    Case("r4_dataclass.WeightNormLinear", S, "layer", layer(WeightNormLinear, (5, 4), **WN),
         cli=cli(WeightNormLinear, "5,4", **WN)),
    Case("r4_dataclass.MaxMin", S, "layer", layer(MaxMin, (5, 6)), cli=cli(MaxMin, "5,6")),
    Case("r4_dataclass.ResidualMaxMinBlock", S, "layer", layer(ResidualMaxMinBlock, (5, 4), **RB),
         cli=cli(ResidualMaxMinBlock, "5,4", **RB)),
    # --- buggy
    Case("r4_dataclass.WeightNormLinear.no_projection", S, "layer",
         layer(WeightNormLinearNoProjection, (5, 4), **WN),
         bug="weight norm's dv misses the projection - v (v . dw) / ||v||^2: dv = g / ||v|| * dw (dg, db, dx right)",
         names=("missing-term", "split", "located"), cli=cli(WeightNormLinearNoProjection, "5,4", **WN)),
    Case("r4_dataclass.MaxMin.same_mask", S, "layer", layer(MaxMinSameMask, (5, 6)),
         bug="the second half's gradient copies the first's where-clause: b gets max's gradient where a won and "
             "min's where b won, the first half's numbers: dx wrong in its second half only",
         names=("located", "reordered"),
         cli=cli(MaxMinSameMask, "5,6")),
    Case("r4_dataclass.ResidualMaxMinBlock.no_scale", S, "layer", layer(ResidualMaxMinBlockNoScale, (5, 4), **RB),
         bug="the residual branch's scale 0.5 left out of its backward: dW, db twice the true ones, dx off by "
             "the branch's part", names=("scaled", "split", "missing-term"),
         cli=cli(ResidualMaxMinBlockNoScale, "5,4", **RB)),
]
