"""DNN: a stack of Dense layers and activations over ONE flat float64 parameter vector."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np

from .. import _validate as validate
from ..backend import Backend, to_numpy
from ..backend import backend as find_backend
from ..errors import InvalidType, InvalidValue
from . import inputs
from .layers import ACTIVATIONS, Dense
from .losses import LOSSES

INITS = ("normal", "xavier", "he")


class ParamArray(NamedTuple):
    """Where one parameter array lives in ``net.params``: Dense layer ``layer``'s "W" or "b", of ``shape``,
    at flat indices start..stop-1."""

    layer: int
    name: str
    shape: tuple[int, ...]
    start: int
    stop: int


def layer_passes(h, layers, affine: Callable, activate: Callable) -> Iterator[tuple]:
    """The forward pass, written once: for each (dense, act) of ``layers``, z = affine(dense, h) and h =
    activate(act, z); yields (z, h) layer by layer. Its callers choose how: a DNN's trace through the layer objects
    (keeping what backward needs), the prefix's stacked pass over many perturbed networks (in place), the peers'
    in their own library (dense a (W, b) pair, act its form there)."""
    for dense, act in layers:
        z = affine(dense, h)
        h = activate(act, z)
        yield z, h


def network_output(x, layers, affine: Callable, activate: Callable):
    """The last h of :func:`layer_passes` (x itself when there are no layers)."""
    h = x
    for _, h in layer_passes(x, layers, affine, activate):
        pass
    return h


class DNN:
    """A dense network with ``hidden_depth`` hidden layers of ``num_neuron`` units.

    There are ``hidden_depth + 1`` Dense layers: num_input -> num_neuron -> ... -> num_output.
    Every layer's ``W`` (in, out) and ``b`` (out,) is a view into ``net.params`` (N,), in layer
    order, W (row-major) before b. ``output_activation=None`` means the hidden activation for
    ``loss="mse"`` and the identity for ``loss="softmax_ce"`` (the softmax is in the loss).

    Weights start as N(0, init_std^2) (``init="normal"``), Glorot normal (``"xavier"``:
    std = sqrt(2 / (in + out))) or He normal (``"he"``: std = sqrt(2 / in)); biases start at 0.

    Where the arrays live: ``device`` "cpu" (default), "cuda" or "cuda:N", and ``backend`` the array library:
    None means numpy on "cpu" and torch on "cuda"; "torch" on "cpu" gives CPU tensors, "array_api_strict" the
    standard's minimal namespace (nngrad.backend). The weights are drawn by numpy whatever the device (a seed gives
    the same network everywhere); ``net.params`` is then that library's 1-D array on that device, the layers' W
    and b views of it. ``net.dtype`` is always the numpy dtype of the precision; ``net.to(device, backend)`` moves
    a copy.
    """

    def __init__(
        self,
        hidden_depth: int,
        num_neuron: int,
        num_input: int,
        num_output: int,
        activation: str = "sigmoid",
        loss: str = "mse",
        output_activation: str | None = None,
        init: str = "normal",
        init_std: float = 0.01,
        seed: int | np.random.Generator | None = None,
        dtype: type | np.dtype = np.float64,
        device: str = "cpu",
        backend: str | None = None,
    ) -> None:
        self.backend: Backend = find_backend(device, backend)
        self.hidden_depth = validate.positive_int("hidden_depth", hidden_depth)
        self.num_neuron = validate.positive_int("num_neuron", num_neuron)
        self.num_input = validate.positive_int("num_input", num_input)
        self.num_output = validate.positive_int("num_output", num_output)
        self.activation = validate.choice("activation", activation, ACTIVATIONS)
        self.loss_name = validate.choice("loss", loss, LOSSES)
        if self.num_output < LOSSES[loss].min_outputs:
            raise InvalidValue(f"loss={loss!r} needs num_output >= {LOSSES[loss].min_outputs}: a softmax over one class "
                               "is 1 whatever its input, so its loss and every gradient are 0")
        if output_activation is None:
            output_activation = LOSSES[loss].output or activation
        self.output_activation = validate.choice("output_activation", output_activation, ACTIVATIONS)
        self.init = validate.choice("init", init, INITS)
        self.init_std = validate.positive_float("init_std", init_std)
        if not (seed is None or isinstance(seed, np.random.Generator)
                or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0)):
            raise InvalidType(f"seed must be None, a non-negative integer or a numpy Generator, got {seed!r}")
        try:
            dtype = np.dtype(dtype)
        except TypeError:  # a library's dtype (torch.float64, ...): by its name
            dtype = np.dtype(str(dtype).rsplit(".", 1)[-1])
        if dtype not in (np.float64, np.float32):
            raise InvalidType(f"dtype must be float64 or float32, got {dtype}")

        self.sizes = [self.num_input] + [self.num_neuron] * self.hidden_depth + [self.num_output]
        shapes = list(zip(self.sizes[:-1], self.sizes[1:]))
        n = sum(i * o + o for i, o in shapes)
        if not self.backend.on_host:
            validate.fits_in_memory(f"a network of {n:,} parameters ({dtype}) on {self.backend.device}",
                                    n * dtype.itemsize, self.backend.free_bytes(), "device memory")
        validate.fits_in_memory(f"a network of {n:,} parameters ({dtype})", 2 * n * dtype.itemsize)  # + its init
        self._params = np.zeros(sum(i * o + o for i, o in shapes), dtype=dtype)
        rng = np.random.default_rng(seed)
        self.dense_layers: list[Dense] = []
        self.activations: list = []  # one after each Dense layer
        offset = 0
        for k, (n_in, n_out) in enumerate(shapes):
            W = self._params[offset:offset + n_in * n_out].reshape(n_in, n_out)
            b = self._params[offset + n_in * n_out:offset + n_in * n_out + n_out]
            offset += n_in * n_out + n_out
            W[...] = rng.normal(0.0, self._init_scale(n_in, n_out), size=(n_in, n_out))
            self.dense_layers.append(Dense(W, b))
            last = k == len(shapes) - 1
            self.activations.append(ACTIVATIONS[self.output_activation if last else self.activation]())
        self._dtype = dtype
        if not self.backend.is_numpy:  # the same weights, moved: one flat array there, the layers' views of it
            self._params = self.backend.asarray(self._params, dtype)
            self._place_views(shapes)
        self.layers = [layer for pair in zip(self.dense_layers, self.activations) for layer in pair]  # forward order
        self.loss_layer = LOSSES[self.loss_name]()

    def _place_views(self, shapes: list[tuple[int, int]]) -> None:
        """Point every Dense layer's W and b at its slice of ``self._params`` (any array library)."""
        xp, offset = self.backend.xp, 0
        for dense, (n_in, n_out) in zip(self.dense_layers, shapes):
            dense.W = xp.reshape(self._params[offset:offset + n_in * n_out], (n_in, n_out))
            dense.b = self._params[offset + n_in * n_out:offset + n_in * n_out + n_out]
            offset += n_in * n_out + n_out

    def _init_scale(self, n_in: int, n_out: int) -> float:
        if self.init == "xavier":
            return float(np.sqrt(2.0 / (n_in + n_out)))
        if self.init == "he":
            return float(np.sqrt(2.0 / n_in))
        return self.init_std

    # -- parameters -----------------------------------------------------------------------
    @property
    def params(self) -> np.ndarray:
        """All parameters, (N,): the layers' W and b are views of this one vector."""
        return self._params

    @params.setter
    def params(self, value: np.ndarray) -> None:
        self._params[...] = inputs.checked_params(self, value)  # copy in: the layers' views stay valid

    def param_arrays(self) -> list[ParamArray]:
        """Every parameter array in the order of ``params``: W then b of each Dense layer."""
        arrays, offset = [], 0
        for k, dense in enumerate(self.dense_layers):
            for name, array in (("W", dense.W), ("b", dense.b)):
                arrays.append(ParamArray(k, name, array.shape, offset, offset + array.size))
                offset += array.size
        return arrays

    def analytic_from(self, layer: int) -> bool:
        """Is the loss analytic in Dense layer ``layer``'s parameters (no kink from that layer on: the complex step
        applies to them)?"""
        return all(act.analytic for act in self.activations[layer:])

    @property
    def num_params(self) -> int:
        """N, the number of parameters."""
        return int(self._params.shape[0])

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the parameters' precision (float64 or float32), whatever library holds them."""
        return self._dtype

    @property
    def device(self) -> str:
        """Where the parameters live: "cpu" or "cuda:N"."""
        return self.backend.device

    def copy(self) -> DNN:
        """An independent network with the same architecture, parameter values and device."""
        return self.to(self.backend.device, self.backend.library)

    def to(self, device: str = "cpu", backend: str | None = None, dtype: np.dtype | type | str | None = None) -> DNN:
        """A copy of this network whose arrays live on ``device`` in the library ``backend`` (see the class), in
        precision ``dtype`` (default: this network's; float32 <-> float64 rounds or widens every parameter)."""
        new = DNN(self.hidden_depth, self.num_neuron, self.num_input, self.num_output, self.activation,
                  self.loss_name, self.output_activation, self.init, self.init_std,
                  dtype=self.dtype if dtype is None else dtype, device=device, backend=backend)
        if new.backend == self.backend and new.dtype == self.dtype:
            new._params[...] = self._params
        else:
            new._params[...] = new.backend.asarray(to_numpy(self._params).astype(new.dtype))
        return new

    def __repr__(self) -> str:
        return (f"DNN(hidden_depth={self.hidden_depth}, num_neuron={self.num_neuron}, num_input={self.num_input}, "
                f"num_output={self.num_output}, activation={self.activation!r}, loss={self.loss_name!r}, "
                f"output_activation={self.output_activation!r}, N={self.num_params}"
                + ("" if self.backend.is_numpy else f", {self.backend}") + ")")

    # -- evaluation -------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Network output: x (B, num_input) -> (B, num_output); a single sample (num_input,) -> (num_output,)."""
        return self.trace(self.check_x(x))[0][-1]

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """The loss of the batch: x (B, num_input), y targets (see :meth:`check_data`)."""
        x, y = self.check_data(x, y)
        return self.evaluate(x, y)

    def trace(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The forward pass of already-checked x, keeping what it computes: (hs, zs), where hs[l] is the input
        of Dense layer l (hs[0] = x, hs[-1] = the output) and zs[l] its pre-activation hs[l] @ W + b.
        The layers keep what their backward needs."""
        hs, zs = [x], []
        for z, h in layer_passes(x, zip(self.dense_layers, self.activations), _dense_forward, _activation_forward):
            zs.append(z)
            hs.append(h)
        return hs, zs

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> float:
        """The loss of already-checked (x, y) (see :meth:`check_data`): no input checks, for inner loops."""
        return self.loss_layer.forward(self.trace(x)[0][-1], y)

    # -- input checks (nngrad.model.inputs) ----------------------------------------------------
    def check_params(self) -> None:
        """Raise ValueError if any parameter is NaN or inf."""
        inputs.finite_params(self)

    def check_x(self, x: np.ndarray) -> np.ndarray:
        """x as an array of the parameters' dtype, shape (B, num_input) or (num_input,), on the network's device."""
        return inputs.checked_x(self, x)

    def check_data(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Checked (x, y) on the network's device (see :func:`nngrad.model.inputs.checked_data`)."""
        return inputs.checked_data(self, x, y)


def _dense_forward(dense: Dense, h):
    return dense.forward(h)


def _activation_forward(act, z):
    return act.forward(z)
