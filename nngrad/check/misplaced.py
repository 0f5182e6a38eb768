"""A gradient read from the wrong place: where a failing array's claimed gradient disagrees, but another float
array of the user's objects (after one more backward at the checked point) agrees with the numerical gradient at
every element, the right values exist and the code hands out another array: (param, grad) pairs or a list of
gradients built once while backward binds a new array to ``self.dW``, a parameter object's ``.grad`` left unset
while backward writes ``self.dW``, a network's ``grads`` dict holding its layers' old arrays."""

from __future__ import annotations

import numpy as np

from .compare import agree
from .evidence import Evidence, Failure
from .findings import Finding
from .slots import float_arrays


def diagnose(e: Evidence, f: Failure) -> Finding | None:
    """A "misplaced" finding for failing array ``f``, or None (one more backward at the checked point). The claim
    must be stale, not computed from the right values: all zero, or held in an array of the object and not a
    constant times the numerical gradient."""
    from .diagnostics import factor

    n = f.numerical
    if not e.subject.owners or np.abs(n).max(initial=0.0) <= e.own(f):
        return None  # a numerical gradient of zeros matches any zero buffer
    e.subject.claim()
    taken = [op.values for op in e.subject.operands]
    slots = [slot for owner in e.subject.owners for slot in float_arrays(owner)]
    source = getattr(e.subject, "read_from", {}).get(f.row.name) or _holding(slots, f.claimed, taken)
    if f.claimed.any() and (source is None or factor(f.claimed, n, e.rtol, e.own(f)) is not None):
        return None  # a claim computed from the right values (dW / N returned): not a stale place; "scaled" says it
    for slot in slots:
        values = slot.get()
        if (values.size != n.size or slot.label == source or any(values is t for t in taken)
                or np.array_equal(values.reshape(-1), f.claimed)):
            continue
        if np.all(agree(values.reshape(-1).astype(float), n, e.rtol, e.own(f))):
            return Finding("misplaced", _words(f.row.name, _self(slot.label), source, _kept(e.subject, slot, slots)))
    return _part(e, f, slots, taken, source)


def _part(e: Evidence, f: Failure, slots, taken, source: str | None) -> Finding | None:
    """A "misplaced" finding where ``f`` is wrong on one block only (a flat buffer's stretch) and a smaller array
    of the code agrees with the numerical gradient on a window holding that block: a view of the buffer rebound
    to a new array (self.dW = ... where self.dW[...] = ... was meant)."""
    from .unused_part import block

    n = f.numerical
    span = block(~agree(f.claimed, n, e.rtol, e.own(f)))
    if span is None:
        return None
    lo, hi = span
    for slot in slots:
        values = slot.get().reshape(-1).astype(float)
        size = values.size
        if size < hi - lo or size >= n.size or any(slot.get() is t for t in taken):
            continue
        for start in range(max(0, hi - size), min(lo, n.size - size) + 1):
            window = n[start:start + size]
            if np.abs(window).max(initial=0.0) > e.own(f) and np.all(agree(values, window, e.rtol, e.own(f))):
                return Finding("misplaced", _part_words(f, _self(slot.label), source, start, size,
                                                        _was_view(e.subject, slot, slots, n.size)))
    return None


def _was_view(subject, slot, slots, size: int) -> bool:
    """Did ``slot`` hold, before the check, a view of a buffer of ``size`` elements (the failing array's) that it
    no longer holds (rebound)?"""
    found = getattr(subject, "found", None)
    old = next((a for s, a, _ in getattr(found, "items", ()) if s.label == slot.label), None)
    return old is not None and old is not slot.get() and any(
        s.get().size == size and np.shares_memory(old, s.get()) for s in slots)


def _part_words(f: Failure, right: str, source: str | None, start: int, size: int, view: bool) -> str:
    part = f"{f.row.name}[{start}:{start + size}]" if len(f.row.shape) == 1 else (
        f"{f.row.name}'s elements {start} to {start + size - 1} (in flat order)")
    read = f", read from {_self(source)}," if source else ""
    head = (f"{part}: the right values are in {right} (they agree with the numerical gradient there), but "
            f"{f.row.name}{read} does not hold them")
    if view:
        return (f"{head}: backward binds a new array to {right} ({right} = ...) where it held a view of the buffer; "
                f"write into the view ({right}[...] = ...)")
    return f"{head}: store them in the buffer the code hands out, or make {right} a view of it"


def _holding(slots, claimed: np.ndarray, taken) -> str | None:
    """The label of the one array of the user's objects that holds exactly the claimed values (where the code's
    gradient was read, for styles that do not say), or None."""
    held = [s.label for s in slots if s.get().size == claimed.size and not any(s.get() is t for t in taken)
            and np.array_equal(s.get().reshape(-1), claimed)]
    return held[0] if len(held) == 1 else None


def _kept(subject, slot, slots) -> str | None:
    """Where the array ``slot`` held before the check (as the user's object was found) is still held, now that
    backward has bound a new one to ``slot`` (a reference kept in a list, a pair, a dict): its label, or None."""
    found = getattr(subject, "found", None)
    old = next((a for s, a, _ in getattr(found, "items", ()) if s.label == slot.label), None)
    if old is None or old is slot.get():
        return None
    return next((_self(s.label) for s in slots if s.get() is old), None)


def _self(label: str) -> str:
    """A label as the code writes it: self.dW for an attribute's path, parameters()[0][1] as it is."""
    return label if "(" in label or " " in label or not label[:1].isidentifier() else f"self.{label}"


def _words(name: str, right: str, source: str | None, kept: str | None) -> str:
    read = f"{name} was read from {_self(source)}" if source else f"{name} was read where the code gives it"
    head = (f"{name}: the right values are in {right} (they agree with the numerical gradient at every element), "
            f"but {read}, which does not hold them")
    if kept:
        return (f"{head}: backward binds a new array to {right} ({right} = ...), while {kept} still holds the array "
                f"{right} held before (a reference kept in a list, a pair or a dict made once): write into the "
                f"array ({right}[...] = ...), or hand out the new one at each call")
    return (f"{head}: store the gradient where the code (and an optimizer) reads it, or read it from {right} (a dict, "
            "list or pair made once keeps the arrays it was made with: make it at each call, or write into its arrays "
            "with [...] = ...)")
