"""The engine of the checks of users' code: arrays that a scalar function reads, each with its claimed gradient,
against central differences (every element, or random directions in fast mode)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..methods.checks import KAPPA
from ..methods.finite_differences import finite_difference
from ..methods.schemes import SCHEMES
from .compare import ArrayCheck, compare
from .probe import bracketed, directional, one_sided
from .report import GradientReport

MODES = ("auto", "full", "fast")
FULL_UP_TO = 10_000  # "auto" checks every element up to this many in all, random directions beyond
DIRECTIONS = 8  # random directions per array in fast mode


@dataclass
class Target:
    """An array that f reads (``values``: a writable flat view, perturbed in place and restored) and the gradient
    claimed for it (``analytic``, flat)."""

    name: str
    shape: tuple[int, ...]
    values: np.ndarray
    analytic: np.ndarray


def resolve_mode(mode: str, targets: list[Target]) -> str:
    """"full" or "fast": "auto" is full up to FULL_UP_TO elements in all."""
    if mode == "auto":
        return "full" if sum(t.values.size for t in targets) <= FULL_UP_TO else "fast"
    return mode


def check_targets(f: Callable[[], float], targets: list[Target], scale: float, mode: str, eps: float | None,
                  rtol: float, atol: float | None, dtype: np.dtype, seed: int = 0
                  ) -> tuple[list[ArrayCheck], list[np.ndarray], int, list[str]]:
    """(rows, the numerical values of each, f evaluations, names of rows where a kink was crossed). ``scale``: the
    magnitude of f's terms, for the round-off of its differences (KAPPA x Scheme.error is each element's
    allowance unless ``atol``). In fast mode a row holds the projections on its random directions."""
    central = SCHEMES["central"]
    eps = central.default_eps(dtype) if eps is None else eps
    error = KAPPA * central.error(eps, scale, dtype)
    floor = error if atol is None else atol
    rng, rows, values, evaluations, kinks = np.random.default_rng(seed), [], [], 0, []
    for t in targets:
        if mode == "fast":
            v = rng.standard_normal((DIRECTIONS, t.values.size))
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            numerical, count = directional(f, t.values, v, eps)
            rows.append(compare(t.name, (DIRECTIONS,), v @ t.analytic, numerical,
                                f"{DIRECTIONS} random directions", rtol, floor, error))
            values.append(numerical)
        else:
            numerical, _, count = finite_difference(lambda _: f(), t.values, "central", eps)
            row = compare(t.name, t.shape, t.analytic, numerical, "central differences", rtol, floor, error)
            if row.verdict == "FAIL" and len(row.failing) <= 1000:
                left, right, more = one_sided(f, t.values, row.failing, eps)
                count += more
                if bracketed(t.analytic[row.failing], left, right, floor).all():
                    row.verdict = "kink"
                    kinks.append(t.name)
            rows.append(row)
            values.append(numerical.reshape(-1))
        evaluations += count
    return rows, values, evaluations, kinks


def targets_report(subject: str, rows: list[ArrayCheck], targets: list[Target], findings: list, mode: str,
                   evaluations: int, eps: float | None, rtol: float, atol: float | None,
                   values=()) -> GradientReport:
    """The report of a check of users' code (a layer, a function) against central differences."""
    analytic = np.concatenate([t.analytic for t in targets]) if targets else np.zeros(0)
    numerical = np.concatenate(list(values)) if len(values) else np.zeros(0)
    return GradientReport(subject, rows, findings, mode, "central", eps or float("nan"),
                          {"central differences": rtol}, evaluations, sum(t.values.size for t in targets),
                          analytic, numerical, atol)
