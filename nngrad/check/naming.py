"""Which array holds the gradient of which: the names learners give gradients (dW, grad_W, W_grad, dweights,
grads["W"], grads[0]) matched to their parameters, and the input's gradient a backward stores (dinputs, dx)."""

from __future__ import annotations

import re

from .slots import Slot

PREFIXES = ("gradient_", "grad_", "delta_", "d_", "grad", "g_", "d")
SUFFIXES = ("_gradient", "_grad", "_delta", "_d", "grad", "_g")
ALIASES = {"weight": "w", "weights": "w", "kernel": "w", "bias": "b", "biases": "b"}
INPUT_NAMES = {"x", "input", "inputs", "inp", "in", "aprev", "a_prev", "xin", "x_in"}
GRADIENT_HOLDERS = re.compile(r"grad|^d|delta", re.IGNORECASE)  # dicts or lists of gradients: grads, dparams


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
    """The slot among ``candidates`` (arrays that are not parameters) holding ``param``'s gradient: by name, exact
    first (dW for W), then ignoring case and aliases (dweights for W); for params[i], grads[i] of a list of
    gradients as long as the list of parameters."""
    if isinstance(param.key, int):
        return next((c for c in candidates if c.key == param.key and isinstance(c.owner, list) and c.attr
                     and c.attr != param.attr and GRADIENT_HOLDERS.search(c.attr)
                     and len(c.owner) == len(param.owner)), None)
    for same in (lambda a, b: a == b, lambda a, b: canonical(a) == canonical(b)):
        if found := next((c for c in candidates if any(same(n, param.name) for n in claims(c))), None):
            return found
    return None


def input_gradient(candidates: list[Slot]) -> Slot | None:
    """The attribute where a backward that returns nothing left dx: dinputs, dinput, dx, grad_input, dA_prev."""
    inputs = {canonical(i) for i in INPUT_NAMES}
    return next((c for c in candidates if c.attr is None and any(canonical(n) in inputs for n in stripped(c.name))),
                None)
