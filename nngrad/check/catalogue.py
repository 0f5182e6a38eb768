"""Known mistakes: a standard layer recognised by what its forward computes, and the wrong backward formulas
learners commonly write for it. When a failing gradient equals one of them, the report says which, and the
right formula. A backward that forgets dout is found for any layer by the probe at dout = 0
(nngrad.check.experiments.zero_dout), not here.

Each layer is one ``Known`` unit in KNOWN: how to recognise it (its forward's output at the checked inputs), its
right backward in words, and its ``Mistake``s, each a formula giving the wrong gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..tolerances import MATCH


@dataclass
class Context:
    """What a check saw of one layer: ``inputs`` (x; or x, y), its parameters by gradient row name (dW -> W),
    forward's output, the dout given to backward (None for a loss), the targets of a loss, and the gradient rows
    of the inputs in order (dx; or dx, dy)."""

    inputs: list[np.ndarray]
    params: dict[str, np.ndarray]
    out: np.ndarray | float | None
    dout: np.ndarray | float | None
    t: np.ndarray | None = None
    input_rows: tuple[str, ...] = ("dx",)


Roles = dict[str, object]  # what a recogniser found: arrays and row names by role


@dataclass(frozen=True)
class Mistake:
    words: str  # what the learner wrote, e.g. "tanh' written as 1 - y"
    gradients: Callable[[Context, Roles], dict[str, np.ndarray]]  # gradient row -> the wrong formula's value


@dataclass(frozen=True)
class Known:
    name: str
    recognise: Callable[[Context], Roles | None]
    right: str
    mistakes: tuple[Mistake, ...]


def _close(a, b, rtol: float = MATCH) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not np.isfinite(a).all() or not np.isfinite(b).all():
        return False
    return bool(np.allclose(a, b, rtol=rtol, atol=rtol * max(float(np.abs(b).max(initial=0.0)), 1e-300)))


def _elementwise(function: Callable[[np.ndarray], np.ndarray]) -> Callable[[Context], Roles | None]:
    """A recogniser of an element-wise layer without parameters: out == function(x)."""

    def recognise(c: Context) -> Roles | None:
        if len(c.inputs) != 1 or c.params or c.dout is None or np.shape(c.out) != np.shape(c.inputs[0]):
            return None
        x = np.asarray(c.inputs[0], dtype=float)
        with np.errstate(all="ignore"):
            return {"x": x, "y": np.asarray(c.out, float), "d": np.asarray(c.dout, float)} if _close(
                c.out, function(x)) else None

    return recognise


def _dx(formula: Callable[[Roles], np.ndarray]) -> Callable[[Context, Roles], dict[str, np.ndarray]]:
    return lambda c, r: {c.input_rows[0]: formula(r)}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_layer(c: Context) -> Roles | None:
    """out == softmax(x) over each row, or over the whole array (a column vector's softmax)."""
    for axis in (-1, None):
        if axis is None and np.ndim(c.inputs[0]) > 1 and min(np.shape(c.inputs[0])) > 1:
            break
        if roles := _elementwise(lambda x, a=axis: _softmax(x, a))(c):
            return {**roles, "axis": axis}
    return None


def _leaky(c: Context) -> Roles | None:
    if len(c.inputs) != 1 or c.params or c.dout is None or np.shape(c.out) != np.shape(c.inputs[0]):
        return None
    x, y = np.asarray(c.inputs[0], float), np.asarray(c.out, float)
    neg = x < 0
    if not neg.any() or not _close(y[~neg], x[~neg]):
        return None
    slope = float(np.median(y[neg] / x[neg]))
    if not 0 < abs(slope) < 1 or not _close(y, np.where(neg, slope * x, x)):
        return None
    return {"x": x, "y": y, "d": np.asarray(c.dout, float), "a": slope}


def _affine(c: Context) -> Roles | None:
    """out == x @ W + b (W: (in, out)), or x @ W.T + b (W: (out, in), torch's layout); x flattened per sample."""
    if len(c.inputs) != 1 or c.dout is None or len(c.params) != 2 or np.ndim(c.inputs[0]) < 2:
        return None
    x = np.asarray(c.inputs[0], float)
    x2 = x.reshape(x.shape[0], -1)
    (wn, W), (bn, b) = sorted(c.params.items(), key=lambda kv: -np.ndim(kv[1]))
    if W.ndim != 2:
        return None
    for layout, M in (("x @ W", W), ("x @ W.T", W.T)):
        if M.shape[0] == x2.shape[1] and b.size == M.shape[1] and _close(c.out, x2 @ M + b.reshape(-1)):
            d = np.asarray(c.dout, float).reshape(x2.shape[0], -1)
            return {"x": x, "x2": x2, "M": M, "layout": layout, "W": wn, "b": bn, "bshape": b.shape, "d": d}
    return None


def _normalisation(axis: int) -> Callable[[Context], Roles | None]:
    """out == gamma * (x - mean) / sqrt(var + eps) + beta, statistics over ``axis`` (0: batch norm, -1: layer
    norm), the variance divided by n or by n - 1 (ddof, the unbiased variance some tutorials use); eps is read off
    the output."""

    def recognise(c: Context) -> Roles | None:
        if len(c.inputs) != 1 or c.dout is None or len(c.params) != 2 or np.ndim(c.inputs[0]) != 2:
            return None
        x = np.asarray(c.inputs[0], float)
        (gn, gamma), (bn, beta) = c.params.items()
        if gamma.size != x.shape[1] or beta.size != x.shape[1] or x.shape[axis] < 2:
            return None
        g, be, y = gamma.reshape(-1), beta.reshape(-1), np.asarray(c.out, float)
        mu = x.mean(axis=axis, keepdims=True)
        for ddof in (0, 1):
            var = x.var(axis=axis, keepdims=True, ddof=ddof)
            with np.errstate(all="ignore"):
                shrink = ((y - be) / g).var(axis=axis, keepdims=True, ddof=ddof)  # var / (var + eps)
                eps = float(np.nanmedian(var * (1 / shrink - 1)))
            if not np.isfinite(eps) or eps < 0:
                continue
            inv = 1 / np.sqrt(var + eps)
            xhat = (x - mu) * inv
            if _close(y, g * xhat + be, 1e-5):
                return {"xhat": xhat, "inv": inv, "g": g, "d": np.asarray(c.dout, float), "gamma": gn, "beta": bn,
                        "shape": gamma.shape, "n": x.shape[axis], "axis": axis, "ddof": ddof}
        return None

    return recognise


def _norm_dx(r: Roles, mean_term: bool, var_term: bool) -> np.ndarray:
    """dx of a normalisation, with or without the terms through its mean and its variance (the variance divided by
    n - ddof)."""
    d, xhat, axis = r["d"], r["xhat"], r["axis"]
    dxhat = d * r["g"]
    out = dxhat.copy()
    if mean_term:
        out = out - dxhat.mean(axis=axis, keepdims=True)
    if var_term:
        out = out - xhat * (dxhat * xhat).sum(axis=axis, keepdims=True) / (r["n"] - r["ddof"])
    return out * r["inv"]


def _multiply(c: Context) -> Roles | None:
    if len(c.inputs) != 2 or c.params or c.dout is None:
        return None
    x, y = (np.asarray(v, float) for v in c.inputs)
    return {"x": x, "y": y, "d": np.asarray(c.dout, float)} if np.shape(x) == np.shape(y) and not _close(
        x, y) and _close(c.out, x * y) else None


def _pooling(kind: str) -> Callable[[Context], Roles | None]:
    """out == the max (or mean) over k x k windows at stride s of an (N, C, H, W) input; k and s read off the
    shapes (k from 2 to 4; s = k, 1 or 2)."""

    def recognise(c: Context) -> Roles | None:
        if len(c.inputs) != 1 or c.params or c.dout is None or np.ndim(c.inputs[0]) != 4 or np.ndim(c.out) != 4:
            return None
        x = np.asarray(c.inputs[0], float)
        (h, w), (ho, wo) = x.shape[2:], np.shape(c.out)[2:]
        for k in (2, 3, 4):
            for stride in dict.fromkeys((k, 1, 2)):
                if k > min(h, w) or (h - k) // stride + 1 != ho or (w - k) // stride + 1 != wo:
                    continue
                windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
                pooled = windows.max(axis=(-2, -1)) if kind == "max" else windows.mean(axis=(-2, -1))
                if pooled.shape == np.shape(c.out) and _close(c.out, pooled):
                    return {"x": x, "windows": windows, "k": k, "s": stride, "d": np.asarray(c.dout, float)}
        return None

    return recognise


def _scatter(r: Roles, share: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """dx from each window's share of its dout: ``share(window, dout)`` -> (N, C, k, k) for one window position."""
    dx, k, s = np.zeros_like(r["x"]), r["k"], r["s"]
    for i in range(r["d"].shape[2]):
        for j in range(r["d"].shape[3]):
            dx[:, :, i * s:i * s + k, j * s:j * s + k] += share(r["windows"][:, :, i, j], r["d"][:, :, i, j])
    return dx


def _to_max(window: np.ndarray, d: np.ndarray) -> np.ndarray:
    """d to the first maximum of each window."""
    flat = window.reshape(*window.shape[:2], -1)
    out = np.zeros_like(flat)
    np.put_along_axis(out, flat.argmax(axis=-1)[..., None], d[..., None], axis=-1)
    return out.reshape(window.shape)


def _softmax_ce(c: Context) -> Roles | None:
    """A loss: mean over the batch of -log softmax(x)[t] (t one-hot rows or labels)."""
    if len(c.inputs) != 1 or c.params or c.dout is not None or c.t is None or np.ndim(c.inputs[0]) != 2:
        return None
    x = np.asarray(c.inputs[0], float)
    t = np.asarray(c.t)
    onehot = np.eye(x.shape[1])[t] if t.shape == x.shape[:1] and t.dtype.kind in "iu" else t.astype(float)
    if onehot.shape != x.shape:
        return None
    y = _softmax(x)
    loss = -np.sum(onehot * np.log(y + 1e-300)) / x.shape[0]
    if not np.isclose(float(np.mean(c.out)), loss, rtol=1e-4):
        return None
    return {"x": x, "y": y, "t": onehot, "n": x.shape[0]}


KNOWN: tuple[Known, ...] = (
    Known("sigmoid", _elementwise(_sigmoid), "dx = dout * y * (1 - y), with y the output", (
        Mistake("sigmoid' taken of the input x instead of the output y", _dx(lambda r: r["d"] * r["x"] * (1 - r["x"]))),
        Mistake("the factor (1 - y) missing", _dx(lambda r: r["d"] * r["y"])),
        Mistake("the factor y missing", _dx(lambda r: r["d"] * (1 - r["y"]))),
        Mistake("tanh's derivative 1 - y**2", _dx(lambda r: r["d"] * (1 - r["y"] ** 2))),
    )),
    Known("tanh", _elementwise(np.tanh), "dx = dout * (1 - y**2), with y the output", (
        Mistake("tanh' written as 1 - y", _dx(lambda r: r["d"] * (1 - r["y"]))),
        Mistake("tanh' taken of the input: 1 - x**2", _dx(lambda r: r["d"] * (1 - r["x"] ** 2))),
        Mistake("(1 - y)**2 for 1 - y**2", _dx(lambda r: r["d"] * (1 - r["y"]) ** 2)),
        Mistake("sigmoid's derivative y * (1 - y)", _dx(lambda r: r["d"] * r["y"] * (1 - r["y"]))),
    )),
    Known("ReLU", _elementwise(lambda x: np.maximum(x, 0)), "dx = dout * (x > 0): dout where the input is positive", (
        Mistake("the mask taken from dout instead of x", _dx(lambda r: r["d"] * (r["d"] > 0))),
        Mistake("the mask inverted (dout passed where x <= 0)", _dx(lambda r: r["d"] * (r["x"] <= 0))),
        Mistake("dout multiplied by the output y, not by the mask", _dx(lambda r: r["d"] * r["y"])),
        Mistake("the mask forgotten (dout passed everywhere)", _dx(lambda r: r["d"])),
    )),
    Known("leaky ReLU", _leaky, "dx = dout * where(x > 0, 1, a), a the negative slope", (
        Mistake("the negative slope forgotten (ReLU's mask)", _dx(lambda r: r["d"] * (r["x"] > 0))),
        Mistake("the slope applied where x > 0", _dx(lambda r: r["d"] * np.where(r["x"] > 0, r["a"], 1.0))),
        Mistake("the mask taken from dout", _dx(lambda r: r["d"] * np.where(r["d"] > 0, 1.0, r["a"]))),
    )),
    Known("softmax", _softmax_layer, "dx = y * (dout - sum(dout * y, axis=-1, keepdims=True))", (
        Mistake("its Jacobian reduced to the diagonal: dout * y * (1 - y)",
                _dx(lambda r: r["d"] * r["y"] * (1 - r["y"]))),
        Mistake("the sum taken over the whole batch instead of each row",
                _dx(lambda r: r["y"] * (r["d"] - np.sum(r["d"] * r["y"])))),
        Mistake("the sum of dout without the weights y",
                _dx(lambda r: r["y"] * (r["d"] - r["d"].sum(r["axis"], keepdims=True)))),
        Mistake("dout * y (the softmax's own value)", _dx(lambda r: r["d"] * r["y"])),
    )),
    Known("affine (x @ W + b)", _affine, "dx = dout @ W.T, dW = x.T @ dout, db = dout.sum(axis=0) (x @ W + b)", (
        Mistake("dx = dout @ W, W not transposed",
                lambda c, r: {c.input_rows[0]: (r["d"] @ (r["M"] if r["layout"] == "x @ W" else r["M"].T)
                                                ).reshape(r["x"].shape)}),
        Mistake("db summed over the features (axis=1) instead of the batch",
                lambda c, r: {r["b"]: r["d"].sum(axis=1).reshape(r["bshape"])}),
        Mistake("dW computed from the output gradient alone: dout.T @ dout",
                lambda c, r: {r["W"]: r["d"].T @ r["d"]}),
    )),
    Known("batch normalisation", _normalisation(0),
          "dx = gamma / sqrt(var + eps) * (dout - mean(dout) - xhat * mean(dout * xhat)), means over the batch "
          "(with the unbiased variance, sum(dout * xhat) / (n - 1) for the last mean); dgamma = sum(dout * xhat), "
          "dbeta = sum(dout)", (
              Mistake("the mean's term missing (the gradient through the batch mean)",
                      lambda c, r: {c.input_rows[0]: _norm_dx(r, False, True)}),
              Mistake("the variance's term missing (the gradient through the batch variance)",
                      lambda c, r: {c.input_rows[0]: _norm_dx(r, True, False)}),
              Mistake("the mean and the variance treated as constants: dout * gamma / sqrt(var + eps)",
                      lambda c, r: {c.input_rows[0]: _norm_dx(r, False, False)}),
              Mistake("dgamma and dbeta swapped",
                      lambda c, r: {r["gamma"]: r["d"].sum(axis=0).reshape(r["shape"]),
                                    r["beta"]: (r["d"] * r["xhat"]).sum(axis=0).reshape(r["shape"])}),
          )),
    Known("layer normalisation", _normalisation(-1),
          "dx = gamma / sqrt(var + eps) * (g - mean(g) - xhat * mean(g * xhat)) with g = dout * gamma, means over "
          "each row's features", (
              Mistake("the mean's term missing", lambda c, r: {c.input_rows[0]: _norm_dx(r, False, True)}),
              Mistake("the variance's term missing", lambda c, r: {c.input_rows[0]: _norm_dx(r, True, False)}),
              Mistake("the mean and the variance treated as constants",
                      lambda c, r: {c.input_rows[0]: _norm_dx(r, False, False)}),
          )),
    Known("multiplication (x * y)", _multiply, "dx = dout * y, dy = dout * x", (
        Mistake("dx and dy swapped (dx = dout * x, dy = dout * y)",
                lambda c, r: {c.input_rows[0]: r["d"] * r["x"], c.input_rows[1]: r["d"] * r["y"]}),
    )),
    Known("max pooling", _pooling("max"), "dx: each window's dout to the position of its maximum (one of them, at a "
          "tie)", (
              Mistake("dout sent to every element of its window",
                      _dx(lambda r: _scatter(r, lambda w, d: np.broadcast_to(d[..., None, None], w.shape)))),
              Mistake("the average pool's backward: dout / k**2 to every element of its window",
                      _dx(lambda r: _scatter(r, lambda w, d: np.broadcast_to(d[..., None, None], w.shape) / w[0, 0].size))),
              Mistake("dout sent to the window's first element, not to its maximum",
                      _dx(lambda r: _scatter(r, lambda w, d: _to_max(np.zeros_like(w), d)))),
          )),
    Known("average pooling", _pooling("mean"), "dx: dout / k**2 to every element of its window", (
        Mistake("dout not divided by the window's size k**2",
                _dx(lambda r: _scatter(r, lambda w, d: np.broadcast_to(d[..., None, None], w.shape)))),
        Mistake("the max pool's backward: dout to the window's maximum only", _dx(lambda r: _scatter(r, _to_max))),
    )),
    Known("softmax with cross-entropy", _softmax_ce, "dx = (softmax(x) - t) / batch", (
        Mistake("the softmax left out: (x - t) / batch", _dx(lambda r: (r["x"] - r["t"]) / r["n"])),
        Mistake("the gradient with respect to the probabilities: -t / y / batch",
                _dx(lambda r: -r["t"] / r["y"] / r["n"])),
        Mistake("the batch's mean applied twice: (y - t) / batch**2", _dx(lambda r: (r["y"] - r["t"]) / r["n"] ** 2)),
    )),
)


def known_mistakes(context: Context, claimed: dict[str, np.ndarray], failing: set[str]) -> list[tuple[str, str, str]]:
    """(layer, what the learner wrote, the right formula) for each known mistake that the claimed gradients match,
    where at least one of the gradients it gives failed."""
    found = []
    for known in KNOWN:
        try:
            with np.errstate(all="ignore"):
                roles = known.recognise(context)
        except (ValueError, TypeError, IndexError):
            roles = None
        if roles is None:
            continue
        for mistake in known.mistakes:
            try:
                with np.errstate(all="ignore"):
                    wrong = mistake.gradients(context, roles)
            except (ValueError, TypeError, IndexError):  # a formula that does not apply at these shapes
                continue
            if set(wrong) & failing and all(k in claimed and _close(claimed[k], v) for k, v in wrong.items()):
                found.append((known.name, mistake.words, known.right))
        if found:
            return found
    return found


@dataclass(frozen=True)
class Derivative:
    """A wrong derivative of an output activation, written from the output y (any layer whose output is tanh(z)
    or sigmoid(z) of something: an RNN cell, a dense layer with its activation). If the user's backward
    multiplies dout by ``wrong(y)`` where the activation's derivative is ``right(y)``, its gradients are exactly
    the true gradients of sum(dout' * out) for dout' = dout * wrong(y) / right(y): one finite difference at that
    dout tells."""

    words: str
    applies: Callable[[np.ndarray], bool]
    ratio: Callable[[np.ndarray], np.ndarray]  # wrong(y) / right(y)
    of: str = ""  # the activation whose derivative it is (tanh, sigmoid)


def _open(lo: float, hi: float) -> Callable[[np.ndarray], bool]:
    return lambda y: bool(y.size and np.all(y > lo) and np.all(y < hi) and np.ptp(y) > 0)


DERIVATIVES: tuple[Derivative, ...] = (
    Derivative("tanh's derivative left out (dout passed on without the factor 1 - y**2, y the output)", _open(-1, 1),
               lambda y: 1 / (1 - y ** 2), "tanh"),
    Derivative("sigmoid's derivative left out (dout passed on without the factor y * (1 - y), y the output)",
               _open(0, 1), lambda y: 1 / (y * (1 - y)), "sigmoid"),
    Derivative("tanh's derivative written as 1 - y (it is 1 - y**2, y the output)", _open(-1, 1),
               lambda y: 1 / (1 + y), "tanh"),
    Derivative("sigmoid's derivative written as y (it is y * (1 - y), y the output)", _open(0, 1),
               lambda y: 1 / (1 - y), "sigmoid"),
    Derivative("sigmoid's derivative written as 1 - y (it is y * (1 - y), y the output)", _open(0, 1),
               lambda y: 1 / y, "sigmoid"),
    Derivative("sigmoid's derivative written as tanh's, 1 - y**2 (it is y * (1 - y), y the output)", _open(0, 1),
               lambda y: (1 + y) / y, "sigmoid"),
    Derivative("tanh's derivative written as sigmoid's, y * (1 - y) (it is 1 - y**2, y the output)", _open(-1, 1),
               lambda y: y / (1 + y), "tanh"),
)
