"""Where a method's code runs, as kinds: numpy's interpreter (one Python-level numpy call per operation) or compiled
code (numba: the whole gradient as one call). A method is compared only with methods of its own runtime: its cost in
loss evaluations is its time over its runtime's forward pass (``unit``), and "cheaper than backprop" means cheaper
than its runtime's backprop (``backprop``); the cost model prices it with the constants measured in that runtime."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidValue


@dataclass(frozen=True)
class Runtime:
    """A kind of runtime: its ``name``, the method that is one loss evaluation there (``unit``), the backprop there
    (``backprop``), and how figures and reports name it (``label``)."""

    name: str
    unit: str
    backprop: str
    label: str


RUNTIMES: dict[str, Runtime] = {r.name: r for r in (
    Runtime("numpy", "forward", "backprop", "numpy (interpreted: one numpy call per operation)"),
    Runtime("numba", "forward-numba", "backprop-numba", "compiled (numba: one call per gradient)"),
)}
DEFAULT = "numpy"


def get(name: str) -> Runtime:
    """The runtime called ``name``; ValueError listing the valid names otherwise."""
    try:
        return RUNTIMES[name]
    except (KeyError, TypeError):
        raise InvalidValue(f"runtime must be one of {', '.join(RUNTIMES)}; got {name!r}") from None
