"""Functions in the style of CS231n's assignments: ``*_forward(...) -> (out, cache)``,
``*_backward(dout, cache) -> (dx, dw, ...)`` (one gradient per float-array input, in order; ``relu_backward`` returns
just dx), ``*_param`` dicts passed through, ``lstm_step_forward -> (next_h, next_c, cache)``; and loss functions
``svm_loss(x, y) -> (loss, dx)``, ``svm_loss_naive(W, X, y, reg) -> (loss, dW)``.

A buggy variant is a copy of the correct function with the one line a student got wrong (``# BUG:``)."""

# ruff: noqa: RUF059, UP031  (learner code, kept the way learners write it)

import numpy as np

from .case import Case

# ================================================================ layers: forward/backward pairs

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_backward_no_batch_sum(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = dout  # BUG: no sum over the batch
    return dx, dw, db


def affine_backward_no_reshape(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T)  # BUG: not reshaped back to x's shape (N, d1, d2)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_backward_mean(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(N, -1).T.dot(dout) / N  # BUG: divided by N: the mean belongs in the loss, not in the layer
    db = np.sum(dout, axis=0) / N
    return dx, dw, db


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_forward_in_place(x):
    out = x
    out[x < 0] = 0  # BUG: out is x itself: the caller's x is overwritten
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    return dx


def relu_backward_in_place(dout, cache):
    x = cache
    dout[x <= 0] = 0  # BUG: zeroes the caller's dout in place
    dx = dout
    return dx


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        sample_mean = x.mean(axis=0)
        sample_var = x.var(axis=0)
        xc = x - sample_mean
        std = np.sqrt(sample_var + eps)
        x_hat = xc / std
        out = gamma * x_hat + beta
        cache = (x, x_hat, xc, std, gamma)
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """Back through the computational graph, one node at a time."""
    x, x_hat, xc, std, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dxc = dx_hat / std
    dstd = -np.sum(dx_hat * xc / std ** 2, axis=0)
    dvar = dstd / (2 * std)
    dxc += 2 * xc * dvar / N
    dmean = -np.sum(dxc, axis=0)
    dx = dxc + dmean / N
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """The simplified formula, in one line."""
    x, x_hat, xc, std, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = gamma / (N * std) * (N * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def batchnorm_backward_constant_stats(dout, cache):
    x, x_hat, xc, std, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = dout * gamma / std  # BUG: treats the batch mean and variance as constants (neither term)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    out = gamma * x_hat + beta
    return out, (x_hat, std, gamma)


def layernorm_backward(dout, cache):
    x_hat, std, gamma = cache
    D = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (D * dx_hat - dx_hat.sum(axis=1, keepdims=True)
          - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)) / (D * std)
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]  # p: the probability of keeping a unit
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, F, H_out, W_out = dout.shape
    _, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, db


def conv_backward_naive_overwrite(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, F, H_out, W_out = dout.shape
    _, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                hs, ws = i * stride, j * stride
                for f in range(F):
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                # BUG: = instead of +=: overlapping windows overwrite each other's share of dx
                dx_pad[n, :, hs:hs + HH, ws:ws + WW] = np.sum(w * dout[n, :, i, j][:, None, None, None], axis=0)
    dx = dx_pad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out = 1 + (H - ph) // stride
    W_out = 1 + (W - pw) // stride
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            out[:, :, i, j] = np.max(window, axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    k, l = np.unravel_index(np.argmax(window), window.shape)  # the first maximum only
                    dx[n, c, i * stride + k, j * stride + l] += dout[n, c, i, j]
    return dx


def max_pool_backward_naive_every_max(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            mask = window == np.max(window, axis=(2, 3), keepdims=True)  # BUG: all tied maxima get dout
            d = dout[:, :, i, j][:, :, None, None]
            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += mask * d
    return dx


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = dnext_h * (1 - next_h ** 2)
    dx = dtanh.dot(Wx.T)
    dprev_h = dtanh.dot(Wh.T)
    dWx = x.T.dot(dtanh)
    dWh = prev_h.T.dot(dtanh)
    db = dtanh.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_step_backward_dWh_transposed(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = dnext_h * (1 - next_h ** 2)
    dx = dtanh.dot(Wx.T)
    dprev_h = dtanh.dot(Wh.T)
    dWx = x.T.dot(dtanh)
    dWh = dtanh.T.dot(prev_h)  # BUG: transposed; Wh is square (H, H), so the shape looks right
    db = dtanh.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    do = dnext_h * tanh_c
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    di, df, dg = dc * g, dc * prev_c, dc * i
    dprev_c = dc * f
    da = np.hstack([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)])
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_step_backward_g_gate(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    do = dnext_h * tanh_c
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    di, df, dg = dc * g, dc * prev_c, dc * i
    dprev_c = dc * f
    da = np.hstack([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o),
                    dg * (1 - g)])  # BUG: the g gate's tanh' as 1 - g instead of 1 - g**2
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


# ================================================================ loss functions: (loss, gradient)

def svm_loss(x, y):
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= num_pos
    dx /= N
    return loss, dx


def svm_loss_ge(x, y):
    """Counts the margins >= 0: at a margin of exactly 0 this picks the other one-sided derivative, which is as
    right as the first (the hinge's subgradient there is any value in [0, 1])."""
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    positive = (x - x[np.arange(N), y][:, None] + 1.0 >= 0).astype(float)
    positive[np.arange(N), y] = 0
    dx = positive.copy()
    dx[np.arange(N), y] = -positive.sum(axis=1)
    return loss, dx / N


def svm_loss_no_mean(x, y):
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= num_pos  # BUG: never divided by N although the loss is
    return loss, dx


def svm_loss_correct_class_sign(x, y):
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] += num_pos  # BUG: the correct class's score lowers the margins: -= num_pos
    dx /= N
    return loss, dx


def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def softmax_loss_no_minus_one(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted_logits) / np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs / N  # BUG: forgets dx[range(N), y] -= 1
    return loss, dx


def softmax_loss_no_shift(x, y):
    probs = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)  # BUG: no max shift: exp overflows to inf
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1  # note delta = 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_naive_no_mean(W, X, y, reg):
    dW = np.zeros(W.shape)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train  # BUG: the loss is averaged, dW is not (dW /= num_train missing)
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(num_train), y][:, None]
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(num_train), y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    binary = (margins > 0).astype(float)
    binary[np.arange(num_train), y] = -binary.sum(axis=1)
    dW = X.T.dot(binary) / num_train + 2 * reg * W
    return loss, dW


def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train, num_classes = X.shape[0], W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(p[y[i]])
        for j in range(num_classes):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return loss, dW


def softmax_loss_naive_no_label_term(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train, num_classes = X.shape[0], W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(p[y[i]])
        for j in range(num_classes):
            dW[:, j] += p[j] * X[i]  # BUG: forgets the -X[i] of the correct class j == y[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(num_train), y]).sum() / num_train + reg * np.sum(W * W)
    dscores = probs
    dscores[np.arange(num_train), y] -= 1
    dW = X.T.dot(dscores) / num_train + 2 * reg * W
    return loss, dW


# ================================================================ the cases

def normal(rng, *shape):
    return rng.standard_normal(shape)


def pair(fwd, bwd, *shapes, extra=()):
    """make(rng) for check_pair(fwd, bwd, *inputs): standard normal arrays of these shapes, then ``extra``
    (fresh dicts of parameters each call)."""
    def make(rng):
        params = [dict(p) for p in extra]
        return (fwd, bwd, *[normal(rng, *s) for s in shapes], *params), {}
    return make


def pair_cli(fwd, bwd, *shapes):
    return ("--pair", f"{{file}}:{fwd.__name__},{bwd.__name__}", "--shapes", *shapes)


def relu_zeros(fwd, bwd):
    def make(rng):
        x = np.round(normal(rng, 4, 5))
        x[0, :2] = 0.0
        return (fwd, bwd, x), {}
    return make


def conv_pair(bwd):
    def make(rng):
        x, w, b = normal(rng, 2, 3, 5, 5), 0.5 * normal(rng, 4, 3, 3, 3), normal(rng, 4)
        return (conv_forward_naive, bwd, x, w, b, {"stride": 1, "pad": 1}), {}
    return make


def pool_pair(bwd, ties):
    def make(rng):
        x = normal(rng, 2, 2, 4, 4)
        if ties:
            x = np.round(x)
            x[1, 1, 2:, 2:] = -1.0  # a window of four tied maxima
        return (max_pool_forward_naive, bwd, x, {"pool_height": 2, "pool_width": 2, "stride": 2}), {}
    return make


def rnn_pair(bwd, N=3, D=4, H=5):
    def make(rng):
        x, h = normal(rng, N, D), normal(rng, N, H)
        Wx, Wh, b = 0.5 * normal(rng, D, H), 0.5 * normal(rng, H, H), normal(rng, H)
        return (rnn_step_forward, bwd, x, h, Wx, Wh, b), {}
    return make


def lstm_pair(bwd, N=3, D=4, H=5):
    def make(rng):
        x, h, c = normal(rng, N, D), normal(rng, N, H), normal(rng, N, H)
        Wx, Wh, b = 0.5 * normal(rng, D, 4 * H), 0.5 * normal(rng, H, 4 * H), normal(rng, 4 * H)
        return (lstm_step_forward, bwd, x, h, c, Wx, Wh, b), {}
    return make


def bn_pair(bwd):
    def make(rng):
        x, gamma, beta = normal(rng, 6, 4), 1.0 + 0.1 * normal(rng, 4), normal(rng, 4)
        return (batchnorm_forward, bwd, x, gamma, beta, {"mode": "train"}), {}
    return make


def scores_loss(fn, integers=False, scale=1.0):
    def make(rng):
        x = normal(rng, 6, 4)
        x = np.round(x) if integers else scale * x  # integer scores: many margins exactly at the hinge's kink
        return (fn, x, rng.integers(0, 4, 6)), {}
    return make


def weights_loss(fn, reg=0.1):
    def make(rng):
        W, X = 0.5 * normal(rng, 5, 3), normal(rng, 8, 5)
        return (fn, W, X, rng.integers(0, 3, 8), reg), {}
    return make


def loss_cli(fn):
    return ("--loss-fn", f"{{file}}:{fn.__name__}", "--shapes", "6,4", "labels")


P, L = "cs231n-pair", "cs231n-loss"
CASES = [
    # --- pairs, correct
    Case("cs231n.affine", P, "pair", pair(affine_forward, affine_backward, (4, 5), (5, 3), (3,)),
         cli=pair_cli(affine_forward, affine_backward, "4,5", "5,3", "3")),
    Case("cs231n.affine.tensor_input", P, "pair", pair(affine_forward, affine_backward, (4, 2, 3), (6, 3), (3,)),
         cli=pair_cli(affine_forward, affine_backward, "4,2,3", "6,3", "3")),
    Case("cs231n.relu", P, "pair", pair(relu_forward, relu_backward, (4, 5)),
         cli=pair_cli(relu_forward, relu_backward, "4,5")),
    Case("cs231n.relu.exact_zeros", P, "pair", relu_zeros(relu_forward, relu_backward)),
    Case("cs231n.affine_relu", P, "pair", pair(affine_relu_forward, affine_relu_backward, (4, 5), (5, 3), (3,)),
         cli=pair_cli(affine_relu_forward, affine_relu_backward, "4,5", "5,3", "3")),
    Case("cs231n.batchnorm", P, "pair", bn_pair(batchnorm_backward)),
    Case("cs231n.batchnorm_alt", P, "pair", bn_pair(batchnorm_backward_alt)),
    Case("cs231n.layernorm", P, "pair", pair(layernorm_forward, layernorm_backward, (5, 4), (4,), (4,), extra=({},))),
    Case("cs231n.dropout.seeded", P, "pair",
         pair(dropout_forward, dropout_backward, (6, 5), extra=({"p": 0.6, "mode": "train", "seed": 123},))),
    Case("cs231n.conv_naive", P, "pair", conv_pair(conv_backward_naive)),
    Case("cs231n.max_pool_naive", P, "pair", pool_pair(max_pool_backward_naive, ties=False)),
    Case("cs231n.max_pool_naive.ties", P, "pair", pool_pair(max_pool_backward_naive, ties=True)),
    Case("cs231n.rnn_step", P, "pair", rnn_pair(rnn_step_backward),
         cli=pair_cli(rnn_step_forward, rnn_step_backward, "3,4", "3,5", "4,5", "5,5", "5")),
    Case("cs231n.lstm_step", P, "pair", lstm_pair(lstm_step_backward),
         cli=pair_cli(lstm_step_forward, lstm_step_backward, "3,4", "3,5", "3,5", "4,20", "5,20", "20")),
    # --- pairs, buggy
    Case("cs231n.affine.db_no_batch_sum", P, "pair",
         pair(affine_forward, affine_backward_no_batch_sum, (4, 5), (5, 3), (3,)),
         bug="db = dout without the sum over the batch", names=("shape", "batch"),
         cli=pair_cli(affine_forward, affine_backward_no_batch_sum, "4,5", "5,3", "3")),
    Case("cs231n.affine.dx_not_reshaped", P, "pair",
         pair(affine_forward, affine_backward_no_reshape, (4, 2, 3), (6, 3), (3,)),
         bug="dx left (N, D) for an input of shape (N, d1, d2)", names=("shape",),
         cli=pair_cli(affine_forward, affine_backward_no_reshape, "4,2,3", "6,3", "3")),
    Case("cs231n.affine.mean", P, "pair", pair(affine_forward, affine_backward_mean, (4, 5), (5, 3), (3,)),
         bug="dw and db divided by the batch size", names=("scaled", "batch"),
         cli=pair_cli(affine_forward, affine_backward_mean, "4,5", "5,3", "3")),
    Case("cs231n.relu.forward_in_place", P, "pair", pair(relu_forward_in_place, relu_backward, (4, 5)),
         bug="relu_forward writes into x (out = x; out[x < 0] = 0)", names=("input-modified",),
         cli=pair_cli(relu_forward_in_place, relu_backward, "4,5")),
    Case("cs231n.relu.backward_in_place", P, "pair", pair(relu_forward, relu_backward_in_place, (4, 5)),
         bug="relu_backward zeroes dout in place and returns it", names=("dout-modified",),
         cli=pair_cli(relu_forward, relu_backward_in_place, "4,5")),
    Case("cs231n.batchnorm.constant_stats", P, "pair", bn_pair(batchnorm_backward_constant_stats),
         bug="batch norm's dx = dout * gamma / std: without the mean's and the variance's terms",
         names=("known-mistake",)),
    Case("cs231n.conv_naive.overwrite", P, "pair", conv_pair(conv_backward_naive_overwrite),
         bug="dx_pad[window] = ... instead of +=: overlapping windows keep only the last one's share",
         names=("located",)),
    Case("cs231n.max_pool_naive.every_max", P, "pair", pool_pair(max_pool_backward_naive_every_max, ties=True),
         bug="max-pool backward sends dout to every tied maximum (mask = window == max)", names=("tie",)),
    Case("cs231n.rnn_step.dWh_transposed", P, "pair", rnn_pair(rnn_step_backward_dWh_transposed),
         bug="dWh = dtanh.T @ prev_h: the square dWh transposed", names=("transposed",),
         cli=pair_cli(rnn_step_forward, rnn_step_backward_dWh_transposed, "3,4", "3,5", "4,5", "5,5", "5")),
    Case("cs231n.lstm_step.g_gate", P, "pair", lstm_pair(lstm_step_backward_g_gate),
         bug="the LSTM's g gate (tanh) backward as 1 - g instead of 1 - g**2", names=("known-mistake",),
         cli=pair_cli(lstm_step_forward, lstm_step_backward_g_gate, "3,4", "3,5", "3,5", "4,20", "5,20", "20")),
    # --- losses, correct
    Case("cs231n.svm_loss", L, "loss", scores_loss(svm_loss), cli=loss_cli(svm_loss)),
    Case("cs231n.svm_loss.kinks", L, "loss", scores_loss(svm_loss, integers=True)),
    Case("cs231n.svm_loss_ge.kinks", L, "loss", scores_loss(svm_loss_ge, integers=True)),
    Case("cs231n.softmax_loss", L, "loss", scores_loss(softmax_loss), cli=loss_cli(softmax_loss)),
    Case("cs231n.svm_loss_naive", L, "loss", weights_loss(svm_loss_naive)),
    Case("cs231n.svm_loss_vectorized", L, "loss", weights_loss(svm_loss_vectorized)),
    Case("cs231n.softmax_loss_naive", L, "loss", weights_loss(softmax_loss_naive)),
    Case("cs231n.softmax_loss_vectorized", L, "loss", weights_loss(softmax_loss_vectorized)),
    # --- losses, buggy
    Case("cs231n.svm_loss.no_mean", L, "loss", scores_loss(svm_loss_no_mean),
         bug="dx not divided by N although the loss is", names=("scaled", "batch"), cli=loss_cli(svm_loss_no_mean)),
    Case("cs231n.svm_loss.correct_class_sign", L, "loss", scores_loss(svm_loss_correct_class_sign),
         bug="the correct class's column gets +num_pos instead of -num_pos", names=("located",),
         cli=loss_cli(svm_loss_correct_class_sign)),
    Case("cs231n.softmax_loss.no_minus_one", L, "loss", scores_loss(softmax_loss_no_minus_one),
         bug="dx = probs / N: forgets subtracting 1 at the correct class", names=("located",),
         cli=loss_cli(softmax_loss_no_minus_one)),
    Case("cs231n.softmax_loss.no_shift", L, "loss", scores_loss(softmax_loss_no_shift, scale=800.0),
         bug="softmax without subtracting the max: exp(800) overflows, loss and dx are NaN", names=("nonfinite",)),
    Case("cs231n.svm_loss_naive.no_mean", L, "loss", weights_loss(svm_loss_naive_no_mean, reg=0.0),
         bug="dW not divided by num_train although the loss is (reg = 0)", names=("scaled", "batch")),
    Case("cs231n.softmax_loss_naive.no_label_term", L, "loss", weights_loss(softmax_loss_naive_no_label_term),
         bug="dW[:, j] += p[j] * X[i] for every class: the correct class's -X[i] is missing", names=("located",)),
]
