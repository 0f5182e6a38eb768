"""gradient_check: nngrad's backprop of a DNN against a reference, per parameter array at the array's own scale.

The reference of each array is the complex step where the loss is analytic in that array's parameters (no
ReLU from its layer on): exact to rounding, it verifies gradients of any magnitude, the 1e-15 of a deep sigmoid
network's first layer included. Elsewhere it is a finite difference, whose own error (round-off u |L| / eps and
truncation eps^order |L|, times KAPPA) is each element's absolute allowance; an array whose whole gradient lies
within RESOLVE times that error is "unresolvable", never passed on an absolute tolerance.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _validate as validate
from ..errors import InvalidValue
from ..methods.backprop import backprop_gradient
from ..methods.batched import CENTRAL_BATCHED, FORWARD_BATCHED
from ..methods.complex_step import COMPLEX_STEP_METHOD
from ..methods.finite_differences import VARIANTS, finite_difference, step_resolves
from ..methods.schemes import SCHEMES
from ..methods.schemes import scheme as get_scheme
from ..model.network import DNN
from ..tolerances import EXACT_FLOOR, KAPPA, KINK_REACH, REFINE, tolerance
from .arrays import Checked, Outcome, Rules, explain, refinement_findings
from .compare import ArrayCheck, compare
from .evidence import Evidence
from .findings import Finding
from .judge import run_diagnoses
from .probe import one_sided_roundoff, one_sided_slack
from .report import GradientReport
from .subject import Claim, Operand, Subject

REFERENCES = ("auto", "complex-step", "finite-differences")


def gradient_check(
    net: DNN,
    x: np.ndarray,
    y: np.ndarray,
    scheme: str = "central",
    eps: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    variant: str = "loop",
    reference: str = "auto",
    progress: bool = False,
    method: str | None = None,
) -> GradientReport:
    """Compare backprop with a reference gradient of ``net.loss(x, y)``, per parameter array (each layer's W, b).

    reference "auto": the complex step for the arrays in which the loss is analytic, a finite difference
    (``scheme``, ``variant`` "loop" or "batched", step ``eps``) for the others; "complex-step" or
    "finite-differences" for every array. eps=None: the scheme's optimal step for the dtype. rtol=None: 1e-8
    against the complex step, the scheme's default against a finite difference; atol=None: each array's
    absolute allowance is its reference's own error (given: that number for every element).
    """
    variant = validate.renamed("method", "variant", method, variant, "loop", "a method is a registered gradient "
                               "method; this picks the finite difference's variant")
    formula = get_scheme(scheme)
    validate.choice("variant", variant, VARIANTS)
    validate.choice("reference", reference, REFERENCES)
    eps = formula.default_eps(net.dtype) if eps is None else validate.positive_float("eps", eps)
    step_resolves("eps", eps, net.params)
    rtol = None if rtol is None else _tolerance("rtol", rtol)
    atol = None if atol is None else _tolerance("atol", atol)
    if reference == "complex-step" and not net.analytic_from(0):
        raise InvalidValue("reference='complex-step' needs a loss analytic in every parameter, but this network has "
                         "ReLU layers (a kink): use reference='auto'")
    loss, analytic = backprop_gradient(net, x, y)  # also checks x and y
    x, y = net.check_data(x, y)
    layers = range(len(net.dense_layers))
    exact = [l for l in layers if reference != "finite-differences" and net.analytic_from(l)]
    numerical, evaluations = _references(net, x, y, exact, [l for l in layers if l not in exact], formula.name, eps,
                                         variant, progress)
    fd_error = KAPPA * formula.error(eps, loss, net.dtype)
    fd_floor = fd_error if atol is None else atol
    rows, rtols = [], {}
    for a in net.param_arrays():
        is_exact = a.layer in exact
        a_rtol = rtol if rtol is not None else tolerance("complex step" if is_exact else f"{formula.name} differences",
                                                         net.dtype)
        scale = float(np.abs(numerical[a.start:a.stop]).max())
        floor = (EXACT_FLOOR * np.finfo(net.dtype).eps * scale if atol is None else atol) if is_exact else fd_floor
        reference_name = "complex step" if is_exact else f"{formula.name} differences"
        rtols[reference_name] = a_rtol
        rows.append(compare(f"{a.name}{a.layer}", a.shape, analytic[a.start:a.stop], numerical[a.start:a.stop],
                            reference_name, a_rtol, floor, 0.0 if is_exact else fd_error, a.layer))
    if net.dtype != np.float64:
        warnings.warn(f"net.params are {net.dtype}, not float64: finite differences lose most digits in low "
                      "precision; build the network with dtype=float64 for a meaningful check", stacklevel=2)
    fd_rtol = rtol if rtol is not None else tolerance(f"{formula.name} differences", net.dtype)
    rules = Rules(eps, fd_rtol, fd_error, KAPPA * SCHEMES["central"].error(eps / REFINE, loss, net.dtype),
                  one_sided_slack(eps, loss, net.dtype), one_sided_roundoff(eps / REFINE, loss, net.dtype))
    more, outcome = _explain(net, x, y, rows, analytic, numerical, rules, 0.0 if atol is None else atol)
    evaluations += more
    subject = NetworkSubject(net, x, y)
    near = subject.kinks_near(KINK_REACH * eps)
    found = _findings(subject, analytic, numerical, rows, outcome, rules, fd_floor)
    return GradientReport(repr(net), rows, found,
                          "element-wise", formula.name, eps, rtols, evaluations, net.num_params, analytic, numerical,
                          atol, variant, near)


def _references(net, x, y, exact: list[int], inexact: list[int], scheme: str, eps: float, variant: str,
                progress: bool) -> tuple[np.ndarray, int]:
    """(reference gradient (N,), loss evaluations): the complex step for the ``exact`` layers, the finite
    difference for the others."""
    numerical, evaluations = np.full(net.num_params, np.nan), 0
    if exact:
        job = COMPLEX_STEP_METHOD.job(net, x, y)
        numerical[:] = job.gradient(progress, "complex step", layers=exact)
        evaluations += job.kernel.loss_evaluations
    if inexact and variant == "batched":
        job = (CENTRAL_BATCHED if scheme == "central" else FORWARD_BATCHED).job(net, x, y, eps=eps)
        done = job.gradient(progress, f"{scheme} differences", layers=inexact)
        numerical[np.isfinite(done)] = done[np.isfinite(done)]
        evaluations += job.kernel.loss_evaluations
    elif inexact:
        arrays = [a for a in net.param_arrays() if a.layer in inexact]
        start, stop = arrays[0].start, arrays[-1].stop  # the layers from the first ReLU on: one contiguous block
        grad, _, count = finite_difference(lambda p: net.evaluate(x, y), net.params[start:stop], scheme, eps,
                                           progress)
        numerical[start:stop], evaluations = grad, evaluations + count
    return numerical, evaluations


def _explain(net, x, y, rows: list[ArrayCheck], analytic: np.ndarray, numerical: np.ndarray, rules: Rules,
             beside: float = 0.0, most: int = 1000) -> tuple[int, Outcome]:
    """The element rules of every check (arrays.explain: a kink crossed, step refinement, ties) on the failing rows
    of a finite difference (at most ``most`` failing elements a row are probed); ``beside``: the allowance beside
    the difference's own error (a user's atol). A kink excuses only an element whose step moves a ReLU input across
    0 (:func:`_crossing`): none in an array where the loss is analytic (no ReLU from its layer on), and no smooth
    element however tiny the loss, whose curvature can bracket a wrong claim. Returns (loss evaluations, what the
    rules excused)."""
    out = Outcome(eps=rules.eps)
    for row, a in zip(rows, net.param_arrays()):
        if row.verdict != "FAIL" or row.reference == "complex step" or len(row.failing) > most:
            continue
        target = Checked(row.name, a.shape, net.params[a.start:a.stop], analytic[a.start:a.stop])
        crossing, passes = _crossing(net, x, a.start + row.failing, rules.eps)
        out.evaluations += passes + explain(lambda: net.evaluate(x, y), target, row, numerical[a.start:a.stop],
                                            rules, beside, out, crossing)
    return out.evaluations, out


def _crossing(net: DNN, x: np.ndarray, indices: np.ndarray, eps: float) -> tuple[np.ndarray, int]:
    """(crossed (len(indices),) bool, forward passes): does moving parameter i by -eps or +eps turn any ReLU input
    (a pre-activation of a non-analytic layer) from > 0 to <= 0 or back? ``net.params`` restored."""
    kinked = [l for l, act in enumerate(net.activations) if not act.analytic]

    def signs() -> list[np.ndarray]:
        return [net.trace(x)[1][l] > 0 for l in kinked]

    base, crossed = signs(), np.zeros(len(indices), dtype=bool)
    for k, i in enumerate(indices):
        old = net.params[i]
        try:
            for step in (eps, -eps):
                net.params[i] = old + step
                crossed[k] |= any((s != b).any() for s, b in zip(signs(), base))
        finally:
            net.params[i] = old
    return crossed, 1 + 2 * len(indices)


class NetworkSubject(Subject):
    """nngrad's DNN on (x, y) as a Subject, for the diagnoses every check shares (diagnostics.DIAGNOSES, "always"):
    its parameter arrays (views of net.params) named W0, b0, ..., the loss as the scalar, backprop as the claim."""

    def __init__(self, net: DNN, x: np.ndarray, y: np.ndarray) -> None:
        self.net, self.x, self.y, self.title = net, x, y, repr(net)
        self.operands = [Operand(name, name, net.params[a.start:a.stop].reshape(a.shape))
                         for a, name in ((a, f"{a.name}{a.layer}") for a in net.param_arrays())]

    def evaluate(self) -> float:
        return self.net.evaluate(self.x, self.y)

    def claim(self) -> Claim:
        return _claim(self.net, backprop_gradient(self.net, self.x, self.y)[1])

    def remedy(self, kind: str) -> str:
        """The DNN's own terms: its seed, init, dtype and reference."""
        he = "" if self.net.init == "he" else ", or init='he'"
        return {"nonfinite": "look for an overflow (too large a learning rate or init) or a division by zero",
                "zero-gradient": "try another seed, a larger batch, or an init (he) and inputs that activate the "
                                 "units",
                "unresolvable": "the complex step verifies any scale where the loss is analytic (reference='auto')",
                "kink": f"another seed or a smaller eps{he}",
                "float32": "build the network with dtype=float64"}.get(kind, "")

    def kinks_near(self, reach: float) -> int:
        """How many ReLU inputs (pre-activations of non-analytic layers) lie within ``reach`` of 0."""
        _, zs = self.net.trace(self.x)
        return sum(int((np.abs(z) <= reach).sum()) for z, act in zip(zs, self.net.activations) if not act.analytic)


def _claim(net: DNN, analytic: np.ndarray) -> Claim:
    """Backprop's gradient (N,) as a Claim, by array name (W0, b0, ...)."""
    return Claim({f"{a.name}{a.layer}": analytic[a.start:a.stop].reshape(a.shape) for a in net.param_arrays()},
                 how="backprop")


def _findings(subject: NetworkSubject, analytic: np.ndarray, numerical: np.ndarray, rows: list[ArrayCheck],
              outcome: Outcome, rules: Rules, floor: float) -> list[Finding]:
    """The findings of every check (diagnostics.DIAGNOSES run "always": NaN, all zeros, unresolvable, kinks,
    float32) on this check's arrays, then the words for the rows step refinement excused."""
    net, arrays = subject.net, subject.net.param_arrays()
    outcome.values = [numerical[a.start:a.stop] for a in arrays]
    targets = [Checked(op.name, op.values.shape, op.values.ravel(), analytic[a.start:a.stop])
               for op, a in zip(subject.operands, arrays)]
    evidence = Evidence(subject, subject.evaluate, _claim(net, analytic), targets, outcome, rows, "full", rules.rtol,
                        floor, rules.eps, 0, net.dtype)
    run_diagnoses(evidence, ("always",))
    return evidence.found + refinement_findings(outcome)


def _tolerance(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not value >= 0:
        raise InvalidValue(f"{name} must be a non-negative number, got {value!r}")
    return float(value)
