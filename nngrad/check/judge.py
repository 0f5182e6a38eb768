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

import numpy as np

from ..methods.schemes import COMPLEX_STEP
from ..tolerances import EXACT_FLOOR, SAME, tolerance
from .arrays import Checked, Outcome, check_arrays, floors, refinement_findings, resolve_mode
from .catalogue import DERIVATIVES, known_mistakes
from .compare import FAILED, ArrayCheck, compare
from .diagnostics import _agree, common, located, regularization, scaled, shape_cause, transposed
from .findings import Finding
from .randomness import Reseeder
from .report import GradientReport
from .subject import Claim, Subject


def judge(subject: Subject, mode: str = "auto", eps: float | None = None, rtol: float | None = None,
          atol: float | None = None, seed: int = 0, diagnose: bool = True, progress: bool = False) -> GradientReport:
    """Check ``subject`` (see the module's docstring); the user's arrays and generators are left as found.
    progress: a bar over the element-wise differences (on a terminal)."""
    reseeder = Reseeder(subject.owners, seed)
    subject.before = reseeder.before
    count = _counting(subject)
    found: list[Finding] = []
    try:
        if not _repeatable(subject):
            reseeder.active = True
            if not _repeatable(subject):
                subject.settle()  # the parameters too are named, unchecked
                return _cannot_repeat(subject, reseeder.holds)
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
        outcome = check_arrays(subject.evaluate, targets, scale, resolved, eps, rtol, atol, dtype, seed, progress)
        rows.update({r.name: _second_opinion(subject, r, t, dtype) if r.verdict == "unresolvable" else r
                     for r, t in zip(outcome.rows, targets)})
        ordered = [rows[op.name] for op in subject.operands if op.name in rows]
        eps, _, floor = floors(scale, eps, atol, dtype)
        if diagnose:
            found += _diagnose(subject, first, targets, outcome, resolved, rtol, floor, eps, seed,
                               random=reseeder.active)
        found += common(ordered, [*first.grads.values(), *(op.values for op in subject.operands)], outcome.kinks,
                        {dtype})
        found += refinement_findings(outcome)
        second, more = [], 0
        if diagnose and not any(r.verdict in FAILED for r in ordered) and not any(f.fails for f in found):
            second, more = _second_point(subject, resolved, seed, eps, rtol, atol)
        evaluations = count() + more
        rtols = {"central differences": rtol}
        if any(r.reference == "complex step" for r in ordered):
            rtols["complex step"] = tolerance("complex step", dtype)
        return GradientReport(subject.title, ordered, found, "element-wise" if resolved == "full" else
                              "random directions", "central", eps, rtols, evaluations,
                              sum(op.values.size for op in subject.operands),
                              _flat([t.analytic for t in targets]), _flat(outcome.values), atol,
                              how=first.how, second=second)
    finally:
        subject.restore()
        reseeder.close()


def _counting(subject: Subject):
    """Count the calls of ``subject.evaluate`` from now on; returns the counter."""
    calls, evaluate, evaluate_with = [0], subject.evaluate, subject.evaluate_with

    def counted() -> float:
        calls[0] += 1
        return evaluate()

    def counted_with(name: str, values: np.ndarray) -> complex | None:
        calls[0] += 1
        return evaluate_with(name, values)

    subject.evaluate, subject.evaluate_with = counted, counted_with
    return lambda: calls[0]


def _second_opinion(subject: Subject, row: ArrayCheck, target: Checked, dtype) -> ArrayCheck:
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
            base = subject.evaluate_with(target.name, values.astype(complex))
            if base is None or not np.isclose(base.real, subject.evaluate(), rtol=1e-12, atol=0):
                return row
            for i in range(values.size):
                z = values.astype(complex)
                z.flat[i] += 1j * COMPLEX_STEP
                derivatives[i] = subject.evaluate_with(target.name, z).imag / COMPLEX_STEP
    except Exception:  # noqa: BLE001 - code that cannot take complex numbers: the row stays unresolvable
        return row
    exact = tolerance("complex step", dtype)
    scale = max(float(np.abs(derivatives).max(initial=0.0)), subject.term_scale())
    floor = EXACT_FLOOR * float(np.finfo(dtype).eps) * scale
    confirmed = compare(row.name, row.shape, target.analytic, derivatives, "complex step", exact, floor)
    return confirmed if confirmed.verdict == "ok" else row


def _repeatable(subject: Subject) -> bool:
    a, b = subject.evaluate(), subject.evaluate()
    return a == b or (np.isnan(a) and np.isnan(b))


def _cannot_repeat(subject: Subject, holds: int) -> GradientReport:
    message = ("forward gives another output at the same input each call, even with numpy's global generator"
               f"{' and the layer generators' if holds else ''} and Python's random rewound before every call: it "
               "draws from a generator nngrad cannot reach (np.random.default_rng() made inside forward?) or keeps "
               "state between calls; give the layer its generator as an attribute (self.rng = "
               "np.random.default_rng(0)) or draw from np.random, and nngrad rewinds it")
    rows = [ArrayCheck.without_numbers(op.name, op.values.shape, "unchecked", "forward is not repeatable")
            for op in subject.operands]
    return GradientReport(subject.title, rows, [Finding("unchecked", message)], "not checked", "central",
                          float("nan"), {}, 8, sum(op.values.size for op in subject.operands), np.zeros(0),
                          np.zeros(0))


def _repeat(first: Claim, again: Claim, subject: Subject) -> list[Finding]:
    differ = [op.name for op in subject.operands
              if not _same(first.grads.get(op.name), again.grads.get(op.name))]
    if not differ:
        return []
    return [Finding("not-repeatable", f"a second backward at the same point gave another {', '.join(differ)} "
                    "(state kept between calls: += into a gradient that is never reset, a parameter updated, or an "
                    "order that changes from call to call?)")]


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return a.shape == b.shape and bool(np.allclose(a, b, **SAME))
    except (TypeError, ValueError):
        return False


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
        if arr is None or arr.shape != op.values.shape:
            got = f"a {type(grad).__name__}" if arr is None else f"shape {arr.shape}"
            cause = shape_cause(op.name, arr.shape, op.values.shape, batch) if arr is not None else ""
            note = f"{got} for {op.label} of shape {op.values.shape}" + (f": {cause}" if cause else "")
            rows[op.name] = ArrayCheck.without_numbers(op.name, op.values.shape, "shape", note)
            found.append(Finding("shape", f"{op.name} has {note}"))
            if op.role == "input" and not subject.depends_on(op.values):
                found.append(_constant(subject, op))
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


def _constant(subject: Subject, op) -> Finding:
    context = subject.context()
    out = "" if context is None or context.out is None else (f"forward returned shape {np.shape(context.out)} for "
                                                            f"an input of shape {op.values.shape}, and ")
    return Finding("constant-output", f"{out}its output does not change when {op.label} does: forward uses a "
                   f"constant where it should use {op.label} (np.exp(-1) for np.exp(-x)?)")


def _dtype(subject: Subject) -> np.dtype:
    return min((op.values.dtype for op in subject.operands), key=lambda d: d.itemsize, default=np.dtype(float))


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(a, float).reshape(-1) for a in arrays]) if arrays else np.zeros(0)


def _diagnose(subject: Subject, claim: Claim, targets: list[Checked], outcome: Outcome, mode: str, rtol: float,
              floor: float, eps: float, seed: int, random: bool = False) -> list[Finding]:
    """What the pattern of each failure says (see the module's docstring). "Right for batch 1" is tried last, only
    where nothing else explains the failure, the forward is not random, and the failure reaches the first sample
    (a parameter's gradient, or the first sample's rows of an input's)."""
    found, tied_rows = [], list(dict.fromkeys(name for name, *_ in outcome.ties))
    for name in tied_rows:
        ties = [(tied, claimed, numerical) for row, tied, claimed, numerical in outcome.ties if row == name]
        tied, claimed, numerical = ties[0]
        found.append(Finding("tie", f"{name}: elements tied at one value (flat indices {', '.join(map(str, tied[:6]))}"
                             f"{f' and {len(ties) - 1} more groups' if len(ties) > 1 else ''}), moved together, change "
                             f"the output at the rate {numerical:.6g}, but their claimed gradients sum to "
                             f"{claimed:.6g}: backward sends dout to every tied maximum; send it to one of them"))
    failing = [(t, r, n) for t, r, n in zip(targets, outcome.rows, outcome.values)
               if r.verdict == "FAIL" and r.name not in tied_rows]
    if not failing or mode != "full":
        return found
    roles = {op.name: op for op in subject.operands}
    batch = subject.batch()
    for t, row, n in failing:
        x = roles[t.name].values if roles[t.name].role == "input" else None
        own = floor + rtol * float(np.abs(n).max(initial=0.0))
        finding = (scaled(row, t.analytic, n, batch, rtol, own) or transposed(row, t.analytic, n, rtol, own)
                   or (regularization(row, t.analytic, n, roles[t.name].values, rtol, own) if x is None else None)
                   or located(row, t.analytic, n, x, rtol, own, subject.conditions(t.name)))
        if finding:
            found.append(finding)
        if x is not None and not n.any() and t.analytic.any():
            found.append(_constant(subject, roles[t.name]))
    found += _known(subject, claim, {r.name for _, r, _ in failing})
    if not any(f.kind == "known-mistake" for f in found):
        found += _wrong_derivative(subject, targets, rtol, floor, eps, seed)
    found += subject.diagnose([r.name for _, r, _ in failing])
    found += _updated(subject, claim, failing, rtol, floor)
    first_sample = any(roles[t.name].role != "input" or (r.failing < t.values.size // batch).any()
                       for t, r, _ in failing) if batch else False
    if batch and batch > 1 and first_sample and not random and not any(f.fails for f in found):
        found += _right_for_one_sample(subject, batch, eps, rtol, seed)
    return found


def _known(subject: Subject, claim: Claim, failing: set[str]) -> list[Finding]:
    context = subject.context()
    if context is None:
        return []
    claimed = {k: v for k, v in claim.grads.items() if v is not None}
    return [Finding("known-mistake", f"the gradient matches {layer} with {words}; the right backward: {right}")
            for layer, words, right in known_mistakes(context, claimed, failing)]


def _wrong_derivative(subject: Subject, targets: list[Checked], rtol: float, floor: float, eps: float, seed: int
                      ) -> list[Finding]:
    """A wrong derivative of the output's activation (catalogue.DERIVATIVES): every claimed gradient equals the true
    gradient at the reweighted dout; screened along random directions, then confirmed element by element."""
    context = subject.context()
    if context is None or context.dout is None or not isinstance(context.out, np.ndarray):
        return []
    y, dout = np.asarray(context.out, dtype=float), np.asarray(context.dout, dtype=float)
    for derivative in DERIVATIVES:
        if y.shape != dout.shape or not derivative.applies(y):
            continue
        with np.errstate(all="ignore"):
            other = subject.with_dout(dout * derivative.ratio(y))
        if other is None:
            return []
        other.before = subject.before
        try:
            if all(_matches(other, t, mode, rtol, floor, eps, seed) for mode in ("fast", "full") for t in targets):
                return [Finding("known-mistake", f"the gradients are exactly those of a backward with "
                                f"{derivative.words}: multiply dout by the right derivative")]
        finally:
            other.restore()
    return []


def _matches(other: Subject, target: Checked, mode: str, rtol: float, floor: float, eps: float, seed: int) -> bool:
    op = next(op for op in other.operands if op.name == target.name)
    probe = Checked(target.name, target.shape, op.values.reshape(-1), target.analytic)
    outcome = check_arrays(other.evaluate, [probe], other.scale(), mode, eps, rtol, None, op.values.dtype, seed)
    return outcome.rows[0].verdict in ("ok", "kink", "zero")


def _updated(subject: Subject, claim: Claim, failing, rtol: float, floor: float) -> list[Finding]:
    """dx computed after backward's own update: it matches the numerical dx at the updated parameters."""
    if not claim.stepped:
        return []
    found = []
    for t, row, _ in failing:
        after = subject.with_values(claim.stepped, t.name)
        if after is not None and np.all(_agree(t.analytic, after.reshape(-1), rtol, floor)):
            found.append(Finding("updated-weights", f"{row.name} was computed with the parameters backward had "
                                 f"already updated ({', '.join(claim.stepped)}): compute {row.name} first, then "
                                 "take the step"))
    return found


def _right_for_one_sample(subject: Subject, batch: int, eps: float, rtol: float, seed: int) -> list[Finding]:
    one = subject.first_sample()
    if one is None:
        return []
    report = judge(one, "full", eps, rtol, None, seed, diagnose=False)
    if report.status != "PASS":
        return []
    return [Finding("batch", f"right for the first sample alone, wrong for the batch of {batch}: a sum or a mean "
                    "over the batch (axis 0) is missing or taken twice, or only one sample is used")]


def _second_point(subject: Subject, mode: str, seed: int, eps: float, rtol: float, atol: float | None
                  ) -> tuple[list[ArrayCheck], int]:
    """(rows, evaluations) at another random point (another dout, or x and dout), in the first point's mode
    (element-wise, where a kink can be told from a bug, or along random directions)."""
    other = subject.another_point(seed + 1)
    if other is None:
        return [], 0
    count = _counting(other)
    try:
        other.before = subject.before
        claim = other.claim()
        rows, targets, _ = _prepare(other, claim)
        outcome = check_arrays(other.evaluate, targets, other.scale(), mode, eps, rtol, atol, _dtype(other),
                                seed + 1)
        checked = [_second_opinion(other, r, t, _dtype(other)) if r.verdict == "unresolvable" else r
                   for r, t in zip(outcome.rows, targets)]
    finally:
        other.restore()
    return [*rows.values(), *checked], count()
