"""Diagnoses that run the user's code again: at dout = 0, against the catalogue of known mistakes, at a reweighted
dout (a wrong activation derivative), at the updated parameters, for the first sample alone; and the style's own
(which layer of a network). Each is a detector of nngrad.check.diagnostics.DIAGNOSES: Evidence -> list[Finding]."""

from __future__ import annotations

import numpy as np

from ..methods.finite_differences import finite_difference
from .arrays import Checked, check_arrays
from .catalogue import DERIVATIVES, known_mistakes
from .compare import PASSED, agree, same
from .evidence import Evidence
from .findings import Finding
from .subject import Operand, Subject


def constant_output(subject: Subject, op: Operand) -> Finding:
    """The output does not change with input ``op``: forward uses a constant in its place."""
    try:
        context = subject.context()
    except Exception:  # noqa: BLE001 - the words without the shapes
        context = None
    out = "" if context is None or context.out is None else (f"forward returned shape {np.shape(context.out)} for "
                                                            f"an input of shape {op.values.shape}, and ")
    return Finding("constant-output", f"{out}its output does not change when {op.label} does: forward uses a "
                   f"constant where it should use {op.label} (np.exp(-1) for np.exp(-x)?)")


def zero_dout(e: Evidence) -> list[Finding]:
    """Backward at dout = 0 must return zeros (gradcheck's probe): a gradient that does not is not dout times a
    derivative (dout forgotten, a constant or a parameter added). Code that adds into its gradients (+= without a
    reset) still holds what earlier backwards added: there the probe reads what one backward at dout = 0 adds (the
    second call's gradient minus the first's), never the stale sum."""
    if not e.failing:
        return []
    context = e.subject.context()
    if context is None or context.dout is None:
        return []
    claims = _claims(e.subject, np.zeros_like(np.asarray(context.dout, dtype=float)), 2)
    if claims is None:
        return []
    accumulates = any(f.kind == "not-repeatable" for f in e.found) or not all(
        same(claims[0].get(k), claims[1].get(k)) for k in claims[0])
    grads = {k: _added(claims[0].get(k), g) if accumulates else g for k, g in claims[1].items()}
    failing = {f.row.name for f in e.failing}
    names = [name for name, g in grads.items() if name in failing and g is not None
             and np.asarray(g, dtype=float).any()]
    if not names:
        return []
    unchanged = [] if accumulates else [k for k in names if same(grads[k], e.claim.grads.get(k))]
    alone = (f"; {', '.join(unchanged)} {'is' if len(unchanged) == 1 else 'are'} the same at dout = 0 as at the "
             "check's dout: independent of dout altogether (computed from the forward's arrays alone, the output "
             "where dout belongs?)") if unchanged else ""
    return [Finding("dout-ignored", f"backward at dout = 0 {'added' if accumulates else 'returned'} nonzero "
                    f"{', '.join(names)}: {'it does' if len(names) == 1 else 'they do'} not come from dout alone "
                    "(dout forgotten, the local derivative returned instead of dout times it, or a term added that "
                    f"the output does not have){alone}")]


def _claims(subject: Subject, dout: np.ndarray, times: int) -> list[dict] | None:
    """The gradients ``times`` backwards in a row at ``dout`` claim, or None where the code takes no dout."""
    other = subject.with_dout(dout)
    if other is None:
        return None
    try:
        return [other.claim().grads for _ in range(times)]
    finally:
        other.restore()


def _added(before, after):
    """What one backward added to a gradient (after - before), or None."""
    if before is None or after is None:
        return after
    try:
        return np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    except (TypeError, ValueError):
        return after



def known(e: Evidence) -> list[Finding]:
    """A known mistake of a recognised layer (the catalogue), else a wrong derivative of the output's activation."""
    if not e.failing:
        return []
    context = e.subject.context()
    if context is None:
        return []
    claimed = {k: v for k, v in e.claim.grads.items() if v is not None}
    found = [Finding("known-mistake", f"the gradient matches {layer} with {words}; the right backward: {right}")
             for layer, words, right in known_mistakes(context, claimed, {f.row.name for f in e.failing})]
    return found or _wrong_derivative(e, context) or _output_as_dout(e, context)


def _output_as_dout(e: Evidence, context) -> list[Finding]:
    """The failing gradients are exactly the true ones at dout = the layer's output y: the output used where dout
    belongs (dW = x.T @ y, a Hebbian product, for x.T @ dout)."""
    if context.dout is None or not isinstance(context.out, np.ndarray):
        return []
    y, dout = np.asarray(context.out, dtype=float), np.asarray(context.dout, dtype=float)
    failing = {f.row.name for f in e.failing}
    targets = [t for t in e.targets if t.name in failing]
    if not targets or y.shape != dout.shape or not np.isfinite(y).all() or np.allclose(y, dout):
        return []
    if not true_at_dout(e, y, targets):
        return []
    names = ", ".join(t.name for t in targets)
    return [Finding("known-mistake", f"{names} {'is' if len(targets) == 1 else 'are'} exactly the gradient at dout = "
                    "the layer's output y: the output used where dout belongs (x.T @ y, a Hebbian product, for the "
                    "gradient x.T @ dout): use the dout backward is given")]


def _wrong_derivative(e: Evidence, context) -> list[Finding]:
    """A wrong (or missing) derivative of the output's activation (catalogue.DERIVATIVES): every failing gradient
    equals the true gradient at the reweighted dout; screened along random directions, then confirmed element by
    element. Where only some arrays fail (the path to one input of a cell), the finding names them."""
    if context.dout is None or not isinstance(context.out, np.ndarray):
        return []
    y, dout = np.asarray(context.out, dtype=float), np.asarray(context.dout, dtype=float)
    failing = {f.row.name for f in e.failing}
    targets = [t for t in e.targets if t.name in failing]
    for derivative in DERIVATIVES:
        if y.shape != dout.shape or not derivative.applies(y):
            continue
        with np.errstate(all="ignore"):
            read = dout * derivative.ratio(y)
        true = true_at_dout(e, read, targets)
        if true is None:
            return []
        if true:
            return [Finding("known-mistake", _derivative_words(derivative.words, targets, e))]
    return []


def gradients_at_dout(e: Evidence, name: str, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(claimed, numerical), flat, of operand ``name`` of the code run again at ``dout`` (of the output's shape);
    None where the code takes no dout or claims no gradient for ``name``."""
    other = e.subject.with_dout(dout)
    if other is None:
        return None
    try:
        claimed = other.claim().grads.get(name)
        op = next((op for op in other.operands if op.name == name), None)
        if claimed is None or op is None:
            return None
        numerical = finite_difference(lambda _: other.evaluate(), op.values, "central", e.eps)[0]
        return np.asarray(claimed, dtype=float).reshape(-1), numerical.reshape(-1)
    finally:
        other.restore()


def true_at_dout(e: Evidence, dout: np.ndarray, targets: list[Checked]) -> bool | None:
    """Is every target's claimed gradient exactly the true gradient of the code run at ``dout`` (of the output's
    shape), in both modes? None where the code takes no dout; False without targets."""
    other = e.subject.with_dout(dout)
    if other is None:
        return None
    try:
        return bool(targets) and all(matches(other, t, mode, e) for mode in ("fast", "full") for t in targets)
    finally:
        other.restore()


def _derivative_words(words: str, targets: list[Checked], e: Evidence) -> str:
    if len(targets) == len(e.targets):
        return f"the gradients are exactly those of a backward with {words}: multiply dout by the right derivative"
    names = ", ".join(t.name for t in targets)
    right = ", ".join(t.name for t in e.targets if t not in targets)
    return (f"{names} {'is' if len(targets) == 1 else 'are'} exactly what a backward with {words} gives, while "
            f"{right} {'has' if len(e.targets) - len(targets) == 1 else 'have'} it right: on the way to {names} the "
            "gradient does not pass through the right derivative of the output's activation")


def matches(other: Subject, target: Checked, mode: str, e: Evidence) -> bool:
    """Is ``target``'s claimed gradient (flat) the true gradient of operand ``target.name`` of ``other``, checked
    in ``mode`` ("fast" or "full") at ``e``'s step and tolerance?"""
    op = next(op for op in other.operands if op.name == target.name)
    probe = Checked(target.name, target.shape, op.values.reshape(-1), target.analytic)
    outcome = check_arrays(other.evaluate, [probe], other.scale(), mode, e.eps, e.rtol, None, op.values.dtype,
                            e.seed)
    return outcome.rows[0].verdict in (*PASSED, "zero")


def own(e: Evidence) -> list[Finding]:
    """What only this style of code can say (a network: which layer; in a network read as a stack of layers, the
    wrong derivative rule and where it enters, nngrad.check.stack); else, in code of numbered layers' arrays of
    any style, where between the layers the error enters (nngrad.check.some_arrays)."""
    if not e.failing:
        return []
    from . import some_arrays, stack

    return (stack.diagnose(e) or [f for f in e.subject.diagnose([f.row.name for f in e.failing])
                                  if not _harmless_in_place(e, f)] or some_arrays.diagnose(e))


IN_PLACE = ("dout-modified",)  # what a layer does to its arguments, harmless where nothing reads them afterwards


def _harmless_in_place(e: Evidence, finding: Finding) -> bool:
    """A "layer" finding whose only cause is an in-place change of the dout the layer was given (the book's
    ``dout[self.mask] = 0``), by a layer whose own gradients all agree at the inputs it saw: not a cause of the
    network's failure (its gradients are right; no one reads that dout afterwards), so never named as one."""
    if finding.kind != "layer" or not any(f"fails its own check (nngrad.check_layer at the inputs it saw): {kind}:"
                                          in finding.message for kind in IN_PLACE):
        return False
    from .network_check import _layer_report, _layers, _seen

    try:
        layers = getattr(e.subject, "layers", None) or _layers(getattr(e.subject, "net", None))
        for name, layer, args in _seen(layers, e.evaluate):
            if finding.message.startswith(f"its layer {name} ({type(layer).__name__})"):
                report = _layer_report(layer, args)
                return report is not None and all(r.passed for r in report.rows)
    except Exception:  # noqa: BLE001 - a diagnosis may fail: the finding stays as it was
        return False
    return False


def updated(e: Evidence) -> list[Finding]:
    """dx computed after backward's own update: it matches the numerical dx at the updated parameters."""
    if not e.claim.stepped:
        return []
    found = []
    for f in e.failing:
        after = e.subject.with_values(e.claim.stepped, f.row.name)
        if after is not None and np.all(agree(f.claimed, after.reshape(-1), e.rtol, e.floor)):
            found.append(Finding("updated-weights", f"{f.row.name} was computed with the parameters backward had "
                                 f"already updated ({', '.join(e.claim.stepped)}): compute {f.row.name} first, "
                                 "then take the step"))
    return found


def one_sample(e: Evidence) -> list[Finding]:
    """Right for the first sample alone, wrong for the batch: tried last, only where nothing else named a bug, the
    forward is not random, and the failure reaches the first sample (a parameter's gradient, or the first
    sample's rows of an input's)."""
    batch = e.batch()
    if not e.failing or not batch or batch < 2 or e.random or e.fails() or e.recheck is None:
        return []
    if not any(f.operand.role != "input" or (f.row.failing < f.target.values.size // batch).any()
               for f in e.failing):
        return []
    one = e.subject.first_sample()
    if one is None or e.recheck(one).status != "PASS":
        return []
    return [Finding("batch", f"right for the first sample alone, wrong for the batch of {batch}: a sum or a mean "
                    "over the batch (axis 0) is missing or taken twice, or only one sample is used")]
