"""A network's parameters where it keeps them, and a gradient method of whatever name and signature.

Parameters: ``net.params`` (a dict or list) where it has one; else every attribute holding float arrays: an
array (``self.W1``), a list or tuple of them (scikit-learn's ``coefs_`` and ``intercepts_``), a dict of them.
Attributes that hold no parameters by their name (gradients, caches, activations, deltas) are passed over.

A gradient method: one whose name says gradient or backprop (``loss_grad``, ``_backprop``, ``compute_gradients``;
never ``numerical_gradient`` nor ``zero_grad``), called with (x, t) and, for every further argument it requires, a
buffer made from its name: ``coef_grads`` -> zeros shaped like ``coefs_`` (the list whose name it shares),
``activations`` -> ``[x, None, ...]``, anything else ``[None, ...]`` (one entry per layer and one more). It returns
the loss, or (loss, grads...) where grads are lists shaped like the parameter lists, in their order, a dict by
their names, or one flat list of every parameter; gradients it does not return are read from the buffers it filled
(``coef_grads[i] = ...``)."""

from __future__ import annotations

import inspect
import re
from numbers import Number

import numpy as np

from ..errors import InvalidValue
from . import trees
from .slots import Slot, is_float_array

NOT_PARAMETERS = re.compile(r"grad|cache|activation|delta|^d[A-Z_]|^_", re.IGNORECASE)
NOT_GRADIENT_METHODS = re.compile(r"numerical|zero_grad|clear|check|^__", re.IGNORECASE)
GRADIENT_METHODS = re.compile(r"grad|backprop", re.IGNORECASE)


def parameter_groups(net) -> dict[str, list[Slot]]:
    """The float arrays ``net`` keeps in its attributes, by attribute: ``{"coefs_": [coefs_[0], ...], "W1":
    [W1]}``; attributes named like gradients, caches or activations left out."""
    groups: dict[str, list[Slot]] = {}
    for attr, value in vars(net).items():
        if NOT_PARAMETERS.search(attr):
            continue
        if is_float_array(value):
            groups[attr] = [Slot(net, attr)]
        elif isinstance(value, (list, tuple)) and value and all(is_float_array(v) for v in value):
            groups[attr] = [Slot(value, k, attr) for k in range(len(value))]
        elif isinstance(value, dict) and value and all(is_float_array(v) for v in value.values()):
            groups[attr] = [Slot(value, k, attr) for k in value]
        elif isinstance(value, (list, tuple)) and trees.is_tree(value):  # [{'W': W1, 'b': b1, 'act': 'relu'}, ...]
            groups[attr] = [Slot(_owner(value, path), path[-1], attr, path=trees.label(attr, path))
                            for path, _ in trees.leaves(value)]
    return groups


def _owner(tree, path: tuple):
    """The dict or list holding the leaf at ``path``."""
    for key in path[:-1]:
        tree = tree[key]
    return tree


def batch_args(method, x, t) -> tuple:
    """(x, t), or ((x, t),) for a method taking one argument: ``loss(batch)`` with ``X, y = batch``."""
    return ((x, t),) if len(_required(method)) == 1 else (x, t)


def layer_numbers(groups: dict[str, list[Slot]]) -> dict[str, int]:
    """Each array's layer (1, 2, ...) where the parameters are per-layer lists of one length (coefs_[0] and
    intercepts_[0] -> 1); {} otherwise."""
    lists = [slots for slots in groups.values() if slots[0].attr is not None and isinstance(slots[0].key, int)]
    if len(lists) != len(groups) or len({len(s) for s in lists}) != 1 or len(lists[0]) < 2:
        return {}
    return {s.label: s.key + 1 for slots in lists for s in slots}


def gradient_method(net):
    """The bound method of ``net`` that computes its gradients, by its name; None when it has none."""
    names = [n for n in dir(type(net)) if GRADIENT_METHODS.search(n) and not NOT_GRADIENT_METHODS.search(n)
             and callable(getattr(net, n, None))]
    names.sort(key=lambda n: (n.startswith("_"), len(_required(getattr(net, n))), n))
    return getattr(net, names[0]) if names else None


def _required(method) -> list[str]:
    try:
        return [p.name for p in inspect.signature(method).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _stem(name: str) -> str:
    """coef_grads, d_coefs, coefs_ -> coef: what an argument and a parameter list share."""
    s = re.sub(r"grads?|gradients?", "", name.lower()).strip("_")
    s = s[1:] if s.startswith("d") and len(s) > 1 and name[:1] == "d" else s
    return s.strip("_").removesuffix("s")


class GradientCall:
    """``method(x, t, *buffers)``: its loss and the gradients of ``groups`` it returned or filled in."""

    def __init__(self, net, method, groups: dict[str, list[Slot]]) -> None:
        self.net, self.method, self.groups = net, method, groups
        self.extra = _required(method)[2:]
        self.batched = len(_required(method)) == 1
        self.mismatches: list[str] = []  # gradients returned in a layer list's structure but under other keys
        inputs = "(x, t)" if self.batched else "x, t"
        self.signature = f"{method.__name__}({inputs}{''.join(', ' + a for a in self.extra)})"

    def _buffers(self, x: np.ndarray) -> tuple[list, dict[str, object]]:
        """The extra arguments, and which parameter group each buffer holds the gradients of."""
        layers = max(len(slots) for slots in self.groups.values())
        stems = {_stem(g): g for g in self.groups}
        args, holds = [], {}
        for name in self.extra:
            group = stems.get(_stem(name))
            if group is not None:
                value = self.groups[group][0].owner if self.groups[group][0].attr else None
                buffer = ({k: np.zeros_like(v) for k, v in value.items()} if isinstance(value, dict)
                          else [np.zeros_like(s.get()) for s in self.groups[group]])
                holds[group] = buffer
            elif name.lower().startswith("activation"):
                buffer = [x] + [None] * layers
            else:
                buffer = [None] * (layers + 1)
            args.append(buffer)
        return args, holds

    def _call(self, x: np.ndarray, t: np.ndarray, args: list):
        return self.method(*batch_args(self.method, x, t), *args)

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """The loss the method returns first; where it returns only gradients, the network's ``loss``."""
        result = self._call(x, t, self._buffers(x)[0])
        if _gradients_only(result) and callable(own := getattr(self.net, "loss", None)):
            return _loss(own(*batch_args(own, x, t)), f"{own.__name__}(x, t)")
        return _loss(result, self.signature)

    def gradients(self, x: np.ndarray, t: np.ndarray) -> dict[str, object]:
        """{slot label: gradient} for every parameter found in what the method returned or filled."""
        args, holds = self._buffers(x)
        result = self._call(x, t, args)
        returned = list(result[1:]) if isinstance(result, tuple) else [result] if _gradients_only(result) else []
        found: dict[str, object] = {}
        for group, slots in self.groups.items():
            if slots[0].path:  # a list of layer dicts: its gradients in its structure
                flat = next((f for v in returned if (f := trees.flat_like(getattr(self.net, group), v))), None)
                found.update({s.label: g for s, g in zip(slots, flat or [])})
                if flat is None:
                    self.mismatches.append(_keys_differ(group, getattr(self.net, group), returned))
                continue
            grads = _matching(returned, group, slots)
            grads = holds.get(group) if grads is None else grads
            if grads is None:
                continue
            for s in slots:
                try:
                    found[s.label] = grads[s.key] if slots[0].attr else grads
                except (KeyError, IndexError, TypeError):
                    pass
        if not found and len(returned) == 1 and isinstance(returned[0], (list, tuple)):  # one flat list
            flat = [s for slots in self.groups.values() for s in slots]
            if len(returned[0]) == len(flat):
                found = {s.label: g for s, g in zip(flat, returned[0])}
        return found


def _loss(result, signature: str) -> float:
    value = result[0] if isinstance(result, tuple) and result else result
    if not (isinstance(value, Number) or (isinstance(value, np.ndarray) and value.size == 1)):
        raise InvalidValue(f"{signature} returned {type(result).__name__}; nngrad reads the loss from it: a number, "
                           "or a tuple (loss, gradients...)")
    return float(np.asarray(value).reshape(()))


def _keys_differ(group: str, model, returned: list) -> str:
    """Where gradients came back as a list of dicts as long as ``model`` but keyed otherwise: the words saying so."""
    for value in returned:
        if isinstance(value, (list, tuple)) and len(value) == len(model) and all(isinstance(v, dict) for v in value):
            for k, (layer, got) in enumerate(zip(model, value)):
                want = [key for key, v in layer.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
                if set(got) != set(want) and set(got) != set(layer):
                    return (f"the gradients of {group}[{k}] are keyed {', '.join(map(repr, got))}, its arrays "
                            f"{', '.join(map(repr, want))}: a gradient under another key than its parameter's is "
                            "never applied (a misspelt or lower-case key?)")
    return ""


def _gradients_only(result) -> bool:
    """A method's result that is its gradients alone (a list or dict of them), no loss."""
    return isinstance(result, (list, dict)) and bool(result)


def _matching(returned: list, group: str, slots: list[Slot]):
    """What the method returned for ``group``: a dict entry named like it, or the first list of its length whose
    arrays have its shapes."""
    shapes = [np.shape(s.get()) for s in slots]
    for value in returned:
        if isinstance(value, dict):
            for key in value:
                if isinstance(key, str) and _stem(key) == _stem(group):
                    return value[key]
        elif isinstance(value, (list, tuple)) and len(value) == len(slots) and slots[0].attr is not None and all(
                np.shape(v) == s for v, s in zip(value, shapes)):
            return value
    return None


def output_size(net) -> int | None:
    """How many outputs a network with per-layer lists has: the size of its last layer's bias (the smallest array
    of the last layer: intercepts_[-1] of shape (3,), or a (3, 1) column); None when it does not tell."""
    groups = parameter_groups(net)
    numbers = layer_numbers(groups)
    if not numbers:
        return None
    last = [s.get() for slots in groups.values() for s in slots if numbers[s.label] == max(numbers.values())]
    if len(last) < 2:
        return None
    bias = min(last, key=lambda a: a.size)
    return int(bias.size) if bias.size < max(a.size for a in last) else None
