"""Parameter trees: nested lists, tuples, dicts, namedtuples and records whose leaves are float arrays (JAX's
``params = [(W1, b1), (W2, b2)]``, d2l's ``[W1, b1, W2, b2]``, ``{"dense": (W, b)}``, ``Params(W1, b1, W2, b2)``
of a ``namedtuple``, ``SimpleNamespace(W=..., b=...)`` or a dataclass instance). Each leaf is one array, named by its
path from the argument (``params[0][1]``, ``params['dense'][0]``, ``p.W1``); the code gets the same structure at
every call, and its gradients come back in the same structure (a list where a tuple was given, or the other way
round, is the same; a namedtuple or a record of gradients is read by its names). A record (a SimpleNamespace, a
dataclass instance, an object whose class defines no methods) may hold other members too (a margin, a flag): they
are passed as they are, never differentiated; so may the dicts of a list of layers (``[{'W': W1, 'b': b1, 'act':
'relu'}, ...]``: the strings, numbers and integer arrays beside the arrays), whose gradients come back as dicts of
the arrays' keys only."""

from __future__ import annotations

import copy
import dataclasses
from types import SimpleNamespace

import numpy as np

Path = tuple  # the keys from the tree's root to a leaf: (0, 1) for params[0][1]


class Attr(str):
    """A key that is an attribute's (or a namedtuple field's) name: ``p.W1``, not ``p['W1']``."""


def is_tree(value, in_list: bool = False) -> bool:
    """A non-empty list, tuple or dict (nested any depth) whose every leaf is a float array; or a namedtuple or
    record of such (a record needs one such member, its others are held); a dict that is a member of a list or
    tuple (``in_list``) may hold plain values too (a layer's ``'act': 'relu'``), held as they are."""
    if _record(value) or _namedtuple(value):
        return bool(_branches(value))
    if not isinstance(value, (list, tuple, dict)) or not value:
        return False
    if isinstance(value, dict) and in_list:
        return bool(_branches(value)) and all(_passive(v) for k, v in _keyed(value) if not _branch(v))
    inner = isinstance(value, (list, tuple))
    return all(is_tree(v, inner) or _float(v) for _, v in _keyed(value))


def container(value) -> bool:
    """Could ``value`` hold gradients in a tree's structure (a list, tuple, dict, namedtuple or record)?"""
    return isinstance(value, (list, tuple, dict)) or _record(value)


def leaves(tree) -> list[tuple[Path, np.ndarray]]:
    """(path, array) of every leaf of ``tree``, depth first in the tree's order."""
    if _float(tree):
        return [((), tree)]
    return [((key, *path), leaf) for key, v in _branches(tree) for path, leaf in leaves(v)]


def label(name: str, path: Path) -> str:
    """``params[0][1]``, ``params['W1']``, ``p.W1``: how the code reaches the leaf."""
    return name + "".join(f".{k}" if isinstance(k, Attr) else f"[{k!r}]" for k in path)


def rebuild(tree, values: list):
    """``tree``'s structure with its leaves replaced by ``values`` (in the order of ``leaves``); a record's other
    members as they are. The user's tree is not changed."""
    it = iter(values)

    def build(node):
        if _float(node):
            return next(it)
        return _construct(node, {k: build(v) for k, v in _branches(node)})

    return build(tree)


def _construct(node, members: dict):
    """A new ``node`` of its own type with ``members`` (key: value) in place of its branches."""
    if _namedtuple(node):
        return type(node)(*[members.get(Attr(f), getattr(node, f)) for f in node._fields])
    if isinstance(node, dict):
        new = copy.copy(node)  # keeps an OrderedDict's order, a defaultdict's factory
        new.update(members)
        return new
    if isinstance(node, (list, tuple)):
        items = [members.get(k, v) for k, v in enumerate(node)]
        try:
            return type(node)(items)
        except Exception:  # a subclass whose constructor takes other arguments: the plain sequence
            return tuple(items) if isinstance(node, tuple) else items
    new = copy.copy(node)
    for k, v in members.items():
        object.__setattr__(new, k, v)  # a frozen dataclass too
    return new


def flat_like(tree, value) -> list | None:
    """``value``'s leaves where it has ``tree``'s structure (a list for a tuple is the same; a dict needs the same
    keys; a namedtuple or record is read by its names, from a namedtuple, record or dict), each leaf anything but a
    container; None where it has not."""
    if _float(tree):
        return None if container(value) else [value]
    if isinstance(tree, dict):
        keys = [k for k, _ in _branches(tree)]
        if not isinstance(value, dict) or set(value) not in (set(tree), set(keys)):
            return None
        parts = [flat_like(tree[k], value[k]) for k in keys]
    elif _namedtuple(tree) or _record(tree):
        named = _named(value)
        if named is None and _namedtuple(tree) and isinstance(value, (list, tuple)) and len(value) == len(tree):
            named = dict(zip(tree._fields, value))  # a plain tuple in the fields' order
        keys = [k for k, _ in _branches(tree)]
        if named is None or any(str(k) not in named for k in keys):
            return None
        parts = [flat_like(v, named[str(k)]) for k, v in _branches(tree)]
    else:
        if not isinstance(value, (list, tuple)) or len(value) != len(tree):
            return None
        parts = [flat_like(t, v) for t, v in zip(tree, value)]
    return None if any(p is None for p in parts) else [x for p in parts for x in p]


def _named(value) -> dict | None:
    """``value``'s members by name: a namedtuple's fields, a record's attributes, a dict's string keys."""
    if _namedtuple(value):
        return dict(zip(value._fields, value))
    if _record(value):
        return dict(vars(value))
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return dict(value)
    return None


def _float(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _branch(value) -> bool:
    return _float(value) or is_tree(value)


def _passive(value) -> bool:
    """A plain value held as it is beside a layer's arrays: a string, a number, None, an integer array."""
    return value is None or isinstance(value, (str, bytes, bool, int, float, np.number)) or (
        isinstance(value, np.ndarray) and value.dtype.kind in "iub")


def _namedtuple(value) -> bool:
    return isinstance(value, tuple) and isinstance(getattr(type(value), "_fields", None), tuple)


def _record(value) -> bool:
    """A SimpleNamespace, a dataclass instance, or an object whose class defines no methods of its own: a holder of
    named members."""
    if isinstance(value, SimpleNamespace):
        return True
    if isinstance(value, (type, np.ndarray, list, tuple, dict, str, bytes)) or not hasattr(value, "__dict__"):
        return False
    if dataclasses.is_dataclass(value):
        return True
    own = [v for c in type(value).__mro__[:-1] for n, v in vars(c).items() if not n.startswith("__")]
    return type(value).__module__ not in ("builtins",) and not any(callable(v) or isinstance(
        v, (staticmethod, classmethod, property)) for v in own) and not callable(value)


def _keyed(value) -> list:
    if _namedtuple(value):
        return [(Attr(f), v) for f, v in zip(value._fields, value)]
    if _record(value):
        return [(Attr(k), v) for k, v in vars(value).items()]
    return list(value.items()) if isinstance(value, dict) else list(enumerate(value))


def _branches(value) -> list:
    """(key, member) of ``value``'s members that are trees or float arrays (for a list, tuple or dict: all)."""
    keyed = _keyed(value)
    if _record(value) or _namedtuple(value) or isinstance(value, dict):
        return [(k, v) for k, v in keyed if _branch(v)]
    return keyed
