"""The compiled code of the compiled methods (methods/compiled.py): numba ``@njit(cache=True)`` functions over
preallocated buffers, ``np.dot`` inside for the products (BLAS does them). Importing this module imports numba: only
a compiled method's ``prepare`` imports it, so the registry imports without numba.

Shapes: x (B, in), t (B, out); Ws, bs, outs, douts: tuples with one array per Dense layer, W (i, o), b (o,),
out and dout (B, o); codes: an activation code per layer, loss_code: the loss's (compiled.ACTIVATION_CODES, LOSS_CODES)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def activate(out, code):  # pragma: no cover (compiled)
    """The activation ``code`` applied in place to out (B, o)."""
    if code == 1:
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = 1.0 / (1.0 + np.exp(-out[i, j]))
    elif code == 2:
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                if out[i, j] < 0.0:
                    out[i, j] = 0.0
    elif code == 3:
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = np.tanh(out[i, j])


@numba.njit(cache=True)
def layers(x, Ws, bs, codes, outs):  # pragma: no cover (compiled)
    """The forward pass through every Dense layer and its activation, each layer's output kept in outs; returns the
    last (B, out)."""
    h = x
    for k in range(len(Ws)):
        out = outs[k]
        np.dot(h, Ws[k], out)
        out += bs[k]
        activate(out, codes[k])
        h = out
    return h


@numba.njit(cache=True)
def loss(h, t, loss_code, d, want_d):  # pragma: no cover (compiled)
    """The loss of outputs h (B, out) against t; where ``want_d``, dL/dh written into d (B, out)."""
    rows, cols = h.shape
    total = 0.0
    if loss_code == 0:  # 1/2 mean((h - t)^2); d = (h - t) / h.size
        for i in range(rows):
            for j in range(cols):
                e = h[i, j] - t[i, j]
                total += e * e
                if want_d:
                    d[i, j] = e / (rows * cols)
        return 0.5 * total / (rows * cols)
    for i in range(rows):  # mean over the batch of -sum t log softmax(h); d = (softmax(h) - t) / B
        m = h[i, 0]
        for j in range(1, cols):
            m = max(m, h[i, j])
        s = 0.0
        for j in range(cols):
            s += np.exp(h[i, j] - m)
        log_s = np.log(s)
        for j in range(cols):
            shifted = h[i, j] - m
            total -= t[i, j] * (shifted - log_s)
            if want_d:
                d[i, j] = (np.exp(shifted) / s - t[i, j]) / rows
    return total / rows


@numba.njit(cache=True)
def forward(x, t, Ws, bs, codes, loss_code, outs, d):  # pragma: no cover (compiled)
    """One loss evaluation (d: an unused (B, out) buffer)."""
    return loss(layers(x, Ws, bs, codes, outs), t, loss_code, d, False)


@numba.njit(cache=True)
def derivative(d, out, code):  # pragma: no cover (compiled)
    """d (B, o) times the activation ``code``'s derivative, in place, from the activation's output out."""
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            o = out[i, j]
            if code == 1:
                d[i, j] *= (1.0 - o) * o
            elif code == 2:
                if o <= 0.0:
                    d[i, j] = 0.0
            elif code == 3:
                d[i, j] *= 1.0 - o * o


@numba.njit(cache=True)
def backprop(x, t, Ws, bs, codes, loss_code, outs, douts, gWs, gbs):  # pragma: no cover (compiled)
    """The loss; writes its gradient into gWs, gbs (shaped as Ws, bs)."""
    depth = len(Ws)
    value = loss(layers(x, Ws, bs, codes, outs), t, loss_code, douts[depth - 1], True)
    for k in range(depth - 1, -1, -1):
        d = douts[k]
        derivative(d, outs[k], codes[k])
        np.dot((x if k == 0 else outs[k - 1]).T, d, gWs[k])
        gb = gbs[k]
        gb[:] = 0.0
        for i in range(d.shape[0]):
            gb += d[i]
        if k > 0:
            np.dot(d, Ws[k].T, douts[k - 1])
    return value
