"""fast.ai's "from the foundations" backprop (course part 2, notebook 03_backprop), ported to numpy by a learner:
a ``Module`` base whose ``__call__(*args)`` keeps the arguments and the output and calls ``forward``, and whose
``backward()`` takes *no argument* and calls ``bwd(out, *args)``. In the torch original each gradient is an
attribute ``.g`` of the tensor; numpy arrays take no attributes, so the port keeps them on the layer: ``inp_g``
(the input's), ``w_g``, ``b_g`` (beside ``w``, ``b``), and reads the output's gradient from ``out_g``, which the
model sets before each layer's ``backward()``. ``Lin(w, b)``, ``Relu()``, ``Mse()`` (mean of (inp.squeeze(-1) -
targ)^2 against float targets (N,)), and ``Model(w1, b1, w2, b2)``, whose ``__call__(x, targ)`` returns the loss
and whose ``backward()`` leaves the input's gradient in ``model.inp_g``.

The learner checks ``nngrad.check_layer(Model(w1, b1, w2, b2), x, t=targ)`` and ``check_layer(Mse(), inp,
t=targ)``: a loss module called as ``module(x, targ)``, then ``module.backward()``.

A buggy variant subclasses the module with the one method a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


class Module:
    def __call__(self, *args):
        self.args = args
        self.out = self.forward(*args)
        return self.out

    def forward(self, *args):
        raise NotImplementedError

    def backward(self):
        self.bwd(self.out, *self.args)

    def bwd(self, out, *args):
        raise NotImplementedError


class Relu(Module):
    def forward(self, inp):
        return np.maximum(inp, 0.0)

    def bwd(self, out, inp):
        self.inp_g = (inp > 0) * self.out_g


class Lin(Module):
    def __init__(self, w, b):
        self.w, self.b = w, b

    def forward(self, inp):
        return inp @ self.w + self.b

    def bwd(self, out, inp):
        self.inp_g = self.out_g @ self.w.T
        self.w_g = (inp[:, :, None] * self.out_g[:, None, :]).sum(0)  # the lesson's broadcast outer product
        self.b_g = self.out_g.sum(0)


class LinMean(Lin):
    def bwd(self, out, inp):
        self.inp_g = self.out_g @ self.w.T
        self.w_g = (inp[:, :, None] * self.out_g[:, None, :]).mean(0)  # BUG: mean over the batch where sum is due
        self.b_g = self.out_g.sum(0)


class Mse(Module):
    def forward(self, inp, targ):
        return ((inp.squeeze(-1) - targ) ** 2).mean()

    def bwd(self, out, inp, targ):
        self.inp_g = 2.0 * (inp.squeeze(-1) - targ)[:, None] / targ.shape[0]


class MseNoUnsqueeze(Mse):
    def bwd(self, out, inp, targ):
        self.inp_g = 2.0 * (inp.squeeze(-1) - targ) / targ.shape[0]  # BUG: the [:, None] (unsqueeze) is missing


class MseWrongAxis(Mse):
    def bwd(self, out, inp, targ):
        self.inp_g = 2.0 * (inp.squeeze(-1) - targ)[:, None] / inp.shape[1]  # BUG: inp.shape[1] is 1, not N


class Model:
    lin, mse = Lin, Mse

    def __init__(self, w1, b1, w2, b2):
        self.layers = [self.lin(w1, b1), Relu(), self.lin(w2, b2)]
        self.loss = self.mse()

    def __call__(self, x, targ):
        for layer in self.layers:
            x = layer(x)
        return self.loss(x, targ)

    def backward(self):
        self.loss.backward()
        g = self.loss.inp_g
        for layer in reversed(self.layers):
            layer.out_g = g
            layer.backward()
            g = layer.inp_g
        self.inp_g = g


class ModelLinMean(Model):
    lin = LinMean


class ModelMseWrongAxis(Model):
    mse = MseWrongAxis


class DeepModel(Model):
    """Three Lin layers with a Relu between each."""

    def __init__(self, w1, b1, w2, b2, w3, b3):
        self.layers = [Lin(w1, b1), Relu(), Lin(w2, b2), Relu(), Lin(w3, b3)]
        self.loss = Mse()


# ---------------------------------------------------------------- the cases

def model(cls, sizes=(4, 6, 1), N=7):
    def make(rng):
        arrays = []
        for m, n in zip(sizes[:-1], sizes[1:]):
            arrays += [rng.standard_normal((m, n)) / np.sqrt(m), 0.1 * rng.standard_normal(n)]
        return (cls(*arrays), rng.standard_normal((N, sizes[0]))), {"t": rng.standard_normal(N)}
    return make


def mse(cls, N=7):
    return lambda rng: ((cls(), rng.standard_normal((N, 1))), {"t": rng.standard_normal(N)})


S = "fastai-foundations"
CASES = [
    # --- correct
    Case("r3_fastai.Model", S, "layer", model(Model)),
    Case("r3_fastai.DeepModel", S, "layer", model(DeepModel, (3, 5, 4, 1))),
    Case("r3_fastai.Mse", S, "layer", mse(Mse)),
    # --- buggy
    Case("r3_fastai.Model.lin_mean", S, "layer", model(ModelLinMean),
         bug="each Lin's w_g is the mean of the per-sample outer products, not their sum: 1 / N of the gradient "
             "(b_g and inp_g right)", names=("scaled",)),
    Case("r3_fastai.Model.mse_wrong_axis", S, "layer", model(ModelMseWrongAxis),
         bug="Mse's gradient divided by inp.shape[1] (= 1) instead of the number of samples: N times too large",
         names=("scaled",)),
    Case("r3_fastai.Mse.no_unsqueeze", S, "layer", mse(MseNoUnsqueeze),
         bug="the input's gradient has shape (N,) for an input of shape (N, 1): the unsqueeze is missing",
         names=("shape",)),
]
