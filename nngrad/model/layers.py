"""The textbook layers: each has ``forward`` and ``backward`` and keeps only what its backward needs.

Shapes: ``B`` is the batch size; a single sample may be passed without the batch axis.
No backward changes the array it is given. Arrays may be numpy's (the fast paths: ``out=`` buffers) or of any
array API namespace (torch tensors on a CUDA device, array_api_strict): each function then takes its namespace
from its argument (nngrad.backend.namespace).
"""

from __future__ import annotations

import numpy as np

from ..backend import namespace
from ..errors import InvalidValue
from .activations import ACTIVATIONS, Identity, Relu, Sigmoid, Tanh  # noqa: F401 - the textbook's layers, here too


class MulLayer:
    """out = x * y (scalars or arrays of one shape); backward returns (dx, dy)."""

    def __init__(self) -> None:
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x  # d(xy)/dx = y, d(xy)/dy = x


class AddLayer:
    """out = x + y; backward returns (dx, dy), both equal to dout."""

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1  # two new objects: the caller may change one without the other


class Dense:
    """Affine map ``out = x @ W + b``; ``W``: (in, out), ``b``: (out,), ``x``: (B, in) or (in,).

    ``W`` and ``b`` may be views into a larger parameter vector (see :class:`nngrad.DNN`);
    backward stores ``dW`` (in, out) and ``db`` (out,) and returns ``dx`` shaped like ``x``.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        if W.ndim != 2 or tuple(b.shape) != (W.shape[1],):
            raise InvalidValue(f"Dense needs W of shape (in, out) and b of shape (out,), got {tuple(W.shape)} and "
                               f"{tuple(b.shape)}")
        self.W, self.b = W, b
        self.x: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(in, out)."""
        return tuple(self.W.shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self.x
        if isinstance(x, np.ndarray):
            if x.ndim == 1:  # one sample: dW is an outer product
                self.dW = np.outer(x, dout)
                self.db = np.array(dout, copy=True)
            else:
                self.dW = x.T @ dout
                self.db = dout.sum(axis=0)
            return dout @ self.W.T
        xp = namespace(x, dout)
        if x.ndim == 1:
            self.dW = x[:, None] * dout[None, :]
            self.db = xp.asarray(dout, copy=True)
        else:
            self.dW = x.T @ dout
            self.db = xp.sum(dout, axis=0)
        return dout @ self.W.T


Affine = Dense

