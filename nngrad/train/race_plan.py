"""The race's plan (issue 28, item 3): its tasks, contestants, learning-rate grids, budgets and runs.

Decisions where the issue is silent (each said in the race's report too):
- Plain SGD, no momentum: the lesson and the issue's prototype are plain SGD, and momentum would help every
  contestant differently (it averages an estimator's noise over steps, a second estimator in itself).
- A task's data are fixed (the classic sample from ``default_rng(0)``, as the lesson draws it; digits split with
  seed 0); a run's seed draws its network's initial weights (the lesson's init for seed 0) and its mini-batch
  order (shared by every contestant of that seed: common random numbers), and, with its method, k and learning
  rate, its directions: see :func:`seed_sequence`.
- Learning-rate grids: GRID_SIZE values half a decade apart (1, 3, 10, 30, ...: about x3), centred on a task's
  backprop centre; an estimator's centre sits lower, at ``centre x estimator_scale x sqrt(k / N)`` snapped to
  the grid, since the rate that holds over a long run falls with N (DESIGN: 1e-3 at N = 2,410, 3e-4 at N = 19,210
  on digits) and rises with k (the estimate's variance falls as 1/k). The classic task's scale puts its
  estimators a notch below backprop: its curvature has effective rank about 2, so N does not matter there.
- Budget: the same in loss-evaluation equivalents for every contestant (classic: what forward differences spend
  on the lesson's 100 epochs, 100 (N + 1); digits and widths: DIGITS_BUDGET, about 2.3x the issue's slowest anchor,
  forward differences' 260,000 to T90), capped at the task's ``max_steps`` so that backprop's run stays short:
  digits 50,000 steps (about 1.6x what SPSA and the forward gradient at k = 1 need to hold T90: 31,600), widths
  100,000 (2x their 50,100 at N = 19,210), classic 3,000 (its targets fall within 10 steps).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidValue, UsageError

EXACT = ("backprop", "numerical-batched", "numerical-loop", "central-batched", "complex-step", "forward-mode")
ESTIMATORS = ("spsa", "forward-gradient")
REFERENCE = "backprop"
GRID_SIZE = 5  # learning rates per contestant (the same for every one)
QUICK_GRID_SIZE = 3
DIGITS_BUDGET = 600_000.0  # loss-evaluation equivalents per run on digits (about 2.3x forward differences' anchor)
PER_DECADE = 20  # checkpoints per decade of steps


@dataclass(frozen=True)
class Task:
    """What a race trains: ``name``, the default widths raced, the default budget (None: 100 (N + 1), the
    lesson's forward differences), the step cap, backprop's grid centre and the estimators' scale (module doc)."""

    name: str
    widths: tuple[int, ...]
    budget: float | None
    max_steps: int
    lr_centre: float
    estimator_scale: float
    methods: tuple[tuple[str, int], ...]


DEFAULT = (("backprop", 0), ("numerical-batched", 0), ("spsa", 1), ("spsa", 16), ("forward-gradient", 1))
TASKS = {
    "classic": Task("classic", (32,), None, 3_000, 3.0, 22.0, DEFAULT),
    "digits": Task("digits", (32,), DIGITS_BUDGET, 50_000, 0.1, 1.0, DEFAULT),
    # forward differences left out by default: at N = 19,210 a step costs 19,211 evaluations, and their step
    # penalty is 1 by construction
    "widths": Task("widths", (32, 256), DIGITS_BUDGET, 100_000, 0.1, 1.0,
                   tuple(m for m in DEFAULT if m[0] != "numerical-batched")),
}


@dataclass(frozen=True, order=True)
class Contestant:
    """A method and its number of directions k (0 for an exact method)."""

    method: str
    k: int

    @property
    def label(self) -> str:
        return self.method if not self.k else f"{self.method} k={self.k}"

    @property
    def key(self) -> str:
        """"method@k", race.json's key."""
        return f"{self.method}@{self.k}"

    def options(self) -> dict:
        return {"k": self.k} if self.k else {}


def contestants(methods: tuple[str, ...] | None, ks: tuple[int, ...] | None, task: Task,
                quick: bool = False) -> list[Contestant]:
    """The contestants: ``methods`` (default the task's), each estimator at every k of ``ks`` (default: the
    task's pairs; --quick: k = 1 only); the reference always first. Unknown methods and k < 1 are refused."""
    from ..methods import registered

    for k in ks or ():
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidValue(f"--k must be positive integers (directions per step), got {k!r}")
    for m in methods or ():
        if m not in EXACT + ESTIMATORS or m not in registered():
            raise InvalidValue(f"--methods: {m!r} cannot race; valid: {', '.join(EXACT + ESTIMATORS)}")
    names = list(dict.fromkeys(methods or [m for m, _ in task.methods]))
    out = [Contestant(m, 0) for m in names if m in EXACT]
    if ks or quick:
        out += [Contestant(m, k) for m in names if m in ESTIMATORS for k in (ks or (1,))]
    else:  # the task's own pairs (spsa k=1 and 16, forward-gradient k=1); a named estimator not among them: k=1
        pairs = [Contestant(m, k) for m, k in task.methods if m in names and m in ESTIMATORS]
        out += pairs + [Contestant(m, 1) for m in names if m in ESTIMATORS and all(c.method != m for c in pairs)]
    if REFERENCE not in names:
        out.insert(0, Contestant(REFERENCE, 0))
    return sorted(dict.fromkeys(out), key=lambda c: (c.method != REFERENCE, c.method not in EXACT, c.method, c.k))


def check_reference(reference: str) -> str:
    """The reference must be an exact method: its targets are the contestants' goal."""
    if reference != REFERENCE:
        if reference in ESTIMATORS:
            raise UsageError(f"--reference {reference}: an estimator cannot set the targets; give an exact method "
                             f"({REFERENCE})")
        raise UsageError(f"--reference {reference!r}: the reference is {REFERENCE} (the tuned exact gradient)")
    return reference


def targets_from_percents(percents: tuple[float, ...]) -> dict[str, float]:
    """{"T90": 0.9, ...}: each percent of backprop's loss reduction in (0, 100)."""
    out = {}
    for p in percents:
        if not (isinstance(p, int | float) and math.isfinite(p) and 0 < p < 100):
            raise InvalidValue(f"--targets: each percent must be strictly between 0 and 100, got {p!r}")
        out[f"T{p:g}"] = p / 100
    if not out:
        raise InvalidValue("--targets: give at least one percent, e.g. 90,99")
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


def half_decade(e: int) -> float:
    """10^(e/2) on the 1-3-10 grid: e = 0 -> 1, 1 -> 3, -1 -> 0.3, -2 -> 0.1."""
    mantissa = 1.0 if e % 2 == 0 else 3.0
    return float(f"{mantissa * 10 ** (e // 2):.1g}")


def snap(lr: float) -> int:
    """The half-decade index nearest lr (in log)."""
    return int(round(2 * math.log10(lr)))


def lr_grid(task: Task, contestant: Contestant, n: int, size: int = GRID_SIZE) -> list[float]:
    """``size`` learning rates half a decade apart around the contestant's centre (module doc), low to high."""
    centre = task.lr_centre
    if contestant.k:
        centre *= task.estimator_scale * math.sqrt(contestant.k / n)
    e = min(snap(centre), snap(task.lr_centre))  # an estimator's grid never sits above backprop's
    return [half_decade(e + j - size // 2) for j in range(size)]


def budget_steps(budget: float, per_step: float, max_steps: int) -> int:
    """Steps a contestant takes: its share of the budget (equivalents / equivalents per step), capped."""
    return int(max(1, min(max_steps, math.floor(budget / per_step))))


def checkpoints(steps: int, per_decade: int = PER_DECADE) -> np.ndarray:
    """Steps at which the run is recorded: 0, then geometric (``per_decade`` a decade), and the last step."""
    if steps < 1:
        return np.array([0])
    grid = np.unique(np.round(10 ** (np.arange(0, per_decade * math.log10(steps) + 1) / per_decade)).astype(int))
    return np.unique(np.concatenate([[0], grid[grid <= steps], [steps]]))


@dataclass(frozen=True)
class RunSpec:
    """One run: a contestant at a learning rate and a seed, for ``steps`` steps, in a phase (tune | final)."""

    task: str
    width: int
    method: str
    k: int
    lr: float
    seed: int
    steps: int
    phase: str = "tune"

    @property
    def contestant(self) -> Contestant:
        return Contestant(self.method, self.k)

    @property
    def key(self) -> str:
        """The run's file name (no phase: a run is the same whichever phase asked for it)."""
        return f"{self.task}-w{self.width}-{self.method}-k{self.k}-lr{self.lr:g}-s{self.seed}-n{self.steps}"


def seed_sequence(seed: int, *stream: object) -> np.random.SeedSequence:
    """A SeedSequence from the run's seed and a stream's identity (strings hashed by CRC-32, floats by their repr):
    the same (seed, stream) gives the same numbers in any process, whatever ran before."""
    words = [int(seed)] + [zlib.crc32(repr(s).encode()) if not isinstance(s, int) else int(s) for s in stream]
    return np.random.SeedSequence(words)
