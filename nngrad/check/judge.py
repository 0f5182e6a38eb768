"""judge: users' code of any style (a Subject) checked the same way.

1. The forward must be repeatable: if two calls at the same input differ, every random generator in reach is
   rewound before each call (dropout); if it still differs, nothing can be checked (INCONCLUSIVE, saying why).
2. The user's backward runs twice: what it changed in place (dout, inputs, parameters) and whether the second
   call agrees are findings.
3. Every operand is checked or named: a gradient of the wrong shape is a FAIL naming both shapes and the likely
   cause; a missing one is "unchecked" (INCONCLUSIVE); the others go to the finite differences.
4. What failed is diagnosed: one factor element by element, a transpose, wrong only where a condition holds,
   right only for batch 1, a known mistake of a recognised layer, dx taken with already-updated weights, an
   output that does not depend on its input.
5. Where everything agreed, a second random point (another dout) is checked along random directions.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from ..methods.schemes import COMPLEX_STEP
from ..tolerances import EXACT_FLOOR, SAME, tolerance
from .arrays import Checked, Outcome, check_arrays, floors, refinement_findings, resolve_mode
from .compare import FAILED, ArrayCheck, compare, same
from . import diagnostics
from .diagnostics import shape_cause
from .evidence import Evidence, Failure
from .experiments import constant_output
from .findings import Finding
from .probe import invariant
from .randomness import Reseeder
from .report import GradientReport
from .subject import Claim, Subject


def judge(subject: Subject, mode: str = "auto", eps: float | None = None, rtol: float | None = None,
          atol: float | None = None, seed: int = 0, diagnose: bool = True, progress: bool = False) -> GradientReport:
    """Check ``subject`` (see the module's docstring); the user's arrays and generators are left as found.
    progress: a bar over the element-wise differences (on a terminal)."""
    runs = Evaluations(subject)
    with Reseeder(subject.owners, seed).bound() as reseeder:
        try:
            return _judge(subject, runs, reseeder, mode, eps, rtol, atol, seed, diagnose, progress)
        finally:
            subject.restore()


class Evaluations:
    """The judge's calls of a subject's scalar, counted (the subject itself is left as it is)."""

    def __init__(self, subject: Subject) -> None:
        self.subject, self.count = subject, 0

    def evaluate(self) -> float:
        self.count += 1
        return self.subject.evaluate()

    def evaluate_with(self, name: str, values: np.ndarray) -> complex | None:
        self.count += 1
        return self.subject.evaluate_with(name, values)


def _judge(subject: Subject, runs: Evaluations, reseeder: Reseeder, mode: str, eps, rtol, atol, seed: int,
           diagnose: bool, progress: bool) -> GradientReport:
    found: list[Finding] = []
    if not _repeatable(runs):
        reseeder.active = True
        if not _repeatable(runs):
            subject.settle()  # the parameters too are named, unchecked
            return _cannot_repeat(subject, reseeder.holds, runs.count)
        found.append(Finding("random-forward", "forward is random (two calls at the same input differ): "
                             f"checked with numpy's global generator{', the layer generators' if reseeder.holds else ''}"
                             " and Python's random rewound before every call, so every evaluation draws the same "
                             "mask; the generators are left as they were"))
    found += subject.settle()
    first = subject.claim()
    found += first.findings + _repeat(first, subject.claim(), subject)
    rows, targets, shape_found = _prepare(subject, first)
    found += shape_found
    dtype = _dtype(subject)
    rtol = tolerance("central differences", dtype) if rtol is None else rtol
    scale = subject.scale()
    resolved = resolve_mode(mode, targets)
    outcome = check_arrays(runs.evaluate, targets, scale, resolved, eps, rtol, atol, dtype, seed, progress)
    rows.update({r.name: _resolve(subject, runs, r, t, dtype, seed, found) if r.verdict == "unresolvable" else r
                 for r, t in zip(outcome.rows, targets)})
    if resolved == "fast":  # each row in its array's own shape; its numbers are along random directions
        rows.update({t.name: _directional(rows[t.name], t) for t in targets})
    ordered = [rows[op.name] for op in subject.operands if op.name in rows]
    eps, _, floor = floors(scale, eps, atol, dtype)
    evidence = Evidence(subject, runs.evaluate, first, targets, outcome, ordered, resolved, rtol, floor, eps, seed,
                        dtype, reseeder.active, lambda one: judge(one, "full", eps, rtol, None, seed, diagnose=False))
    evidence.found = found
    evidence.failing = _failures(subject, targets, outcome, resolved)
    run_diagnoses(evidence, ("always", "failing") if diagnose else ("always",))
    found += refinement_findings(outcome)
    second, more = [], 0
    if diagnose and not any(r.verdict in FAILED for r in ordered) and not any(f.fails for f in found):
        second, more = _guarded("the check at a second point", lambda: _second_point(
            subject, resolved, seed, eps, rtol, atol), found, ([], 0))
    rtols = {"central differences": rtol}
    if any(r.reference == "complex step" for r in ordered):
        rtols["complex step"] = tolerance("complex step", dtype)
    return GradientReport(subject.title, ordered, found, "element-wise" if resolved == "full" else
                          "random directions", "central", eps, rtols, runs.count + more,
                          sum(op.values.size for op in subject.operands),
                          _flat([t.analytic for t in targets]), _flat(outcome.values), atol,
                          how=first.how, second=second)


def _directional(row: ArrayCheck, target: Checked) -> ArrayCheck:
    """A fast-mode row shown in its array's own shape; its numbers are along random directions (its reference
    says how many), its worst "index" is the worst direction's number."""
    return replace(row, shape=target.shape)


def _guarded(probe: str, run, found: list[Finding], otherwise):
    """``run()``, or ``otherwise`` with a line in ``found`` saying that ``probe`` could not run on this code."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run()
    except Exception as error:  # noqa: BLE001 - a diagnosis may fail, the check may not
        found.append(Finding("probe-skipped", f"{probe} could not run on this code ({type(error).__name__}: "
                             f"{_short(error)}): skipped; the verdict comes from the arrays alone"))
        return otherwise


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 160 else text[:157] + "..."


def run_diagnoses(e: Evidence, when: tuple[str, ...]) -> None:
    """Every registered diagnosis (nngrad.check.diagnostics.DIAGNOSES) of the kinds ``when``, in order, each in
    its own guard; what they find is added to ``e.found``. The "failing" ones run where an array failed (element
    by element, or at tied elements)."""
    something = bool(e.failing or e.outcome.ties)
    for kind in diagnostics.DIAGNOSES:
        if kind.when in when and (kind.when == "always" or something):
            e.found += _guarded(kind.probe or f"the {kind.name} diagnosis", lambda k=kind: k.detect(e), e.found, [])


def _failures(subject: Subject, targets: list[Checked], outcome: Outcome, mode: str) -> list[Failure]:
    """The arrays that failed element by element (not only at ties), with their operands."""
    if mode != "full":
        return []
    tied = {name for name, *_ in outcome.ties}
    ops = {op.name: op for op in subject.operands}
    return [Failure(t, r, n, ops[t.name]) for t, r, n in zip(targets, outcome.rows, outcome.values)
            if r.verdict == "FAIL" and r.name not in tied]


def _resolve(subject: Subject, runs: Evaluations, row: ArrayCheck, target: Checked, dtype, seed: int,
             found: list[Finding]) -> ArrayCheck:
    """An array too small for central differences: the complex step's second opinion, else, where the output does
    not depend on the array at all, its claim against the true gradient zero."""
    row = _second_opinion(subject, runs, row, target, dtype)
    return _zero_by_design(subject, runs, row, target, dtype, seed, found) if row.verdict == "unresolvable" else row


def _zero_by_design(subject: Subject, runs: Evaluations, row: ArrayCheck, target: Checked, dtype, seed: int,
                    found: list[Finding]) -> ArrayCheck:
    """Where the output stays put to rounding even when every element moves by about 1 (a bias before batch
    normalisation, an array that is not used), the true gradient is zero: the claim must be zero within the rounding
    of the backward's own arithmetic (EXACT_FLOOR x machine epsilon x the numbers it multiplies). "ok" or "FAIL",
    said in a finding; the row stays "unresolvable" where the output does move."""
    values = next(op.values for op in subject.operands if op.name == target.name)
    if not invariant(runs.evaluate, values, seed, subject.scale()):
        return row
    floor = EXACT_FLOOR * float(np.finfo(dtype).eps) * subject.term_scale()
    judged = compare(row.name, row.shape, target.analytic, np.zeros(target.analytic.size), "zero (invariant)", 0.0,
                     floor)
    if judged.verdict == "FAIL":
        return replace(row, verdict="FAIL", failing=judged.failing)  # said by the 'ignored' diagnosis
    found.append(Finding("zero-by-design", f"{row.name}: the true gradient is zero: the output stays put when every "
                         "element moves by about 1 (by design where a normalisation after it removes a constant "
                         "shift, a bias before batch normalisation, or where the array is not used); yours is zero "
                         "to rounding: checked against zero"))
    return replace(judged, verdict="ok" if judged.verdict in ("ok", "zero") else judged.verdict)


def _second_opinion(subject: Subject, runs: Evaluations, row: ArrayCheck, target: Checked, dtype) -> ArrayCheck:
    """An input's gradient too small for central differences, checked by the complex step instead, where the code
    takes complex numbers: exact to rounding at any scale (a saturated sigmoid's 1e-17). It can only confirm: the
    row becomes "ok" if the claim agrees with it to the complex step's tolerance, within the rounding of the backward's own
    arithmetic (EXACT_FLOOR x machine epsilon x the numbers it multiplies: dout), and stays "unresolvable"
    otherwise (code that is not analytic, abs or a comparison, can give the complex step a wrong answer without
    saying so)."""
    values = next(op.values for op in subject.operands if op.name == target.name)
    derivatives = np.empty(values.size)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            base = runs.evaluate_with(target.name, values.astype(complex))
            if base is None or not np.isclose(base.real, runs.evaluate(), **SAME):
                return row
            for i in range(values.size):
                z = values.astype(complex)
                z.flat[i] += 1j * COMPLEX_STEP
                derivatives[i] = runs.evaluate_with(target.name, z).imag / COMPLEX_STEP
    except Exception:  # noqa: BLE001 - code that cannot take complex numbers: the row stays unresolvable
        return row
    exact = tolerance("complex step", dtype)
    scale = max(float(np.abs(derivatives).max(initial=0.0)), subject.term_scale())
    floor = EXACT_FLOOR * float(np.finfo(dtype).eps) * scale
    confirmed = compare(row.name, row.shape, target.analytic, derivatives, "complex step", exact, floor)
    return confirmed if confirmed.verdict == "ok" else row


def _repeatable(runs: Evaluations) -> bool:
    a, b = runs.evaluate(), runs.evaluate()
    return a == b or (np.isnan(a) and np.isnan(b))


def _cannot_repeat(subject: Subject, holds: int, evaluations: int) -> GradientReport:
    message = ("forward gives another output at the same input each call, even with numpy's global generator"
               f"{' and the layer generators' if holds else ''} and Python's random rewound before every call: it "
               "draws from a generator nngrad cannot reach (np.random.default_rng() made inside forward?) or keeps "
               "state between calls; give the layer its generator as an attribute (self.rng = "
               "np.random.default_rng(0)) or draw from np.random, and nngrad rewinds it")
    rows = [ArrayCheck.without_numbers(op.name, op.values.shape, "unchecked", "forward is not repeatable")
            for op in subject.operands]
    return GradientReport(subject.title, rows, [Finding("unchecked", message)], "not checked", "central",
                          float("nan"), {}, evaluations, sum(op.values.size for op in subject.operands), np.zeros(0),
                          np.zeros(0))


def _repeat(first: Claim, again: Claim, subject: Subject) -> list[Finding]:
    differ = [op.name for op in subject.operands
              if not same(first.grads.get(op.name), again.grads.get(op.name))]
    if not differ:
        return []
    return [Finding("not-repeatable", f"a second backward at the same point gave another {', '.join(differ)} "
                    "(state kept between calls: += into a gradient that is never reset, a parameter updated, or an "
                    "order that changes from call to call?)")]



def _prepare(subject: Subject, claim: Claim) -> tuple[dict[str, ArrayCheck], list[Checked], list[Finding]]:
    """Rows for the operands that cannot be compared (no gradient, a wrong shape), targets for the others."""
    rows, targets, found = {}, [], []
    batch = subject.batch()
    for op in subject.operands:
        grad = claim.grads.get(op.name)
        if grad is None:
            why = claim.missing.get(op.name, "no gradient was found")
            rows[op.name] = ArrayCheck.without_numbers(op.name, op.values.shape, "unchecked", why)
            found.append(Finding("unchecked", f"{op.label} {op.values.shape}: {why}"))
            continue
        try:
            arr = np.asarray(grad, dtype=float)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and (wrong := _wrong_dtype(grad, op.values.dtype)):
            found.append(Finding("dtype", f"{op.name} is {wrong} for {op.label} of dtype {op.values.dtype}: "
                                 + ("its digits are lost (a float32 array or dtype=np.float32 in backward?)"
                                    if "float" in wrong else "an integer gradient is truncated (np.zeros_like of "
                                    "an integer array, or dtype=int?): make it float")))
        if arr is None or arr.shape != op.values.shape:
            got = f"a {type(grad).__name__}" if arr is None else f"shape {arr.shape}"
            cause = shape_cause(op.name, arr.shape, op.values.shape, batch) if arr is not None else ""
            note = f"{got} for {op.label} of shape {op.values.shape}" + (f": {cause}" if cause else "")
            rows[op.name] = ArrayCheck.without_numbers(op.name, op.values.shape, "shape", note)
            found.append(Finding("shape", f"{op.name} has {note}"))
            if op.role == "input" and _guarded("the 'does the output depend on it?' test",
                                               lambda o=op: not subject.depends_on(o.values), found, False):
                found.append(constant_output(subject, op))
            continue
        flat = op.values.reshape(-1)
        if not np.shares_memory(flat, op.values):
            rows[op.name] = ArrayCheck.without_numbers(op.name, op.values.shape, "unchecked",
                                                       "not contiguous in memory: it cannot be perturbed in place")
            found.append(Finding("unchecked", f"{op.label}: not contiguous in memory, so it cannot be perturbed in "
                                 "place (a transposed view?): store it with np.ascontiguousarray"))
            continue
        targets.append(Checked(op.name, op.values.shape, flat, arr.reshape(-1)))
    return rows, targets, found


def _wrong_dtype(grad, want: np.dtype) -> str:
    """How a claimed gradient's dtype is wrong for an array of dtype ``want`` ("" where it is not): integers or
    booleans, or fewer bits than the array's float."""
    if not isinstance(grad, (np.ndarray, np.generic)):
        return ""  # lists and Python numbers: read as floats, the way the style takes them
    got = grad.dtype
    if got.kind in "iub":
        return f"an array of {got} (integers)"
    if got.kind == "f" and want.kind == "f" and got.itemsize < want.itemsize:
        return f"{got}"
    return ""


def _dtype(subject: Subject) -> np.dtype:
    return min((op.values.dtype for op in subject.operands), key=lambda d: d.itemsize, default=np.dtype(float))


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(a, float).reshape(-1) for a in arrays]) if arrays else np.zeros(0)


def _second_point(subject: Subject, mode: str, seed: int, eps: float, rtol: float, atol: float | None
                  ) -> tuple[list[ArrayCheck], int]:
    """(rows, evaluations) at another random point (another dout, or x and dout), in the first point's mode
    (element-wise, where a kink can be told from a bug, or along random directions)."""
    other = subject.another_point(seed + 1)
    if other is None:
        return [], 0
    runs = Evaluations(other)
    try:
        claim = other.claim()
        rows, targets, _ = _prepare(other, claim)
        outcome = check_arrays(runs.evaluate, targets, other.scale(), mode, eps, rtol, atol, _dtype(other),
                                seed + 1)
        checked = [_resolve(other, runs, r, t, _dtype(other), seed + 1, []) if r.verdict == "unresolvable"
                   else r for r, t in zip(outcome.rows, targets)]
    finally:
        other.restore()
    if mode == "fast":
        checked = [_directional(r, t) for r, t in zip(checked, targets)]
    return [*rows.values(), *checked], runs.count
