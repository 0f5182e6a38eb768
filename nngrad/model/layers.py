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


class Sigmoid:
    """out = 1 / (1 + exp(-x)); backward: dout * out * (1 - out)."""

    analytic = True  # holomorphic: the complex step applies

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    @staticmethod
    def function(x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            xp = namespace(x)
            if xp.isdtype(x.dtype, "complex floating"):
                return 0.5 + 0.5 * xp.tanh(0.5 * x)
            return 1.0 / (1.0 + xp.exp(-x))
        if np.iscomplexobj(x):  # the same function, without exp's complex overflow (inf * i -> nan)
            return 0.5 + 0.5 * np.tanh(0.5 * x)
        with np.errstate(over="ignore"):  # exp(-x) = inf for x < -709 gives the right limit, 0
            return 1.0 / (1.0 + np.exp(-x))

    @staticmethod
    def inplace(x: np.ndarray) -> np.ndarray:
        """``function(x)`` written over x (a float array the caller owns): no temporaries, for stacked arrays.
        numpy only (``out=``); other namespaces get ``function(x)``, a new array."""
        if not isinstance(x, np.ndarray):
            return Sigmoid.function(x)
        if np.iscomplexobj(x):  # 1/2 + tanh(x/2)/2, as in function
            x *= 0.5
            np.tanh(x, out=x)
            x *= 0.5
            x += 0.5
            return x
        np.negative(x, out=x)
        with np.errstate(over="ignore"):
            np.exp(x, out=x)
        x += 1.0
        return np.reciprocal(x, out=x)

    @staticmethod
    def derivative(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        """d out / d x, from the input x and the output out (any shape)."""
        return out * (1.0 - out)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = self.function(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1.0 - self.out) * self.out


class Relu:
    """out = max(x, 0); backward passes dout where x > 0 and 0 elsewhere (the kink at 0 gets 0)."""

    analytic = False  # a kink at 0: no complex extension

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    @staticmethod
    def function(x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            return namespace(x).where(x > 0, x, 0.0)
        return np.maximum(x, 0.0)

    @staticmethod
    def inplace(x: np.ndarray) -> np.ndarray:
        if not isinstance(x, np.ndarray):
            return Relu.function(x)
        return np.maximum(x, 0.0, out=x)

    @staticmethod
    def derivative(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return namespace(x).astype(x > 0, out.dtype)  # 0 at the kink, as in backward

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x <= 0
        return namespace(x).where(self.mask, 0.0, x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return namespace(dout).where(self.mask, 0.0, dout)  # a new array: dout is untouched


class Identity:
    """out = x; backward returns dout."""

    analytic = True

    @staticmethod
    def function(x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def inplace(x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def derivative(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return namespace(out).ones_like(out)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout


ACTIVATIONS: dict[str, type] = {"sigmoid": Sigmoid, "relu": Relu, "identity": Identity}
