"""Learner code (written for these tests, not from any zoo) in styles of round 3: models that run their own training
step, modules called through ``__call__``, layers that reset under their own names. Used by test_check_styles4."""

import numpy as np


# ---------------------------------------------------------------- a model that runs its own training step (two styles)

class Dense:
    def __init__(self, W, b, decay=0.0):
        self.W, self.b, self.decay = W, b, decay

    def forward(self, x, train):
        self.x = x
        return x @ self.W + self.b

    def backward(self, g):
        self.grad_W = self.x.T @ g + 2 * self.decay * self.W
        self.grad_b = g.sum(axis=0)
        return g @ self.W.T


class DenseNoDecay(Dense):
    def backward(self, g):
        self.grad_W = self.x.T @ g  # BUG: the decay's 2 * decay * W is missing
        self.grad_b = g.sum(axis=0)
        return g @ self.W.T


class Tanh:
    def forward(self, x, train):
        self.y = np.tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y ** 2)


class SoftmaxCE:
    def __init__(self, layers):
        self.layers = layers

    def calculate(self, logits, labels, with_regularization=False):
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        data = -logp[np.arange(len(labels)), labels].mean()
        if not with_regularization:
            return data
        return data, sum(layer.decay * np.sum(layer.W ** 2) for layer in self.layers if hasattr(layer, "W"))

    def backward(self, logits, labels):
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        return p / len(labels)


class Classifier:
    """A stack in a list, a criterion object with calculate(..., with_regularization), forward(X, train),
    backward(logits, targets); gradients grad_W, grad_b on the layers."""
    dense = Dense

    def __init__(self, rng, sizes=(3, 5, 4), decay=0.05):
        self.stack = []
        for m, n in zip(sizes[:-1], sizes[1:]):
            self.stack += [self.dense(rng.standard_normal((m, n)) / np.sqrt(m), 0.1 * rng.standard_normal(n), decay),
                           Tanh()]
        self.stack.pop()
        self.criterion = SoftmaxCE(self.stack)

    def forward(self, X, train=False):
        for layer in self.stack:
            X = layer.forward(X, train)
        return X

    def backward(self, logits, targets):
        g = self.criterion.backward(logits, targets)
        for layer in reversed(self.stack):
            g = layer.backward(g)


class ClassifierNoDecay(Classifier):
    dense = DenseNoDecay


class SquaredError:
    def forward(self, pred, y):
        return 0.5 * np.sum((pred - y) ** 2, axis=1)  # per sample; the model's loss is their mean

    def backward(self, pred, y):
        return (pred - y) / len(y)


class Affine:
    def __init__(self, W, b):
        self.params = {"W": W, "b": b}
        self.grads = {}

    def forward(self, x):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, g):
        self.grads["W"] = self.x.T @ g
        self.grads["b"] = g.sum(axis=0)
        return g @ self.params["W"].T


class Relu:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, g):
        return g * self.mask


class Regressor:
    """Blocks in a dict, a loss_fn object with forward(pred, y) per sample, backward(pred, y); gradients in each
    block's grads dict."""

    def __init__(self, rng, relu_backward=True):
        self.blocks = {"hidden": Affine(rng.standard_normal((2, 6)) / 2, 0.1 * rng.standard_normal(6)),
                       "act": Relu(), "out": Affine(rng.standard_normal((6, 2)) / 3, 0.1 * rng.standard_normal(2))}
        self.loss_fn = SquaredError()
        self.relu_backward = relu_backward

    def forward(self, X):
        for block in self.blocks.values():
            X = block.forward(X)
        return X

    def backward(self, pred, y):
        g = self.loss_fn.backward(pred, y)
        for name, block in reversed(self.blocks.items()):
            if name != "act" or self.relu_backward:  # BUG when False: the ReLU's mask is skipped
                g = block.backward(g)


# ---------------------------------------------------------------- modules called through __call__ (two styles)

class Module:
    """A base that keeps its arguments and output when called, as fast.ai's foundations do."""

    def __call__(self, *args):
        self.args = args
        self.out = self.forward(*args)
        return self.out

    def backward(self):
        self.bwd(self.out, *self.args)


class BceLogits(Module):
    def forward(self, x, targ):
        return np.mean(np.logaddexp(0, x) - targ * x)

    def bwd(self, out, x, targ):
        self.g_x = (1 / (1 + np.exp(-x)) - targ) / x.size  # the input's gradient: g_ + forward's own name


class BceLogitsNoMean(BceLogits):
    def bwd(self, out, x, targ):
        self.g_x = 1 / (1 + np.exp(-x)) - targ  # BUG: the mean's 1 / n is missing


class Remembering:
    """Another base: __call__ remembers the input in self.inp; backward() of a loss reads it."""

    def __call__(self, inp, target):
        self.inp, self.target = inp, target
        return self.forward(inp, target)


class Huberish(Remembering):
    def forward(self, inp, target):
        r = inp - target
        return np.sum(np.sqrt(1 + r ** 2) - 1)

    def backward(self):
        r = self.inp - self.target
        self.d_inp = r / np.sqrt(1 + r ** 2)


# ---------------------------------------------------------------- layers that accumulate and reset (two styles)

class AccumulatingDense:
    """dW += ..., reset by flush_grads()."""

    def __init__(self, W, b):
        self.W, self.b = W, b
        self.dW, self.db = np.zeros_like(W), np.zeros_like(b)

    def forward(self, x):
        self.x = x
        return np.tanh(x @ self.W + self.b)

    def backward(self, dout):
        self.y = np.tanh(self.x @ self.W + self.b)
        dz = dout * (1 - self.y ** 2)
        self.dW += self.x.T @ dz
        self.db += dz.sum(axis=0)
        return dz @ self.W.T

    def flush_grads(self):
        self.dW = np.zeros_like(self.dW)
        self.db = np.zeros_like(self.db)


class ScaleLayer:
    """A sub-module with its gradients in a dict, reset by grads_zero()."""

    def __init__(self, gamma):
        self.params = {"gamma": gamma}
        self.grads = {"gamma": np.zeros_like(gamma)}

    def forward(self, x):
        self.x = x
        return x * self.params["gamma"]

    def backward(self, dout):
        self.grads["gamma"] += (dout * self.x).sum(axis=0)
        return dout * self.params["gamma"]

    def grads_zero(self):
        for v in self.grads.values():
            v[...] = 0.0


class TwoScales:
    def __init__(self, rng):
        self.parts = [ScaleLayer(rng.standard_normal(3)), ScaleLayer(rng.standard_normal(3))]

    def forward(self, x):
        for p in self.parts:
            x = p.forward(x)
        return x

    def backward(self, dout):
        for p in reversed(self.parts):
            dout = p.backward(dout)
        return dout


class ResetThatReinitialises(AccumulatingDense):
    """A method named like a reset that also draws new weights: not a reset."""

    def zero_grad(self):
        self.flush_grads()
        self.W = np.full_like(self.W, 0.5)


class Lin(Module):
    def __init__(self, w, b):
        self.w, self.b = w, b

    def forward(self, inp):
        return inp @ self.w + self.b

    def bwd(self, out, inp):
        self.inp_g = self.out_g @ self.w.T
        self.w_g = inp.T @ self.out_g
        self.b_g = self.out_g.sum(0)


class OneLinModel:
    """model(x, targ) -> loss; backward() leaves the input's gradient in x_g, the very array its layer left."""

    def __init__(self, w, b):
        self.layers = [Lin(w, b)]
        self.loss = BceLogits()

    def __call__(self, x, targ):
        for layer in self.layers:
            x = layer(x)
        return self.loss(x, targ)

    def backward(self):
        self.loss.backward()
        g = self.loss.g_x
        for layer in reversed(self.layers):
            layer.out_g = g
            layer.backward()
            g = layer.inp_g
        self.x_g = g
