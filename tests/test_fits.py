import numpy as np
import pandas as pd
import pytest
from conftest import fake_benchmark_json, sweep_points

from nngrad.results.fits import cost_model, power_fit
from nngrad.results.load import _assemble


def points_frame(points) -> pd.DataFrame:
    data = fake_benchmark_json(points)
    return _assemble("t", data["nngrad"], data["nngrad"]["records"], data["benchmarks"]).points


def test_power_fit_recovers_exact_exponents():
    rng = np.random.default_rng(0)
    d, w = rng.integers(1, 20, 30).astype(float), rng.integers(4, 300, 30).astype(float)
    k, c, se = power_fit(np.column_stack([d, w]), 3.0 * d ** 1.5 * w ** 2)
    np.testing.assert_allclose(k, [1.5, 2.0], rtol=1e-10)
    assert c == pytest.approx(np.log(3.0)) and (se < 1e-8).all()


def test_power_fit_reports_uncertainty_on_noisy_data():
    rng = np.random.default_rng(1)
    n = np.geomspace(10, 1e5, 12)
    k, _, se = power_fit(n[:, None], n ** 2 * np.exp(rng.normal(0, 0.1, 12)))
    assert abs(k[0] - 2) < 4 * se[0] and 0 < se[0] < 0.1


def test_times_that_follow_the_operation_counts_give_the_theoretical_exponents():
    fits = cost_model(points_frame(sweep_points()))
    assert not fits.empty
    fitted = fits.dropna(subset=["exponent"])
    np.testing.assert_allclose(fitted["exponent"], fitted["theory_sizes"], rtol=1e-8, atol=1e-12)
    ratio = fitted[(fitted["model"] == "ratio ~ N^k") & (fitted["method"] == "numerical-loop")].iloc[0]
    assert ratio["theory_asymptotic"] == 1 and 0.9 < ratio["exponent"] < 1.1
    width = fitted[(fitted["method"] == "backprop") & (fitted["term"] == "width")].iloc[0]
    assert width["theory_asymptotic"] == 2 and 1.5 < width["exponent"] <= 2


def test_overhead_dominated_points_are_kept_out_and_counted():
    frame = points_frame(sweep_points(depths=(1, 2, 4), widths=(4, 8, 128, 256)))
    fits = cost_model(frame)
    row = fits[(fits["method"] == "forward") & (fits["term"] == "N")].iloc[0]
    overhead = frame[(frame["method"] == "forward") & frame["overhead_dominated"]]
    assert row["excluded_overhead"] == len(overhead) > 0
    assert row["points"] == (frame["method"] == "forward").sum() - len(overhead)


def test_too_few_points_say_so_instead_of_fitting():
    fits = cost_model(points_frame(sweep_points(depths=(1,), widths=(256,))))
    assert fits["exponent"].isna().all() and fits["note"].str.contains("not enough points").all()


def test_a_known_departure_from_the_operation_counts_is_measured_exactly():
    """Times = flops x 1e-9 x depth^0.5: the fitted depth exponent must exceed the theory's by exactly 0.5 (a fit
    that returned theory, or anything else deterministic, fails)."""
    points = sweep_points(methods=("forward",))
    for p in points:
        scale = p["planned"]["depth"] ** 0.5
        for key in ("median", "q1", "q3", "min"):
            p["stats"][key] *= scale
    fits = cost_model(points_frame(points))
    row = fits[(fits["method"] == "forward") & (fits["term"] == "depth")].iloc[0]
    assert row["exponent"] - row["theory_sizes"] == pytest.approx(0.5, abs=1e-9)
