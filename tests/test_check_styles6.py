"""The fifth round's mechanisms on learner code of our own: a backward that takes its cache first
(``grad(tape, dout)``, ``backward(ctx, grad_output)``), models kept as lists of dicts (a trainer holding
``self.model``, a function ``loss(model, X, y)``), and registry modules named as the learner addresses them."""

import numpy as np

import nngrad


# --- B: the backward's argument order, read from its parameter names -------------------------------------------

def scale_shift(x, w, b):
    """x (N, D) * w (D,) + b (D,), recorded on a tape of closures."""
    tape = [lambda g: {0: g * w, 1: (g * x).sum(axis=0), 2: g.sum(axis=0)}]
    return x * w + b, tape


def walk(tape, upstream):
    """Gradients of scale_shift's arguments from its tape; the tape first."""
    got = {}
    for step in reversed(tape):
        got.update(step(upstream))
    return tuple(got[i] for i in sorted(got))


def walk_wrong(tape, upstream):
    got = {}
    for step in reversed(tape):
        got.update(step(upstream))
    return tuple(2 * got[i] if i == 1 else got[i] for i in sorted(got))  # planted: dw doubled


def cube_forward(x, a):
    """a * x ** 3 (element-wise); the context a dict."""
    return a * x ** 3, {"x": x, "a": a}


def cube_backward(ctx, grad_output):
    """torch.autograd.Function's order: the context first, then the output's gradient."""
    return 3 * ctx["a"] * ctx["x"] ** 2 * grad_output, (ctx["x"] ** 3 * grad_output).sum()


def _inputs(rng):
    return rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3)


def test_a_tape_backward_taking_the_tape_first_is_checked():
    report = nngrad.check_pair(scale_shift, walk, *_inputs(np.random.default_rng(0)))
    assert report.passed, report
    assert "walk(cache, dout)" in str(report)


def test_a_tape_backward_taking_the_tape_first_with_a_bug_fails_on_its_array():
    report = nngrad.check_pair(scale_shift, walk_wrong, *_inputs(np.random.default_rng(1)))
    assert not report.passed
    assert [r.name for r in report.rows if r.verdict != "ok"] == ["dw"]


def test_a_context_first_backward_in_torch_functions_order_is_checked():
    rng = np.random.default_rng(2)
    report = nngrad.check_pair(cube_forward, cube_backward, rng.standard_normal((3, 2)), np.array(0.7))
    assert report.passed, report


def test_the_usual_dout_cache_order_is_kept():
    def forward(x, w):
        return x @ w, (x, w)

    def backward(dout, cache):
        x, w = cache
        return dout @ w.T, x.T @ dout
    rng = np.random.default_rng(3)
    assert nngrad.check_pair(forward, backward, rng.standard_normal((3, 2)), rng.standard_normal((2, 4))).passed
