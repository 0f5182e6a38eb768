"""Which array holds the gradient of which: a parameter object's ``.grad``, the pair ``parameters()`` gives, the
names learners give gradients (dW, grad_W, W_grad, dweights, grads["W"], grads[0]) in the parameter's own object,
a list of gradients in the order of the list of weights (Keras-like ``get_gradients()`` beside ``get_weights()``),
and the input's gradient a backward stores (dinputs, dx)."""

from __future__ import annotations

import re

import numpy as np

from .calling import required
from .slots import Slot, is_pair, listed_parameters

PREFIXES = ("gradient_", "grad_", "delta_", "d_", "grad", "g_", "d")
SUFFIXES = ("_gradient", "_grad", "_delta", "_d", "grad", "_g")
ALIASES = {"weight": "w", "weights": "w", "kernel": "w", "bias": "b", "biases": "b"}
INPUT_NAMES = {"x", "input", "inputs", "inp", "in", "aprev", "a_prev", "xin", "x_in"}
GRADIENT_HOLDERS = re.compile(r"grad|^d|delta", re.IGNORECASE)  # dicts or lists of gradients: grads, dparams
WEIGHT_LISTS = ("trainable_weights", "weights", "get_weights", "trainable_variables", "variables", "parameters")
GRADIENT_LISTS = ("get_gradients", "gradients", "get_grads", "grads")  # in the order of the weights'


def stripped(name: str) -> list[str]:
    """What a gradient's name says it is the gradient of: dW -> W, grad_W -> W, W_grad -> W (every reading)."""
    out = [name[len(p):] for p in PREFIXES if name.startswith(p) and len(name) > len(p)]
    out += [name[: -len(s)] for s in SUFFIXES if name.endswith(s) and len(name) > len(s)]
    return [n.strip("_") for n in out if n.strip("_")]


def canonical(name: str) -> str:
    """W, w, weights, weight -> "w"; b, bias, biases -> "b"; others lowercased without underscores."""
    low = name.lower()
    return ALIASES.get(low, low.replace("_", ""))


def claims(candidate: Slot) -> list[str]:
    """The parameter names that a candidate's name says it is the gradient of: dW and grad_W -> W; an entry of a
    dict of gradients (grads["W"], grads["dW"]) -> W. List items are matched by position instead."""
    if isinstance(candidate.key, int):
        return []
    holder = candidate.attr is not None and GRADIENT_HOLDERS.search(candidate.attr)
    return ([candidate.name] if holder else []) + stripped(candidate.name)


def gradient_of(param: Slot, candidates: list[Slot]) -> Slot | None:
    """The slot among ``candidates`` (arrays that are not parameters) holding ``param``'s gradient, in the same
    object as ``param`` (fc1.dW for fc1.W): by name, exact first (dW for W), then ignoring case and aliases
    (dweights for W); for params[i], grads[i] of a list of gradients as long as the list of parameters."""
    candidates = [c for c in candidates if c.home is param.home]  # fc1.dW for fc1.W, never fc2.dW
    if isinstance(param.key, int):
        return next((c for c in candidates if c.key == param.key and isinstance(c.owner, list) and c.attr
                     and c.attr != param.attr and GRADIENT_HOLDERS.search(c.attr)
                     and len(c.owner) == len(param.owner)), None)
    for same in (lambda a, b: a == b, lambda a, b: canonical(a) == canonical(b)):
        if found := next((c for c in candidates if any(same(n, param.name) for n in claims(c))), None):
            return found
    return None


def input_gradient(candidates: list[Slot], owner: object, names: tuple[str, ...] = ()) -> Slot | None:
    """The attribute of ``owner`` where a backward that returns nothing left dx: dinputs, dinput, dx, grad_input,
    dA_prev, inp_g, g_x; or the name of forward's own input (``names``: forward(self, inp) -> dinp, inp_g), with
    any gradient affix. The owner's own attribute even where the same array was found first under a sub-object
    (a model's inp_g that is its first layer's inp_g)."""
    inputs = {canonical(i) for i in (*INPUT_NAMES, *names)}

    def says(name: str) -> bool:
        return any(canonical(n) in inputs for n in stripped(name))

    found = next((c for c in candidates if c.attr is None and c.owner is owner and says(c.name)), None)
    if found is not None:
        return found
    free = [c.get() for c in candidates]
    return next((Slot(owner, n) for n, v in _own(owner) if isinstance(v, np.ndarray) and says(n)
                 and any(v is f for f in free)), None)


def _own(owner: object) -> list[tuple[str, object]]:
    try:
        return list(vars(owner).items())
    except TypeError:
        return []


def gradient_slot(param: Slot, candidates: list[Slot], root: object) -> Slot | None:
    """Where ``param``'s gradient is after backward (see the module's docstring), first found first; ``root``: the
    object checked, whose ``parameters()`` may pair each parameter with its gradient."""
    if param.grad is not None:
        return param.grad if param.grad.get() is not None else None
    values = param.get()
    if param.home is not root and (own := _by_order(values, root, "", exact=True)) is not None:
        return own  # the checked object's own get_gradients() is what its training loop uses, not its layers'
    return (_paired(values, [("", root), (param.prefix, param.home)]) or gradient_of(param, candidates)
            or _by_order(values, param.home, param.prefix))


def _paired(values, owners: list[tuple[str, object]]) -> Slot | None:
    """The grad of a (param, grad) pair some ``parameters()`` lists for ``values``."""
    for prefix, owner in owners:
        for i, item in enumerate(listed_parameters(owner)):
            if is_pair(item) and item[0] is values:
                return Slot(item, 1, None, None, f"{prefix}parameters()[{i}][1]")
    return None


def _by_order(values, owner: object, prefix: str, exact: bool = False) -> Slot | None:
    """The gradient at the position ``values`` has among the weights (trainable_weights, weights, get_weights()),
    in a list or dict of gradients as long (get_gradients(), gradients, grads). ``exact``: the weight itself
    (never an equal copy) and the gradient at its position whatever its shape (the claim, judged as given)."""
    weights, grads = _listed(owner, WEIGHT_LISTS), _listed(owner, GRADIENT_LISTS)
    if weights is None or grads is None or len(weights[1]) != len(grads[1]):
        return None
    same = [k for k, (_, w) in enumerate(weights[1]) if w is values]
    if not same and not exact:  # get_weights() returns copies: the one weight of equal values
        same = [k for k, (_, w) in enumerate(weights[1]) if w.shape == values.shape and np.array_equal(w, values)]
    if len(same) != 1:
        return None
    key, grad = grads[1][same[0]]
    if np.shape(grad) != values.shape and not exact:
        return None
    return Slot(tuple(g for _, g in grads[1]), same[0], None, None, f"{prefix}{grads[0]}[{key!r}]")


def _listed(owner: object, names: tuple[str, ...]) -> tuple[str, list[tuple[object, np.ndarray]]] | None:
    """(where, [(key, array)]) of the first of ``names`` (attributes or methods taking no argument) that holds a
    non-empty list, tuple or dict of arrays."""
    for name in names:
        try:
            value = getattr(owner, name, None)
            if callable(value):
                if required(value):
                    continue
                value, name = value(), f"{name}()"
        except Exception:  # noqa: BLE001, S112 - a property or method that cannot run now: not a list of arrays
            continue
        items = list(value.items()) if isinstance(value, dict) else (
            list(enumerate(value)) if isinstance(value, (list, tuple)) else [])
        if items and all(isinstance(a, np.ndarray) for _, a in items):
            return name, items
    return None
