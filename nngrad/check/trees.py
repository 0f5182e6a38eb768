"""Parameter trees: nested lists, tuples and dicts whose leaves are all float arrays (JAX's ``params = [(W1, b1),
(W2, b2)]``, d2l's ``[W1, b1, W2, b2]``, ``{"dense": (W, b)}``). Each leaf is one array, named by its path from
the argument (``params[0][1]``, ``params['dense'][0]``); the code gets the same structure at every call, and its
gradients come back in the same structure (a list where a tuple was given, or the other way round, is the same)."""

from __future__ import annotations

import numpy as np

Path = tuple  # the keys from the tree's root to a leaf: (0, 1) for params[0][1]


def is_tree(value) -> bool:
    """A non-empty list, tuple or dict (nested any depth) whose every leaf is a float array."""
    if not isinstance(value, (list, tuple, dict)) or not value:
        return False
    return all(is_tree(v) or _float(v) for v in _items(value))


def leaves(tree) -> list[tuple[Path, np.ndarray]]:
    """(path, array) of every leaf of ``tree``, depth first in the tree's order."""
    if _float(tree):
        return [((), tree)]
    return [((key, *path), leaf) for key, v in _keyed(tree) for path, leaf in leaves(v)]


def label(name: str, path: Path) -> str:
    """``params[0][1]``, ``params['W1']``: how the code reaches the leaf."""
    return name + "".join(f"[{k!r}]" for k in path)


def rebuild(tree, values: list):
    """``tree``'s structure with its leaves replaced by ``values`` (in the order of ``leaves``)."""
    it = iter(values)

    def build(node):
        if _float(node):
            return next(it)
        if isinstance(node, dict):
            return type(node)((k, build(v)) for k, v in node.items())
        return type(node)(build(v) for v in node)

    return build(tree)


def flat_like(tree, value) -> list | None:
    """``value``'s leaves where it has ``tree``'s structure (a list for a tuple is the same; a dict needs the same
    keys), each leaf anything but a list, tuple or dict; None where it has not."""
    if _float(tree):
        return None if isinstance(value, (list, tuple, dict)) else [value]
    if isinstance(tree, dict):
        if not isinstance(value, dict) or set(value) != set(tree):
            return None
        parts = [flat_like(tree[k], value[k]) for k in tree]
    else:
        if not isinstance(value, (list, tuple)) or len(value) != len(tree):
            return None
        parts = [flat_like(t, v) for t, v in zip(tree, value)]
    return None if any(p is None for p in parts) else [x for p in parts for x in p]


def _float(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _items(value) -> list:
    return list(value.values()) if isinstance(value, dict) else list(value)


def _keyed(value) -> list:
    return list(value.items()) if isinstance(value, dict) else list(enumerate(value))
