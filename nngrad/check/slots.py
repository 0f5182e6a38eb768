"""Where a user's arrays live, found by walking their object: attributes, the entries of dicts, the items of lists
and tuples, sub-objects (``self.fc = Affine(...)``, ``self.layers = [Linear(...), ReLU()]``) and parameter objects
(``p.data`` with ``p.grad``), to a bounded depth, each array once; found, read, and put back."""

from __future__ import annotations

import types
from dataclasses import dataclass

import numpy as np

DEPTH = 6  # sub-objects and containers followed from the user's object
ITEMS = 10_000  # items of one container looked at
FOREIGN = {"numpy", "builtins", "random", "scipy", "pandas", "torch", "jax", "matplotlib", "functools",
           "collections", "threading", "logging", "io", "pathlib"}  # libraries whose objects hold no user arrays


@dataclass(frozen=True, eq=False)  # compared by identity: owners hold arrays
class Slot:
    """One place that holds an array: ``owner`` (an object, a dict, a list or a tuple) at ``key``; ``attr``: the
    attribute of ``holder`` holding the dict or list (None: an attribute of the object itself); ``holder``: the
    object whose array it is (None: the owner); ``path``: how the user's code reaches it from the checked object
    (fc1.W, layers[0].W; empty: from ``attr`` and ``key``); ``grad``: where a parameter object keeps its
    gradient (p.grad), when it is one."""

    owner: object
    key: str | int
    attr: str | None = None
    holder: object = None
    path: str = ""
    grad: Slot | None = None

    @property
    def label(self) -> str:
        """How the user's code names it: W, params['W'], params[0], fc1.W, layers[0].params['W']."""
        if self.path:
            return self.path
        if self.attr is None:
            return str(self.key)
        return f"{self.attr}[{self.key!r}]"

    @property
    def name(self) -> str:
        """The bare name, for matching gradients to parameters: W for self.W, for self.params['W'] and for
        fc.W; a parameter object's own name (weight for self.weight.data)."""
        return str(self.key) if self.grad is None else self.label.rsplit(".", 1)[-1].rsplit("[", 1)[0]

    @property
    def prefix(self) -> str:
        """The path of the object holding it: "fc1." for fc1.W, "" for the checked object's own arrays."""
        label = self.label
        if self.grad is not None:  # a parameter object: its path is the parameter's name
            return label[: len(label) - len(self.name)]
        tail = str(self.key) if self.attr is None else f"{self.attr}[{self.key!r}]"
        return label[: -len(tail)] if label.endswith(tail) else ""

    @property
    def home(self) -> object:
        """The object whose array it is: where its gradient is looked for."""
        return self.owner if self.holder is None else self.holder

    def get(self):
        if isinstance(self.owner, (dict, list, tuple)):
            try:
                return self.owner[self.key]
            except (KeyError, IndexError):
                return None
        return getattr(self.owner, self.key, None)

    def put(self, array: np.ndarray, values: np.ndarray) -> None:
        """Put ``array`` back in this place (it may have been rebound: ``self.W = self.W - lr * dW``) holding
        ``values``."""
        array[...] = values
        if isinstance(self.owner, tuple) or self.get() is array:
            return
        if isinstance(self.owner, (dict, list)):
            self.owner[self.key] = array
        else:
            setattr(self.owner, self.key, array)


def is_float_array(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def is_parameter(value) -> bool:
    """A parameter object: its values in ``.data`` (a float array) and its gradient in ``.grad``."""
    return (not isinstance(value, np.ndarray) and hasattr(value, "grad")
            and is_float_array(getattr(value, "data", None)))


def carries_grad(value: np.ndarray) -> bool:
    """An array that keeps its own gradient: an ``np.ndarray`` subclass with a ``.grad`` of its own
    (``class Parameter(np.ndarray)`` imitating torch's): that ``.grad`` is its gradient."""
    return type(value) is not np.ndarray and "grad" in getattr(value, "__dict__", {})


def float_arrays(obj) -> list[Slot]:
    """Every float array reachable from ``obj`` (see the module's docstring), each once (the first place it is
    found, in the order of the attributes), parameter objects as the slot of their ``.data``; then those that only
    ``obj.parameters()`` lists (arrays, parameter objects, (param, grad) pairs)."""
    return _walk(obj)[0]


def sub_objects(obj) -> list[tuple[str, object]]:
    """(path, object) of every user object reachable from ``obj`` (fc1, layers[0]), outermost first."""
    return _walk(obj)[1]


def listed_parameters(obj) -> list:
    """The items of ``obj.parameters()`` (a method taking no argument); [] where it has none or it fails."""
    method = getattr(obj, "parameters", None)
    if not callable(method) or isinstance(obj, type):
        return []
    try:
        items = method()
        return list(items.values() if isinstance(items, dict) else items)
    except Exception:  # noqa: BLE001 - parameters(arg) or a property of another meaning: nothing listed
        return []


def is_pair(item) -> bool:
    """A (param, grad) pair as some parameters() return: two float arrays of one shape."""
    return (isinstance(item, (tuple, list)) and len(item) == 2 and all(is_float_array(a) for a in item)
            and item[0].shape == item[1].shape)


def _walk(obj) -> tuple[list[Slot], list[tuple[str, object]]]:
    slots, objects, seen, visited = [], [], set(), {id(obj)}

    def add(slot: Slot, value) -> None:
        if is_float_array(value) and id(value) not in seen:
            seen.add(id(value))
            slots.append(slot)

    def entry(owner, key, value, holder, attr, path: str, depth: int) -> None:
        """``value`` = owner[key] (or owner.key), reached by ``path``."""
        if isinstance(value, np.ndarray):
            own = Slot(value, "grad", None, None, f"{path}.grad") if carries_grad(value) else None
            add(Slot(owner, key, attr, holder if attr is not None else None, path, own), value)
        elif is_parameter(value):
            if id(value.data) not in seen:
                seen.add(id(value.data))
                slots.append(Slot(value, "data", None, None, path, Slot(value, "grad", None, None, f"{path}.grad")))
        elif depth < DEPTH and isinstance(value, (dict, list, tuple)) and id(value) not in visited:
            visited.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for n, (key, item) in enumerate(items):
                if n < ITEMS and isinstance(key, (str, int)):
                    entry(value, key, item, holder, attr, f"{path}[{key!r}]", depth + 1)
        elif depth < DEPTH and walkable(value) and id(value) not in visited:
            visited.add(id(value))
            objects.append((path, value))
            members(value, f"{path}.", depth + 1)

    def members(holder, prefix: str, depth: int) -> None:
        for name, value in _attributes(holder):
            entry(holder, name, value, holder, name if isinstance(value, (dict, list, tuple)) else None,
                  f"{prefix}{name}", depth)

    members(obj, "", 0)
    listed = listed_parameters(obj)
    for i, item in enumerate(listed):
        if is_pair(item):
            entry(item, 0, item[0], None, None, f"parameters()[{i}][0]", DEPTH)
        else:
            entry(listed, i, item, None, None, f"parameters()[{i}]", DEPTH)
    return slots, objects


def walkable(value) -> bool:
    """A user's object worth walking into (a sub-layer), not a library's, a class, a function or a module."""
    if isinstance(value, (type, types.ModuleType, types.FunctionType, types.MethodType, types.BuiltinFunctionType,
                          str, bytes, int, float, complex, np.generic)):
        return False
    if type(value).__module__.split(".")[0] in FOREIGN:
        return False
    return hasattr(value, "__dict__") or bool(getattr(type(value), "__slots__", ()))


def _attributes(obj) -> list[tuple[str, object]]:
    try:
        return list(vars(obj).items())
    except TypeError:  # __slots__
        names = [n for cls in type(obj).__mro__ for n in getattr(cls, "__slots__", ())]
        return [(n, getattr(obj, n)) for n in names if hasattr(obj, n)]


@dataclass
class Saved:
    """Arrays of a user's objects as they were: each slot's array object and a copy of its values."""

    items: list[tuple[Slot, np.ndarray, np.ndarray]]

    @classmethod
    def of(cls, slots: list[Slot]) -> Saved:
        return cls([(s, a, a.copy()) for s in slots if isinstance(a := s.get(), np.ndarray)])

    def changed(self) -> list[Slot]:
        """The slots whose array was rebound or whose values changed."""
        return [s for s, a, v in self.items if s.get() is not a or not np.array_equal(a, v, equal_nan=True)]

    def current(self, slot: Slot) -> np.ndarray | None:
        value = slot.get()
        return value if isinstance(value, np.ndarray) else None

    def original(self, slot: Slot) -> np.ndarray:
        """The values ``slot`` held when saved."""
        return next(v for s, _, v in self.items if s is slot)

    def restore(self) -> None:
        for s, a, v in self.items:
            s.put(a, v)
