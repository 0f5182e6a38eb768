import numpy as np
import pandas as pd
import pytest
from conftest import fake_benchmark_json, fake_point, sweep_points

from nngrad.results.fits import RESAMPLES, bootstrap_interval, growth_fits, power_fit
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
    fits = growth_fits(points_frame(sweep_points()))
    assert not fits.empty
    fitted = fits.dropna(subset=["exponent"])
    np.testing.assert_allclose(fitted["exponent"], fitted["theory_sizes"], rtol=1e-8, atol=1e-12)
    ratio = fitted[(fitted["model"] == "ratio ~ N^k") & (fitted["method"] == "numerical-loop")].iloc[0]
    assert ratio["theory_asymptotic"] == 1 and 0.9 < ratio["exponent"] < 1.1
    width = fitted[(fitted["method"] == "backprop") & (fitted["term"] == "width")].iloc[0]
    assert width["theory_asymptotic"] == 2 and 1.5 < width["exponent"] <= 2


def test_overhead_dominated_points_are_kept_out_and_counted():
    frame = points_frame(sweep_points(depths=(1, 2, 4), widths=(4, 8, 128, 256)))
    fits = growth_fits(frame)
    row = fits[(fits["method"] == "forward") & (fits["term"] == "N")].iloc[0]
    overhead = frame[(frame["method"] == "forward") & frame["overhead_dominated"]]
    assert row["excluded_overhead"] == len(overhead) > 0
    assert row["points"] == (frame["method"] == "forward").sum() - len(overhead)


def test_too_few_points_say_so_instead_of_fitting():
    fits = growth_fits(points_frame(sweep_points(depths=(1,), widths=(256,))))
    assert fits["exponent"].isna().all() and fits["note"].str.contains("not fitted: not enough points").all()


def test_three_points_are_not_fitted_however_well_they_line_up():
    frame = points_frame(sweep_points(depths=(1, 4, 16), widths=(64,), methods=("forward", "backprop")))
    frame["overhead_dominated"] = False
    fits = growth_fits(frame)
    assert fits["exponent"].isna().all()
    measured = fits[fits["points"] == 3]
    assert len(measured) == 6 and measured["note"].str.contains(r"not fitted: not enough points \(3.*need at least 5\)").all()


def test_sizes_that_span_too_little_are_not_fitted_and_the_note_says_how_little():
    frame = points_frame(sweep_points(depths=(4, 5, 6, 7, 8), widths=(64,), methods=("forward",)))
    frame["overhead_dominated"] = False
    row = growth_fits(frame).set_index("model").loc["time ~ N^k"]
    assert np.isnan(row["exponent"]) and "not fitted: N spans only 2.2x (13,314 to 29,954)" in row["note"] and "need at least 4x" in row[
        "note"]
    wide = points_frame(sweep_points(depths=(1, 2, 4, 8, 16), widths=(64,), methods=("forward",)))
    wide["overhead_dominated"] = False
    assert growth_fits(wide).set_index("model").loc["time ~ N^k", "exponent"] == pytest.approx(1, abs=0.1)


def test_a_known_departure_from_the_operation_counts_is_measured_exactly():
    """Times = flops x 1e-9 x depth^0.5: the fitted depth exponent must exceed the theory's by exactly 0.5 (a fit
    that returned theory, or anything else deterministic, fails)."""
    points = sweep_points(methods=("forward",))
    for p in points:
        scale = p["planned"]["depth"] ** 0.5
        for key in ("median", "q1", "q3", "min"):
            p["stats"][key] *= scale
    fits = growth_fits(points_frame(points))
    row = fits[(fits["method"] == "forward") & (fits["term"] == "depth")].iloc[0]
    assert row["exponent"] - row["theory_sizes"] == pytest.approx(0.5, abs=1e-9)


def with_times(points: list[dict], seconds) -> list[dict]:
    """points with every stored time replaced by seconds(point) (s)."""
    for p in points:
        scale = seconds(p) / p["stats"]["median"]
        for key in ("median", "q1", "q3", "min"):
            p["stats"][key] *= scale
    return points


def ratio_rows(fits: pd.DataFrame, method: str = "numerical-loop") -> pd.DataFrame:
    return fits[(fits["method"] == method) & (fits["model"] == "ratio ~ N^k")].set_index("regime")


def test_bootstrap_interval_contains_the_true_exponents_on_noisy_data():
    rng = np.random.default_rng(2)
    d, w = rng.integers(1, 20, 40).astype(float), rng.integers(4, 300, 40).astype(float)
    features, y = np.column_stack([d, w]), 3.0 * d ** 1.5 * w ** 2 * np.exp(rng.normal(0, 0.2, 40))
    low, high, kept = bootstrap_interval(features, y)
    _, _, se = power_fit(features, y)
    assert kept == RESAMPLES and (low < [1.5, 2.0]).all() and ([1.5, 2.0] < high).all()
    assert (se < (high - low) / 2).all() and ((high - low) / 2 < 4 * se).all()  # about +-2 se: noise is independent


def test_bootstrap_interval_of_a_bend_is_wider_than_the_ols_error():
    """time = overhead + work: one power law does not hold, the residuals are systematic (not noise), and the
    bootstrap's interval must be wider than the OLS +-2 stderr that assumes independent noise."""
    n = np.geomspace(10, 1e5, 12)
    k, _, se = power_fit(n[:, None], 1e3 + n)
    low, high, _ = bootstrap_interval(n[:, None], 1e3 + n)
    assert low[0] < k[0] < high[0] and (high - low)[0] / 2 > 2.5 * se[0]


def test_exact_data_gives_a_zero_width_interval_at_the_true_exponent():
    """time = N^2 ns (numerical-loop), N ns (backprop): every resample fits N^2, N and the ratio N^1 exactly."""
    points = with_times(sweep_points(methods=("backprop", "numerical-loop")),
                        lambda p: 1e-9 * p["planned"]["n_params"] ** (2 if p["planned"]["method"] != "backprop" else 1))
    fits = growth_fits(points_frame(points))
    fits = fits[fits["term"] == "N"].dropna(subset=["exponent"])
    true = np.where(fits["model"] == "ratio ~ N^k", 1.0, np.where(fits["method"] == "backprop", 1.0, 2.0))
    assert len(fits) == 5 and set(fits["regime"]) == {"all", "compute-bound", "overhead-dominated"}
    for column in ("exponent", "ci_low", "ci_high"):
        np.testing.assert_allclose(fits[column], true, atol=1e-9)


def test_a_bend_between_regimes_is_fitted_per_regime_with_honest_intervals():
    """time = 1 ms + 1 ns per flop: the ratio to backprop bends from overhead to compute. Each regime's interval
    must exclude the other regime's exponent and not both contain the all-points exponent, whose interval must
    be wider than its OLS +-1 stderr. Fails without the regime split or without the bootstrap."""
    frame = points_frame(with_times(sweep_points(depths=(1, 2, 4, 8), widths=(8, 16, 32, 64, 128, 256),
                                                 methods=("backprop", "numerical-loop")),
                                    lambda p: 1e-3 + p["planned"]["flops"] * 1e-9))
    frame["overhead_dominated"] = frame["flops"] < 1e6  # the bend's knee; whatever load.py's rule is today
    ratio = ratio_rows(growth_fits(frame))
    everything, compute, overhead = (ratio.loc[r] for r in ("all", "compute-bound", "overhead-dominated"))
    assert compute["points"] + overhead["points"] == everything["points"] and compute["points"] >= 3
    assert not compute["ci_low"] <= overhead["exponent"] <= compute["ci_high"]
    assert not overhead["ci_low"] <= compute["exponent"] <= overhead["ci_high"]
    assert not all(r["ci_low"] <= everything["exponent"] <= r["ci_high"] for r in (compute, overhead))
    assert everything["ci_high"] - everything["exponent"] > everything["stderr"]
    assert everything["exponent"] - everything["ci_low"] > everything["stderr"]


def test_a_regime_with_too_few_points_says_so():
    frame = points_frame(sweep_points(depths=(1, 2, 4), widths=(32, 64, 128)))
    frame["overhead_dominated"] = (frame["depth"] == 1) & (frame["width"] == 32)  # one network only
    row = ratio_rows(growth_fits(frame)).loc["overhead-dominated"]
    assert np.isnan(row["exponent"]) and "not enough points (1; need at least 5)" in row["note"]
    assert ratio_rows(growth_fits(frame)).loc["compute-bound", "points"] == 8


def test_the_intervals_are_reproducible():
    rng = np.random.default_rng(4)
    points = with_times(sweep_points(), lambda p: p["stats"]["median"] * np.exp(rng.normal(0, 0.3)))
    first, second = growth_fits(points_frame(points)), growth_fits(points_frame(points))
    pd.testing.assert_frame_equal(first, second)
    assert (first["ci_high"] > first["ci_low"]).any()


def test_rank_deficient_resamples_are_dropped_not_fatal():
    n = np.array([[10.0], [10.0], [100.0]])  # a third of the resamples draw 10 only: no slope to fit
    low, high, kept = bootstrap_interval(n, np.array([1.0, 1.0, 10.0]))
    assert RESAMPLES / 2 < kept < RESAMPLES and low[0] == pytest.approx(1.0) and high[0] == pytest.approx(1.0)
    collinear = np.array([[1.0, 8.0], [2.0, 16.0], [4.0, 128.0]])  # any two of three points fix only one slope
    low, high, kept = bootstrap_interval(collinear, np.array([1.0, 2.0, 3.0]))
    assert kept < RESAMPLES / 2 and np.isnan(low).all() and np.isnan(high).all()


def test_too_few_resamples_leave_no_interval_and_the_note_says_why(monkeypatch):
    monkeypatch.setattr("nngrad.results.fits.MIN_KEPT", 1.01)  # as if most resamples could not fit both terms
    frame = points_frame([fake_point("forward", d, w) for d, w in ((1, 32), (2, 64), (4, 256), (8, 32), (1, 256))])
    frame["overhead_dominated"] = False
    rows = growth_fits(frame)
    rows = rows[rows["model"] == "time ~ depth^k * width^k"]
    assert rows["exponent"].notna().all() and rows["ci_low"].isna().all() and rows["ci_high"].isna().all()
    assert rows["note"].str.contains("no bootstrap interval").all()


def test_sizes_that_do_not_vary_are_not_fitted():
    frame = points_frame([fake_point("forward", 2, 256, batch=b) for b in (4, 8, 16, 32, 64)])
    fits = growth_fits(frame)
    n_fit = fits[fits["model"] == "time ~ N^k"].iloc[0]
    assert np.isnan(n_fit["exponent"]) and "do not vary in N" in n_fit["note"]
    assert fits[fits["term"] == "batch"]["exponent"].notna().all()
