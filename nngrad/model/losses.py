"""Losses: each a registered unit, a layer and its forms (the value of stacked outputs, the peers' forms), whether it
is analytic, how a sweep draws its targets, what the output layer is, and its cost for the cost model.

``h``/``x``: network outputs of shape (..., B, C); the leading axes (if any) stack several
networks' outputs, which is how the batched finite difference evaluates many losses at once.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import namespace


def mse(h: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L = 1/2 * mean((h - y)^2) over the last two axes (all elements of one output)."""
    d = h - y
    axes = (-2, -1) if h.ndim >= 2 else None
    return 0.5 * (np if isinstance(d, np.ndarray) else namespace(d)).mean(d * d, axis=axes)


def log_softmax(x: np.ndarray) -> np.ndarray:
    """Numerically stable log-softmax over the last axis (no epsilon inside any log).

    The shift is the largest real part: any constant shift gives the same value, and a complex
    input (the complex step) must not be compared lexicographically."""
    if isinstance(x, np.ndarray):  # numpy's methods: no function-call overhead in inner loops
        shifted = x - np.real(x).max(axis=-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    xp = namespace(x)
    real = xp.real(x) if xp.isdtype(x.dtype, "complex floating") else x
    shifted = x - xp.max(real, axis=-1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    return namespace(x).exp(log_softmax(x))


def cross_entropy(logits: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Mean over the batch of -sum_c t * log softmax(logits); ``t``: one-hot (or probabilities), shaped like one output."""
    if isinstance(logits, np.ndarray):
        nll = -(t * log_softmax(logits)).sum(axis=-1)
        return nll.mean(axis=-1) if logits.ndim >= 2 else nll
    xp = namespace(logits)
    nll = -xp.sum(t * log_softmax(logits), axis=-1)
    return xp.mean(nll, axis=-1) if logits.ndim >= 2 else nll


def one_hot(t: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer labels (B,) or a scalar label -> one-hot (B, C) or (C,), float64 (numpy) or the default float."""
    if isinstance(t, np.ndarray | np.generic | int):
        return np.eye(num_classes)[t]
    from array_api_compat import device

    xp = namespace(t)
    return xp.astype(t[..., None] == xp.arange(num_classes, dtype=t.dtype, device=device(t)), xp.float64)


class MeanSquaredError:
    """L = 1/2 * mean((h - y)^2) over all elements; backward: (h - y) / h.size."""

    name, analytic, output = "mse", True, None  # output: the output layer's activation (None: the hidden one's)
    min_outputs = 1
    calls, passes, exps = 9, 3, 0  # cost model: numpy calls, element-wise passes and exps per output element
    function = staticmethod(mse)  # the value of stacked outputs (..., B, C) against targets (B, C)

    @staticmethod
    def draw(rng: np.random.Generator, batch: int, outputs: int, dtype) -> np.ndarray:
        """Targets of a sweep's point: uniform in [0, 1), like a sigmoid's outputs."""
        return rng.random((batch, outputs)).astype(dtype)

    @staticmethod
    def numpy_like(xp):
        """value(h, t) written with the numpy-like namespace ``xp`` (t as ``targets`` gives it)."""
        return lambda h, t: 0.5 * xp.mean((h - t) ** 2)

    @staticmethod
    def torch(torch):
        return lambda h, t: 0.5 * ((h - t) ** 2).mean()

    def __init__(self) -> None:
        self.h = self.y = None

    @staticmethod
    def as_rows(y: np.ndarray, num_classes: int) -> np.ndarray:
        """Checked targets in the form ``function`` takes: unchanged for MSE."""
        return y

    def forward(self, h: np.ndarray, y: np.ndarray) -> float:
        return float(self.value(h, y))

    def value(self, h: np.ndarray, y: np.ndarray):
        """:meth:`forward` as a 0-d array of h's library, where h lives: no transfer to the host (a CUDA graph
        can record it)."""
        self.h, self.y = h, y
        return mse(h, y)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        return dout * (self.h - self.y) / math.prod(self.h.shape)  # h.size: torch's is a method


class SoftmaxWithLoss:
    """Softmax then cross-entropy, mean over the batch; ``t``: one-hot (B, C) or integer labels (B,).

    backward: (softmax(x) - t) / B.
    """

    name, analytic, output = "softmax_ce", True, "identity"  # the softmax is in the loss
    min_outputs = 2  # a softmax over one class is 1 whatever its input: loss and gradients 0
    calls, passes, exps = 14, 8, 1
    function = staticmethod(cross_entropy)  # the value of stacked logits (..., B, C) against one-hot t (B, C)

    @staticmethod
    def draw(rng: np.random.Generator, batch: int, outputs: int, dtype) -> np.ndarray:
        """Targets of a sweep's point: integer labels."""
        return rng.integers(0, outputs, batch)

    @staticmethod
    def numpy_like(xp):
        def value(h, t):
            shifted = h - xp.max(h, axis=-1, keepdims=True)
            return -xp.mean(xp.sum(t * (shifted - xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))), axis=-1))
        return value

    @staticmethod
    def torch(torch):
        return lambda h, t: -(t * torch.log_softmax(h, dim=-1)).sum(dim=-1).mean()

    def __init__(self) -> None:
        self.y = self.t = None

    @staticmethod
    def as_rows(y: np.ndarray, num_classes: int) -> np.ndarray:
        """Checked targets in the form ``function`` takes: integer labels become one-hot rows."""
        return one_hot(y, num_classes) if namespace(y).isdtype(y.dtype, "integral") else y

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        return float(self.value(x, t))

    def value(self, x: np.ndarray, t: np.ndarray):
        """:meth:`forward` as a 0-d array of x's library, where x lives (see MeanSquaredError.value)."""
        if t.ndim < x.ndim:  # integer labels -> one-hot
            t = namespace(x).astype(one_hot(t, x.shape[-1]), x.dtype)
        self.t = t
        self.y = softmax(x)
        return cross_entropy(x, t)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        batch = self.y.shape[0] if self.y.ndim == 2 else 1
        return dout * (self.y - self.t) / batch


LOSSES: dict[str, type] = {}


def register(cls: type) -> type:
    """Add a loss unit to LOSSES under its ``name``: a layer (forward(h, t), backward) and its forms, as the
    activations' units (nngrad.model.activations)."""
    LOSSES[cls.name] = cls
    return cls


register(MeanSquaredError)
register(SoftmaxWithLoss)
