"""A 1-D depthwise convolution (each channel its own kernel, as in MobileNet's or ConvNeXt's depthwise layers and
the temporal convolutions of sequence models), written with a loop over the kernel's taps: x (N, C, L), W (C, K),
b (C,), out[n, c, t] = sum_k W[c, k] x[n, c, t + k] + b[c]. ``DepthwiseConv1D`` is "valid" (L - K + 1 outputs);
``CausalDepthwiseConv1D`` pads K - 1 zeros on the left so that output t sees inputs up to t only (L outputs).
Class layers in the *Deep Learning from Scratch* manner: ``forward(x)``, ``backward(dout) -> dx``, ``self.dW``,
``self.db``.

A learner checks them as ``nngrad.check_layer(DepthwiseConv1D(W, b), x)``, or from the shell with
``--layer FILE:DepthwiseConv1D --param W=3,3 --param b=3 --input-shape 2,3,8``. A buggy layer is a subclass with
the one method a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


class DepthwiseConv1D:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = None

    def _taps(self, x):
        return x.shape[2] - self.W.shape[1] + 1

    def forward(self, x):
        self.x = x
        L_out = self._taps(x)
        out = np.zeros((x.shape[0], x.shape[1], L_out)) + self.b[None, :, None]
        for k in range(self.W.shape[1]):
            out += self.W[None, :, k, None] * x[:, :, k:k + L_out]
        return out

    def backward(self, dout):
        x, L_out = self.x, dout.shape[2]
        self.db = dout.sum(axis=(0, 2))
        self.dW = np.zeros_like(self.W)
        dx = np.zeros_like(x)
        for k in range(self.W.shape[1]):
            self.dW[:, k] = np.sum(dout * x[:, :, k:k + L_out], axis=(0, 2))
            dx[:, :, k:k + L_out] += self.W[None, :, k, None] * dout
        return dx


class DepthwiseConv1DChannelSum(DepthwiseConv1D):
    def backward(self, dout):
        x, L_out = self.x, dout.shape[2]
        self.db = dout.sum(axis=(0, 2))
        self.dW = np.zeros_like(self.W)
        dx = np.zeros_like(x)
        for k in range(self.W.shape[1]):
            self.dW[:, k] = np.sum(dout * x[:, :, k:k + L_out], axis=(0, 2))
            # BUG: summed over channels as a full convolution would: every channel gets every channel's part
            dx[:, :, k:k + L_out] += np.sum(self.W[None, :, k, None] * dout, axis=1, keepdims=True)
        return dx


class DepthwiseConv1DUnflipped(DepthwiseConv1D):
    def backward(self, dout):
        x, L_out = self.x, dout.shape[2]
        K = self.W.shape[1]
        self.db = dout.sum(axis=(0, 2))
        self.dW = np.zeros_like(self.W)
        for k in range(K):
            self.dW[:, k] = np.sum(dout * x[:, :, k:k + L_out], axis=(0, 2))
        padded = np.pad(dout, ((0, 0), (0, 0), (K - 1, K - 1)))
        dx = np.zeros_like(x)
        for k in range(K):
            dx += self.W[None, :, k, None] * padded[:, :, k:k + x.shape[2]]  # BUG: the kernel not flipped (W[:, K-1-k])
        return dx


class CausalDepthwiseConv1D(DepthwiseConv1D):
    """Left-padded by K - 1: out (N, C, L), out[t] sees x[t - K + 1 .. t]."""

    def forward(self, x):
        K = self.W.shape[1]
        return super().forward(np.pad(x, ((0, 0), (0, 0), (K - 1, 0))))

    def backward(self, dout):
        return super().backward(dout)[:, :, self.W.shape[1] - 1:]


# ---------------------------------------------------------------- the cases

C, K = 3, 3


def layer(cls, x_shape=(2, C, 8)):
    return lambda rng: ((cls(rng.standard_normal((C, K)), rng.standard_normal(C)), rng.standard_normal(x_shape)), {})


def cli(cls):
    return ("--layer", f"{{file}}:{cls.__name__}", "--param", f"W={C},{K}", "--param", f"b={C}",
            "--input-shape", f"2,{C},8")


S = "depthwise-conv1d"
CASES = [
    # --- correct
    Case("r5_conv1d.DepthwiseConv1D", S, "layer", layer(DepthwiseConv1D), cli=cli(DepthwiseConv1D)),
    Case("r5_conv1d.CausalDepthwiseConv1D", S, "layer", layer(CausalDepthwiseConv1D), cli=cli(CausalDepthwiseConv1D)),
    # --- buggy
    Case("r5_conv1d.DepthwiseConv1D.channel_sum", S, "layer", layer(DepthwiseConv1DChannelSum),
         bug="dx summed over the channels as a full convolution's would be: each channel gets every channel's "
             "kernel times dout (dW, db right)", names=("split", "located"), cli=cli(DepthwiseConv1DChannelSum)),
    Case("r5_conv1d.DepthwiseConv1D.unflipped", S, "layer", layer(DepthwiseConv1DUnflipped),
         bug="dx correlates the padded dout with the kernel unflipped (W[:, k] where W[:, K-1-k] is due)",
         names=("split", "located", "reordered"), cli=cli(DepthwiseConv1DUnflipped)),
]
