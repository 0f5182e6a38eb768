"""The rules of nngrad.check.judge pinned with LITERAL numbers (issue 27): the complex step's second opinion on a
gradient too small for central differences (it confirms a claim within 1e-8 (|a| + |n|) + 100 u x the size of
the numbers the backward multiplies, and never overrules), and the judge's own bookkeeping.

Planted to watch them fail (each made, this file run, reverted): every Cosmic Ray survivor of judge.py's first run
but the five argued equivalent (tools/mutation/results-issue27/mjudge.md), among them the second opinion's floor
without EXACT_FLOOR or from the smallest derivative, its rtol 1e-6 or 1e-7, counts off by one, the second point at
the first point's seed or after a failed row, its probe's seed, _short's cut, rtols named only when all rows used
the complex step, the dtype of the check the widest.
"""

import numpy as np
import pytest

from nngrad import check_loss

U = 2.0 ** -52
EXACT_FLOOR = 100 * U  # x the loss's size: the rounding of a backward's own arithmetic
X_SATURATED = np.array([[-30.0, -28.0, -26.0], [-29.0, -27.0, -26.5]])  # sigmoid' 1e-13 .. 5e-12


def _saturated_loss(size: float, delta: float = 0.0, factor: float = 1.0):
    """L = size + sum sigmoid(x) at X_SATURATED: dx (1e-13 .. 5e-12) is far below central differences' resolution
    (~1e-9 x size), so the complex step is asked. The claim: ``factor`` x dx, element (0, 1) moved by ``delta``."""
    def loss(x):
        s = 1 / (1 + np.exp(-x))
        dx = factor * s * (1 - s)
        dx[0, 1] += delta
        return size + s.sum(), dx

    return loss


@pytest.mark.parametrize("size, times, confirmed", [(1.0, 0.45, True), (1.0, 0.9, True), (1.0, 1.2, False),
                                                    (1e3, 0.9, True), (1e3, 1.2, False)],
                         ids=["0.45floor", "0.9floor", "1.2floor-outside", "size-1e3-0.9floor",
                              "size-1e3-1.2floor-outside"])
def test_second_opinion_confirms_within_100_eps_times_the_losses_size(size, times, confirmed):
    """One element off by ``times`` x 100 u |L|: confirmed (a PASS against the complex step) within the bound; beyond
    it not (never a PASS: unresolvable, or failed against zero)."""
    report = check_loss(_saturated_loss(size, times * EXACT_FLOOR * size), X_SATURATED.copy())
    row = report.rows[0]
    if confirmed:
        assert report.status == "PASS" and row.verdict == "ok" and row.reference == "complex step", report
        assert report.rtols["complex step"] == 1e-8
    else:
        assert report.status != "PASS" and row.reference != "complex step", report


@pytest.mark.parametrize("factor", [1.1, 1.01, 0.0], ids=["10pc-off", "1pc-off", "zero"])
def test_second_opinion_never_confirms_a_smooth_wrong_tiny_gradient(factor):
    """A claim 10% or 1% off everywhere (its largest element off by 5e-13 or 5e-14, beyond 100 u |L| = 2.2e-14)
    or all zero is not confirmed: the check is not a PASS."""
    report = check_loss(_saturated_loss(1.0, 0.0, factor), X_SATURATED.copy())
    assert report.status != "PASS" and report.rows[0].reference != "complex step", report


class _Offset:
    """out = 1e6 + 1e-4 x: the scalar sum(dout x out) is ~1e6, so central differences (error ~1e-9 of it per
    element) cannot resolve dx = 1e-4 dout; the complex step can, and there the rtol, not the floor (100 u max|dout|
    ~ 4e-14 against 1e-8 x 2e-4), is the bound. The claim: ``factor`` x dx."""

    def __init__(self, factor: float = 1.0):
        self.factor = factor

    def forward(self, x):
        return 1e6 + 1e-4 * x

    def backward(self, dout):
        return self.factor * 1e-4 * dout


@pytest.mark.parametrize("off, confirmed", [(0.5e-8, True), (1.5e-8, True), (3e-8, False), (1e-6, False)],
                         ids=["0.5e-8", "1.5e-8-inside", "3e-8-outside", "1e-6-outside"])
def test_second_opinion_rtol_is_1e8_of_both_sides(off, confirmed):
    """A claim (1 + c) n is confirmed iff c n <= 1e-8 ((2 + c) n) (+ the small floor): c up to ~2e-8 passes,
    3e-8 does not (a complex-step rtol of 1e-6 would confirm it)."""
    from nngrad import check_layer

    report = check_layer(_Offset(1 + off), np.array([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]]))
    assert (report.status == "PASS") is confirmed, report
    assert report.rows[0].verdict == ("ok" if confirmed else "unresolvable")


# -- zero by design: a claim of exactly zero is a PASS, not "zero" ------------------------------------------------

def test_zero_by_design_an_exactly_zero_claim_for_an_array_the_output_ignores_passes():
    """theta[3:] move the output only at its last bit (1e-16 sin(1e7 theta3) beside ~0.7): their central differences
    are rounding noise (unresolvable, not all zero), the output stays put when they move by ~1, and the claim is
    exactly 0: checked against zero, a PASS (not "zero": nothing left unverified)."""
    from nngrad import check_function

    w = np.array([0.5, -1.5, 2.0])

    def f(t):
        t = np.asarray(t, dtype=float)
        return float(np.dot(w, t[:3]) + 1e-16 * np.sin(1e7 * t[3]))

    report = check_function(f, lambda t: np.concatenate([w, [0.0, 0.0]]), np.full(5, 0.7),
                            parts={"a": (3,), "c": (2,)}, mode="full")
    assert report.status == "PASS" and report.rows[1].verdict == "ok", report
    assert report.rows[1].reference == "zero (invariant)"


# -- what the judge counts: loss evaluations ------------------------------------------------------------------------

def test_loss_evaluations_count_every_real_and_complex_evaluation_once():
    """check_loss on 6 saturated elements: 2 (is the loss repeatable?) + 2 x 6 (central differences) + 2 + 6 (the
    complex step's second opinion: its base, a real evaluation to compare it with, one per element) = 22; a loss
    has no second point."""
    assert check_loss(_saturated_loss(1.0), X_SATURATED.copy()).loss_evaluations == 22


def test_loss_evaluations_of_a_function_without_a_second_point():
    """check_function of 3 elements: 2 + 2 x 3 = 8 (no second point to add)."""
    from nngrad import check_function

    w = np.array([0.5, -1.5, 2.0])
    report = check_function(lambda t: float(np.dot(w, t) ** 2), lambda t: 2 * np.dot(w, t) * w,
                            np.array([0.1, 0.2, 0.3]), mode="full")
    assert report.status == "PASS" and report.loss_evaluations == 8


def _pair():
    """forward(x, W) = x @ W with a right backward; x (2, 3), W (3, 2): 12 elements."""
    def forward(x, W):
        return x @ W, (x, W)

    def backward(d, cache):
        x, W = cache
        return d @ W.T, x.T @ d

    return forward, backward, np.full((2, 3), 0.3), np.arange(6.0).reshape(3, 2) / 10


def test_loss_evaluations_add_the_second_points():
    """check_pair of 12 elements: first point 2 + 2 x 12, second point (another dout) 2 x 12: 50."""
    from nngrad import check_pair

    report = check_pair(*_pair())
    assert report.status == "PASS" and len(report.second) == 2 and report.loss_evaluations == 50


def test_a_second_point_that_cannot_run_adds_no_evaluation_and_says_so():
    """backward raises at any dout but the first: the second point is skipped (said in a finding), and the count
    is the first point's alone, 2 + 2 x 12 = 26."""
    from nngrad import check_pair

    forward, backward, x, W = _pair()
    seen = []

    def first_dout_only(d, cache):
        seen.append(d.copy()) if not seen else None
        if not np.array_equal(d, seen[0]):
            raise RuntimeError("another dout")
        return backward(d, cache)

    report = check_pair(forward, first_dout_only, x, W)
    assert "probe-skipped" in {f.kind for f in report.findings} and report.second == []
    assert report.loss_evaluations == 26


# -- the second point: only where everything agreed, at another dout -------------------------------------------------

def test_no_second_point_where_one_array_failed():
    """dW doubled, dx right: the check fails on dW at the first point and does not go on to a second."""
    from nngrad import check_pair

    forward, backward, x, W = _pair()
    report = check_pair(forward, lambda d, c: (backward(d, c)[0], 2 * backward(d, c)[1]), x, W)
    assert report.status == "FAIL" and report.second == []
    assert [r.verdict for r in report.rows] == ["ok", "FAIL"]


def test_the_second_point_is_at_another_dout():
    """A backward that remembers its first dout's answer (right there, wrong at any other dout) passes the first
    point and fails the second."""
    from nngrad import check_pair

    forward, backward, x, W = _pair()
    memo = []

    def remembered(d, cache):
        if not memo:
            memo.append(backward(d, cache))
        return memo[0]

    report = check_pair(forward, remembered, x, W)
    assert all(r.verdict == "ok" for r in report.rows)
    assert report.status == "FAIL" and any(r.verdict == "FAIL" for r in report.second)


@pytest.mark.parametrize("seed", [0, 5])
def test_the_second_point_of_seed_s_is_the_first_point_of_seed_s_plus_1(seed):
    """Fast mode (random directions): the second point of a check at seed s draws its dout and its directions as
    a check at seed s + 1 draws its first; its rows are in their arrays' shapes."""
    from nngrad import check_pair

    forward, backward, x, W = _pair()
    second = check_pair(forward, backward, x, W, mode="fast", seed=seed).second
    first = check_pair(forward, backward, x, W, mode="fast", seed=seed + 1).rows
    assert [(r.numerical, r.analytic) for r in second] == [(r.numerical, r.analytic) for r in first]
    assert [r.shape for r in second] == [(2, 3), (3, 2)]  # each row in its array's shape, as at the first point


# -- which tolerances a report names ----------------------------------------------------------------------------

def test_a_report_names_the_complex_steps_rtol_when_any_row_used_it():
    """forward(x, w) = sigmoid(x) + w at saturated x, w ~ 1e3: dx (1e-13 .. 5e-12) is confirmed by the complex step, dw
    (= dout) by central differences: both rtols are named, 1e-6 and 1e-8."""
    from nngrad import check_pair

    def forward(x, w):
        s = 1 / (1 + np.exp(-x))
        return s + w, s

    def backward(d, s):
        return d * s * (1 - s), d

    report = check_pair(forward, backward, X_SATURATED.copy(), np.full((2, 3), 1e3))
    assert [r.reference for r in report.rows] == ["complex step", "central differences"], report
    assert report.rtols == {"central differences": 1e-6, "complex step": 1e-8}


# -- the words of a skipped probe, a wrong dtype, a forward that cannot be repeated --------------------------------

def test_a_skipped_probes_error_is_cut_at_160_characters():
    from nngrad.check.judge import _short

    assert _short("x" * 160) == "x" * 160
    assert _short("x" * 161) == "x" * 157 + "..."
    assert _short("a  b\n c") == "a b c"


@pytest.mark.parametrize("grad_dtype, words", [(np.float32, "its digits are lost"),
                                               (np.int64, "an integer gradient is truncated")])
def test_a_gradient_of_the_wrong_dtype_is_named_with_its_likely_cause(grad_dtype, words):
    from nngrad import check_pair

    forward, backward, x, W = _pair()
    report = check_pair(forward, lambda d, c: tuple(g.astype(grad_dtype) for g in backward(d, c)), x, W)
    said = " ".join(f.message for f in report.findings if f.kind == "dtype")
    assert words in said, report


def test_a_forward_that_cannot_be_repeated_has_no_numbers():
    """A forward drawing from a generator nngrad cannot reach: nothing checked, no claimed or numerical values."""
    from nngrad import check_pair

    forward, backward, x, W = _pair()
    hidden = np.random.default_rng(3)
    report = check_pair(lambda x, W: forward(x * hidden.uniform(0.5, 1.5), W), backward, x, W)
    assert report.status == "INCONCLUSIVE" and report.mode == "not checked"
    assert report.analytic.size == 0 and report.numerical.size == 0


def test_no_second_point_where_an_array_failed_though_no_finding_fails():
    """dW1 off (by an amount growing with dout), db1 right, both of layer 1: no diagnosis names it (the first-sample
    probe cannot slice this code: skipped) so no finding fails; the failed row alone keeps the second point off."""
    from nngrad import check_pair

    x0 = np.random.default_rng(1).standard_normal((2, 3))
    noise = np.random.default_rng(4).standard_normal((3, 2))

    def forward(W1, b1):
        return x0 @ W1 + b1, None

    def backward(d, cache):
        return x0.T @ d + 1e-3 * noise * float(np.sum(d * d)), d.sum(axis=0)

    report = check_pair(forward, backward, np.arange(6.0).reshape(3, 2) / 10, np.array([0.1, -0.2]))
    assert [r.verdict for r in report.rows] == ["FAIL", "ok"] and not any(f.fails for f in report.findings)
    assert report.status == "FAIL" and report.second == []


def test_no_second_point_after_a_failing_finding_and_no_evaluation_counted_for_it():
    """backward right but zeroing the dout it was given: a failing finding ("dout-modified"), every row right; no
    second point, and the count is the first point's: 2 + 2 x 12 = 26."""
    from nngrad import check_pair

    forward, backward, x, W = _pair()

    def zeroes_dout(d, cache):
        grads = backward(d.copy(), cache)
        d[...] = 0.0
        return grads

    report = check_pair(forward, zeroes_dout, x, W)
    assert "dout-modified" in {f.kind for f in report.findings} and report.second == []
    assert report.loss_evaluations == 26


def test_the_second_points_zero_by_design_probe_draws_with_the_second_points_seed():
    """c moves the output only at its last bit while c < 1.8, and by 1e-3 (c - 1.8) beyond: the probe "does the
    output stay put when c moves by ~1?" answers by its draw (uniform in [0.5, 1.5]: yes below 0.8). The second
    point of a check at seed 19 is the first point of a check at seed 20: the same draw (0.78), the same verdict
    (here "ok", checked against zero); seed 19's, 21's or 1's draw (0.92, 1.28, 1.01) would leave it
    unresolvable."""
    from nngrad import check_pair

    def forward(x, c):
        bump = 1e-16 * np.sin(1e7 * c[0]) + 1e-3 * max(float(np.real(c[0])) - 1.8, 0.0)
        return 2.0 * x + bump, None

    def backward(d, cache):
        return 2.0 * d, np.zeros(1)

    x = np.array([[0.3, -0.2], [0.5, 0.1]])
    second = check_pair(forward, backward, x.copy(), np.ones(1), seed=19).second
    first = check_pair(forward, backward, x.copy(), np.ones(1), seed=20).rows
    assert [(r.name, r.verdict, r.reference) for r in second] == [(r.name, r.verdict, r.reference) for r in first]
    assert second[1].verdict == "ok" and second[1].reference == "zero (invariant)"


def test_a_check_with_no_array_compared_has_no_numbers():
    """Every gradient of the wrong shape: nothing compared, no claimed or numerical values."""
    from nngrad import check_pair

    forward, backward, x, W = _pair()
    report = check_pair(forward, lambda d, c: (backward(d, c)[0].T, backward(d, c)[1].T), x, W)
    assert {r.verdict for r in report.rows} == {"shape"}
    assert report.analytic.size == 0 and report.numerical.size == 0


def test_an_operand_not_contiguous_in_memory_is_unchecked_and_said_why():
    """W stored column-major cannot be perturbed in place through a flat view: its row is unchecked and a finding
    says why and what to do."""
    from nngrad import check_pair

    forward, backward, x, W = _pair()
    report = check_pair(forward, backward, x, np.asfortranarray(W))  # column-major: flattening copies it
    said = " ".join(f.message for f in report.findings if f.kind == "unchecked")
    assert report.rows[1].verdict == "unchecked" and "not contiguous in memory" in said, report


class _Steep:
    """out = 1e12 + 1e3 x m (m: a mask with one 0): derivatives 1e3 dout, far above max|dout| yet far below
    central differences' resolution at a scalar of ~1e12; the claim for the masked element (true derivative 0) is
    off by ``times`` x 100 u x the largest derivative."""

    MASK = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])

    def __init__(self, times: float):
        self.times = times

    def forward(self, x):
        return 1e12 + 1e3 * x * self.MASK

    def backward(self, dout):
        g = 1e3 * self.MASK * dout
        g[0, 2] += self.times * EXACT_FLOOR * np.abs(g).max()
        return g


@pytest.mark.parametrize("times, confirmed", [(0.3, True), (0.9, True), (3.0, False)])
def test_second_opinion_floor_scales_with_the_largest_derivative_where_it_exceeds_dout(times, confirmed):
    """The floor is 100 u x max(largest |derivative|, max |dout|): here the derivatives (1e3 dout) set it."""
    from nngrad import check_layer

    report = check_layer(_Steep(times), np.array([[0.3, -0.2, 0.5], [0.1, 0.7, -0.4]]))
    assert (report.status == "PASS") is confirmed and report.rows[0].verdict == ("ok" if confirmed else "unresolvable")


def test_a_probes_warnings_stay_inside_the_check():
    """The check at a second point runs the user's code at a dout of its own: a warning the code raises only
    there does not reach the caller (the check itself passes)."""
    import warnings

    from nngrad import check_pair

    forward, backward, x, W = _pair()
    first = []

    def warns_at_another_dout(d, cache):
        first.append(d.copy()) if not first else None
        if not np.array_equal(d, first[0]):
            warnings.warn("another dout")
        return backward(d, cache)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = check_pair(forward, warns_at_another_dout, x, W)
    assert report.status == "PASS" and len(report.second) == 2
    assert [str(w.message) for w in caught] == []


def test_a_check_of_float32_and_float64_operands_is_judged_at_float32s_tolerance():
    """x float32, W float64: the check's dtype is the narrowest, float32: central differences' rtol 1e-2."""
    from nngrad import check_pair

    forward, backward, x, W = _pair()
    report = check_pair(forward, backward, x.astype(np.float32), W)
    assert report.rtols["central differences"] == 1e-2
