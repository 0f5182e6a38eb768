"""A GRU written the compact way, with its three gates in one weight matrix and ``np.split``: ``Wx`` (D, 3H),
``Wh`` (H, 3H), ``b`` (3H,), columns in the order update z, reset r, candidate n (PyTorch's equations:
n = tanh(x Wx_n + b_n + r * (h Wh_n)), h' = (1 - z) n + z h). A cell ``GRUCell.forward(x, h) -> h'`` with
``backward(dh) -> (dx, dh_prev)``, and a layer ``GRU.forward(xs) -> hs`` over (N, T, D) from h0 = 0 with BPTT; the
gradients in ``dWx``, ``dWh``, ``db`` (the *Deep Learning from Scratch* naming).

A learner checks them as ``nngrad.check_layer(GRUCell(Wx, Wh, b), (x, h))``, or from the shell with
``--layer FILE:GRUCell --param Wx=3,12 --param Wh=4,12 --param b=12 --shapes 5,3 5,4``. A buggy layer is a
subclass with the one method a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def gru_step(x, h, Wx, Wh, b):
    """One step; returns h' and the cache."""
    ax_z, ax_r, ax_n = np.split(x @ Wx + b, 3, axis=1)
    ah_z, ah_r, ah_n = np.split(h @ Wh, 3, axis=1)
    z = _sigmoid(ax_z + ah_z)
    r = _sigmoid(ax_r + ah_r)
    n = np.tanh(ax_n + r * ah_n)
    return (1 - z) * n + z * h, (x, h, z, r, n, ah_n)


def gru_step_back(dh, cache, Wx, Wh):
    """-> dx, dh_prev, dWx, dWh, db."""
    x, h, z, r, n, ah_n = cache
    dn = dh * (1 - z)
    dz = dh * (h - n)
    dan = dn * (1 - n ** 2)
    dr = dan * ah_n
    daz = dz * z * (1 - z)
    dar = dr * r * (1 - r)
    dax = np.concatenate([daz, dar, dan], axis=1)
    dah = np.concatenate([daz, dar, dan * r], axis=1)
    return dax @ Wx.T, dh * z + dah @ Wh.T, x.T @ dax, h.T @ dah, dax.sum(axis=0)


class GRUCell:
    def __init__(self, Wx, Wh, b):
        self.Wx, self.Wh, self.b = Wx, Wh, b
        self.cache = None

    def forward(self, x, h):
        out, self.cache = gru_step(x, h, self.Wx, self.Wh, self.b)
        return out

    def backward(self, dh):
        dx, dh_prev, self.dWx, self.dWh, self.db = gru_step_back(dh, self.cache, self.Wx, self.Wh)
        return dx, dh_prev


class GRUCellWrongGate(GRUCell):
    def backward(self, dh):
        x, h, z, r, n, ah_n = self.cache
        dn = dh * (1 - z)
        dz = dh * (h - n)
        dan = dn * (1 - n ** 2)
        dr = dan * ah_n
        daz = dz * r * (1 - r)  # BUG: the update gate's derivative taken of the reset gate, r (1 - r)
        dar = dr * r * (1 - r)
        dax = np.concatenate([daz, dar, dan], axis=1)
        dah = np.concatenate([daz, dar, dan * r], axis=1)
        self.dWx, self.dWh, self.db = x.T @ dax, h.T @ dah, dax.sum(axis=0)
        return dax @ self.Wx.T, dh * z + dah @ self.Wh.T


class GRUCellNoCarry(GRUCell):
    def backward(self, dh):
        x, h, z, r, n, ah_n = self.cache
        dn = dh * (1 - z)
        dz = dh * (h - n)
        dan = dn * (1 - n ** 2)
        dr = dan * ah_n
        daz = dz * z * (1 - z)
        dar = dr * r * (1 - r)
        dax = np.concatenate([daz, dar, dan], axis=1)
        dah = np.concatenate([daz, dar, dan * r], axis=1)
        self.dWx, self.dWh, self.db = x.T @ dax, h.T @ dah, dax.sum(axis=0)
        return dax @ self.Wx.T, dah @ self.Wh.T  # BUG: h' = ... + z * h: the direct path dh * z left out of dh_prev


class GRU:
    """xs (N, T, D) -> hs (N, T, H), h0 = 0."""

    def __init__(self, Wx, Wh, b):
        self.Wx, self.Wh, self.b = Wx, Wh, b
        self.caches = None

    def forward(self, xs):
        N, T, _ = xs.shape
        h = np.zeros((N, self.Wh.shape[0]))
        hs, self.caches = [], []
        for t in range(T):
            h, cache = gru_step(xs[:, t], h, self.Wx, self.Wh, self.b)
            hs.append(h)
            self.caches.append(cache)
        return np.stack(hs, axis=1)

    def backward(self, dhs):
        T = dhs.shape[1]
        self.dWx, self.dWh, self.db = np.zeros_like(self.Wx), np.zeros_like(self.Wh), np.zeros_like(self.b)
        dxs = [None] * T
        dh_next = np.zeros_like(dhs[:, 0])
        for t in reversed(range(T)):
            dxs[t], dh_next, dWx, dWh, db = gru_step_back(dhs[:, t] + dh_next, self.caches[t], self.Wx, self.Wh)
            self.dWx += dWx
            self.dWh += dWh
            self.db += db
        return np.stack(dxs, axis=1)


class GRUTruncated(GRU):
    def backward(self, dhs):
        T = dhs.shape[1]
        self.dWx, self.dWh, self.db = np.zeros_like(self.Wx), np.zeros_like(self.Wh), np.zeros_like(self.b)
        dxs = [None] * T
        for t in reversed(range(T)):
            dxs[t], _, dWx, dWh, db = gru_step_back(dhs[:, t], self.caches[t], self.Wx, self.Wh)  # BUG: dh_next dropped
            self.dWx += dWx
            self.dWh += dWh
            self.db += db
        return np.stack(dxs, axis=1)


# ---------------------------------------------------------------- the cases

D, H = 3, 4


def weights(rng):
    return dict(Wx=0.6 * rng.standard_normal((D, 3 * H)), Wh=0.6 * rng.standard_normal((H, 3 * H)),
                b=0.3 * rng.standard_normal(3 * H))


def cell(cls, N=5):
    return lambda rng: ((cls(**weights(rng)), (rng.standard_normal((N, D)), rng.standard_normal((N, H)))), {})


def seq(cls, N=2, T=4):
    return lambda rng: ((cls(**weights(rng)), rng.standard_normal((N, T, D))), {})


PARAMS = ("--param", f"Wx={D},{3 * H}", "--param", f"Wh={H},{3 * H}", "--param", f"b={3 * H}")


def cli_cell(cls):
    return ("--layer", f"{{file}}:{cls.__name__}", *PARAMS, "--shapes", f"5,{D}", f"5,{H}")


def cli_seq(cls):
    return ("--layer", f"{{file}}:{cls.__name__}", *PARAMS, "--input-shape", f"2,4,{D}")


S = "gru-split"
CASES = [
    # --- correct
    Case("r5_gru.GRUCell", S, "layer", cell(GRUCell), cli=cli_cell(GRUCell)),
    Case("r5_gru.GRU", S, "layer", seq(GRU), cli=cli_seq(GRU)),
    # --- buggy
    Case("r5_gru.GRUCell.wrong_gate", S, "layer", cell(GRUCellWrongGate),
         bug="the update gate's sigmoid derivative taken of the reset gate (r (1 - r) for z (1 - z)): wrong in the "
             "z block of dWx, dWh, db and in dx, dh_prev", names=("located", "derivative"),
         cli=cli_cell(GRUCellWrongGate)),
    Case("r5_gru.GRUCell.no_carry", S, "layer", cell(GRUCellNoCarry),
         bug="dh_prev misses the direct path z * dh of h' = (1 - z) n + z h (dx and the weights right)",
         names=("missing-term", "split"), cli=cli_cell(GRUCellNoCarry)),
    Case("r5_gru.GRU.truncated", S, "layer", seq(GRUTruncated),
         bug="BPTT without the carried dh_next: every step's gradient from its own output only",
         names=("located", "missing-term", "split"), cli=cli_seq(GRUTruncated)),
]
