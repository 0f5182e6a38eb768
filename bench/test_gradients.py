"""Time one gradient (or one loss evaluation) per point; check it against its reference first, untimed."""

from __future__ import annotations

import pytest

from nngrad.sweep import CHECK_TOL, build, check_point, run_method


def test_gradient(benchmark, planned, sweep_config, method, depth, width, batch):
    if planned["skip_reason"]:
        pytest.skip(planned["skip_reason"])
    net, x, y = build(depth, width, batch, sweep_config["num_input"], sweep_config["num_output"], sweep_config["seed"])
    benchmark.group = f"depth={depth} width={width} batch={batch}"
    checked = check_point(method, net, x, y)  # outside the timed region: gradient error and peak memory
    benchmark.extra_info.update({
        "depth": depth, "width": width, "batch": batch, "n_params": planned["n_params"],
        "loss_evaluations": checked.loss_evaluations, "flops": planned["flops"], "forward_flops": planned["forward_flops"],
        "gradient_error": checked.gradient_error, "reference": checked.reference,
        "peak_memory_bytes": checked.peak_memory_bytes, "predicted_s": planned["predicted_s"],
    })
    if not checked.passed:
        pytest.fail(f"{method} gradient disagrees with {checked.reference}: relative error "
                    f"{checked.gradient_error:.3g} > {CHECK_TOL:g}; not timed")
    benchmark.pedantic(run_method, args=(method, net, x, y), rounds=planned["rounds"],
                       iterations=planned["iterations"], warmup_rounds=1 if planned["predicted_s"] < 0.05 else 0)
