"""Where a backward wants its cache: after the douts, ``backward(dout, cache)`` (the default), or before them,
``backward(tape, dout)``, read from the backward's parameter names."""

from __future__ import annotations

import inspect
import re
from typing import Callable

_DOUT = re.compile(r"^(d[a-z0-9_]*|grads?(_\w*)?|g|g_?out|upstream\w*|delta\w*|err(or)?\w*|adjoint\w*)$", re.I)
_CACHE = re.compile(r"^(cache\w*|tape\w*|ctx|context|saved\w*|stash\w*|memo\w*|record\w*|state\w*|"
                    r"closures?|history|cached\w*|backprops?|steps?)$", re.I)


def _positional(backward: Callable) -> list[str]:
    try:
        parameters = inspect.signature(backward).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def cache_first(backward: Callable, douts: int) -> bool:
    """True when ``backward``'s first parameter names a cache and its next ``douts`` name gradients, as in
    ``grad(tape, dout)``; False (the usual ``backward(dout, cache)``) otherwise or when the names do not say."""
    names = _positional(backward)
    if len(names) < douts + 1:
        return False
    first, rest = names[0], names[1:douts + 1]
    if _CACHE.match(first) and not _DOUT.match(first):
        return all(not _CACHE.match(n) for n in rest)
    return not any(_DOUT.match(n) for n in names[:douts]) and all(_DOUT.match(n) and not _CACHE.match(n)
                                                                   for n in rest)


def arranged(backward: Callable, douts: list, cache) -> tuple:
    """The positional arguments for ``backward``: (cache, *douts) or (*douts, cache)."""
    return (cache, *douts) if cache_first(backward, len(douts)) else (*douts, cache)


def signature(backward_name: str, douts: str, first: bool) -> str:
    """How the call is written in a report: ``grad(tape, dout)`` or ``backward(dout, cache)``."""
    return f"{backward_name}(cache, {douts})" if first else f"{backward_name}({douts}, cache)"
