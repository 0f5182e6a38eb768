"""Where a user's arrays live: an attribute of their object, an entry of a dict attribute or an item of a list
attribute (``self.W``, ``self.params["W"]``, ``self.params[0]``); found, read, and put back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)  # compared by identity: owners hold arrays
class Slot:
    """One place that holds an array: ``owner`` (the object, a dict or a list) at ``key``; ``attr``: the attribute
    holding the dict or list (None: an attribute of the object itself)."""

    owner: object
    key: str | int
    attr: str | None = None

    @property
    def label(self) -> str:
        """How the user's code names it: W, params['W'], params[0]."""
        if self.attr is None:
            return str(self.key)
        return f"{self.attr}[{self.key!r}]"

    @property
    def name(self) -> str:
        """The bare name, for matching gradients to parameters: W for self.W and for self.params['W']."""
        return str(self.key)

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


def float_arrays(obj) -> list[Slot]:
    """Every float array of ``obj``: its attributes, the entries of its dict attributes and the items of its list or
    tuple attributes (one level down), each array once (the first place it is found)."""
    slots, seen = [], set()

    def add(slot: Slot, value) -> None:
        if is_float_array(value) and id(value) not in seen:
            seen.add(id(value))
            slots.append(slot)

    for name, value in _attributes(obj):
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, (str, int)):
                    add(Slot(value, key, name), item)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                add(Slot(value, i, name), item)
        else:
            add(Slot(obj, name), value)
    return slots


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
