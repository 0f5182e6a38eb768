"""Each tolerance a gradient is judged with, at its boundary: an error of twice the tolerance fails, half of it
passes; and the complex step at its default step is exact to rounding. The tolerances are stated here as the
rules they are (docs/checker.md, nngrad/tolerances.py), not read back from the table they test: a table 100 times
looser must fail these tests. (Issue 20: M05, M07, M17, M20.)"""

import numpy as np
import pytest
from conftest import make_data

import nngrad
from nngrad import DNN, GradientResult, gradient, gradient_check
from nngrad.methods import get
from nngrad.methods.checks import relative_error
from nngrad.sweep.point_check import check_point

# the rules, as documented
FD_POINT_TOL = 1e-5  # a benchmark point of a forward difference: ||g - r|| <= 1e-5 ||r|| per array, r = backprop
COMPLEX_STEP_RTOL = 1e-8  # gradient_check against the complex step: |a - n| <= 1e-8 (|a| + |n|) (docs/checker.md)
EXACT_F32_TOL = 1e-4  # a float32 point of an exact method: ||g - r|| <= 1e-4 ||r||, r = backprop in float64
FD_F32_TOL = 5e-2  # a float32 point of a finite difference: its truncation and round-off at float32's step
ROUNDING = 1e-14  # the complex step at its default step against backprop: both exact, they differ by rounding


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal(n)
    return v / np.linalg.norm(v)


def _off_per_array(net, reference: np.ndarray, relative: float, seed: int = 0) -> np.ndarray:
    """``reference`` moved in each parameter array by ``relative`` x that array's norm, in a random direction."""
    rng, out = np.random.default_rng(seed), reference.copy()
    for a in net.param_arrays():
        r = reference[a.start:a.stop]
        out[a.start:a.stop] = r + relative * np.linalg.norm(r) * _unit(rng, r.size)
    return out


def _fixed(result: GradientResult):
    return lambda: result


# -- M05: the complex step's default step ----------------------------------------------------------------------------

def test_the_complex_step_at_its_default_step_matches_backprop_to_rounding_on_a_deep_sigmoid_network():
    """Kills: the complex step's h = 1e-6 (its truncation h^2 then shows: ~3e-13 here) instead of 1e-20."""
    net = DNN(5, 8, 4, 3, seed=3)  # deep sigmoid: the first layers' gradients are orders of magnitude smaller
    x, y = make_data(net, 6, np.random.default_rng(4))
    exact, complex_step = gradient(net, x, y).grad, gradient(net, x, y, "complex-step").grad
    for a in net.param_arrays():  # each array at its own scale: the first layer cannot hide behind the last
        assert relative_error(complex_step[a.start:a.stop], exact[a.start:a.stop]) <= ROUNDING, f"{a.name}{a.layer}"


# -- M07: a finite-difference point of the benchmark -----------------------------------------------------------------

@pytest.fixture
def shallow():
    """A network whose loss is small against its gradient (targets near its outputs): a forward difference's own
    error, which the point check allows for, is then far below the tolerance, and the boundary is the tolerance."""
    net = DNN(1, 4, 3, 2, seed=5)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 3))
    y = net.forward(x) + 0.05 * rng.standard_normal((5, 2))
    return net, *net.check_data(x, y)


@pytest.mark.parametrize("method", ["numerical-batched", "numerical-loop", "central-batched"])
@pytest.mark.parametrize("times, passed", [(0.5, True), (2.0, False)])
def test_a_finite_difference_point_fails_at_twice_its_tolerance_and_passes_at_half(shallow, method, times, passed):
    """Kills: the finite-difference point tolerance 100 times looser."""
    net, x, y = shallow
    exact = gradient(net, x, y).grad
    off = _off_per_array(net, exact, times * FD_POINT_TOL)
    m = get(method)
    check = check_point(m, _fixed(GradientResult(off, None, method, m.work_count(net.num_params))), net, x, y)
    assert check.passed is passed, check.gradient_error


# -- M20: gradient_check against the complex step --------------------------------------------------------------------

@pytest.mark.parametrize("times, status", [(0.5, "PASS"), (2.0, "FAIL")])
def test_gradient_check_fails_an_error_of_twice_its_rtol_and_passes_half(monkeypatch, times, status):
    """Kills: gradient_check's rtol against the complex step at 1e-6 instead of 1e-8. Each element of backprop's
    gradient is moved so that |a - n| / (|a| + |n|) = times x rtol."""
    net = DNN(2, 5, 3, 2, seed=0)
    x, y = make_data(net, 4, np.random.default_rng(1))
    e = times * COMPLEX_STEP_RTOL
    real = nngrad.check.dnn_check.backprop_gradient
    signs = np.where(np.random.default_rng(2).random(net.num_params) < 0.5, -1.0, 1.0)  # some up, some down

    def off(*args):
        loss, grad = real(*args)
        return loss, grad * (1 + signs * 2 * e / (1 - signs * e))  # |a - n| / (|a| + |n|) = e exactly

    monkeypatch.setattr(nngrad.check.dnn_check, "backprop_gradient", off)
    report = gradient_check(net, x, y)
    assert report.status == status


# -- M17: float32 points -------------------------------------------------------------------------------------------

@pytest.fixture
def float32_net():
    net = DNN(2, 5, 3, 2, seed=11, dtype=np.float32)
    x, y = make_data(net, 4, np.random.default_rng(12))
    wide = net.to(dtype=np.float64)
    exact = gradient(wide, *wide.check_data(x.astype(np.float64), y)).grad
    return net, *net.check_data(x, y), exact


def _off_whole(exact: np.ndarray, relative: float, seed: int = 3) -> np.ndarray:
    return exact + relative * np.linalg.norm(exact) * _unit(np.random.default_rng(seed), exact.size)


@pytest.mark.parametrize("method", ["complex-step", "forward-mode", "backprop"])
@pytest.mark.parametrize("times, passed", [(0.5, True), (2.0, False)])
def test_a_float32_point_of_an_exact_method_is_judged_by_the_exact_tolerance(float32_net, method, times, passed):
    """Kills: float32's complex step (exact, though of the finite-difference family) judged with the loose
    finite-difference tolerance."""
    net, x, y, exact = float32_net
    m = get(method)
    grad = _off_whole(exact, times * EXACT_F32_TOL).astype(np.float32)
    check = check_point(m, _fixed(GradientResult(grad, None, method, m.work_count(net.num_params))), net, x, y)
    assert check.tolerance == EXACT_F32_TOL and check.passed is passed, check.gradient_error


@pytest.mark.parametrize("times, passed", [(0.5, True), (2.0, False)])
def test_a_float32_point_of_a_finite_difference_is_judged_by_the_difference_tolerance(float32_net, times, passed):
    """The other side of the rule: a float32 forward difference is allowed its step's error (an error between the
    two tolerances passes it and fails an exact method)."""
    net, x, y, exact = float32_net
    m = get("numerical-batched")
    grad = _off_whole(exact, times * FD_F32_TOL).astype(np.float32)
    check = check_point(m, _fixed(GradientResult(grad, None, m.name, m.work_count(net.num_params))), net, x, y)
    assert check.tolerance == FD_F32_TOL and check.passed is passed, check.gradient_error
