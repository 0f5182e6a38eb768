"""What a network takes: its parameters, x and y checked (numeric, finite, real, of the shapes the network needs)
on the host and moved to the network's library and device. Every check names the argument and what was
expected; an array of another library or device is refused, naming both."""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..backend import describe, to_numpy
from ..errors import InvalidType, InvalidValue


def finite_params(net) -> None:
    """Raise ValueError if any of ``net.params`` is NaN or inf."""
    if net.backend.is_numpy:
        validate.finite("net.params", net.params)
    elif not bool(net.backend.xp.all(net.backend.xp.isfinite(net.params))):
        validate.finite("net.params", to_numpy(net.params))


def checked_params(net, value):
    """``value`` as new parameters of ``net``: numeric, of shape (N,), in its library and on its device."""
    if not net.backend.is_numpy:
        arr = validate.numeric_array("params", on_host(net, "params", value), net.dtype)
    else:
        arr = validate.numeric_array("params", value)
    if arr.shape != tuple(net.params.shape):
        raise InvalidValue(f"params must have shape {tuple(net.params.shape)}, got {arr.shape}")
    return arr if net.backend.is_numpy else net.backend.asarray(arr)


def on_host(net, name: str, value):
    """``value`` as numpy for the checks. Off numpy, an array of another library or device is refused, naming
    both; a numpy network takes any CPU array (as it always has) and refuses a device's."""
    if not _foreign(value):
        return value
    where = describe(value)
    if where != str(net.backend) and (not net.backend.is_numpy or not where.endswith(" on cpu")):
        raise InvalidValue(f"{name} is {where} but the network is {net.backend}: arrays from two devices in one "
                           f"call (move it there, or the network with net.to(...))")
    return to_numpy(value)


def checked_x(net, x):
    """x as an array of the parameters' dtype, shape (B, num_input) or (num_input,), on the network's device."""
    if not net.backend.is_numpy:
        return net.backend.asarray(_host_x(net, on_host(net, "x", x)), net.dtype)
    return _host_x(net, x)


def _host_x(net, x) -> np.ndarray:
    finite_params(net)
    x = validate.numeric_array("x", on_host(net, "x", x), net.dtype)
    n = net.num_input
    if not (x.shape == (n,) or (x.ndim == 2 and x.shape[1] == n)):
        raise InvalidValue(f"x must have shape (batch, {n}) or ({n},), got {x.shape}")
    if x.shape[0] == 0:
        raise InvalidValue("x must hold at least one sample, got an empty batch")
    return x


def checked_data(net, x, y):
    """Checked (x, y). y: for "mse", the output's shape (B, num_output) / (num_output,); for "softmax_ce",
    one-hot or probability rows of that shape, or integer labels (B,) / (). Off numpy, x and y may be numpy or
    arrays on the network's device; they are checked on the host and returned on the device."""
    if not net.backend.is_numpy:
        x, y = _host_data(net, on_host(net, "x", x), on_host(net, "y", y))
        return net.backend.asarray(x), net.backend.asarray(y)
    return _host_data(net, x, y)


def _host_data(net, x, y) -> tuple[np.ndarray, np.ndarray]:
    x = _host_x(net, x)
    out_shape = x.shape[:-1] + (net.num_output,)
    y_arr = validate.numeric_array("y", on_host(net, "y", y))
    if net.loss_name == "softmax_ce" and np.issubdtype(y_arr.dtype, np.integer) and y_arr.shape == x.shape[:-1]:
        if y_arr.size and (y_arr.min() < 0 or y_arr.max() >= net.num_output):
            raise InvalidValue(f"y labels must lie in [0, {net.num_output}), got values from "
                             f"{y_arr.min()} to {y_arr.max()}")
        return x, y_arr
    if net.loss_name == "softmax_ce" and y_arr.shape == x.shape[:-1]:
        raise InvalidType(f"y labels must be integers, got dtype {y_arr.dtype}")
    if y_arr.shape != out_shape:
        expected = f"{out_shape}" if net.loss_name == "mse" else f"{out_shape} (one-hot) or {x.shape[:-1]} (integer labels)"
        raise InvalidValue(f"y must have shape {expected} for x of shape {x.shape}, got {y_arr.shape}")
    y_arr = y_arr.astype(net.dtype, copy=False)
    if net.loss_name == "softmax_ce":
        sums = y_arr.sum(axis=-1)
        if (y_arr < 0).any() or not np.allclose(sums, 1.0, atol=1e-6):
            raise InvalidValue("y must hold one-hot (or probability) rows: non-negative, each summing to 1")
    return x, y_arr


def _foreign(x) -> bool:
    """Is ``x`` an array of a library other than numpy (a torch tensor, on a CUDA device perhaps)?"""
    return not isinstance(x, np.ndarray | list | tuple | int | float | np.generic) and hasattr(x, "__dlpack__")
