"""Loss layers and their vectorised values.

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

    function = staticmethod(mse)  # the value of stacked outputs (..., B, C) against targets (B, C)

    def __init__(self) -> None:
        self.h = self.y = None

    @staticmethod
    def targets(y: np.ndarray, num_classes: int) -> np.ndarray:
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

    function = staticmethod(cross_entropy)  # the value of stacked logits (..., B, C) against one-hot t (B, C)

    def __init__(self) -> None:
        self.y = self.t = None

    @staticmethod
    def targets(y: np.ndarray, num_classes: int) -> np.ndarray:
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


LOSSES: dict[str, type] = {"mse": MeanSquaredError, "softmax_ce": SoftmaxWithLoss}
