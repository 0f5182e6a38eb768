"""A learner's own copy of torch's ``nn.Module`` in numpy: a ``Module`` base class with
``register_parameter(name, array)`` (the array into ``self._params[name]``, a zero gradient into
``self._grads[name]``), sub-modules registered by ``__setattr__`` when an attribute is a ``Module``,
``named_parameters()`` yielding ``("fc1.weight", array)`` recursively, ``named_grads()`` alike, and ``zero_grad()``
over the same tree. Gradients are accumulated (``self._grads[name] += ...``) and reset by ``zero_grad()`` before
each backward, as in torch. ``forward(x)``, ``backward(dout) -> dx``. Constructors draw their own weights
(``rng`` or numpy's global generator), torch-style: ``Linear(4, 3)``.

A learner checks them as ``nngrad.check_layer(MLP(4, 5, 3), x)``, or from the shell with
``--layer FILE:MLP --kwargs '{"n_in": 4, "n_hidden": 5, "n_out": 3}' --input-shape 6,4``. A buggy module is a
subclass (or sibling) with the one thing a learner got wrong (``# BUG:``)."""

import numpy as np

from .case import Case


def _randn(rng, *shape):
    return rng.standard_normal(shape) if rng is not None else np.random.randn(*shape)


class Module:
    def __init__(self):
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_grads", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name, value):
        if isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_parameter(self, name, array):
        self._params[name] = array
        self._grads[name] = np.zeros_like(array)

    def named_parameters(self, prefix=""):
        for name, p in self._params.items():
            yield prefix + name, p
        for mname, m in self._modules.items():
            yield from m.named_parameters(f"{prefix}{mname}.")

    def named_grads(self, prefix=""):
        for name, g in self._grads.items():
            yield prefix + name, g
        for mname, m in self._modules.items():
            yield from m.named_grads(f"{prefix}{mname}.")

    def zero_grad(self):
        for g in self._grads.values():
            g[...] = 0
        for m in self._modules.values():
            m.zero_grad()


class Linear(Module):
    def __init__(self, n_in, n_out, rng=None):
        super().__init__()
        self.register_parameter("weight", _randn(rng, n_out, n_in) / np.sqrt(n_in))
        self.register_parameter("bias", 0.1 * _randn(rng, n_out))
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self._params["weight"].T + self._params["bias"]

    def backward(self, dout):
        self._grads["weight"] += dout.T @ self.x
        self._grads["bias"] += dout.sum(axis=0)
        return dout @ self._params["weight"]


class LinearWrongKey(Linear):
    def backward(self, dout):
        self._grads["W"] = dout.T @ self.x  # BUG: keyed "W"; the parameter was registered as "weight"
        self._grads["bias"] += dout.sum(axis=0)
        return dout @ self._params["weight"]


class Tanh(Module):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)


class MLP(Module):
    def __init__(self, n_in, n_hidden, n_out, rng=None):
        super().__init__()
        self.fc1 = Linear(n_in, n_hidden, rng)
        self.act = Tanh()
        self.fc2 = Linear(n_hidden, n_out, rng)

    def forward(self, x):
        return self.fc2.forward(self.act.forward(self.fc1.forward(x)))

    def backward(self, dout):
        return self.fc1.backward(self.act.backward(self.fc2.backward(dout)))


class DeepMLPPlainList(Module):
    """Linear, Tanh, Linear, Tanh, Linear held in a list."""

    def __init__(self, n_in, n_hidden, n_out, rng=None):
        super().__init__()
        # BUG: a plain list (torch's ModuleList trap): __setattr__ registers no module in it, so named_parameters()
        # and zero_grad() never reach these layers, and their gradients keep accumulating across backwards
        self.layers = [Linear(n_in, n_hidden, rng), Tanh(), Linear(n_hidden, n_hidden, rng), Tanh()]
        self.head = Linear(n_hidden, n_out, rng)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return self.head.forward(x)

    def backward(self, dout):
        dout = self.head.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


class MLPWrongKey(MLP):
    def __init__(self, n_in, n_hidden, n_out, rng=None):
        super().__init__(n_in, n_hidden, n_out, rng)
        self.fc1 = LinearWrongKey(n_in, n_hidden, rng)


class LayerNorm(Module):
    """Over the last axis: (x - mean) / sqrt(var + eps) * weight + bias; x (N, D)."""

    def __init__(self, dim, eps=1e-5, rng=None):
        super().__init__()
        self.register_parameter("weight", 1 + 0.2 * _randn(rng, dim))
        self.register_parameter("bias", 0.2 * _randn(rng, dim))
        self.eps = eps
        self.xhat = None

    def forward(self, x):
        mu = x.mean(axis=1, keepdims=True)
        self.inv = 1 / np.sqrt(x.var(axis=1, keepdims=True) + self.eps)
        self.xhat = (x - mu) * self.inv
        return self.xhat * self._params["weight"] + self._params["bias"]

    def backward(self, dout):
        self._grads["weight"] += np.sum(dout * self.xhat, axis=0)
        self._grads["bias"] += dout.sum(axis=0)
        g = dout * self._params["weight"]
        return self.inv * (g - g.mean(axis=1, keepdims=True) - self.xhat * np.mean(g * self.xhat, axis=1,
                                                                                    keepdims=True))


class LayerNormNoMean(LayerNorm):
    def backward(self, dout):
        self._grads["weight"] += np.sum(dout * self.xhat, axis=0)
        self._grads["bias"] += dout.sum(axis=0)
        g = dout * self._params["weight"]
        return self.inv * (g - self.xhat * np.mean(g * self.xhat, axis=1, keepdims=True))  # BUG: - mean(g) missing


# ---------------------------------------------------------------- the cases

def module(cls, x_shape, *sizes):
    return lambda rng: ((cls(*sizes, rng=rng), rng.standard_normal(x_shape)), {})


def cli(cls, input_shape, **kwargs):
    import json

    return ("--layer", f"{{file}}:{cls.__name__}", "--kwargs", json.dumps(kwargs), "--input-shape", input_shape)


S = "module-registry"
MLP_KW = dict(n_in=4, n_hidden=5, n_out=3)
CASES = [
    # --- correct
    Case("r5_registry.Linear", S, "layer", module(Linear, (6, 4), 4, 3), cli=cli(Linear, "6,4", n_in=4, n_out=3)),
    Case("r5_registry.MLP", S, "layer", module(MLP, (6, 4), 4, 5, 3), cli=cli(MLP, "6,4", **MLP_KW)),
    Case("r5_registry.LayerNorm", S, "layer", module(LayerNorm, (5, 6), 6), cli=cli(LayerNorm, "5,6", dim=6)),
    # --- buggy
    Case("r5_registry.DeepMLPPlainList", S, "layer", module(DeepMLPPlainList, (6, 4), 4, 5, 3),
         bug="sub-modules kept in a plain list: named_parameters() and zero_grad() miss them, their gradients "
             "accumulate over backwards (the second backward twice the first; the head's right)",
         names=("not-repeatable", "reset", "unchecked"), cli=cli(DeepMLPPlainList, "6,4", **MLP_KW)),
    Case("r5_registry.MLP.wrong_key", S, "layer", module(MLPWrongKey, (6, 4), 4, 5, 3),
         bug="fc1's weight gradient stored under _grads['W'], the parameter registered as 'weight': "
             "_grads['weight'] stays zero", names=("misplaced", "scaled", "zero-gradient"),
         cli=cli(MLPWrongKey, "6,4", **MLP_KW)),
    Case("r5_registry.LayerNorm.no_mean", S, "layer", module(LayerNormNoMean, (5, 6), 6),
         bug="layer norm's dx misses the mean term - mean(g) (weight, bias right)",
         names=("missing-term", "known-mistake", "split"), cli=cli(LayerNormNoMean, "5,6", dim=6)),
]
