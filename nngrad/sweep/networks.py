"""The network and data of a sweep point: built from a seed, cached per point."""

from __future__ import annotations

import functools

import numpy as np

from ..backend import from_label
from ..model.activations import ACTIVATIONS
from ..model.counts import num_params
from ..model.losses import LOSSES
from ..model.network import DNN

CACHED_BYTES = 64 * 2**20  # networks whose parameters take more are not cached


def build(depth: int, width: int, batch: int, num_input: int = 10, num_output: int = 2, seed: int = 0,
          activation: str = "sigmoid", loss: str = "mse", dtype: str = "float64") -> tuple[DNN, np.ndarray, np.ndarray]:
    """(net, x, y) of a point: a fresh copy each call (the seeded build is cached; its objects are not handed out,
    so a caller that changes them changes nothing of another's). See :func:`_built`."""
    args = (depth, width, batch, num_input, num_output, seed, activation, loss, dtype)
    if num_params([num_input] + [width] * depth + [num_output]) * np.dtype(dtype).itemsize > CACHED_BYTES:
        return _built.__wrapped__(*args)  # a large network is built afresh: a cached one would double its memory
    net, x, y = _built(*args)
    return net.copy(), x.copy(), y.copy()


@functools.lru_cache(maxsize=8)
def _built(depth: int, width: int, batch: int, num_input: int, num_output: int, seed: int, activation: str,
           loss: str, dtype: str) -> tuple[DNN, np.ndarray, np.ndarray]:
    """(net, x, y) of a point, seeded: the classic sigmoid/MSE network by default (the activation's own init:
    N(0, 0.01^2) for sigmoid, He for ReLU). x: (batch, num_input) uniform [0, 1); y: the loss's targets (MSE:
    (batch, num_output) in [0, 1); softmax cross-entropy: integer labels (batch,))."""
    net = DNN(depth, width, num_input, num_output, activation=activation, loss=loss,
              init=ACTIVATIONS[activation].init, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    x = rng.random((batch, num_input)).astype(dtype)
    return net, x, LOSSES[loss].draw(rng, batch, num_output, dtype)


def build_on(device: str, *args) -> tuple[DNN, object, object]:
    """(net, x, y) of :func:`build` (``args``), moved to ``device`` (a benchmark's label: "cpu", "cuda:0",
    "torch@cpu", ...): the same weights and data there."""
    net, x, y = build(*args)
    if device == "cpu":
        return net, x, y
    where = from_label(device)
    on = net.to(where.device, where.library)
    return (on, *on.check_data(x, y))


def build_point(point: dict, cfg: dict, device: str | None = None) -> tuple[DNN, np.ndarray, np.ndarray]:
    """(net, x, y) of a planned point (a dict) under a sweep configuration (SweepConfig as a dict), on the point's
    device (or on ``device``: "cpu" gives the numpy twin its gradient is checked against)."""
    return build_on(device or point.get("device", "cpu"), point["depth"], point["width"], point["batch"],
                    cfg["num_input"], cfg["num_output"], cfg["seed"], cfg.get("activation", "sigmoid"),
                    cfg.get("loss", "mse"), cfg.get("dtype", "float64"))
