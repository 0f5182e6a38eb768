"""Runs a zoo case's code the way its style is meant to be called, for the zoo's own checks (``_verify``) and for the
torch adapter (``gradcheck``). Not a checker: it knows the zoo's styles and nothing else.

A ``Problem`` turns a case into arrays and two functions:
- ``initial``: the differentiated arrays (the inputs x, then the parameters), ``labels`` their names;
- ``forward(arrays, state)``: writes the arrays into the code (parameters in place: layers of a network share them)
  and returns copies of its outputs (a loss: one 0-d array);
- ``run(arrays, douts, state, repeats)``: one forward, then ``repeats`` backwards with the same douts; returns the
  gradients of each backward (one per array, as the code gave them: any shape, or None) and the side effects seen
  (``dout-modified``, ``input-modified``, ``params-changed``).
``state``: a ``np.random.get_state()`` tuple set before each forward (random masks drawn alike), or None."""

import inspect

import numpy as np

SEED = 20240601
COLUMN_LR = 0.1  # the learning rate handed to ``backward(output_gradient, learning_rate)``


def fixed_state(seed=SEED):
    return np.random.RandomState(seed).get_state()


def _seed(state):
    if state is not None:
        np.random.set_state(state)


def is_float_array(a):
    return isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)


def is_float_list(a):
    """A list (of lists) of floats: pure-Python code's vector or matrix."""
    if not isinstance(a, list) or not a:
        return False
    try:
        return np.issubdtype(np.asarray(a).dtype, np.floating)
    except ValueError:
        return False


def _differentiable(a):
    return is_float_array(a) or is_float_list(a)


def _array(a):
    """A copy of an input as an array (a list of floats becomes float64; an array keeps its dtype)."""
    return np.array(a, dtype=float) if isinstance(a, list) else np.array(a, copy=True)


def _as_given(a, was_list):
    """The array as the user's code takes it: a list where the user passed lists."""
    return a.tolist() if was_list else a.copy()


def _copy_out(o):
    return np.array(o, copy=True)


def _changed(after, before):
    return not np.array_equal(after, before, equal_nan=True)


class Param:
    def __init__(self, label, get, grad):
        self.label, self.get, self.grad = label, get, grad

    def set(self, value):
        self.get()[...] = value


def _item(container, key):
    try:
        return container[key]
    except (KeyError, IndexError, TypeError):
        return None


def layer_params(layer):
    """The layer's parameter arrays, found where its style keeps them, and where their gradients go."""
    params = getattr(layer, "params", None)
    if isinstance(params, dict):
        return [Param(k, lambda k=k: layer.params[k], lambda k=k: _item(getattr(layer, "grads", None), k))
                for k in params]
    if isinstance(params, list):
        return [Param(f"params[{i}]", lambda i=i: layer.params[i], lambda i=i: _item(getattr(layer, "grads", None), i))
                for i in range(len(params))]
    attrs = vars(layer)
    names = [n for n, v in attrs.items() if is_float_array(v) and not (n.startswith("d") and n[1:] in attrs)]
    return [Param(n, lambda n=n: getattr(layer, n), lambda n=n: getattr(layer, "d" + n, None)) for n in names]


class Problem:
    labels: list
    initial: list
    scalar: bool  # the output is a loss: dout is a number

    def forward(self, arrays, state=None):
        raise NotImplementedError

    def run(self, arrays, douts, state=None, repeats=1):
        raise NotImplementedError


def _scaled(grads, douts, scalar):
    if not scalar:
        return grads
    s = float(np.asarray(douts[0]).reshape(-1)[0])  # one number (torch may hand it as shape (1,))
    return [None if g is None else np.asarray(g) * s for g in grads]


class LayerProblem(Problem):
    def __init__(self, style, layer, x, t=None):
        self.style, self.layer, self.t = style, layer, t
        xs = list(x) if isinstance(x, tuple) else [x]
        self.nx = len(xs)
        self.params = layer_params(layer)
        self.labels = (["x"] if self.nx == 1 else [f"x{i}" for i in range(self.nx)]) + [p.label for p in self.params]
        self.initial = [a.copy() for a in xs] + [p.get().copy() for p in self.params]
        self.scalar = t is not None
        self.sgd = style == "sgd-tutorial"

    def _set(self, arrays):
        for p, v in zip(self.params, arrays[self.nx:]):
            p.set(v)
        return [a.copy() for a in arrays[:self.nx]]

    def _forward(self, xs):
        layer = self.layer
        if self.t is not None:
            out = np.asarray(layer.forward(*xs, self.t), dtype=float)
            return [np.array(out.mean() if out.ndim else out)]  # NNFS: per-sample losses, the loss is their mean
        out = layer.forward(*xs)
        if out is None:  # NNFS
            out = layer.output
        return [_copy_out(o) for o in (out if isinstance(out, tuple) else (out,))]

    def forward(self, arrays, state=None):
        xs = self._set(arrays)
        _seed(state)
        return self._forward(xs)

    def _column_style(self):
        names = list(inspect.signature(self.layer.backward).parameters)
        return bool(names) and names[-1] in ("learning_rate", "lr")

    def _backward(self, xs, douts):
        """Calls the user's backward; returns the input gradients and the arrays it was handed (to check them)."""
        layer, style = self.layer, self.style
        if self.t is not None:
            if style == "nnfs":  # backward(dvalues, y_true) is handed the predictions
                pred = layer.output if getattr(layer, "output", None) is not None else xs[0]
                layer.backward(pred, self.t)
                return [layer.dinputs], []
            return [layer.backward()], []  # backward(dout=1)
        d = [np.array(g, copy=True) for g in douts]
        if style == "nnfs":
            layer.backward(*d)
            return [layer.dinputs], d
        if self.sgd:
            if self._column_style():
                return [layer.backward(d[0], COLUMN_LR)], d
            return [layer.backward(xs[0], d[0])], d
        dx = layer.backward(*d)
        return (list(dx) if isinstance(dx, tuple) else [dx]), d

    def _lr(self):
        return COLUMN_LR if self._column_style() else getattr(self.layer, "learning_rate", None)

    def run(self, arrays, douts, state=None, repeats=1):
        notes = set()
        xs = self._set(arrays)
        xs_before = [a.copy() for a in xs]
        _seed(state)
        self._forward(xs)
        before = [p.get().copy() for p in self.params]
        results = []
        for _ in range(repeats):
            for p, v in zip(self.params, before):
                if self.sgd:  # undo the previous backward's step
                    p.set(v)
            pred = getattr(self.layer, "output", None) if (self.t is not None and self.style == "nnfs") else None
            pred_before = None if pred is None else pred.copy()
            handed = None
            dxs, handed = self._backward(xs, douts)
            if any(_changed(h, d) for h, d in zip(handed, douts)):
                notes.add("dout-modified")
            if pred is not None and _changed(pred, pred_before):
                notes.add("dout-modified")
            if self.sgd:
                lr = self._lr()
                grads = [None if lr is None else (v - p.get()) / lr for p, v in zip(self.params, before)]
            else:
                grads = [p.grad() for p in self.params]
            grads = [None if g is None else np.array(g, copy=True) for g in list(dxs)[:self.nx] + grads]
            grads += [None] * (len(self.initial) - len(grads))
            results.append(_scaled(grads, douts, self.scalar))
        if any(_changed(a, b) for a, b in zip(xs, xs_before)):
            notes.add("input-modified")
        if self.sgd:
            for p, v in zip(self.params, before):
                p.set(v)
        elif any(_changed(p.get(), np.asarray(v, dtype=p.get().dtype)) for p, v in zip(self.params, arrays[self.nx:])):
            notes.add("params-changed")
        return results, notes


class PairProblem(Problem):
    def __init__(self, fwd, bwd, *inputs):
        self.fwd, self.bwd, self.inputs = fwd, bwd, list(inputs)
        self.idx = [i for i, a in enumerate(inputs) if _differentiable(a)]
        self.lists = any(is_float_list(a) for a in inputs)  # pure Python: douts handed as lists too
        names = list(inspect.signature(fwd).parameters)
        self.labels = [names[i] if i < len(names) else f"input {i}" for i in self.idx]
        self.initial = [_array(inputs[i]) for i in self.idx]
        self.scalar = False

    def _args(self, arrays):
        args = list(self.inputs)
        for i, a in zip(self.idx, arrays):
            args[i] = _as_given(a, isinstance(self.inputs[i], list))
        return args

    def forward(self, arrays, state=None):
        args = self._args(arrays)
        _seed(state)
        res = self.fwd(*args)
        return [_copy_out(o) for o in res[:-1]]

    def _back(self, d, cache):
        """The user's backward: CS231n's order, ``backward(dout, cache)``."""
        return self.bwd(*d, cache)

    def run(self, arrays, douts, state=None, repeats=1):
        notes = set()
        args = self._args(arrays)
        before = [_array(args[i]) for i in self.idx]
        _seed(state)
        cache = self.fwd(*args)[-1]
        results = []
        for _ in range(repeats):
            d = [_as_given(np.asarray(g), self.lists) for g in douts]
            g = self._back(d, cache)
            g = list(g) if isinstance(g, tuple) else [g]
            if any(_changed(np.asarray(a), b) for a, b in zip(d, douts)):
                notes.add("dout-modified")
            g = [None if x is None else np.array(x, copy=True) for x in g[:len(self.idx)]]
            results.append(g + [None] * (len(self.idx) - len(g)))
        if any(_changed(_array(args[i]), b) for i, b in zip(self.idx, before)):
            notes.add("input-modified")
        return results, notes


class LossProblem(Problem):
    def __init__(self, fn, *inputs):
        self.fn, self.inputs = fn, list(inputs)
        floats = [i for i, a in enumerate(inputs) if _differentiable(a)]
        with np.errstate(all="ignore"):
            k = len(fn(*[a.copy() if isinstance(a, (np.ndarray, list)) else a for a in inputs])) - 1
        self.idx = floats[:k]  # the gradients belong to the first float inputs, in order
        names = list(inspect.signature(fn).parameters)
        self.labels = [names[i] if i < len(names) else f"input {i}" for i in self.idx]
        self.initial = [_array(inputs[i]) for i in self.idx]
        self.scalar = True

    def _args(self, arrays):
        args = [a.copy() if isinstance(a, (np.ndarray, list)) else a for a in self.inputs]
        for i, a in zip(self.idx, arrays):
            args[i] = _as_given(a, isinstance(self.inputs[i], list))
        return args

    def forward(self, arrays, state=None):
        _seed(state)
        return [np.array(float(self.fn(*self._args(arrays))[0]))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        for _ in range(repeats):
            args = self._args(arrays)
            before = [_array(args[i]) for i in self.idx]
            _seed(state)
            res = self.fn(*args)
            if any(_changed(_array(args[i]), b) for i, b in zip(self.idx, before)):
                notes.add("input-modified")
            g = [None if x is None else np.array(x, copy=True) for x in res[1:]]
            results.append(_scaled(g + [None] * (len(self.idx) - len(g)), douts, True))
        return results, notes


class NetworkProblem(Problem):
    def __init__(self, net, x, t):
        self.net, self.x, self.t = net, x, t
        self.labels = list(net.params)
        self.initial = [net.params[k].copy() for k in self.labels]
        self.scalar = True

    def _set(self, arrays):
        for k, a in zip(self.labels, arrays):
            self.net.params[k][...] = a

    def forward(self, arrays, state=None):
        self._set(arrays)
        _seed(state)
        out = self.net.loss(self.x.copy(), self.t)
        return [np.array(float(out[0] if isinstance(out, tuple) else out))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        self._set(arrays)
        x = self.x.copy()
        for _ in range(repeats):
            _seed(state)
            if hasattr(self.net, "gradient"):
                grads = self.net.gradient(x, self.t)
            else:
                _, grads = self.net.loss(x, self.t)
            g = [None if grads.get(k) is None else np.array(grads[k], copy=True) for k in self.labels]
            results.append(_scaled(g, douts, True))
        if _changed(x, self.x):
            notes.add("input-modified")
        if any(_changed(self.net.params[k], a) for k, a in zip(self.labels, arrays)):
            notes.add("params-changed")
        return results, notes


class EngineProblem(Problem):
    def __init__(self, loss, parameters):
        self.loss, self.ps = loss, list(parameters)
        self.labels = ["parameters"]
        self.initial = [np.array([float(p.data) for p in self.ps])]
        self.scalar = True

    def _set(self, arrays):
        for p, v in zip(self.ps, arrays[0]):
            p.data = float(v)

    def forward(self, arrays, state=None):
        self._set(arrays)
        _seed(state)
        return [np.array(float(self.loss().data))]

    def run(self, arrays, douts, state=None, repeats=1):
        results = []
        for _ in range(repeats):
            self._set(arrays)
            for p in self.ps:
                p.grad = 0
            _seed(state)
            out = self.loss()
            out.backward()
            results.append(_scaled([np.array([float(p.grad) for p in self.ps])], douts, True))
        return results, set()


def build(case, args, kwargs):
    fresh = build_fresh(case, args, kwargs)
    if fresh is None:
        fresh = build_r2(case, args, kwargs)
    if fresh is None:
        fresh = build_r3(case, args, kwargs)
    if fresh is None:
        fresh = build_r4(case, args, kwargs)
    if fresh is None:
        fresh = build_r5(case, args, kwargs)
    if fresh is None:
        fresh = build_r6(case, args, kwargs)
    if fresh is not None:
        return fresh
    kinds = {"layer": lambda *a, **k: LayerProblem(case.style, *a, **k), "pair": PairProblem, "loss": LossProblem,
             "network": NetworkProblem, "engine": EngineProblem}
    return kinds[case.entry](*args, **kwargs)


# ---------------------------------------------------------------- the styles of the first-contact batch (FRESH)

def _is_parameter(v):
    """A parameter object: ``.data`` (a float array) with ``.grad``."""
    return hasattr(v, "grad") and is_float_array(getattr(v, "data", None))


def _parameter_objects(obj, prefix="", depth=0, seen=None):
    """[(label, parameter object)] found through attributes, lists, tuples and dicts of obj."""
    seen = set() if seen is None else seen
    if depth > 5 or id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, dict):
        items = [(f"{prefix}[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple)):
        items = [(f"{prefix}[{i}]", v) for i, v in enumerate(obj)]
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        items = [(f"{prefix}.{k}" if prefix else k, v) for k, v in vars(obj).items()]
    else:
        return []
    found = []
    for label, v in items:
        if _is_parameter(v):
            if id(v) not in seen:
                seen.add(id(v))
                found.append((label, v))
        elif isinstance(v, (dict, list, tuple)) or (hasattr(v, "__dict__") and not isinstance(v, type)
                                                     and not inspect.isroutine(v)):
            found += _parameter_objects(v, label, depth + 1, seen)
    return found


def module_params(module):
    """A module's parameters, wherever the style keeps them: parameter objects (``.data``/``.grad``) anywhere in
    its attributes, ``parameters()`` returning (param, grad) pairs, Keras' ``trainable_weights`` with
    ``get_gradients()``, else what ``layer_params`` finds."""
    objects = _parameter_objects(module)
    if objects:
        return [Param(label, lambda p=p: p.data, lambda p=p: p.grad) for label, p in objects]
    if callable(getattr(module, "parameters", None)):
        items = list(module.parameters())
        if items and all(isinstance(i, tuple) and len(i) == 2 for i in items):
            return [Param(f"parameters()[{i}]", lambda i=i: module.parameters()[i][0],
                          lambda i=i: module.parameters()[i][1]) for i in range(len(items))]
    weights = getattr(module, "trainable_weights", None)
    if isinstance(weights, list) and callable(getattr(module, "get_gradients", None)):
        return [Param(f"trainable_weights[{i}]", lambda i=i: module.trainable_weights[i],
                      lambda i=i: _item(module.get_gradients(), i)) for i in range(len(weights))]
    return layer_params(module)


class ModuleProblem(Problem):
    """A torch-like, Keras-like or plain class: ``forward`` (or Keras' ``call``) on one or more inputs (integer
    inputs are held fixed), ``backward(*douts)`` returning the float inputs' gradients (a tuple for several, None
    for none), ``zero_grad()`` called before each backward where the module has one; a loss module's
    ``forward(x, t)`` and ``backward()``."""

    def __init__(self, module, x, t=None):
        self.module, self.t = module, t
        self.xs = list(x) if isinstance(x, tuple) else [x]
        self.fidx = [i for i, a in enumerate(self.xs) if is_float_array(a)]
        self.params = module_params(module)
        names = ["x"] if len(self.xs) == 1 else [f"x{i}" for i in range(len(self.xs))]
        self.labels = [names[i] for i in self.fidx] + [p.label for p in self.params]
        self.initial = [self.xs[i].copy() for i in self.fidx] + [p.get().copy() for p in self.params]
        self.nf = len(self.fidx)
        self.scalar = t is not None

    def _set(self, arrays):
        for p, v in zip(self.params, arrays[self.nf:]):
            p.set(v)
        xs = [a.copy() for a in self.xs]
        for i, a in zip(self.fidx, arrays[:self.nf]):
            xs[i] = a.copy()
        return xs

    def _forward(self, xs):
        fwd = getattr(self.module, "forward", None) or self.module.call
        if self.t is not None:
            return [np.array(float(np.mean(fwd(*xs, self.t))))]
        out = fwd(*xs)
        return [_copy_out(o) for o in (out if isinstance(out, tuple) else (out,))]

    def forward(self, arrays, state=None):
        xs = self._set(arrays)
        _seed(state)
        return self._forward(xs)

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        xs = self._set(arrays)
        xs_before = [a.copy() for a in xs]
        _seed(state)
        self._forward(xs)
        for _ in range(repeats):
            if callable(getattr(self.module, "zero_grad", None)):
                self.module.zero_grad()
            d = [np.array(g, copy=True) for g in douts]
            dx = self.module.backward() if self.t is not None else self.module.backward(*d)
            if self.t is None and any(_changed(a, b) for a, b in zip(d, douts)):
                notes.add("dout-modified")
            dx = [] if dx is None else list(dx) if isinstance(dx, tuple) else [dx]
            dx = [dx[i] if i < len(dx) else None for i in self.fidx] if len(dx) == len(self.xs) else dx[:self.nf]
            grads = [None if g is None else np.array(g, copy=True) for g in dx + [p.grad() for p in self.params]]
            grads += [None] * (len(self.initial) - len(grads))
            results.append(_scaled(grads, douts, self.scalar))
        if any(_changed(a, b) for a, b in zip(xs, xs_before)):
            notes.add("input-modified")
        if any(_changed(p.get(), v) for p, v in zip(self.params, arrays[self.nf:])):
            notes.add("params-changed")
        return results, notes


class NielsenProblem(Problem):
    """Nielsen's ``Network``: ``weights``, ``biases`` lists, ``feedforward(a)``, ``backprop(x, y) -> (nabla_b,
    nabla_w)`` called for each column of x and summed (``update_mini_batch``); the cost ``net.cost.fn(a, y)``
    (network2) or 0.5 * ||a - y||^2 (network.py), summed over the columns."""

    def __init__(self, net, x, y):
        self.net, self.x, self.y = net, x, y
        n = len(net.weights)
        self.labels = [f"weights[{i}]" for i in range(n)] + [f"biases[{i}]" for i in range(n)]
        self.initial = [w.copy() for w in net.weights] + [b.copy() for b in net.biases]
        self.scalar = True

    def _set(self, arrays):
        n = len(self.net.weights)
        self.net.weights = [a.copy() for a in arrays[:n]]
        self.net.biases = [a.copy() for a in arrays[n:]]

    def forward(self, arrays, state=None):
        self._set(arrays)
        a = self.net.feedforward(self.x.copy())
        cost = getattr(self.net, "cost", None)
        c = cost.fn(a, self.y) if cost is not None else 0.5 * np.sum((a - self.y) ** 2)
        return [np.array(float(c))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        self._set(arrays)
        for _ in range(repeats):
            total = None
            for j in range(self.x.shape[1]):
                nabla_b, nabla_w = self.net.backprop(self.x[:, j:j + 1].copy(), self.y[:, j:j + 1].copy())
                g = [np.array(v, dtype=float) for v in list(nabla_w) + list(nabla_b)]
                total = g if total is None else [t + v if t.shape == v.shape else t for t, v in zip(total, g)]
            results.append(_scaled(total, douts, True))
        if any(_changed(a, b) for a, b in zip(self.net.weights + self.net.biases, arrays)):
            notes.add("params-changed")
        return results, notes


class DLSProblem(Problem):
    """The deep-learning specialisation's functions: a ``parameters`` dict, ``forward(X, parameters) -> (AL,
    caches)``, ``cost(AL, Y)``, ``backward(AL, Y, caches) -> grads`` with ``"d" + name`` for each parameter."""

    def __init__(self, parameters, X, Y, forward, cost, backward):
        self.parameters, self.X, self.Y = parameters, X, Y
        self.fwd, self.cost, self.bwd = forward, cost, backward
        self.labels = list(parameters)
        self.initial = [parameters[k].copy() for k in self.labels]
        self.scalar = True

    def _params(self, arrays):
        return {k: a.copy() for k, a in zip(self.labels, arrays)}

    def forward(self, arrays, state=None):
        AL, _ = self.fwd(self.X.copy(), self._params(arrays))
        return [np.array(float(self.cost(AL, self.Y.copy())))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        params = self._params(arrays)
        for _ in range(repeats):
            AL, caches = self.fwd(self.X.copy(), params)
            grads = self.bwd(AL, self.Y.copy(), caches)
            g = [None if grads.get("d" + k) is None else np.array(grads["d" + k], copy=True) for k in self.labels]
            results.append(_scaled(g, douts, True))
        if any(_changed(params[k], a) for k, a in zip(self.labels, arrays)):
            notes.add("params-changed")
        return results, notes


MODULE_STYLES = ("torchlike", "keraslike", "beyond")


def build_fresh(case, args, kwargs):
    """The Problem of a FRESH case, or None where ``build``'s own kinds take it."""
    if case.entry == "layer" and case.style in MODULE_STYLES:
        return ModuleProblem(*args, **kwargs)
    if case.entry == "network" and "forward" in kwargs:
        return DLSProblem(*args, **kwargs)
    if case.entry == "network" and hasattr(args[0], "backprop"):
        return NielsenProblem(*args, **kwargs)
    return None


# ---------------------------------------------------------------- the styles of the second first-contact batch (ROUND2)

class ChainerProblem(ModuleProblem):
    """A Chainer-like link: parameter objects (``data``, ``grad`` None until accumulated), ``cleargrads()`` called
    before each backward as Chainer's training loop does."""

    def run(self, arrays, douts, state=None, repeats=1):
        module = self.module
        zero_grad = getattr(module, "zero_grad", None)
        module.zero_grad = module.cleargrads  # ModuleProblem's reset hook, pointed at Chainer's name for it
        try:
            return super().run(arrays, douts, state, repeats)
        finally:
            if zero_grad is None:
                del module.zero_grad
            else:
                module.zero_grad = zero_grad


class ListParamsLossProblem(Problem):
    """d2l's style: ``fn(params, *rest) -> (loss, grads)``, params a list of arrays, grads a list in its order."""

    def __init__(self, fn, params, *rest):
        self.fn, self.rest = fn, rest
        self.labels = [f"params[{i}]" for i in range(len(params))]
        self.initial = [p.copy() for p in params]
        self.scalar = True

    def _rest(self):
        return [a.copy() if isinstance(a, np.ndarray) else a for a in self.rest]

    def forward(self, arrays, state=None):
        _seed(state)
        return [np.array(float(self.fn([a.copy() for a in arrays], *self._rest())[0]))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        for _ in range(repeats):
            params = [a.copy() for a in arrays]
            _seed(state)
            _, grads = self.fn(params, *self._rest())
            if any(_changed(p, a) for p, a in zip(params, arrays)):
                notes.add("params-changed")
            g = [None if x is None else np.array(x, copy=True) for x in grads]
            results.append(_scaled(g + [None] * (len(arrays) - len(g)), douts, True))
        return results, notes


class SklearnProblem(Problem):
    """scikit-learn's MLP: ``coefs_``, ``intercepts_`` lists, ``_backprop(X, y, activations, deltas, coef_grads,
    intercept_grads) -> (loss, coef_grads, intercept_grads)`` called with the lists ``fit`` builds."""

    def __init__(self, net, X, y):
        self.net, self.X, self.y = net, X, y
        n = len(net.coefs_)
        self.labels = [f"coefs_[{i}]" for i in range(n)] + [f"intercepts_[{i}]" for i in range(n)]
        self.initial = [c.copy() for c in net.coefs_] + [b.copy() for b in net.intercepts_]
        self.scalar = True

    def _call(self, arrays):
        net, n = self.net, len(self.net.coefs_)
        net.coefs_ = [a.copy() for a in arrays[:n]]
        net.intercepts_ = [a.copy() for a in arrays[n:]]
        activations = [self.X.copy()] + [None] * (net.n_layers_ - 1)
        deltas = [None] * (net.n_layers_ - 1)
        coef_grads = [np.zeros_like(c) for c in net.coefs_]
        intercept_grads = [np.zeros_like(b) for b in net.intercepts_]
        return net._backprop(self.X.copy(), self.y.copy(), activations, deltas, coef_grads, intercept_grads)

    def forward(self, arrays, state=None):
        _seed(state)
        return [np.array(float(self._call(arrays)[0]))]

    def run(self, arrays, douts, state=None, repeats=1):
        results, notes = [], set()
        for _ in range(repeats):
            _seed(state)
            _, coef_grads, intercept_grads = self._call(arrays)
            g = [np.array(x, copy=True) for x in list(coef_grads) + list(intercept_grads)]
            results.append(_scaled(g, douts, True))
            if any(_changed(p, a) for p, a in zip(self.net.coefs_ + self.net.intercepts_, arrays)):
                notes.add("params-changed")
        return results, notes


class ArrayEngineProblem(Problem):
    """An autograd engine on arrays: parameters with ``data`` and ``grad`` arrays, ``loss()`` building a graph whose
    ``backward()`` fills them; the grads set to zero before each backward, as the loop's ``zero_grad`` does."""

    def __init__(self, loss, parameters):
        self.loss, self.ps = loss, list(parameters)
        self.labels = [f"parameters[{i}]" for i in range(len(self.ps))]
        self.initial = [np.array(p.data, dtype=float) for p in self.ps]
        self.scalar = True

    def _set(self, arrays):
        for p, v in zip(self.ps, arrays):
            p.data = v.copy()

    def forward(self, arrays, state=None):
        self._set(arrays)
        _seed(state)
        return [np.array(float(self.loss().data))]

    def run(self, arrays, douts, state=None, repeats=1):
        results = []
        for _ in range(repeats):
            self._set(arrays)
            for p in self.ps:
                p.grad = np.zeros_like(p.data)
            _seed(state)
            self.loss().backward()
            results.append(_scaled([np.array(p.grad, copy=True) for p in self.ps], douts, True))
        return results, set()


R2_MODULE_STYLES = ("keras-seq", "bow-classifier")


def build_r2(case, args, kwargs):
    """The Problem of a ROUND2 case, or None where ``build``'s own kinds take it (the loss functions)."""
    if case.entry == "layer" and case.style == "chainer":
        return ChainerProblem(*args, **kwargs)
    if case.entry == "layer" and case.style in R2_MODULE_STYLES:
        return ModuleProblem(*args, **kwargs)
    if case.entry == "loss" and case.style == "d2l":
        return ListParamsLossProblem(*args, **kwargs)
    if case.entry == "network" and hasattr(args[0], "_backprop"):
        return SklearnProblem(*args, **kwargs)
    if case.entry == "engine" and case.style == "tensor-autograd":
        return ArrayEngineProblem(*args, **kwargs)
    return None


# ---------------------------------------------------------------- the styles of the third first-contact batch (ROUND3)

def _leaves(tree, prefix):
    """[(label, array)] of a nested list / tuple of arrays, in order (JAX's pytree of parameters)."""
    if isinstance(tree, (list, tuple)):
        return [leaf for i, t in enumerate(tree) for leaf in _leaves(t, f"{prefix}[{i}]")]
    return [(prefix, tree)]


def _rebuild(tree, arrays):
    """The same nested structure with copies of ``arrays`` (an iterator) as its leaves."""
    if isinstance(tree, (list, tuple)):
        return type(tree)(_rebuild(t, arrays) for t in tree)
    return next(arrays).copy()


def _tree_grads(grads, n):
    """The leaves of a returned gradient tree, as they are (any shape), padded with None to n."""
    g = [None if a is None else np.array(a, copy=True) for _, a in _leaves(grads, "")][:n]
    return g + [None] * (n - len(g))


class PytreeLossProblem(Problem):
    """``value_and_grad(params, *rest) -> (loss, grads)``, params a list of (W, b) tuples, grads the same."""

    def __init__(self, fn, params, *rest):
        self.fn, self.tree, self.rest = fn, params, rest
        leaves = _leaves(params, "params")
        self.labels = [label for label, _ in leaves]
        self.initial = [a.copy() for _, a in leaves]
        self.scalar = True

    def _rest(self):
        return [a.copy() if isinstance(a, np.ndarray) else a for a in self.rest]

    def forward(self, arrays, state=None):
        _seed(state)
        return [np.array(float(self.fn(_rebuild(self.tree, iter(arrays)), *self._rest())[0]))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        for _ in range(repeats):
            params = _rebuild(self.tree, iter(arrays))
            _seed(state)
            _, grads = self.fn(params, *self._rest())
            if any(_changed(p, a) for (_, p), a in zip(_leaves(params, ""), arrays)):
                notes.add("params-changed")
            results.append(_scaled(_tree_grads(grads, len(arrays)), douts, True))
        return results, notes


class PytreeFunctionProblem(PytreeLossProblem):
    """``check_function(f, grad_f, params)``: f(params) -> loss, grad_f(params) -> grads of params' structure."""

    def __init__(self, f, grad_f, params):
        super().__init__(f, params)
        self.grad_f = grad_f

    def forward(self, arrays, state=None):
        _seed(state)
        return [np.array(float(self.fn(_rebuild(self.tree, iter(arrays)))))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        for _ in range(repeats):
            params = _rebuild(self.tree, iter(arrays))
            _seed(state)
            grads = self.grad_f(params)
            if any(_changed(p, a) for (_, p), a in zip(_leaves(params, ""), arrays)):
                notes.add("params-changed")
            results.append(_scaled(_tree_grads(grads, len(arrays)), douts, True))
        return results, notes


class NNFSModelProblem(Problem):
    """*Neural Networks from Scratch*'s ``Model``: Dense layers in ``layers`` with ``weights``, ``biases`` and
    ``dweights``, ``dbiases``; the book's training step: ``output = forward(X, training=True)``, the loss
    ``sum(loss.calculate(output, y, include_regularization=True))``, ``backward(output, y)``."""

    def __init__(self, net, X, y):
        self.net, self.X, self.y = net, X, y
        self.dense = [(i, layer) for i, layer in enumerate(net.layers) if hasattr(layer, "weights")]
        self.labels = [f"layers[{i}].{n}" for i, _ in self.dense for n in ("weights", "biases")]
        self.initial = [getattr(layer, n).copy() for _, layer in self.dense for n in ("weights", "biases")]
        self.scalar = True

    def _set(self, arrays):
        values = iter(arrays)
        for _, layer in self.dense:
            layer.weights, layer.biases = next(values).copy(), next(values).copy()

    def _forward(self, state):
        _seed(state)
        out = self.net.forward(self.X.copy(), training=True)
        data_loss, reg_loss = self.net.loss.calculate(out, self.y.copy(), include_regularization=True)
        return out, data_loss + reg_loss

    def forward(self, arrays, state=None):
        self._set(arrays)
        return [np.array(float(self._forward(state)[1]))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        self._set(arrays)
        for _ in range(repeats):
            out, _ = self._forward(state)
            self.net.backward(out, self.y.copy())
            g = [np.array(getattr(layer, n), copy=True) for _, layer in self.dense for n in ("dweights", "dbiases")]
            results.append(_scaled(g, douts, True))
        now = [getattr(layer, n) for _, layer in self.dense for n in ("weights", "biases")]
        if any(_changed(p, a) for p, a in zip(now, arrays)):
            notes.add("params-changed")
        return results, notes


class FastaiProblem(Problem):
    """fast.ai's foundations, ported: ``module(x, targ)`` (``__call__``, not ``forward``) returns the loss,
    ``backward()`` takes no argument; the input's gradient in ``module.inp_g``, a layer's parameter ``w`` with its
    gradient in ``w_g`` (the layers in ``module.layers``)."""

    def __init__(self, module, x, t):
        self.module, self.x, self.t = module, x, t
        layers = getattr(module, "layers", [])
        self.params = [(f"layers[{i}].{n}", layer, n) for i, layer in enumerate(layers)
                       for n, v in vars(layer).items() if is_float_array(v)]
        self.labels = ["x"] + [label for label, _, _ in self.params]
        self.initial = [x.copy()] + [getattr(layer, n).copy() for _, layer, n in self.params]
        self.scalar = True

    def _set(self, arrays):
        for (_, layer, n), a in zip(self.params, arrays[1:]):
            getattr(layer, n)[...] = a
        return arrays[0].copy()

    def forward(self, arrays, state=None):
        x = self._set(arrays)
        _seed(state)
        return [np.array(float(self.module(x, self.t.copy())))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        x = self._set(arrays)
        before = x.copy()
        _seed(state)
        self.module(x, self.t.copy())
        for _ in range(repeats):
            self.module.backward()
            g = [getattr(self.module, "inp_g", None)] + [getattr(layer, n + "_g", None) for _, layer, n in self.params]
            results.append(_scaled([None if a is None else np.array(a, copy=True) for a in g], douts, True))
        if _changed(x, before):
            notes.add("input-modified")
        if any(_changed(getattr(layer, n), a) for (_, layer, n), a in zip(self.params, arrays[1:])):
            notes.add("params-changed")
        return results, notes


class NpmlProblem(Problem):
    """numpy-ml's layers: ``parameters`` and ``gradients`` dicts, weights made at the first forward,
    ``forward(X)``, ``backward(dLdy) -> dX`` adding to ``gradients``, ``flush_gradients()`` (which also drops the
    retained X) called before each forward, as the library's optimiser step does after each update."""

    def __init__(self, module, x):
        self.module, self.x = module, x
        if not module.is_initialized:
            module.forward(x.copy())
            module.flush_gradients()
        self.keys = list(module.parameters)
        self.labels = ["x"] + [f"parameters[{k!r}]" for k in self.keys]
        self.initial = [x.copy()] + [module.parameters[k].copy() for k in self.keys]
        self.scalar = False

    def _set(self, arrays):
        for k, a in zip(self.keys, arrays[1:]):
            self.module.parameters[k][...] = a
        self.module.flush_gradients()
        return arrays[0].copy()

    def forward(self, arrays, state=None):
        x = self._set(arrays)
        _seed(state)
        return [_copy_out(self.module.forward(x))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        for _ in range(repeats):
            x = self._set(arrays)
            before = x.copy()
            _seed(state)
            self.module.forward(x)
            d = np.array(douts[0], copy=True)
            dx = self.module.backward(d)
            if _changed(d, douts[0]):
                notes.add("dout-modified")
            if _changed(x, before):
                notes.add("input-modified")
            g = [dx] + [self.module.gradients.get(k) for k in self.keys]
            results.append([None if a is None else np.array(a, copy=True) for a in g])
        if any(_changed(self.module.parameters[k], a) for k, a in zip(self.keys, arrays[1:])):
            notes.add("params-changed")
        return results, notes


def build_r3(case, args, kwargs):
    """The Problem of a ROUND3 case, or None where ``build``'s own kinds take it (einsum layers, the im2col
    pairs, the probabilistic losses)."""
    if case.style == "jax-functional":
        return (PytreeFunctionProblem if case.entry == "function" else PytreeLossProblem)(*args, **kwargs)
    if case.style == "nnfs-model":
        return NNFSModelProblem(*args, **kwargs)
    if case.style == "fastai-foundations":
        return FastaiProblem(*args, **kwargs)
    if case.style == "numpy-ml":
        return NpmlProblem(*args, **kwargs)
    return None


# ---------------------------------------------------------------- the styles of the fourth first-contact batch (ROUND4)

class DLfSExtendProblem(NetworkProblem):
    """*Deep Learning from Scratch*'s ``MultiLayerNetExtend``: ``gradient(x, t)`` differentiates the training-mode
    loss, ``loss(x, t, train_flg=True)`` (batch statistics, dropout masks), as the book's ``numerical_gradient``
    does."""

    def forward(self, arrays, state=None):
        self._set(arrays)
        _seed(state)
        return [np.array(float(self.net.loss(self.x.copy(), self.t, train_flg=True)))]


def _tree_items(tree):
    """[(key, array)] of a parameter container: a dict (its keys), a namedtuple (its fields), a SimpleNamespace
    (its attributes)."""
    if isinstance(tree, dict):
        return list(tree.items())
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return list(zip(tree._fields, tree))
    return list(vars(tree).items())


def _tree_get(tree, key):
    """The entry ``key`` of a returned gradient container of any of those kinds (None where it has none)."""
    if isinstance(tree, dict):
        return tree.get(key)
    return getattr(tree, key, None)


def _tree_with(tree, arrays):
    """A fresh container of the same kind and keys holding copies of ``arrays``."""
    keys = [k for k, _ in _tree_items(tree)]
    values = [a.copy() for a in arrays]
    if isinstance(tree, dict):
        return dict(zip(keys, values))
    if isinstance(tree, tuple):
        return type(tree)(*values)
    return type(tree)(**dict(zip(keys, values)))


class ContainerLossProblem(Problem):
    """``fn(params, *rest) -> (loss, grads)``, params a dict, namedtuple or SimpleNamespace of arrays, grads a
    container of the same kind whose entries carry the same names (read by name, as they are: any shape)."""

    def __init__(self, fn, params, *rest):
        self.fn, self.tree, self.rest = fn, params, rest
        items = _tree_items(params)
        self.keys = [k for k, _ in items]
        self.labels = [f"params.{k}" for k in self.keys]
        self.initial = [np.array(a, dtype=float) for _, a in items]
        self.scalar = True

    def _rest(self):
        return [a.copy() if isinstance(a, np.ndarray) else a for a in self.rest]

    def forward(self, arrays, state=None):
        _seed(state)
        return [np.array(float(self.fn(_tree_with(self.tree, arrays), *self._rest())[0]))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        for _ in range(repeats):
            params = _tree_with(self.tree, arrays)
            _seed(state)
            _, grads = self.fn(params, *self._rest())[:2]
            if any(_changed(p, a) for (_, p), a in zip(_tree_items(params), arrays)):
                notes.add("params-changed")
            g = [_tree_get(grads, k) for k in self.keys]
            results.append(_scaled([None if x is None else np.array(x, copy=True) for x in g], douts, True))
        return results, notes


class DataclassProblem(ModuleProblem):
    """A ``@dataclass`` layer: its parameters are the public init fields holding float arrays, their gradients in
    ``layer.grads[name]``; ``forward(x)``, ``backward(dout) -> dx``."""

    def __init__(self, module, x):
        import dataclasses

        super().__init__(module, x)
        names = [f.name for f in dataclasses.fields(module)
                 if f.init and not f.name.startswith("_") and is_float_array(getattr(module, f.name))]
        self.params = [Param(n, lambda n=n: getattr(module, n), lambda n=n: module.grads.get(n)) for n in names]
        self.labels = self.labels[:self.nf] + names
        self.initial = self.initial[:self.nf] + [getattr(module, n).copy() for n in names]


class NodeEngineProblem(Problem):
    """An engine of array nodes: parameters are leaf nodes with ``value`` and ``grad`` arrays, ``loss()`` builds the
    graph and returns its loss node, whose ``backward()`` zeroes and fills every node's grad."""

    def __init__(self, loss, parameters):
        self.loss, self.ps = loss, list(parameters)
        self.labels = [f"parameters[{i}]" for i in range(len(self.ps))]
        self.initial = [np.array(p.value, dtype=float) for p in self.ps]
        self.scalar = True

    def _set(self, arrays):
        for p, v in zip(self.ps, arrays):
            p.value = v.copy()

    def forward(self, arrays, state=None):
        self._set(arrays)
        _seed(state)
        return [np.array(float(self.loss().value))]

    def run(self, arrays, douts, state=None, repeats=1):
        results = []
        for _ in range(repeats):
            self._set(arrays)
            _seed(state)
            self.loss().backward()
            results.append(_scaled([np.array(p.grad, copy=True) for p in self.ps], douts, True))
        return results, set()


R4_CONTAINER_STYLES = ("closures", "namedtuple-params", "namespace-params", "min-char-rnn")


def build_r4(case, args, kwargs):
    """The Problem of a ROUND4 case, or None where ``build``'s own kinds take it (the vjp pairs, the losses over
    plain arrays, the makemore MLP)."""
    if case.style == "dlfs-extend":
        return DLfSExtendProblem(*args, **kwargs)
    if case.style in R4_CONTAINER_STYLES:
        return ContainerLossProblem(*args, **kwargs)
    if case.style == "dataclass-layers":
        return DataclassProblem(*args, **kwargs)
    if case.style == "array-graph":
        return NodeEngineProblem(*args, **kwargs)
    return None


# ---------------------------------------------------------------- the styles of the fifth first-contact batch (ROUND5)

class TrainerProblem(Problem):
    """A ``Trainer`` whose ``model`` is a list of dicts (``{'W': ..., 'b': ..., 'act': 'relu'}``): ``loss(batch)``
    and ``compute_gradients(batch) -> [{'W': dW, 'b': db}, ...]`` with ``batch = (X, y)``; the float entries of
    each dict are the parameters, written in place, their gradients read by the same key."""

    def __init__(self, net, X, y):
        self.net, self.X, self.y = net, X, y
        self.keys = [(i, k) for i, layer in enumerate(net.model) for k, v in layer.items() if is_float_array(v)]
        self.labels = [f"model[{i}][{k!r}]" for i, k in self.keys]
        self.initial = [net.model[i][k].copy() for i, k in self.keys]
        self.scalar = True

    def _set(self, arrays):
        for (i, k), a in zip(self.keys, arrays):
            self.net.model[i][k][...] = a

    def forward(self, arrays, state=None):
        self._set(arrays)
        _seed(state)
        return [np.array(float(self.net.loss((self.X.copy(), self.y.copy()))))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        self._set(arrays)
        for _ in range(repeats):
            _seed(state)
            grads = self.net.compute_gradients((self.X.copy(), self.y.copy()))
            g = [_item(_item(grads, i), k) for i, k in self.keys]
            results.append(_scaled([None if x is None else np.array(x, copy=True) for x in g], douts, True))
        if any(_changed(self.net.model[i][k], a) for (i, k), a in zip(self.keys, arrays)):
            notes.add("params-changed")
        return results, notes


class DictListLossProblem(Problem):
    """``fn(model, *rest) -> (loss, grads)``, model a list of dicts whose float entries are the parameters (other
    entries, such as an activation's name, passed as they are), grads a list of dicts read by the same keys."""

    def __init__(self, fn, model, *rest):
        self.fn, self.model, self.rest = fn, model, rest
        self.keys = [(i, k) for i, layer in enumerate(model) for k, v in layer.items() if is_float_array(v)]
        self.labels = [f"model[{i}][{k!r}]" for i, k in self.keys]
        self.initial = [model[i][k].copy() for i, k in self.keys]
        self.scalar = True

    def _model(self, arrays):
        model = [dict(layer) for layer in self.model]
        for (i, k), a in zip(self.keys, arrays):
            model[i][k] = a.copy()
        return model

    def _rest(self):
        return [a.copy() if isinstance(a, np.ndarray) else a for a in self.rest]

    def forward(self, arrays, state=None):
        _seed(state)
        return [np.array(float(self.fn(self._model(arrays), *self._rest())[0]))]

    def run(self, arrays, douts, state=None, repeats=1):
        notes, results = set(), []
        for _ in range(repeats):
            model = self._model(arrays)
            _seed(state)
            _, grads = self.fn(model, *self._rest())
            if any(_changed(model[i][k], a) for (i, k), a in zip(self.keys, arrays)):
                notes.add("params-changed")
            g = [_item(_item(grads, i), k) for i, k in self.keys]
            results.append(_scaled([None if x is None else np.array(x, copy=True) for x in g], douts, True))
        return results, notes


def _registered(obj, prefix="", seen=None):
    """[Param] of a learner's Module tree: every object with a ``_params`` dict, reached through public
    attributes and lists (registered or not), its gradient in the same object's ``_grads[name]``."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    found = []
    if isinstance(getattr(obj, "_params", None), dict):
        found += [Param(prefix + n, lambda o=obj, n=n: o._params[n], lambda o=obj, n=n: o._grads.get(n))
                  for n in obj._params]
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            found += _registered(v, f"{prefix[:-1]}[{i}].", seen)
    elif hasattr(obj, "__dict__"):
        for k, v in vars(obj).items():
            if not k.startswith("_") and (hasattr(v, "_params") or isinstance(v, (list, tuple))):
                found += _registered(v, f"{prefix}{k}.", seen)
    return found


class RegistryProblem(ModuleProblem):
    """A learner's ``Module`` with ``register_parameter``: parameters in each sub-module's ``_params``, gradients
    in its ``_grads`` (every module reachable from the top, registered or not: what the output depends on);
    ``zero_grad()`` before each backward."""

    def __init__(self, module, x):
        super().__init__(module, x)
        self.params = _registered(module)
        self.labels = self.labels[:self.nf] + [p.label for p in self.params]
        self.initial = self.initial[:self.nf] + [p.get().copy() for p in self.params]


class _GradInputModule:
    """A ``Sequential`` whose ``backward`` returns nothing, seen as one that returns its ``grad_input``."""

    def __init__(self, seq):
        self.seq = seq

    def forward(self, x):
        return self.seq.forward(x)

    def backward(self, dout):
        self.seq.backward(dout)
        return self.seq.grad_input


def _linear_layers(obj, prefix, seen):
    """[Param] of every layer (reached through ``layers`` lists) holding ``W``, ``b`` with ``grad_W``, ``grad_b``."""
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    found = [Param(f"{prefix}.{n}", lambda o=obj, n=n: getattr(o, n), lambda o=obj, n=n: getattr(o, "grad_" + n, None))
             for n in ("W", "b") if is_float_array(getattr(obj, n, None))]
    for i, layer in enumerate(getattr(obj, "layers", [])):
        found += _linear_layers(layer, f"{prefix}.layers[{i}]", seen)
    return found


class GradInputProblem(ModuleProblem):
    """Lua-Torch-like layers: ``backward(grad_output)`` returns nothing, stores ``grad_input`` (and ``grad_W``,
    ``grad_b``); the Sequential's dx is its ``grad_input``."""

    def __init__(self, seq, x):
        super().__init__(_GradInputModule(seq), x)
        self.params = [Param(p.label[len("net."):], p.get, p.grad) for p in _linear_layers(seq, "net", set())]
        self.labels = self.labels[:self.nf] + [p.label for p in self.params]
        self.initial = self.initial[:self.nf] + [p.get().copy() for p in self.params]


class TapePairProblem(PairProblem):
    """``fwd(*inputs) -> (out, tape)``, ``grad(tape, dout)``: the tape first."""

    def _back(self, d, cache):
        return self.bwd(cache, *d)


def build_r5(case, args, kwargs):
    """The Problem of a ROUND5 case, or None where ``build``'s own kinds take it (the GRU and depthwise
    convolution layers, the losses)."""
    kinds = {"trainer": TrainerProblem, "layer-dicts": DictListLossProblem, "module-registry": RegistryProblem,
             "flat-buffer": ModuleProblem, "sequential-grad-input": GradInputProblem, "tape": TapePairProblem}
    return kinds[case.style](*args, **kwargs) if case.style in kinds else None


# ---------------------------------------------------------------- the styles of the sixth first-contact batch (ROUND6)

class NdarrayParameterProblem(ModuleProblem):
    """Parameters that are ``np.ndarray`` subclasses with a ``.grad`` attribute, found through attributes and
    sub-objects (named by their path), written in place; ``zero_grad()`` before each backward."""

    def __init__(self, module, x):
        super().__init__(module, x)
        self.params = [Param(label, lambda p=p: p, lambda p=p: p.grad) for label, p in _ndarray_params(module, "")]
        self.labels = self.labels[:self.nf] + [p.label for p in self.params]
        self.initial = self.initial[:self.nf] + [np.array(p.get(), copy=True) for p in self.params]


def _ndarray_params(obj, prefix):
    found = []
    for k, v in vars(obj).items():
        if isinstance(v, np.ndarray) and type(v) is not np.ndarray and hasattr(v, "grad"):
            found.append((prefix + k, v))
        elif hasattr(v, "__dict__") and not isinstance(v, np.ndarray):
            found += _ndarray_params(v, f"{prefix}{k}.")
    return found


class _StepBackward:
    """A ``Net`` with ``step_backward(dout)`` seen as a module with ``backward``."""

    def __init__(self, net):
        self.net = net

    def forward(self, x):
        return self.net.forward(x)

    def backward(self, dout):
        return self.net.step_backward(dout)


class ConfigNetProblem(ModuleProblem):
    """``build(config)``'s ``Net``: layers' ``params`` dicts, gradients in ``layer.grads`` by the same keys."""

    def __init__(self, net, x):
        super().__init__(_StepBackward(net), x)
        self.params = [Param(f"layers[{i}].params[{k!r}]", lambda l=layer, k=k: l.params[k],
                             lambda l=layer, k=k: _item(l.grads, k))
                       for i, layer in enumerate(net.layers) for k in layer.params]
        self.labels = self.labels[:self.nf] + [p.label for p in self.params]
        self.initial = self.initial[:self.nf] + [p.get().copy() for p in self.params]


class DictGradLossProblem(LossProblem):
    """``fn(x, ...) -> (loss, {'dx': ...})``: the dict's values in order are the first float inputs' gradients."""

    def __init__(self, fn, *inputs):
        super().__init__(lambda *a: _flat_dict(fn(*a)), *inputs)
        names = list(inspect.signature(fn).parameters)
        self.labels = [names[i] if i < len(names) else f"input {i}" for i in self.idx]


def _flat_dict(res):
    loss, grads = res
    return (loss, *grads.values())


R6_MODULE_STYLES = ("layer-zoo-2", "keras-model")


def build_r6(case, args, kwargs):
    """The Problem of a ROUND6 case, or None where ``build``'s own kinds take it (the tuple losses)."""
    if case.style in R6_MODULE_STYLES:
        return ModuleProblem(*args, **kwargs)
    kinds = {"ndarray-parameter": NdarrayParameterProblem, "config-build": ConfigNetProblem,
             "loss-dict": DictGradLossProblem, "op-autograd": ArrayEngineProblem,
             "id-dict-autograd": ListParamsLossProblem}
    return kinds[case.style](*args, **kwargs) if case.style in kinds else None
