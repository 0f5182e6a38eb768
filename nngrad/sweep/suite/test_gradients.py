"""Time one gradient (or one loss evaluation) per point; check it first, untimed."""

from __future__ import annotations

import time

import pytest

from nngrad.methods import get
from nngrad.sweep.networks import build_point
from nngrad.sweep.plan import median_time
from nngrad.sweep.point_check import REMEASURE_S, check_point, schedule


def test_gradient(benchmark, planned, sweep_config, phase, method, depth, width, batch, device):
    if planned["skip_reason"]:
        pytest.skip(planned["skip_reason"])
    net, x, y = build_point(planned, sweep_config)
    m = get(method)
    start = time.perf_counter()
    options = (sweep_config.get("method_options") or {}).get(method, {})  # nngrad bench --method-option
    call = m.prepare(net, x, y, **options)  # what a user does once: convert weights, compile (off the CPU: ends
    # synchronised)
    prepare_s = time.perf_counter() - start
    # outside the timed region: gradient error (against numpy's backprop on the CPU), work and peak memory
    phase("checking the gradient")
    checked = check_point(m, call, net, x, y, cpu=build_point(planned, sweep_config, "cpu"))
    phase("")
    benchmark.group = f"depth={depth} width={width} batch={batch}" + ("" if device == "cpu" else f" on {device}")
    benchmark.extra_info.update({
        "depth": depth, "width": width, "batch": batch, "device": device, "n_params": planned["n_params"],
        "family": m.family,
        "loss_evaluations": checked.loss_evaluations, "tangent_passes": checked.tangent_passes,
        "work": checked.work, "work_unit": m.work_unit, "flops": planned["flops"],
        "forward_flops": planned["forward_flops"], "gradient_error": checked.gradient_error,
        "reference": checked.reference, "unresolved_arrays": ",".join(checked.unresolved),
        "peak_memory_bytes": checked.peak_memory_bytes, "cosine": checked.cosine,
        "predicted_s": planned["predicted_s"], "prepare_s": prepare_s, **checked.info,
    })
    if not checked.passed:
        unresolved = f" (arrays it cannot resolve: {', '.join(checked.unresolved)})" if checked.unresolved else ""
        pytest.fail(f"{method} gradient disagrees with {checked.reference}: relative error "
                    f"{checked.gradient_error:.3g} > {checked.tolerance:g}{unresolved}; not timed")
    seconds = planned["predicted_s"]
    if seconds < REMEASURE_S:
        seconds = median_time(call)
    rounds, iterations = schedule(seconds, sweep_config["timing_s"], sweep_config["max_rounds"])
    benchmark.pedantic(call, rounds=rounds, iterations=iterations, warmup_rounds=1 if seconds < REMEASURE_S else 0)
