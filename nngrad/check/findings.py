"""What a check found beside the numbers: each a distinct finding with a one-line explanation.

A kind of finding is one unit, a ``Kind``: its name, whether it makes the check fail, what it means, and (for a
diagnosis) its detector, registered once. The kinds the styles' own code reports (dout changed in place, a
parameter updated...) are listed here in STYLE_KINDS; the kinds with a detector, which the judge runs on every
check, live beside their detectors in ``nngrad.check.diagnostics.DIAGNOSES``. ``KINDS`` reads both: kind -> fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Kind:
    """A kind of finding: ``fails`` True (a bug: the check fails), None (not everything verified: inconclusive) or
    False (how the check was done: informative). ``detect``: for a diagnosis, its detector (one signature:
    Evidence -> list[Finding], see nngrad.check.diagnostics); ``when``: "always" (every check) or "failing" (only
    where an array failed, element by element); ``probe``: the detector in words, for the line saying it could
    not run."""

    name: str
    fails: bool | None
    about: str
    detect: Callable | None = None
    when: str = "failing"
    probe: str = ""


STYLE_KINDS: tuple[Kind, ...] = (
    Kind("dout-modified", True, "backward changed the dout it was given"),
    Kind("params-changed", True, "forward or backward changed the parameters, and no learning rate says how"),
    Kind("not-repeatable", True, "backward twice on the same input gave different gradients"),
    Kind("input-modified", True, "forward or backward changed its input in place"),
    Kind("shape", True, "a gradient of the wrong shape (or none where one was returned for an input)"),
    Kind("dtype", True, "a gradient of the wrong dtype: float32 for float64 arrays, or integers"),
    Kind("cache-changed", True, "an array cached by forward changed before backward read it"),
    Kind("op", True, "a scalar engine's operator has a wrong local derivative"),
    Kind("overwritten", True, "a scalar engine overwrites .grad instead of adding to it"),
    Kind("unchecked", None, "an array that could not be checked (no gradient found, a forward that cannot be "
         "repeated)"),
    Kind("random-forward", False, "forward draws random numbers: checked with the generators re-seeded each call"),
    Kind("sgd-step", False, "backward updated the parameters itself: their gradients were read from the step"),
    Kind("reset", False, "the code's own reset (zero_grad()) was called before each backward"),
    Kind("zero-by-design", False, "an array the output does not depend on at all: its claimed gradient checked "
         "against zero"),
    Kind("probe-skipped", False, "a diagnosis could not run on this code: it was skipped (the verdict stands)"),
)


@cache
def registered() -> tuple[Kind, ...]:
    """Every kind: the styles' own, then the diagnoses' (in the order the judge runs them)."""
    from .diagnostics import DIAGNOSES  # the detectors need Finding: imported when first asked

    return STYLE_KINDS + DIAGNOSES


@cache
def _table() -> dict[str, bool | None]:
    return {k.name: k.fails for k in registered()}


class _Kinds(Mapping):
    """kind name -> fails, over every registered kind (read when first used)."""

    def _all(self) -> dict[str, bool | None]:
        return _table()

    def __getitem__(self, name: str) -> bool | None:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


KINDS: Mapping[str, bool | None] = _Kinds()


@dataclass(frozen=True)
class Finding:
    """One thing a check found: its kind (see KINDS) and a one-line explanation."""

    kind: str
    message: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise KeyError(f"unknown finding kind {self.kind!r}")

    @property
    def fails(self) -> bool | None:
        return KINDS[self.kind]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
