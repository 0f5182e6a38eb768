"""Tests that catch the mutations a review planted and the old suite let through (issue 9.15): each names the
mutation it kills."""

import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import fake_benchmark_json, fake_point, make_data

import nngrad
from nngrad import DNN, Dense, gradient, gradient_check, runfiles
from nngrad._files import write_atomic
from nngrad.results.compare import ratio_table
from nngrad.results.fits import power_fit
from nngrad.results.load import _assemble


def test_batched_chunks_stay_within_their_memory_bound(rng):
    """Kills: chunk_size ignoring max_bytes."""
    net = DNN(3, 64, 10, 2, seed=0)
    x, y = make_data(net, 16, rng)
    for max_bytes in (2**20, 8 * 2**20):
        tracemalloc.start()
        gradient(net, x, y, "numerical-batched", max_bytes=max_bytes)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 2 * max_bytes  # the chunk's arrays within the bound, the prefix and gradient beside it


@pytest.mark.parametrize("method", ["numerical-batched", "central-batched", "complex-step", "forward-mode"])
def test_a_single_sample_is_a_batch_of_one_for_the_batched_methods(method):
    """Kills: the 1-D single-sample path not adding the batch axis to y."""
    net = DNN(2, 5, 3, 2, loss="mse", seed=0)
    x, y = np.array([0.1, -0.4, 0.7]), np.array([0.2, 0.9])
    np.testing.assert_allclose(gradient(net, x, y, method).grad, gradient(net, x[None], y[None], method).grad,
                               rtol=1e-9, atol=1e-15)


def test_a_single_samples_db_is_not_the_callers_dout():
    """Kills: the single-sample db aliasing dout."""
    layer = Dense(np.ones((3, 2)), np.zeros(2))
    layer.forward(np.ones(3))
    dout = np.array([1.0, 2.0])
    layer.backward(dout)
    dout[:] = 0
    np.testing.assert_array_equal(layer.db, [1.0, 2.0])


def test_the_checker_catches_an_error_of_one_part_in_ten_thousand(rng, monkeypatch):
    """Kills: the pass threshold 100x looser, or the tolerances 1000x looser."""
    net = DNN(2, 5, 3, 2, seed=0)
    x, y = make_data(net, 3, rng)
    real = nngrad.check.dnn_check.backprop_gradient
    monkeypatch.setattr(nngrad.check.dnn_check, "backprop_gradient",
                        lambda *a: (real(*a)[0], real(*a)[1] * (1 + 1e-4)))
    assert gradient_check(net, x, y).status == "FAIL"


def test_the_fits_standard_error_is_the_least_squares_one():
    """Kills: the fit's standard error scaled."""
    rng = np.random.default_rng(3)
    n = np.geomspace(10, 1e5, 20)
    y = 3 * n ** 1.5 * np.exp(rng.normal(0, 0.2, n.size))
    k, _, se = power_fit(n[:, None], y)
    coef, cov = np.polyfit(np.log(n), np.log(y), 1, cov=True)
    assert k[0] == pytest.approx(coef[0]) and se[0] == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-9)


def test_the_comparisons_interval_of_constant_rounds_is_the_ratio_itself():
    """Kills: compare's bootstrap interval or verdict rule changed (every resample of constant rounds has the
    same median, so the interval is exactly [r, r])."""
    a = pd.DataFrame([{"method": "forward", "depth": d, "width": 8, "batch": 16, "n_params": 106, "status": "ok",
                       "median_s": 1.0, "iqr_s": 0.0, "round_times_s": (1.0,) * 5} for d in (1, 2, 3)])
    b = a.assign(median_s=[2.0, 1.04, 0.95], round_times_s=[(2.0,) * 7, (1.04,) * 4, (0.95,) * 3])
    table = ratio_table(a, b)
    assert list(table["ratio_ci_low"]) == list(table["ratio_ci_high"]) == list(table["ratio_b_over_a"])
    assert list(table["ratio_ci_low"]) == [2.0, 1.04, 0.95]
    assert list(table["verdict"]) == ["slower", "same", "faster"]  # 1.04 < 1.05; 0.95 < 1/1.05


def test_a_failed_write_keeps_the_old_file_whole(tmp_path, monkeypatch):
    """Kills: write_atomic made non-atomic (the old atomic test failed before any file was opened)."""
    target = tmp_path / "summary.csv"
    target.write_text("old")

    def replace_fails(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", replace_fails)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new content, written in full to a temporary file first")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


def test_the_latest_record_of_a_point_wins():
    """Kills: "latest record wins" reversed."""
    p = fake_point("forward", 1, 8)
    data = fake_benchmark_json([p])
    first = {"status": "failed", "point": p["planned"], "extra_info": p["extra_info"], "message": "first"}
    later = {"status": "skipped", "point": p["planned"], "extra_info": p["extra_info"], "message": "later"}
    points = _assemble("t", data["nngrad"], [first, later], []).points
    assert list(points["status"]) == ["skipped"] and list(points["message"]) == ["later"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process group")
def test_ctrl_c_keeps_the_finished_points_and_resume_runs_only_the_rest(tmp_path):
    """Kills: resume re-running finished points; the old resume test never sent a real SIGINT.
    No "forward" method: a bench re-times points whose gradient reads cheaper than one loss evaluation (forward's
    time), with the forward point of their network, and on a loaded machine that chose points finished before the
    Ctrl-C (1 failure in 6): without forward no point can read impossible, so every resumed record is the suite's."""
    cmd = [sys.executable, "-m", "nngrad", "bench", "--depths", "1,2,4,8", "--widths", "8,16,32", "--methods",
           "backprop,numerical-batched", "--out", str(tmp_path)]  # 26 points: far from done after 3
    # a background job starts with SIGINT ignored, and a child inherits "ignored" (not a handler): with a handler
    # in place while it starts, the sweep hears the Ctrl-C however pytest was run
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + 600  # a ceiling for a hang, not a speed limit: planning is slow on a busy machine
    while time.monotonic() < deadline and child.poll() is None:
        runs = list(tmp_path.iterdir())
        if runs and (runs[0] / runfiles.POINTS).exists() and len(runfiles.read_points(runs[0])) >= 3:
            break
        time.sleep(0.1)
    assert child.poll() is None, "the sweep finished before it could be interrupted"
    os.killpg(child.pid, signal.SIGINT)  # Ctrl-C, to the whole group as a terminal sends it
    assert child.wait(timeout=600) == 130  # it writes the report of what finished before it exits
    (run,) = tmp_path.iterdir()
    before = [r for r in runfiles.read_points(run) if r["status"] in runfiles.DONE]
    assert before and len(runfiles.unfinished(run)) > 0
    done = subprocess.run([sys.executable, "-m", "nngrad", "bench", "--resume", str(run)], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    after = runfiles.read_points(run)
    for record in before:  # nothing finished before was measured again: its one record is the one it had
        key = runfiles.point_key(record["point"])
        assert [r for r in after if runfiles.point_key(r["point"]) == key] == [record], key
    assert not runfiles.unfinished(run) and "retimed" not in runfiles.read_run_meta(run)


def test_the_tours_give_the_numbers_they_claim():
    """The README test ran the tours and checked none of what their comments claim."""
    root = Path(__file__).resolve().parent.parent
    api, readme = (root / "docs" / "methods.md").read_text(), (root / "README.md").read_text()
    net = nngrad.DNN(hidden_depth=5, num_neuron=32, num_input=10, num_output=2, seed=0)
    x, y = np.random.default_rng(0).random((1, 10)), np.array([[0.2, 0.9]])
    assert net.num_params == 4642 and "N = 4642 parameters" in api and "N = 4642 parameters" in readme
    assert net.dense_layers[0].W.shape == (10, 32) and "# (10, 32)" in api
    assert nngrad.numerical_gradient(net, x, y).loss_evaluations == 4643 and "loss_evaluations == 4643" in api
    r = nngrad.gradient(net, x, y, method="forward-mode")
    assert (r.loss_evaluations, r.tangent_passes) == (1, 4642) and "1 and 4642, counted" in api
    xb, yb = np.random.default_rng(0).random((16, 10)), np.random.default_rng(1).random((16, 2))  # the front page's
    r = nngrad.gradient(net, xb, yb, method="forward-mode")
    gap = float(np.abs(r.grad - nngrad.gradient(net, xb, yb).grad).max())
    assert r.tangent_passes == 4642 and gap < 1e-17 and "# 4642 passes, ~1e-18 from backprop" in readme
    assert nngrad.gradient_check(net, xb, yb).status == "PASS" and "# PASS: each W and b" in readme


# -- survivors of a mutmut run (issue 9.15): each test kills the mutants named ------------------------------------

def test_a_schemes_error_is_round_off_over_the_step_plus_truncation():
    """Kills: Scheme.error's u / eps written u * eps; Scheme.tolerance always giving float32's."""
    from nngrad.methods.schemes import SCHEMES

    u = float(np.finfo(np.float64).eps)
    assert SCHEMES["forward"].error(1e-6, 2.0) == pytest.approx((u / 1e-6 + 1e-6) * 2.0, rel=1e-12)
    assert SCHEMES["central"].error(1e-4, -3.0) == pytest.approx((u / 1e-4 + 1e-8) * 3.0, rel=1e-12)
    for scheme in SCHEMES.values():
        assert scheme.tolerance(np.float64) < scheme.tolerance(np.float32)


def test_an_arrays_check_names_the_worst_element_anywhere_with_its_values():
    """Kills: the worst element fixed at index 0; an error between 1x and 2x its allowance passing; the reported
    errors, values and failing indices replaced or computed wrongly."""
    from nngrad.check.compare import compare

    analytic = np.array([[1.0, 2.0], [3.0, 4.0]])
    numerical = analytic.copy()
    numerical[1, 0] = 3.0 * (1 + 3e-6)  # 1.5x its allowance of rtol (|a| + |n|) at rtol 1e-6
    numerical[0, 1] = 2.0 * (1 + 1e-7)  # within it
    check = compare("W", (2, 2), analytic, numerical, "ref", rtol=1e-6, floor=0.0)
    assert check.verdict == "FAIL" and check.worst_index == (1, 0)
    assert (check.analytic, check.numerical) == (3.0, numerical[1, 0])
    assert check.max_abs_error == pytest.approx(9e-6)
    assert check.max_rel_error == pytest.approx(9e-6 / (3.0 + numerical[1, 0]))
    assert check.tolerance == pytest.approx(1e-6 * (3.0 + numerical[1, 0]))
    assert list(check.failing) == [2]
    assert compare("b", (0,), np.zeros(0), np.zeros(0), "ref", 1e-6, 0.0).verdict == "zero"


def test_the_theory_exponents_of_each_family_are_the_operation_counts():
    """Kills: the depth, width or batch exponent of the asymptotic theory changed."""
    from nngrad.results.fits import asymptotic

    assert asymptotic("reverse-mode") == {"depth": 1, "width": 2, "batch": 1, "N": 1}
    assert asymptotic("finite-difference") == {"depth": 2, "width": 4, "batch": 1, "N": 2}
    assert all(np.isnan(v) for k, v in asymptotic("unknown").items() if k != "batch")


def test_a_fit_with_no_residual_degrees_of_freedom_has_no_standard_error():
    """Kills: power_fit's dof > 0 written >= 0 or > 1, and its NaN standard errors replaced."""
    k, c, se = power_fit(np.array([[1.0], [2.0]]), np.array([3.0, 12.0]))  # two points, two coefficients
    assert k[0] == pytest.approx(2.0) and c == pytest.approx(np.log(3.0)) and np.isnan(se).all()
    k, _, se = power_fit(np.array([[1.0], [2.0], [4.0]]), np.array([3.0, 12.0, 48.0]))  # one dof, exact
    assert k[0] == pytest.approx(2.0) and se[0] == pytest.approx(0.0, abs=1e-12)


def test_a_relu_networks_arrays_are_resolved_and_a_wrong_one_is_caught():
    """Kills: the resolution floor written RESOLVE / floor or KAPPA / (every ReLU array "unresolved", nothing
    checked, and nobody noticed); an array below the resolution is named, not judged."""
    from nngrad.methods.backprop import backprop
    from nngrad.methods.checks import directional_error

    net = DNN(2, 8, 4, 3, activation="relu", init="he", seed=3)
    x, y = make_data(net, 6, np.random.default_rng(4))
    grad = backprop(net, x, y)[1]
    error, unresolved = directional_error(net, x, y, grad)
    assert unresolved == [] and error < 1e-6  # central differences resolve every array of a He-initialised net
    wrong = grad.copy()
    first = net.param_arrays()[0]
    wrong[first.start:first.stop] *= 1.01  # 1% off in the first layer's W only
    error, unresolved = directional_error(net, x, y, wrong)
    assert unresolved == [] and error > 1e-3
    tiny = DNN(2, 8, 4, 3, activation="relu", init="normal", init_std=1e-9, seed=3)  # gradients ~0 below L's noise
    _, unresolved = directional_error(tiny, x, y, backprop(tiny, x, y)[1])
    assert unresolved and all(name[0] in "Wb" and name[1:].isdigit() for name in unresolved)
