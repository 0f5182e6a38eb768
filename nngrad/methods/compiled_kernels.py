"""The compiled code of the compiled methods (methods/compiled.py): numba ``@njit(cache=True)`` functions over
preallocated buffers, ``np.dot`` inside for the products (BLAS does them). Importing this module imports numba: only
a compiled method's ``prepare`` imports it, so the registry imports without numba.

Shapes: x (B, in), t (B, out); Ws, bs, outs, douts: tuples with one array per Dense layer, W (i, o), b (o,),
out and dout (B, o); codes: an activation code per layer, loss_code: the loss's (compiled.ACTIVATION_CODES,
LOSS_CODES)."""

from __future__ import annotations

import math

import numba
import numpy as np


LN2_HI, LN2_LO, INV_LN2 = 6.93147180369123816490e-01, 1.90821492927058770002e-10, 1.44269504088896338700e+00
COEFFICIENTS = tuple(1 / math.factorial(j) for j in range(13, -1, -1))  # exp's Taylor series, r^13 term first


@numba.njit(cache=True, fastmath={"nsz", "contract"})
def sigmoid(out, bits):  # pragma: no cover (compiled)
    """The sigmoid of out (R, C), in place, in loops LLVM vectorizes: exp(-z) = 2^k exp(r), r = -z - k ln 2 in
    [-ln2/2, ln2/2], exp(r) by its Taylor series to r^13 (within 4 ulp of numpy's sigmoid); 2^k built in bits
    (R * C,) int64 scratch. numba's own exp is a libm call per element: about twice as slow."""
    rows, cols = out.shape
    for i in range(rows):
        for j in range(cols):
            x = min(max(-out[i, j], -708.0), 709.0)  # 2^k normal; beyond: sigmoid < 2e-308 or 1
            k = np.floor(x * INV_LN2 + 0.5)
            r = (x - k * LN2_HI) - k * LN2_LO
            p = 0.0
            for c in COEFFICIENTS:
                p = p * r + c
            out[i, j] = p
            bits[i * cols + j] = (np.int64(k) + 1023) << 52
    scale = bits[:rows * cols].view(np.float64)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = 1.0 / (1.0 + out[i, j] * scale[i * cols + j])


@numba.njit(cache=True)
def activate(out, code, bits):  # pragma: no cover (compiled)
    """The activation ``code`` applied in place to out (B, o); bits: ``sigmoid``'s scratch (at least B * o,)."""
    if code == 1:
        sigmoid(out, bits)
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
def layers(x, Ws, bs, codes, outs, bits):  # pragma: no cover (compiled)
    """The forward pass through every Dense layer and its activation, each layer's output kept in outs; returns the
    last (B, out). bits: activate's scratch."""
    h = x
    for k in range(len(Ws)):
        out = outs[k]
        np.dot(h, Ws[k], out)
        out += bs[k]
        activate(out, codes[k], bits)
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
def forward(x, t, Ws, bs, codes, loss_code, outs, d, bits):  # pragma: no cover (compiled)
    """One loss evaluation (d: an unused (B, out) buffer; bits: activate's scratch)."""
    return loss(layers(x, Ws, bs, codes, outs, bits), t, loss_code, d, False)


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
def backprop(x, t, Ws, bs, codes, loss_code, outs, douts, gWs, gbs, bits):  # pragma: no cover (compiled)
    """The loss; writes its gradient into gWs, gbs (shaped as Ws, bs). bits: activate's scratch."""
    depth = len(Ws)
    value = loss(layers(x, Ws, bs, codes, outs, bits), t, loss_code, douts[depth - 1], True)
    for k in range(depth - 1, -1, -1):
        d = douts[k]
        derivative(d, outs[k], codes[k])
        np.dot((x if k == 0 else outs[k - 1]).T, d, gWs[k])
        gb = gbs[k]
        gb[:] = 0.0
        for i in range(d.shape[0]):  # gb = d.sum(0), one loop (a slice add per row costs a call's overhead each)
            for j in range(d.shape[1]):
                gb[j] += d[i, j]
        if k > 0:
            np.dot(d, Ws[k].T, douts[k - 1])
    return value


@numba.njit(cache=True)
def kept(x, Ws, bs, codes, zs, outs, slopes, bits):  # pragma: no cover (compiled)
    """The forward pass keeping each layer's pre-activation zs[l] and output outs[l] (B, o_l), and the activation's
    derivative slopes[l] (B, o_l); returns the output (B, out). bits: activate's scratch."""
    h = x
    for k in range(len(Ws)):
        z, out, slope = zs[k], outs[k], slopes[k]
        np.dot(h, Ws[k], z)
        z += bs[k]
        out[:] = z
        activate(out, codes[k], bits)
        slope[:] = 1.0
        derivative(slope, out, codes[k])
        h = out
    return h


@numba.njit(cache=True)
def stacked(buffer, rows, cols):  # pragma: no cover (compiled)
    """The first rows * cols numbers of a flat buffer as a (rows, cols) matrix (K networks stacked: rows K * B)."""
    return buffer[:rows * cols].reshape((rows, cols))


@numba.njit(cache=True)
def tangents(x, t, Ws, bs, codes, loss_code, zs, outs, slopes, g, grad, chunk, a, b,
             bits):  # pragma: no cover (compiled)
    """Forward mode: the loss, and its gradient (N,) written into grad from N tangent passes, ``chunk`` at a time.
    The tangent of W_l[r, c] (or b_l[c], row r = n_in) is zero before layer l; at layer l it is column c,
    slope_l[:, c] * h_l[:, r] (B,); at layer l+1 the rank-one term of that column times W_{l+1}[c, :]; after it,
    (K*B, n) @ W_m for the chunk's K networks at once, times slope_m. g (B, out): dL/d output; a, b: flat buffers
    of chunk * B * width numbers; bits: activate's scratch."""
    depth, rows = len(Ws), x.shape[0]
    value = loss(kept(x, Ws, bs, codes, zs, outs, slopes, bits), t, loss_code, g, True)
    offset = 0
    for l in range(depth):
        n_in, n_out = Ws[l].shape
        h, s = x if l == 0 else outs[l - 1], slopes[l]
        size = (n_in + 1) * n_out
        for start in range(0, size, chunk):
            k = min(chunk, size - start)
            if l == depth - 1:  # the tangent of the output is the column itself: dL = <g[:, c], column>
                for j in range(k):
                    r, c = divmod(start + j, n_out)
                    total = 0.0
                    for i in range(rows):
                        total += s[i, c] * (h[i, r] if r < n_in else 1.0) * g[i, c]
                    grad[offset + start + j] = total
                continue
            w, s1 = Ws[l + 1], slopes[l + 1]
            cur = stacked(a, k * rows, w.shape[1])
            for j in range(k):
                r, c = divmod(start + j, n_out)
                for i in range(rows):
                    column = s[i, c] * (h[i, r] if r < n_in else 1.0)
                    for q in range(w.shape[1]):
                        cur[j * rows + i, q] = column * w[c, q] * s1[i, q]
            for m in range(l + 2, depth):
                nxt = stacked(b if (m - l) % 2 == 0 else a, k * rows, Ws[m].shape[1])
                np.dot(cur, Ws[m], nxt)
                slope = slopes[m]
                for i in range(k * rows):  # times slope_m, row i of network i // rows: one loop over the chunk
                    for q in range(nxt.shape[1]):
                        nxt[i, q] *= slope[i % rows, q]
                cur = nxt
            for j in range(k):
                total = 0.0
                for i in range(rows):
                    for q in range(cur.shape[1]):
                        total += cur[j * rows + i, q] * g[i, q]
                grad[offset + start + j] = total
        offset += size
    return value


@numba.njit(cache=True)
def stacked_losses(out, t, loss_code, d, k, losses):  # pragma: no cover (compiled)
    """The losses (k,) of k networks' outputs stacked in out (k * B, out)."""
    rows = t.shape[0]
    for j in range(k):
        losses[j] = loss(out[j * rows:(j + 1) * rows], t, loss_code, d, False)


@numba.njit(cache=True)
def differences(x, t, Ws, bs, codes, loss_code, zs, outs, slopes, d, grad, eps, chunk, a, b, column, losses,
                bits):  # pragma: no cover (compiled)
    """Forward differences: L at the parameters, and grad (N,) = (L(p + eps e_i) - L) / eps from N perturbed
    networks, ``chunk`` at a time. Moving W_l[r, c] (or b_l[c]) by eps changes column c of z_l by eps * h_l[:, r]
    (or eps): layers before l are kept; layer l+1's pre-activation changes by a rank-one term; full products
    (K*B, n) @ W_m after it. d (B, out): scratch; a, b: flat buffers of chunk * B * width numbers; column (chunk, B);
    losses (chunk,); bits: activate's scratch."""
    depth, rows = len(Ws), x.shape[0]
    base = loss(kept(x, Ws, bs, codes, zs, outs, slopes, bits), t, loss_code, d, False)
    offset = 0
    for l in range(depth):
        n_in, n_out = Ws[l].shape
        h = x if l == 0 else outs[l - 1]
        size = (n_in + 1) * n_out
        for start in range(0, size, chunk):
            k = min(chunk, size - start)
            col = column[:k]
            for j in range(k):  # the new column c of h_{l+1}, one row per network
                r, c = divmod(start + j, n_out)
                for i in range(rows):
                    col[j, i] = (h[i, r] if r < n_in else 1.0) * eps + zs[l][i, c]
            activate(col, codes[l], bits)
            if l == depth - 1:  # the kept output with column c replaced
                cur = stacked(a, k * rows, n_out)
                for j in range(k):
                    c = (start + j) % n_out
                    cur[j * rows:(j + 1) * rows] = outs[l]
                    cur[j * rows:(j + 1) * rows, c] = col[j]
            else:  # z_{l+1} plus the rank-one term (new column - kept column) x W_{l+1}[c, :]
                w, z1 = Ws[l + 1], zs[l + 1]
                cur = stacked(a, k * rows, w.shape[1])
                for j in range(k):
                    c = (start + j) % n_out
                    for i in range(rows):
                        change = col[j, i] - outs[l][i, c]
                        for q in range(w.shape[1]):
                            cur[j * rows + i, q] = change * w[c, q] + z1[i, q]
                activate(cur, codes[l + 1], bits)
                for m in range(l + 2, depth):
                    nxt = stacked(b if (m - l) % 2 == 0 else a, k * rows, Ws[m].shape[1])
                    np.dot(cur, Ws[m], nxt)
                    nxt += bs[m]
                    activate(nxt, codes[m], bits)
                    cur = nxt
            stacked_losses(cur, t, loss_code, d, k, losses)
            for j in range(k):
                grad[offset + start + j] = (losses[j] - base) / eps
        offset += size
    return base
