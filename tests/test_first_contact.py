"""The first-contact batches of issue 25 (tests/zoo: ``FRESH``, ``ROUND2``, ``ROUND3``): learner code in styles
and with bugs that the zoo's ``CASES`` does not contain, each written by someone who had not read the checker and
scored once as nngrad stood (tests/zoo/FIRST_CONTACT.md, ROUND2.md, ROUND3.md). For every batch, the issue's
target for a round as assertions: the checker takes every case whole (no array left unchecked), passes correct
code, fails every bug and names it in the words its case expects, from Python and from the shell; every float
array the adapter (``zoo._adapt``, not nngrad) differentiates is a row of the report; a check ends in a report or
one of nngrad's one-line ``UserError``s, never in a traceback (from nngrad's code, or from the learner's because
nngrad called it another way than its style does).

What fails today is listed per batch with a one-line reason (``GAPS``: from Python, ``SHELL_GAPS``, ``TRACEBACKS``).
Each is a strict xfail: a fix that makes a case pass fails the test until the case is taken off its list."""

import traceback

import numpy as np
import pytest
from zoo import FRESH, ROUND2, ROUND3
from zoo._adapt import build
from zoo.score import nngrad_cli, nngrad_report, printed_kinds, printed_partial, report_partial

from nngrad.errors import UserError

BATCHES = {"FRESH": FRESH, "ROUND2": ROUND2, "ROUND3": ROUND3}

NNFS = "the NNFS Model not taken: 'keeps no float arrays nngrad can find' (weights in model.layers[i].weights)"
JAX_LOSS = "params, a list of (W, b) tuples, not read as one input: 'returned 3 gradients; it has only 1 float input'"
JAX_FN = "check_function refuses a list of (W, b) tuples as theta: 'theta must be a real numeric array'"
FASTAI_X = "the input's gradient in model.inp_g not found: x 'unchecked'"
FASTAI_CALL = "forward() called directly, not __call__: backward() raises AttributeError 'no attribute out'"
FLUSH = "numpy-ml's flush_gradients() not used as the reset: a correct += read as 'not-repeatable' (FAIL)"
FLUSH_BUG = "detected, not named: only not-repeatable / dout-ignored (from the missing reset)"

R3_GAPS = {
    **{f"r3_nnfs_model.{n}": NNFS for n in (
        "SpiralClassifier", "SpiralClassifier.l2", "SpiralClassifier.l1_on_zero_biases", "SpiralClassifier.dropout",
        "SineRegressor", "SpiralClassifier.l2_no_two", "SpiralClassifier.l1_no_negative",
        "SpiralClassifier.bias_reg_copy_paste", "SpiralClassifier.divides_by_classes")},
    **{f"r3_jax.{n}": JAX_LOSS for n in (
        "value_and_grad", "value_and_grad_l2", "residual_value_and_grad", "value_and_grad.unreversed",
        "value_and_grad.keepdims", "residual_value_and_grad.no_skip")},
    "r3_jax.grad_loss": JAX_FN,
    "r3_jax.grad_loss.pre_activation": JAX_FN,
    "r3_fastai.Model": FASTAI_X + " (INCONCLUSIVE)",
    "r3_fastai.DeepModel": FASTAI_X + " (INCONCLUSIVE)",
    "r3_fastai.Model.lin_mean": FASTAI_X + " (FAIL, scaled named: checked in part)",
    "r3_fastai.Model.mse_wrong_axis": FASTAI_X + " (FAIL, scaled named: checked in part)",
    "r3_fastai.Mse": FASTAI_CALL,
    "r3_fastai.Mse.no_unsqueeze": FASTAI_CALL,
    **{f"r3_npml.{n}": FLUSH for n in (
        "FullyConnected.tanh", "FullyConnected.relu", "RBF", "MixtureOfExperts", "TemperatureSoftmax",
        "PolynomialDense")},
    "r3_npml.MixtureOfExperts.diagonal_gate": FLUSH_BUG + " (wants the gate's diagonal Jacobian, or split)",
    "r3_npml.TemperatureSoftmax.one_T": FLUSH_BUG + " (wants scaled: dT is T times too large)",
    "r3_npml.PolynomialDense.cube_rule": FLUSH_BUG + " (wants split or located: dx wrong, dW, db right)",
}

R3_SHELL_GAPS = {name: reason for name, reason in R3_GAPS.items()
                    if name.startswith(("r3_nnfs_model.", "r3_npml.", "r3_einsum.", "r3_conv.", "r3_probloss."))
                    and name != "r3_nnfs_model.SpiralClassifier.dropout" and name != "r3_nnfs_model.SineRegressor"}

R3_TRACEBACKS = {"r3_fastai.Mse": FASTAI_CALL, "r3_fastai.Mse.no_unsqueeze": FASTAI_CALL}


GAPS = {
    "FRESH": {
        "torchlike.HuberLoss.no_delta": "loss clipped at 1 instead of delta: fewer than FEWEST elements inside the "
                                        "threshold on 12 elements, so no threshold is named",
        "beyond.attention.diagonal_softmax": "a softmax Jacobian reduced to its diagonal inside attention: only "
                                             "located (dQ, dK wrong, dV right: split)",
        "beyond.conv1d.dw_unstrided": "dw taken at stride 1: only located (dw's own formula: split), the stride not "
                                      "named",
    },
    "ROUND2": {
        "r2_ng.nnCostFunction.gradient_of_activation":
            "ex4's g'(a2) for g'(z2) on an unrolled vector: located in Theta1's part, the derivative not named",
    },
    "ROUND3": R3_GAPS,
}
SHELL_GAPS = {
    "FRESH": {name: GAPS["FRESH"][name] for name in ("beyond.attention.diagonal_softmax", "beyond.conv1d.dw_unstrided")},
    "ROUND2": {},
    "ROUND3": R3_SHELL_GAPS,
}
TRACEBACKS = {"FRESH": {}, "ROUND2": {}, "ROUND3": R3_TRACEBACKS}


def _cases(gaps: dict[str, dict[str, str]], shell: bool = False) -> list:
    """(batch, case) for every case of every batch (with a command line, for ``shell``), the known gaps xfailed."""
    return [pytest.param(batch, case, id=f"{batch}:{case.name}",
                         marks=[pytest.mark.xfail(strict=True, reason=gaps[batch][case.name])]
                         if case.name in gaps[batch] else [])
            for batch, cases in BATCHES.items() for case in cases if case.cli or not shell]


@pytest.mark.parametrize(("batch", "case"), _cases(GAPS))
def test_every_case_from_python(batch, case):
    report = nngrad_report(case)
    assert not report_partial(report), f"checked in part\n{report}"
    if case.bug is None:
        assert report.status == "PASS", str(report)
        return
    assert report.status == "FAIL", f"{case.bug}\n{report}"
    assert {f.kind for f in report.findings} & set(case.names), f"{case.bug}: expected one of {case.names}\n{report}"


@pytest.mark.parametrize(("batch", "case"), _cases(SHELL_GAPS, shell=True))
def test_every_case_from_the_shell(batch, case):
    status, text = nngrad_cli(case)
    assert not printed_partial(text), text
    if case.bug is None:
        assert status == 0, text
    else:
        assert status == 1 and "result: FAIL" in text, text
        assert printed_kinds(text) & set(case.names), text


@pytest.mark.parametrize(("batch", "case"), _cases({b: {} for b in BATCHES}))
def test_every_array_of_a_case_is_a_row(batch, case):
    """Every float array the code's output depends on (the inputs and parameters that zoo._adapt finds) has a row:
    checked, or named as unchecked; a PASS on part of them is a silent partial check."""
    args, kwargs = case.make(np.random.default_rng(0))
    arrays = build(case, args, kwargs).initial
    try:
        report = nngrad_report(case)
    except Exception:
        if case.name in GAPS[batch]:  # not taken at all: test_every_case_from_python holds it as a gap
            pytest.skip(f"not taken from Python: {GAPS[batch][case.name]}")
        raise
    covered = sum(int(np.prod(r.shape)) for r in report.rows)
    assert len(report.rows) >= len(arrays) and covered >= sum(a.size for a in arrays), \
        f"{len(arrays)} arrays ({sum(a.size for a in arrays)} elements); rows {[r.name for r in report.rows]}\n{report}"


def _raised_in_nngrad(exc: BaseException) -> bool:
    """The exception's innermost frame lies in nngrad's own code (not the learner's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and "/nngrad/" in frames[-1].filename.replace("\\", "/")


@pytest.mark.parametrize(("batch", "case"), _cases({b: {} for b in BATCHES}))
def test_no_check_ends_in_a_traceback_from_nngrad(batch, case):
    """A report, or one of nngrad's one-line errors; never another exception out of nngrad's own code."""
    try:
        nngrad_report(case)
    except UserError:
        return
    except Exception as exc:  # noqa: BLE001
        assert not _raised_in_nngrad(exc), f"{type(exc).__name__} from nngrad: {exc}"


@pytest.mark.parametrize(("batch", "case"), _cases(TRACEBACKS))
def test_no_check_ends_in_any_traceback(batch, case):
    """Correct learner code raises nothing when called as its style calls it: an exception out of the learner's
    code during a check means nngrad called it another way (forward() for __call__); a report or one line, always."""
    try:
        nngrad_report(case)
    except UserError:
        return


@pytest.mark.parametrize("batch", list(BATCHES))
def test_each_batch_is_what_its_brief_asks_for(batch):
    cases = BATCHES[batch]
    bugs = [c for c in cases if c.bug]
    assert len(cases) >= 40 and 0.4 <= len(bugs) / len(cases) <= 0.6
    assert sum(bool(c.cli) for c in cases) >= 16
    assert len({c.style for c in cases}) >= 7
    assert set(GAPS[batch]) | set(SHELL_GAPS[batch]) | set(TRACEBACKS[batch]) <= {c.name for c in cases}
    assert set(SHELL_GAPS[batch]) <= {c.name for c in cases if c.cli}
