"""The diagnoses that name a bug by the layout of its error, each on new learner code in two styles (a layer class,
a functional pair or a loss function): axes permuted, an error constant along an axis, the output used as dout, a
border or a shift in the array's own coordinates, dout read in another order, a derivative not chained through
exp or mirrored, and the dout = 0 probe on code that accumulates into its gradients."""

import numpy as np
import pytest

from nngrad import check_layer, check_loss, check_pair


def kinds(report) -> set[str]:
    return {f.kind for f in report.findings}


def message(report, kind: str) -> str:
    return " ".join(f.message for f in report.findings if f.kind == kind)


# -- a 3-D gradient with two axes swapped: "transposed", with the axes ---------------------------------------------

class Bilinear:
    """out[n, k] = x1[n, i] W[k, i, j] x2[n, j]; dW's subscripts written "nk,nj,ni->kij" (swapped)."""

    def __init__(self, W):
        self.W = W

    def forward(self, x1, x2):
        self.x1, self.x2 = x1, x2
        return np.einsum("ni,kij,nj->nk", x1, self.W, x2)

    def backward(self, dout):
        self.dW = np.einsum("nk,nj,ni->kij", dout, self.x1, self.x2)  # i and j swapped
        return np.einsum("nk,kij,nj->ni", dout, self.W, self.x2), np.einsum("nk,kij,ni->nj", dout, self.W, self.x1)


def trilinear_forward(x, w):
    """out[n, f] = sum_{c, k} x[n, c, k] w[f, k, c]: w (F, K, C) with K == C."""
    return np.einsum("nck,fkc->nf", x, w), (x, w)


def trilinear_backward_swapped(dout, cache):
    x, w = cache
    return np.einsum("nf,fkc->nck", dout, w), np.einsum("nf,nck->fck", dout, x)  # dw's last two axes swapped


def test_a_3d_weight_with_its_last_two_axes_swapped_is_named_with_the_axes_in_a_layer(rng):
    report = check_layer(Bilinear(rng.standard_normal((3, 4, 4))), (rng.standard_normal((5, 4)),
                                                                   rng.standard_normal((5, 4))))
    assert report.status == "FAIL" and "axes 1 and 2 swapped" in message(report, "transposed")


def test_a_3d_weight_with_its_last_two_axes_swapped_is_named_with_the_axes_in_a_pair(rng):
    report = check_pair(trilinear_forward, trilinear_backward_swapped, rng.standard_normal((4, 3, 3)),
                        rng.standard_normal((2, 3, 3)))
    assert report.status == "FAIL" and "transpose(0, 2, 1)" in message(report, "transposed")


# -- an error constant along an axis: a mean's term missing, inside a larger layer ----------------------------------

def _ln(x, eps=1e-5):
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    return (x - mu) * inv, inv


class PreNormMLP:
    """out = x + relu(LN(x) @ W1) @ W2, LN without gain; backward's LN misses - mean(dxhat)."""

    def __init__(self, W1, W2):
        self.W1, self.W2 = W1, W2

    def forward(self, x):
        self.x = x
        self.xh, self.inv = _ln(x)
        self.h = self.xh @ self.W1
        self.a = np.maximum(self.h, 0)
        return x + self.a @ self.W2

    def backward(self, dout):
        self.dW2 = np.einsum("nh,no->ho", self.a, dout)
        da = dout @ self.W2.T * (self.h > 0)
        self.dW1 = np.einsum("nd,nh->dh", self.xh, da)
        dxh = da @ self.W1.T
        dx_ln = self.inv * (dxh - self.xh * (dxh * self.xh).mean(-1, keepdims=True))  # - dxh.mean(-1) missing
        return dout + dx_ln


def centred_scale_forward(x, g):
    """Each feature centred over the batch, then scaled: out = (x - mean(x, axis=0)) * g."""
    return (x - x.mean(axis=0)) * g, (x, g)


def centred_scale_backward(dout, cache):
    x, g = cache
    return dout * g, ((x - x.mean(axis=0)) * dout).sum(axis=0)  # the centring's - mean(dout * g, axis=0) missing


def test_layer_norms_missing_mean_inside_a_block_is_a_term_constant_along_the_last_axis(rng):
    report = check_layer(PreNormMLP(rng.standard_normal((4, 6)), rng.standard_normal((6, 4))),
                         rng.standard_normal((5, 4)))
    assert report.status == "FAIL" and "constant along that axis" in message(report, "missing-term")
    assert "axis 1 (the last)" in message(report, "missing-term")


def test_a_centring_left_out_of_a_pairs_backward_is_a_term_constant_along_the_batch(rng):
    report = check_pair(centred_scale_forward, centred_scale_backward, rng.standard_normal((6, 3)),
                        rng.standard_normal(3))
    assert report.status == "FAIL" and "axis 0 (the batch)" in message(report, "missing-term")


# -- the output used where dout belongs (a Hebbian dW) ---------------------------------------------------------------

class HebbianDense:
    def __init__(self, W):
        self.W = W

    def forward(self, x):
        self.x = x
        self.y = x @ self.W
        return self.y

    def backward(self, dout):
        self.dW = self.x.T @ self.y  # the output where dout belongs
        return dout @ self.W.T


def hebbian_forward(x, w, b):
    out = x @ w + b
    return out, (x, w, out)


def hebbian_backward(dout, cache):
    x, w, out = cache
    return dout @ w.T, x.T @ out, dout.sum(axis=0)  # dw from the output


def test_a_hebbian_dw_in_a_layer_is_the_gradient_at_dout_equal_to_the_output(rng):
    report = check_layer(HebbianDense(rng.standard_normal((4, 3))), rng.standard_normal((5, 4)))
    assert report.status == "FAIL" and "the output used where dout belongs" in message(report, "known-mistake")
    assert "independent of dout altogether" in message(report, "dout-ignored")


def test_a_hebbian_dw_in_a_pair_is_the_gradient_at_dout_equal_to_the_output(rng):
    report = check_pair(hebbian_forward, hebbian_backward, rng.standard_normal((5, 4)), rng.standard_normal((4, 3)),
                        rng.standard_normal(3))
    assert report.status == "FAIL" and "dout = the layer's output y" in message(report, "known-mistake")


# -- the dout = 0 probe on code that adds into its gradients ---------------------------------------------------------

class AccumulatingDense:
    """+= into its gradients, never reset (not repeatable); db misses the sum over the batch's second half."""

    def __init__(self, W, b):
        self.W, self.b = W, b
        self.dW, self.db = np.zeros_like(W), np.zeros_like(b)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW += self.x.T @ dout
        self.db += 2 * dout.sum(axis=0)  # a factor 2
        return dout @ self.W.T


class AccumulatingDictDense:
    """numpy-ml's layout: params and grads in dicts, += into grads, no reset here; dW misses its sign."""

    def __init__(self, W):
        self.params = {"W": W}
        self.grads = {"W": np.zeros_like(W)}

    def forward(self, x):
        self.x = x
        return np.tanh(x @ self.params["W"])

    def backward(self, dout):
        dz = dout * (1 - np.tanh(self.x @ self.params["W"]) ** 2)
        self.grads["W"] += -(self.x.T @ dz)  # the sign flipped
        return dz @ self.params["W"].T


class AccumulatingWithConstant(AccumulatingDense):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db += 1.0  # a constant added at every backward: there even at dout = 0
        return dx


@pytest.mark.parametrize("make", [lambda rng: AccumulatingDense(rng.standard_normal((4, 3)), rng.standard_normal(3)),
                                  lambda rng: AccumulatingDictDense(rng.standard_normal((4, 3)))],
                         ids=["attributes", "dicts"])
def test_the_dout_zero_probe_does_not_read_the_stale_sum_of_an_accumulating_layer(rng, make):
    report = check_layer(make(rng), rng.standard_normal((5, 4)))
    assert report.status == "FAIL" and "dout-ignored" not in kinds(report)


def test_the_dout_zero_probe_still_names_a_constant_an_accumulating_layer_adds(rng):
    report = check_layer(AccumulatingWithConstant(rng.standard_normal((4, 3)), rng.standard_normal(3)),
                         rng.standard_normal((5, 4)))
    assert "backward at dout = 0 added nonzero db" in message(report, "dout-ignored")


# -- a border, a shift: where the error sits in the array's own coordinates ------------------------------------------

def _pool_counts(length, k, pad):
    ones = np.pad(np.ones(length), pad)
    return np.array([ones[i:i + k].sum() for i in range(length + 2 * pad - k + 1)])


class AvgPool1d:
    """Average over windows of k at stride 1 with zero padding not counted: x (N, C, L)."""

    def __init__(self, k=3, pad=1):
        self.k, self.pad = k, pad

    def forward(self, x):
        self.shape = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (self.pad, self.pad)))
        self.counts = _pool_counts(x.shape[2], self.k, self.pad)
        return np.stack([xp[:, :, i:i + self.k].sum(-1) for i in range(len(self.counts))], -1) / self.counts

    def backward(self, dout):
        N, C, L = self.shape
        dxp = np.zeros((N, C, L + 2 * self.pad))
        for i in range(len(self.counts)):
            dxp[:, :, i:i + self.k] += (dout[:, :, i] / self.k)[..., None]  # k where the real count belongs
        return dxp[:, :, self.pad:self.pad + L]


def avg_pool2d_forward(x, k=3, pad=1):
    """k x k windows at stride 1, zero padding not counted: x (N, C, H, W)."""
    H, W = x.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cnt = np.outer(_pool_counts(H, k, pad), _pool_counts(W, k, pad))
    out = np.zeros(x.shape[:2] + cnt.shape)
    for i in range(cnt.shape[0]):
        for j in range(cnt.shape[1]):
            out[:, :, i, j] = xp[:, :, i:i + k, j:j + k].sum((2, 3)) / cnt[i, j]
    return out, (x.shape, k, pad)


def avg_pool2d_backward_counted(dout, cache):
    (N, C, H, W), k, pad = cache
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dxp[:, :, i:i + k, j:j + k] += (dout[:, :, i, j] / (k * k))[..., None, None]  # padded cells counted
    return dxp[:, :, pad:pad + H, pad:pad + W]


def test_a_1d_pool_counting_the_padding_is_wrong_only_at_each_sequences_ends(rng):
    report = check_layer(AvgPool1d(), rng.standard_normal((2, 3, 6)))
    words = message(report, "located")
    assert report.status == "FAIL" and "the first 2 and the last 2 positions of each sequence (axis 2 " in words


def test_a_2d_pool_counting_the_padding_is_wrong_only_at_each_images_border(rng):
    report = check_pair(avg_pool2d_forward, avg_pool2d_backward_counted, rng.standard_normal((2, 2, 6, 6)), 3, 1)
    assert report.status == "FAIL" and "rows and columns of each image" in message(report, "located")


class SameConv1d:
    """A 'same' 1-D correlation with zero padding p: x (N, L), w (K,), out (N, L); dx cropped at the wrong offset."""

    def __init__(self, w):
        self.w = w

    def forward(self, x):
        self.x = x
        p = len(self.w) // 2
        self.xp = np.pad(x, ((0, 0), (p, p)))
        return np.stack([self.xp[:, i:i + len(self.w)] @ self.w for i in range(x.shape[1])], 1)

    def backward(self, dout):
        K, (N, L) = len(self.w), self.x.shape
        dxp = np.zeros((N, L + K - 1))
        for i in range(L):
            dxp[:, i:i + K] += dout[:, i:i + 1] * self.w
        self.dw = sum(self.xp[:, i:i + K].T @ dout[:, i] for i in range(L))
        return dxp[:, :L]  # BUG: cropped at 0, not at p


def same_conv2d_forward(x, w):
    """'same' 2-D correlation, one channel: x (N, H, W), w (K, K), padding K // 2."""
    p, K = w.shape[0] // 2, w.shape[0]
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    out = np.zeros(x.shape)
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            out[:, i, j] = (xp[:, i:i + K, j:j + K] * w).sum((1, 2))
    return out, (xp, w, x.shape)


def same_conv2d_backward_crop(dout, cache):
    xp, w, (N, H, W) = cache
    K = w.shape[0]
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(H):
        for j in range(W):
            dxp[:, i:i + K, j:j + K] += dout[:, i, j, None, None] * w
            dw += (xp[:, i:i + K, j:j + K] * dout[:, i, j, None, None]).sum(0)
    return dxp[:, :H, :W], dw  # BUG: the crop starts at 0


def test_a_1d_convolutions_dx_cropped_at_the_wrong_offset_is_named_shifted(rng):
    report = check_layer(SameConv1d(rng.standard_normal(3)), rng.standard_normal((3, 7)))
    assert report.status == "FAIL" and "moved by +1 along axis 1" in message(report, "located")


def test_a_2d_convolutions_dx_cropped_at_the_wrong_offset_is_named_shifted(rng):
    report = check_pair(same_conv2d_forward, same_conv2d_backward_crop, rng.standard_normal((2, 6, 6)),
                        rng.standard_normal((3, 3)))
    assert report.status == "FAIL" and "+1 along axis 1, +1 along axis 2" in message(report, "located")


# -- dout read in another axis order: "reordered" --------------------------------------------------------------------

class TimeDense:
    """out = x @ W for x (N, T, D); dW pairs x read time-major with dout read batch-major."""

    def __init__(self, W):
        self.W = W

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, dout):
        D, H = self.W.shape
        self.dW = self.x.transpose(1, 0, 2).reshape(-1, D).T @ dout.reshape(-1, H)  # dout not moved to (T, N)
        return dout @ self.W.T


def channels_forward(x, w):
    """A 1x1 convolution: x (N, C, P), w (F, C) -> out (N, F, P)."""
    return np.einsum("fc,ncp->nfp", w, x), (x, w)


def channels_backward_reshape(dout, cache):
    x, w = cache
    F = w.shape[0]
    d = dout.reshape(F, -1)  # BUG: (N, F, P) reshaped as it lies
    cols = x.transpose(1, 0, 2).reshape(x.shape[1], -1)
    return (w.T @ d).reshape(x.shape[1], x.shape[0], -1).transpose(1, 0, 2), d @ cols.T


def test_a_layer_reading_dout_in_another_axis_order_is_named_reordered(rng):
    report = check_layer(TimeDense(rng.standard_normal((3, 2))), rng.standard_normal((4, 5, 3)))
    assert report.status == "FAIL" and "read as if it were laid out as (5, 4, 2)" in message(report, "reordered")


def test_a_pair_reshaping_dout_without_its_transpose_is_named_reordered_not_batch(rng):
    report = check_pair(channels_forward, channels_backward_reshape, rng.standard_normal((2, 3, 5)),
                        rng.standard_normal((4, 3)))
    assert report.status == "FAIL" and "reordered" in kinds(report) and "batch" not in kinds(report)


# -- a derivative not chained through exp, or mirrored ----------------------------------------------------------------

def exponential_nll_not_chained(log_rate, y):
    """mean of rate * y - log(rate), rate = exp(log_rate); the gradient taken with respect to the rate."""
    rate = np.exp(log_rate)
    n = y.shape[0]
    return np.sum(rate * y - log_rate) / n, (y - 1 / rate) / n  # BUG: d/drate, not chained through exp


class LogStdGaussianLoss:
    """A loss object: forward(s, t) -> mean 0.5 * t^2 * exp(-2 s) + s; backward() -> ds, the exp's factor applied
    twice (ds times exp(s))."""

    def forward(self, s, t):
        self.s, self.t = s, t
        return float(np.mean(0.5 * t ** 2 * np.exp(-2 * s) + s))

    def backward(self):
        ds = (1 - self.t ** 2 * np.exp(-2 * self.s)) / self.s.size
        return ds * np.exp(self.s)  # BUG: an exp(s) too many


def test_a_rate_gradient_not_chained_through_exp_is_the_true_one_times_exp_minus_x(rng):
    report = check_loss(exponential_nll_not_chained, rng.standard_normal(8), rng.uniform(0.5, 2.0, 8))
    assert report.status == "FAIL" and "times exp(-x)" in message(report, "derivative")


def test_a_loss_object_with_exp_applied_once_too_often_is_the_true_one_times_exp_x(rng):
    report = check_layer(LogStdGaussianLoss(), rng.standard_normal(8), t=rng.standard_normal(8))
    assert report.status == "FAIL" and "times exp(x)" in message(report, "derivative")


class SoftplusMirrored:
    def forward(self, x):
        self.x = x
        return np.logaddexp(0, x)

    def backward(self, dout):
        return dout / (1 + np.exp(self.x))  # sigmoid(-x)


def log_sigmoid_forward(x):
    return -np.logaddexp(0, -x), x


def log_sigmoid_backward_mirrored(dout, x):
    return dout / (1 + np.exp(-x))  # BUG: sigmoid(x); log sigmoid's derivative is sigmoid(-x) = 1 / (1 + e^x)


def test_softplus_with_sigmoid_of_minus_x_is_named_mirrored_in_a_layer(rng):
    report = check_layer(SoftplusMirrored(), rng.standard_normal((4, 5)))
    assert report.status == "FAIL" and "f'(-x), the derivative mirrored" in message(report, "derivative")


def test_log_sigmoid_with_sigmoid_of_x_is_named_mirrored_in_a_pair(rng):
    report = check_pair(log_sigmoid_forward, log_sigmoid_backward_mirrored, rng.standard_normal((4, 5)))
    assert report.status == "FAIL" and "f'(-x), the derivative mirrored" in message(report, "derivative")
