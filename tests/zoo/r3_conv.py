"""A 2-D convolution through im2col with stride and zero padding, and a 2-D average pool with padding that does
not count the padded cells (``count_include_pad=False``, as PyTorch's option), written as functional pairs in the
way of CS231n's fast layers: ``conv2d_forward(x, w, b, conv_param) -> (out, cache)``, ``conv2d_backward(dout,
cache) -> (dx, dw, db)``; ``avg_pool_forward(x, pool_param) -> (out, cache)``, ``avg_pool_backward(dout, cache) ->
dx``. x: (N, C, H, W), w: (F, C, KH, KW), b: (F,); im2col's columns are (C * KH * KW, N * OH * OW).

A buggy variant is a second function (or helper) with the one line a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _out_size(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


def im2col(x, kh, kw, stride, pad):
    """(N, C, H, W) -> (C * kh * kw, N * oh * ow): one column per output position."""
    N, C, H, W = x.shape
    oh, ow = _out_size(H, kh, stride, pad), _out_size(W, kw, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.zeros((C, kh, kw, N, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]  # (N, C, oh, ow)
            cols[:, i, j] = patch.transpose(1, 0, 2, 3)
    return cols.reshape(C * kh * kw, N * oh * ow)


def col2im(cols, x_shape, kh, kw, stride, pad):
    """The adjoint of im2col: every column's entries added back to the cells they came from, padding cropped."""
    N, C, H, W = x_shape
    oh, ow = _out_size(H, kh, stride, pad), _out_size(W, kw, stride, pad)
    cols = cols.reshape(C, kh, kw, N, oh, ow)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(kh):
        for j in range(kw):
            xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, i, j].transpose(1, 0, 2, 3)
    return xp[:, :, pad:pad + H, pad:pad + W]


def col2im_crop_at_zero(cols, x_shape, kh, kw, stride, pad):
    N, C, H, W = x_shape
    oh, ow = _out_size(H, kh, stride, pad), _out_size(W, kw, stride, pad)
    cols = cols.reshape(C, kh, kw, N, oh, ow)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(kh):
        for j in range(kw):
            xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, i, j].transpose(1, 0, 2, 3)
    return xp[:, :, :H, :W]  # BUG: the crop starts at 0, not at pad: dx is shifted by pad cells


def conv2d_forward(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    oh, ow = _out_size(H, kh, stride, pad), _out_size(W, kw, stride, pad)
    cols = im2col(x, kh, kw, stride, pad)
    out = w.reshape(F, -1) @ cols + b[:, None]
    out = out.reshape(F, N, oh, ow).transpose(1, 0, 2, 3)
    return out, (x.shape, w, cols, conv_param)


def conv2d_backward(dout, cache):
    x_shape, w, cols, conv_param = cache
    F, _, kh, kw = w.shape
    db = dout.sum(axis=(0, 2, 3))
    dout_r = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dw = (dout_r @ cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).T @ dout_r
    dx = col2im(dcols, x_shape, kh, kw, conv_param["stride"], conv_param["pad"])
    return dx, dw, db


def conv2d_backward_crop_at_zero(dout, cache):
    x_shape, w, cols, conv_param = cache
    F, _, kh, kw = w.shape
    db = dout.sum(axis=(0, 2, 3))
    dout_r = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dw = (dout_r @ cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).T @ dout_r
    dx = col2im_crop_at_zero(dcols, x_shape, kh, kw, conv_param["stride"], conv_param["pad"])
    return dx, dw, db


def conv2d_backward_dout_order(dout, cache):
    x_shape, w, cols, conv_param = cache
    F, _, kh, kw = w.shape
    db = dout.sum(axis=(0, 2, 3))
    dout_r = dout.reshape(F, -1)  # BUG: (N, F, oh, ow) reshaped as it lies: the filters' axis is not moved first
    dw = (dout_r @ cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).T @ dout_r
    dx = col2im(dcols, x_shape, kh, kw, conv_param["stride"], conv_param["pad"])
    return dx, dw, db


# ---------------------------------------------------------------- average pooling, padding not counted

def _valid_counts(H, W, k, stride, pad):
    """How many real (unpadded) cells each window covers: (oh, ow)."""
    ones = np.pad(np.ones((H, W)), pad)
    oh, ow = _out_size(H, k, stride, pad), _out_size(W, k, stride, pad)
    counts = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            counts[i, j] = ones[i * stride:i * stride + k, j * stride:j * stride + k].sum()
    return counts


def avg_pool_forward(x, pool_param):
    k, stride, pad = pool_param["k"], pool_param["stride"], pool_param["pad"]
    N, C, H, W = x.shape
    counts = _valid_counts(H, W, k, stride, pad)
    oh, ow = counts.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = window.sum(axis=(2, 3)) / counts[i, j]
    return out, (x.shape, counts, pool_param)


def avg_pool_backward(dout, cache):
    x_shape, counts, pool_param = cache
    k, stride, pad = pool_param["k"], pool_param["stride"], pool_param["pad"]
    N, C, H, W = x_shape
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            share = dout[:, :, i, j] / counts[i, j]
            dxp[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += share[:, :, None, None]
    return dxp[:, :, pad:pad + H, pad:pad + W]


def avg_pool_backward_full_window(dout, cache):
    x_shape, counts, pool_param = cache
    k, stride, pad = pool_param["k"], pool_param["stride"], pool_param["pad"]
    N, C, H, W = x_shape
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            share = dout[:, :, i, j] / (k * k)  # BUG: divided by the whole window; forward divided by the real cells
            dxp[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += share[:, :, None, None]
    return dxp[:, :, pad:pad + H, pad:pad + W]


# ---------------------------------------------------------------- the cases

def conv(bwd, x_shape=(2, 3, 7, 7), w_shape=(4, 3, 3, 3), stride=2, pad=1):
    def make(rng):
        return (conv2d_forward, bwd, rng.standard_normal(x_shape), rng.standard_normal(w_shape),
                rng.standard_normal(w_shape[0]), {"stride": stride, "pad": pad}), {}
    return make


def pool(bwd, k=3, stride=2, pad=1, x_shape=(2, 3, 7, 7)):
    def make(rng):
        return (avg_pool_forward, bwd, rng.standard_normal(x_shape), {"k": k, "stride": stride, "pad": pad}), {}
    return make


def conv_cli(bwd, x="2,3,7,7", w="4,3,3,3", stride=2, pad=1):
    return ("--pair", f"{{file}}:conv2d_forward,{bwd.__name__}", "--shapes", x, w, w.split(",")[0],
            f'{{"stride": {stride}, "pad": {pad}}}')


def pool_cli(bwd, k=3, stride=2, pad=1, x="2,3,7,7"):
    return ("--pair", f"{{file}}:avg_pool_forward,{bwd.__name__}", "--shapes", x,
            f'{{"k": {k}, "stride": {stride}, "pad": {pad}}}')


S = "im2col"
CASES = [
    # --- correct
    Case("r3_conv.conv2d", S, "pair", conv(conv2d_backward), cli=conv_cli(conv2d_backward)),
    Case("r3_conv.conv2d.stride1_pad2", S, "pair", conv(conv2d_backward, (1, 2, 5, 5), (3, 2, 2, 2), 1, 2),
         cli=conv_cli(conv2d_backward, "1,2,5,5", "3,2,2,2", 1, 2)),
    Case("r3_conv.avg_pool", S, "pair", pool(avg_pool_backward), cli=pool_cli(avg_pool_backward)),
    Case("r3_conv.avg_pool.unpadded", S, "pair", pool(avg_pool_backward, pad=0),
         cli=pool_cli(avg_pool_backward, pad=0)),
    # --- buggy
    Case("r3_conv.conv2d.crop_at_zero", S, "pair", conv(conv2d_backward_crop_at_zero),
         bug="col2im crops the padded dx at [:H, :W] instead of [pad:pad + H, pad:pad + W]: dx shifted (dw, db right)",
         names=("located",), cli=conv_cli(conv2d_backward_crop_at_zero)),
    Case("r3_conv.conv2d.dout_order", S, "pair", conv(conv2d_backward_dout_order),
         bug="dout (N, F, OH, OW) reshaped to (F, -1) without moving F first: dw and dx mix samples and filters",
         names=("located", "reordered"), cli=conv_cli(conv2d_backward_dout_order)),
    Case("r3_conv.avg_pool.full_window", S, "pair", pool(avg_pool_backward_full_window),
         bug="backward divides by k * k where forward divided by the real cells: wrong in the windows that overlap "
             "the padding (the border)", names=("located",), cli=pool_cli(avg_pool_backward_full_window)),
]
