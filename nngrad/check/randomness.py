"""Random forwards (dropout) made repeatable: numpy's global generator, Python's ``random`` and every generator
the user's objects hold are put back in their starting state before each call, so each evaluation draws the same
mask; and all of them are left as they were found when the check ends. The global generators start from the
check's own seed, not from whatever state the program left them in: the mask, part of the function checked, and
so the verdict, do not depend on what was drawn before the check."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

_ACTIVE: ContextVar[tuple[Reseeder, ...]] = ContextVar("reseeders", default=())


def rewind() -> None:
    """Before a call of users' forward: the innermost running check's generators rewound (where it rewinds);
    nothing outside a check."""
    if active := _ACTIVE.get():
        active[-1].before()


class Reseeder:
    """``before()`` rewinds every generator in reach (when ``active``); ``close()`` leaves them as found."""

    def __init__(self, owners: list[object], seed: int = 0) -> None:
        self.active = False
        self._numpy, self._python = np.random.get_state(), random.getstate()
        self._start = np.random.RandomState(seed).get_state(), random.Random(seed).getstate()
        self._held = [(g, _state(g)) for g in _generators(owners)]

    def before(self) -> None:
        if self.active:
            self._rewind(*self._start)

    def close(self) -> None:
        self._rewind(self._numpy, self._python)

    @contextmanager
    def bound(self) -> Iterator[Reseeder]:
        """While inside: ``rewind()`` (which every Subject's ``before`` calls) rewinds this reseeder's generators;
        on leaving, they are left as found."""
        token = _ACTIVE.set((*_ACTIVE.get(), self))
        try:
            yield self
        finally:
            _ACTIVE.reset(token)
            self.close()

    def _rewind(self, numpy_state, python_state) -> None:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
        for g, state in self._held:
            _set_state(g, state)

    @property
    def holds(self) -> int:
        """How many generators of the user's objects it rewinds."""
        return len(self._held)


def _generators(owners: list[object]) -> list:
    """The numpy Generators and RandomStates among the attributes of ``owners``, each once."""
    found, seen = [], set()
    for obj in owners:
        try:
            values = list(vars(obj).values())
        except TypeError:
            continue
        for v in values:
            if isinstance(v, (np.random.Generator, np.random.RandomState, random.Random)) and id(v) not in seen:
                seen.add(id(v))
                found.append(v)
    return found


def _state(g):
    if isinstance(g, np.random.Generator):
        return g.bit_generator.state
    return g.get_state() if isinstance(g, np.random.RandomState) else g.getstate()


def _set_state(g, state) -> None:
    if isinstance(g, np.random.Generator):
        g.bit_generator.state = state
    elif isinstance(g, np.random.RandomState):
        g.set_state(state)
    else:
        g.setstate(state)
