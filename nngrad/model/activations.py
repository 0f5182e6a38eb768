"""Activations: each one small registered unit that carries everything about itself.

A unit is a layer (``forward`` / ``backward``, keeping only what its backward needs) and its forms: ``function``
(any array library, complex inputs included where it is analytic), ``inplace`` (numpy's fast path for stacked
arrays), ``derivative(x, out)`` (forward mode), ``numpy_like(xp)`` (the same function written with a numpy-like
namespace: JAX's, HIPS autograd's) and ``torch(torch)``. Beside them: whether it is ``analytic`` (the complex step
applies), its default ``init``, and its cost for the cost model (``calls`` numpy calls and ``per_element`` work,
in sigmoid elements, ``complex_per_element`` in complex form, ``backward_passes`` element-wise passes of its
backward). ``@register`` adds a unit to ACTIVATIONS, and every method, the peers, the cost model, the command line
and the tests take it from there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..backend import namespace

ACTIVATIONS: dict[str, type[Activation]] = {}


def register(cls: type[Activation]) -> type[Activation]:
    """Add an activation unit to ACTIVATIONS under its ``name``."""
    ACTIVATIONS[cls.name] = cls
    return cls


def hidden_activations() -> list[str]:
    """The activations a hidden layer may have (identity is an output's)."""
    return [name for name, cls in ACTIVATIONS.items() if cls.hidden]


class Activation:
    """What every unit declares; ``forward`` / ``backward`` by default keep the output and use ``derivative``."""

    name: str
    analytic: bool  # holomorphic: the complex step applies
    init: str  # the weight init a network of it gets by default ("normal" is the classic lessons' N(0, 0.01^2))
    hidden: bool = True  # may be a hidden layer's activation
    calls: int  # numpy calls of one application, as a layer or in place
    per_element: float  # element-wise work per element, in sigmoid elements
    complex_per_element: float = 0.0  # the same on complex numbers (the complex step)
    backward_passes: int = 3  # element-wise passes of its backward (derivative, times dout)

    def __init__(self) -> None:
        self.x: np.ndarray | None = None
        self.out: np.ndarray | None = None

    @staticmethod
    def function(x):
        raise NotImplementedError

    @classmethod
    def inplace(cls, x):
        """``function(x)`` written over x where numpy allows; other namespaces get a new array."""
        return cls.function(x)

    @staticmethod
    def derivative(x, out):
        """d out / d x from the input x and the output out (any shape)."""
        raise NotImplementedError

    @staticmethod
    def numpy_like(xp) -> Callable:
        """The function written with the numpy-like namespace ``xp`` (jax.numpy, autograd.numpy)."""
        raise NotImplementedError

    @staticmethod
    def torch(torch) -> Callable:
        """The function in torch."""
        raise NotImplementedError

    def forward(self, x):
        self.x, self.out = x, self.function(x)
        return self.out

    def backward(self, dout):
        return dout * self.derivative(self.x, self.out)


@register
class Sigmoid(Activation):
    """out = 1 / (1 + exp(-x)); backward: dout * out * (1 - out)."""

    name, analytic, init = "sigmoid", True, "normal"
    calls, per_element, complex_per_element = 7, 1.0, 6.0  # numpy's complex sigmoid: a complex tanh, ~6 real ones

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
        return out * (1.0 - out)

    @staticmethod
    def numpy_like(xp) -> Callable:
        return lambda z: 0.5 * (xp.tanh(0.5 * z) + 1.0)

    @staticmethod
    def torch(torch) -> Callable:
        return torch.sigmoid

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = self.function(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1.0 - self.out) * self.out


@register
class Relu(Activation):
    """out = max(x, 0); backward passes dout where x > 0 and 0 elsewhere (the kink at 0 gets 0)."""

    name, analytic, init = "relu", False, "he"  # a kink at 0: no complex extension
    calls, per_element = 3, 1 / 8

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

    @staticmethod
    def numpy_like(xp) -> Callable:
        return lambda z: xp.where(z > 0, z, 0.0)  # derivative 0 at the kink, as nngrad's (maximum: 1/2)

    @staticmethod
    def torch(torch) -> Callable:
        return torch.relu

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x <= 0
        return namespace(x).where(self.mask, 0.0, x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return namespace(dout).where(self.mask, 0.0, dout)  # a new array: dout is untouched


@register
class Identity(Activation):
    """out = x; backward returns dout (the output layer before softmax cross-entropy)."""

    name, analytic, init, hidden = "identity", True, "xavier", False
    calls, per_element, backward_passes = 1, 0.0, 0

    @staticmethod
    def function(x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def inplace(x: np.ndarray) -> np.ndarray:
        return x

    @staticmethod
    def derivative(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return namespace(out).ones_like(out)

    @staticmethod
    def numpy_like(xp) -> Callable:
        return lambda z: z

    @staticmethod
    def torch(torch) -> Callable:
        return lambda z: z

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout


@register
class Tanh(Activation):
    """out = tanh(x); backward: dout * (1 - out**2)."""

    name, analytic, init = "tanh", True, "xavier"
    calls, per_element, complex_per_element = 2, 1.7, 6.0  # numpy's tanh: 1.7 to 2.3 of nngrad's sigmoid elements

    @staticmethod
    def function(x):
        return np.tanh(x) if isinstance(x, np.ndarray) else namespace(x).tanh(x)

    @staticmethod
    def inplace(x):
        return np.tanh(x, out=x) if isinstance(x, np.ndarray) else namespace(x).tanh(x)

    @staticmethod
    def derivative(x, out):
        return 1.0 - out * out

    @staticmethod
    def numpy_like(xp) -> Callable:
        return xp.tanh

    @staticmethod
    def torch(torch) -> Callable:
        return torch.tanh


@register
class LeakyRelu(Activation):
    """out = x where x > 0, else SLOPE * x; backward: dout where x > 0, else SLOPE * dout (SLOPE at the kink)."""

    name, analytic, init = "leaky_relu", False, "he"  # a kink at 0: no complex extension
    calls, per_element = 3, 0.9  # a comparison and a masked product: 0.63 to 1.05 of nngrad's sigmoid elements
    slope = 0.01

    @classmethod
    def function(cls, x):
        if not isinstance(x, np.ndarray):
            return namespace(x).where(x > 0, x, cls.slope * x)
        return np.where(x > 0, x, cls.slope * x)

    @classmethod
    def inplace(cls, x):
        if not isinstance(x, np.ndarray):
            return cls.function(x)
        return np.multiply(x, cls.slope, out=x, where=x <= 0)

    @classmethod
    def derivative(cls, x, out):
        xp = namespace(x)
        return xp.where(x > 0, xp.ones_like(out), xp.full_like(out, cls.slope))

    @classmethod
    def numpy_like(cls, xp) -> Callable:
        return lambda z: xp.where(z > 0, z, cls.slope * z)

    @classmethod
    def torch(cls, torch) -> Callable:
        return lambda z: torch.where(z > 0, z, cls.slope * z)  # the same derivative at 0 as nngrad's (slope)
