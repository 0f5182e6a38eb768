"""The benchmark on several devices (``nngrad bench --devices``): what a sweep plans where, one run on two array
libraries end to end (array_api_strict on the CPU stands in for a GPU: every line of the device path but the
CUDA calls runs here), the report's devices section, the knee of a device's finite difference, comparing runs
across devices, and the captured (CUDA graph) methods. Tests marked ``gpu`` run the same on a CUDA device."""

import csv
import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
from conftest import fixed_machine, make_data
from test_backend import HAS_CUDA, HAS_TORCH, on_gpu, one_line_error

import nngrad
from nngrad.backend import from_label, parse_label, to_numpy
from nngrad.cli import main
from nngrad.errors import InvalidValue
from nngrad.methods import get
from nngrad.methods.cost import Constants
from nngrad.results import devices, plots
from nngrad.results.load import Run, load_run
from nngrad.sweep.config import SweepConfig
from nngrad.sweep.networks import build_on
from nngrad.sweep.plan import plan
from nngrad.sweep.point_check import check_point

STRICT = "array_api_strict@cpu"
OWN = [m for m, method in nngrad.methods.registered().items() if not method.requires]  # nngrad's own methods
MACHINE = Constants(call_s=1e-6, gemm_flop_s=1e10, elementwise_s=5e-9)


# -- where a sweep runs what -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, parsed", [("cpu", ("cpu", None)), ("CUDA:1", ("cuda:1", None)),
                                          ("torch@cpu", ("cpu", "torch")), ("cupy@cuda", ("cuda", "cupy"))])
def test_device_specs_name_a_device_and_optionally_its_library(spec, parsed):
    assert parse_label(spec) == parsed


@pytest.mark.parametrize("spec, words", [("tpu", r"DEVICE \(cpu, cuda, cuda:N\) or LIBRARY@DEVICE \(LIBRARY one of numpy, torch, array_api_strict, cupy"),
                                         ("jax@cpu", "LIBRARY one of numpy, torch, array_api_strict, cupy"),
                                         ("numpy@cuda", "numpy arrays live on the CPU only")])
def test_bad_device_specs_say_what_is_accepted(spec, words):
    with pytest.raises(InvalidValue, match=words):
        from_label(spec)


def test_labels_name_the_default_library_by_its_device_alone():
    assert from_label("cpu").label == "cpu" and from_label("numpy@cpu").label == "cpu"
    assert from_label(STRICT).label == STRICT
    assert SweepConfig(devices=("numpy@cpu", STRICT), methods=("backprop",)).devices == ("cpu", STRICT)


def test_a_device_named_twice_or_no_device_is_refused():
    with pytest.raises(InvalidValue, match="must not name one device twice"):
        SweepConfig(devices=("cpu", "numpy@cpu"))
    with pytest.raises(InvalidValue, match="devices must list at least one device"):
        SweepConfig(devices=())
    with pytest.raises(InvalidValue, match="devices must list at least one device"):
        SweepConfig(devices="cpu")


def test_each_device_runs_the_methods_that_run_there():
    cfg = SweepConfig(devices=("cpu", STRICT), depths=(1,), widths=(4,), classic=None, extra=())
    assert set(cfg.methods_on("cpu")) == set(cfg.methods)
    on_strict = cfg.methods_on(STRICT)
    assert {"backprop", "numerical-batched", "forward-mode", "complex-step"} <= set(on_strict)
    assert not {"numerical-loop", "autograd", "scipy"} & set(on_strict)  # numpy only
    assert "backprop-graph" not in cfg.methods and "torch-graph" not in cfg.methods  # CUDA only: on neither


def test_methods_that_run_on_none_of_the_devices_are_named():
    with pytest.raises(InvalidValue, match=r"numerical-loop cannot run on array_api_strict@cpu \(numpy-only"):
        SweepConfig(devices=(STRICT,), methods=("backprop", "numerical-loop"))
    if HAS_TORCH:
        with pytest.raises(InvalidValue, match="backprop-graph cannot run on cpu"):
            SweepConfig(methods=("backprop-graph",))


def test_the_plan_holds_every_method_on_every_device_it_runs_on():
    cfg = SweepConfig(devices=("cpu", STRICT), depths=(1,), widths=(4, 8), methods=("backprop", "numerical-loop"),
                      classic=None, extra=(), total_s=None)
    points = plan(cfg, {"cpu": MACHINE, STRICT: MACHINE})
    assert [(p.device, p.method, p.width) for p in points] == [
        ("cpu", "backprop", 4), ("cpu", "backprop", 8), ("cpu", "numerical-loop", 4), ("cpu", "numerical-loop", 8),
        (STRICT, "backprop", 4), (STRICT, "backprop", 8)]
    assert points[-1].test_id == f"backprop-d1-w8-b16-{STRICT}" and points[0].test_id == "backprop-d1-w4-b16"
    assert len({p.key for p in points}) == len(points)


def test_a_point_on_a_device_is_checked_against_numpys_backprop_on_the_cpu():
    args = (2, 6, 4, 3, 2, 0, "sigmoid", "mse")
    net, x, y = build_on(STRICT, *args)
    assert net.backend.label == STRICT
    cpu = build_on("cpu", *args)
    for name in ("backprop", "numerical-batched", "forward-mode"):
        method = get(name)
        checked = check_point(method, method.prepare(net, x, y), net, x, y, cpu=cpu)
        assert checked.passed and checked.gradient_error < method.check.tolerance, name
        assert checked.peak_memory_bytes is None  # neither tracemalloc nor a CUDA allocator sees these arrays


def test_a_wrong_gradient_on_a_device_fails_its_check(monkeypatch):
    """The check must be able to fail: a device gradient with one entry off by 1% is caught."""
    args = (1, 4, 3, 2, 2, 0, "sigmoid", "mse")
    net, x, y = build_on(STRICT, *args)
    method = get("forward-mode")
    call = method.prepare(net, x, y)

    def wrong():
        result = call()
        grad = to_numpy(result.grad).copy()
        grad[np.argmax(np.abs(grad))] *= 1.01
        return type(result)(net.backend.asarray(grad), result.loss, result.method, result.loss_evaluations,
                            result.tangent_passes)

    assert not check_point(method, wrong, net, x, y, cpu=build_on("cpu", *args)).passed


# -- one run on two devices, end to end ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_devices(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    # planned on a fixed machine: a budget every method meets at these tiny widths (the classic network's O(N)
    # points are left out by it), however slow or busy this machine is
    with fixed_machine():
        assert main(["bench", "--depths", "1", "--widths", "3,6,12", "--budget", "0.03", "--out", str(out),
                     "--methods", ",".join(OWN), "--devices", f"cpu,{STRICT}"]) == 0
    (folder,) = out.iterdir()
    return folder


def test_one_run_measures_every_method_on_both_devices(two_devices):
    with open(two_devices / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    measured = {(r["method"], r["device"]) for r in rows if r["status"] == "ok"}
    own_on_strict = [m for m in OWN if get(m).array_api]
    assert {(m, STRICT) for m in own_on_strict} <= measured and {(m, "cpu") for m in OWN} <= measured
    assert ("numerical-loop", STRICT) not in {(r["method"], r["device"]) for r in rows}
    on_strict = [r for r in rows if r["device"] == STRICT and r["status"] == "ok" and r["method"] != "forward"]
    assert all(float(r["gradient_error"]) < 1e-5 for r in on_strict)  # each checked against numpy's CPU backprop


def test_the_run_records_each_devices_constants_and_description(two_devices):
    meta = json.loads((two_devices / "run.json").read_text())
    assert meta["config"]["devices"] == ["cpu", STRICT]
    assert set(meta["device_constants"]) == {"cpu", STRICT}
    for constants in meta["device_constants"].values():
        assert constants["call_s"] > 0 and constants["gemm_flop_s"] > 0 and constants["elementwise_s"] > 0
    described = {d["label"]: d for d in meta["machine"]["devices"]}
    assert described[STRICT]["library"] == "array_api_strict" and described[STRICT]["version"]
    bench = json.loads((two_devices / "benchmark.json").read_text())
    assert {b["params"]["device"] for b in bench["benchmarks"]} == {"cpu", STRICT}


def test_the_report_shows_both_devices_side_by_side(two_devices):
    names = {p.name for p in two_devices.iterdir()}
    assert {"devices_gap.png", "devices.csv", "landscape-array_api_strict-cpu.png",
            "model-array_api_strict-cpu.png"} <= names
    report = (two_devices / "report.md").read_text()
    assert f"## Devices: cpu, {STRICT}" in report and f"### On {STRICT}" in report
    table = pd.read_csv(two_devices / "devices.csv")
    assert table["device"].tolist() == ["cpu", STRICT]
    assert (table["call (µs)"] > 0).all()
    # the first device's sections hold its points only: its landscape table has one row per method
    run = load_run(two_devices)
    assert run.devices == ["cpu", STRICT] and set(run.on(STRICT).points["device"]) == {STRICT}


def test_a_finished_run_is_resumed_without_rerunning_and_devices_cannot_change_on_resume(two_devices, capsys):
    assert main(["bench", "--resume", str(two_devices)]) == 0
    assert "nothing left to do" in capsys.readouterr().out
    assert main(["bench", "--resume", str(two_devices), "--device", "cpu"]) == 2
    assert "--device cannot change it" in capsys.readouterr().err


def test_runs_on_two_devices_compare_point_by_point(tmp_path, capsys):
    runs = []
    for device in ("cpu", STRICT):
        out = tmp_path / device.replace("@", "-")
        with fixed_machine():  # its plan, and so the points measured in both, the same on a slow, busy machine
            assert main(["bench", "--depths", "1", "--widths", "3", "--budget", "0.004", "--methods",
                         "backprop,forward", "--device", device, "--out", str(out)]) == 0
        runs.append(next(out.iterdir()))
    assert main(["compare", str(runs[0]), str(runs[1]), "--out", str(tmp_path / "cmp")]) == 0
    text = (tmp_path / "cmp" / "compare.md").read_text()
    assert f"A ran on cpu, B on {STRICT}" in text and "4 points measured in both" in text  # and the classic network


# -- the command line ------------------------------------------------------------------------------------------------

def test_cli_devices_are_checked_before_anything_is_written(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["bench", "--devices", "cpu,tpu", "--out", str(tmp_path / "r")])
    assert info.value.code == 2 and "device must be DEVICE (cpu, cuda, cuda:N) or LIBRARY@DEVICE (LIBRARY one of numpy, torch, array_api_strict, cupy, e.g. torch@cpu); got 'tpu'" in capsys.readouterr().err
    one_line_error(capsys, ["bench", "--quick", "--device", STRICT, "--methods", "scipy", "--out", str(tmp_path / "r")],
                   f"scipy cannot run on {STRICT}")
    assert not (tmp_path / "r").exists()


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a CUDA device")
def test_cli_devices_with_cuda_but_no_gpu_is_one_line(capsys, tmp_path):
    words = "no CUDA device: torch.cuda.is_available() is False" if HAS_TORCH else "torch is not installed"
    one_line_error(capsys, ["bench", "--quick", "--devices", "cpu,cuda", "--out", str(tmp_path / "r")], words)
    assert not (tmp_path / "r").exists()


# -- the knee and the figure -----------------------------------------------------------------------------------------

def _points(device: str, ns, seconds, method: str = "numerical-batched", depth: int = 2) -> pd.DataFrame:
    return pd.DataFrame({"method": method, "device": device, "depth": depth, "width": range(len(ns)), "batch": 16,
                         "n_params": ns, "status": "ok", "median_s": seconds, "loss_evaluations": 1})


def test_the_knee_is_where_the_part_growing_with_n_equals_the_flat_part():
    ns = np.array([1e3, 1e4, 1e5, 1e6, 1e7])
    n, depth = devices.knee(_points("cuda:0", ns, 2e-3 + 1e-9 * ns))  # flat 2 ms, then 1 ns per parameter
    assert n == pytest.approx(2e6, rel=1e-9) and depth == 2
    assert devices.knee(_points("cpu", ns, 1e-9 * ns))[0] is None  # no flat part
    assert devices.knee(_points("cpu", ns[:2], 1e-3 + 1e-9 * ns[:2])) == (None, None)  # too few points


def test_the_device_figure_draws_each_device_and_says_when_it_has_nothing(tmp_path):
    ns = [100, 1000, 10000]
    frames = []
    for device, scale in (("cpu", 1.0), ("cuda:0", 0.1)):
        frames += [_points(device, ns, [scale * n * 1e-6 for n in ns]),
                   _points(device, ns, [scale * 1e-4] * 3, method="backprop"),
                   _points(device, ns, [scale * n * 5e-7 for n in ns], method="forward-mode")]
    fig = plots.device_gap(pd.concat(frames), {"cpu": None, "cuda:0": 5000.0}, "label")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "numerical-batched on cuda:0" in labels and "forward-mode on cpu" in labels
    assert any("grows with N from N ≈ 5,000" in label for label in labels)
    ratios = next(line.get_ydata() for line in fig.axes[0].lines if line.get_label() == "numerical-batched on cuda:0")
    np.testing.assert_allclose(ratios, [n * 1e-6 / 1e-4 for n in ns])  # each device against its own backprop
    empty = plots.device_gap(pd.concat(frames[:1]), {}, "label")
    assert "no O(N) method and backprop measured" in empty.axes[0].texts[0].get_text()


def test_older_runs_read_as_cpu_and_a_peers_own_device_field_does_not_move_a_point(tmp_path):
    from nngrad.results.load import _row

    row = _row({"method": "jax", "depth": 1, "width": 2, "batch": 3}, "ok", {"device": "TFRT_CPU_0"})
    assert row["device"] == "cpu"


# -- captured mode (CUDA graphs) -------------------------------------------------------------------------------------

@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
@pytest.mark.parametrize("method", ["backprop-graph", "torch-graph"])
def test_captured_methods_refuse_a_network_off_cuda_in_one_line(method, rng):
    for net in (nngrad.DNN(1, 3, 2, 1, seed=0), nngrad.DNN(1, 3, 2, 1, seed=0, backend="torch")):
        x, y = make_data(net, 2, rng)
        with pytest.raises(InvalidValue, match=r"a CUDA graph needs a network on a CUDA device through torch "
                                               r"\(net.to\('cuda'\)\); this one is (numpy|torch) on cpu"):
            nngrad.gradient(net, x, y, method)


@on_gpu
@pytest.mark.parametrize("method", ["backprop-graph", "torch-graph"])
@pytest.mark.parametrize("activation, loss", [("sigmoid", "mse"), ("relu", "softmax_ce")])
def test_gpu_captured_gradients_match_the_cpu_and_follow_new_parameters(method, activation, loss, rng):
    net = nngrad.DNN(3, 16, 4, 3, activation=activation, loss=loss, seed=1, init="xavier")
    cuda = net.to("cuda")
    x, y = make_data(net, 8, rng)
    call = get(method).prepare(cuda, *cuda.check_data(x, y))
    for _ in range(2):  # replays, each against the parameters of the moment
        got, expected = call(), nngrad.gradient(net, x, y, "backprop")
        assert got.info["capture_s"] > 0 and got.loss == pytest.approx(expected.loss, rel=1e-12)
        np.testing.assert_allclose(to_numpy(got.grad), expected.grad, rtol=0, atol=1e-12 * np.abs(expected.grad).max())
        net.params = net.params * 0.9  # new values, written where the graph reads them
        cuda.params = net.params


@on_gpu
def test_gpu_sweep_end_to_end_with_device_memory_and_captured_methods(tmp_path):
    assert main(["bench", "--depths", "1,2", "--widths", "8,64", "--budget", "0.05", "--devices", "cpu,cuda",
                 "--out", str(tmp_path)]) == 0
    run = load_run(next(tmp_path.iterdir()))
    cuda = run.on("cuda:0").points
    measured = cuda[cuda["status"] == "ok"]
    assert {"backprop", "backprop-graph", "torch", "torch-graph", "numerical-batched"} <= set(measured["method"])
    assert (measured[measured["method"] == "backprop"]["peak_memory_bytes"] > 0).all()
    meta = json.loads((next(tmp_path.iterdir()) / "run.json").read_text())
    gpu = {d["label"]: d for d in meta["machine"]["devices"]}["cuda:0"]
    assert gpu["name"] and gpu["memory_bytes"] > 0 and gpu["cuda"]


@on_gpu
def test_gpu_a_sweep_too_large_for_the_device_is_refused_before_allocating(capsys, tmp_path):
    import torch

    free = torch.cuda.mem_get_info()[0]
    width = int(np.sqrt(free / 8)) + 1  # one hidden layer's weights alone exceed the free memory
    one_line_error(capsys, ["bench", "--depths", "2", "--widths", str(width), "--device", "cuda", "--methods",
                            "backprop", "--out", str(tmp_path / "r")], "of device memory, and the device has")
    assert not (tmp_path / "r").exists()



# -- float32 ---------------------------------------------------------------------------------------------------------

def test_a_float32_sweep_is_checked_against_float64_and_its_report_states_the_errors(tmp_path):
    with fixed_machine():  # every point within the budget, however slow or busy this machine is
        assert main(["bench", "--depths", "1", "--widths", "4", "--budget", "0.2", "--dtype", "float32", "--methods",
                     "backprop,numerical-batched,forward-mode", "--devices", f"cpu,{STRICT}", "--out",
                     str(tmp_path)]) == 0
    run = next(tmp_path.iterdir())
    points = pd.read_csv(run / "summary.csv").set_index(["method", "device", "width"])
    for device in ("cpu", STRICT):
        for width in (4, 32):  # the grid's network and the classic one
            assert points.loc[("backprop", device, width), "reference"] == "backprop in float64"
            assert points.loc[("backprop", device, width), "gradient_error"] < 1e-5  # float32's rounding
            assert points.loc[("forward-mode", device, width), "gradient_error"] < 1e-5
            # the forward difference's truncation and round-off at float32's step, far above rounding
            assert 1e-4 < points.loc[("numerical-batched", device, width), "gradient_error"] < 5e-2
    assert "**Precision: float32.**" in (run / "report.md").read_text()
    assert "float32 matrix-product rate" in (run / "report.md").read_text()  # its constants measured in float32
    assert json.loads((run / "run.json").read_text())["accuracy"][0]["dtype"] == "float32"


def test_a_network_moves_to_another_precision_with_the_same_weights_rounded():
    net = nngrad.DNN(2, 5, 3, 2, seed=0)
    narrow = net.to(dtype=np.float32)
    assert narrow.dtype == np.float32 and net.dtype == np.float64
    np.testing.assert_array_equal(narrow.params, net.params.astype(np.float32))
    wide = narrow.to(STRICT.split("@")[1], "array_api_strict", dtype="float64")
    assert wide.dtype == np.float64
    np.testing.assert_array_equal(to_numpy(wide.params), narrow.params.astype(np.float64))


def test_jax_without_a_gpu_build_is_not_applicable_on_cuda_and_says_how_to_get_one(rng):
    """A CUDA machine with a CPU-only jaxlib: JAX is skipped on the GPU with its reason, not a crash of the run."""
    pytest.importorskip("jax")
    from nngrad.backend import Backend
    from nngrad.methods.peers import jax as jax_peer

    net = nngrad.DNN(1, 3, 2, 1, seed=0)
    assert jax_peer.why_not(net) is None
    strict = net.to("cpu", "array_api_strict")
    strict.backend = Backend("array_api_strict", "cuda:0", strict.backend.xp, strict.backend.native)  # pretend
    if jax_peer._gpus(__import__("jax")):
        pytest.skip("this JAX has a GPU")
    assert jax_peer.why_not(strict) == ("jax sees 0 GPU(s), so it cannot run on cuda:0: a CUDA build of jaxlib is "
                                         "needed (pip install 'jax[cuda12]')")
    x, y = make_data(net, 2, rng)
    with pytest.raises(InvalidValue, match="jax sees 0 GPU"):
        nngrad.gradient(strict, x, y, "jax")


# -- the GPU's targets -----------------------------------------------------------------------------------------------

def _target_run(fd_speedup: float) -> Run:
    """A two-device run whose GPU numerical-batched is ``fd_speedup`` times the CPU's at the classic network."""
    rows = []
    for device, scale in (("cpu", 1.0), ("cuda:0", 1 / fd_speedup)):
        for method, seconds in (("numerical-batched", 0.05), ("forward-mode", 0.04), ("backprop", 1e-3),
                                ("torch", 2e-3), ("backprop-graph", 2e-4), ("jax", 1.5e-4), ("jax-fd", 0.3)):
            for n, (d, w) in ((4642, (5, 32)), (67714, (5, 128))):
                rows.append({"method": method, "device": device, "depth": d, "width": w, "batch": 16, "n_params": n,
                             "status": "ok", "median_s": seconds * scale, "model_s": seconds * scale * 1.1,
                             "peak_memory_bytes": 1e6 if method == "numerical-batched" else np.nan})
    return Run("r", pd.DataFrame(rows), pd.DataFrame(), config={"devices": ["cpu", "cuda:0"]})


def test_the_gpu_targets_are_judged_on_the_gpus_points():
    table = devices.targets(_target_run(16), "cuda:0").set_index("target")
    assert table.loc["jax-fd / numerical-batched >= 5", "measured"] == pytest.approx(6)  # at N = 67,714 only
    assert table.loc["jax-fd / numerical-batched >= 5", "points"] == 1
    assert table.loc["backprop / torch <= 1", "verdict"] == "pass"
    assert table.loc["backprop-graph / jax <= 2", "measured"] == pytest.approx(2e-4 / 1.5e-4)
    assert table.loc["forward-mode / numerical-batched <= 1", "verdict"] == "pass"
    speedup = table.loc["numerical-batched on cpu / on cuda:0 >= 10"]
    assert speedup["measured"] == pytest.approx(16) and speedup["verdict"] == "pass"
    assert table.loc["cost model within ±30% on cuda:0 >= 80%", "verdict"] == "pass"
    missed = devices.targets(_target_run(4), "cuda:0").set_index("target")
    assert missed.loc["numerical-batched on cpu / on cuda:0 >= 10", "verdict"] == "miss"


def test_the_report_shows_the_targets_for_a_cuda_device_only(two_devices):
    assert "Targets on" not in (two_devices / "report.md").read_text()  # array_api_strict stands in: no GPU targets


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_jax_finite_differences_chunk_within_their_memory_and_count_their_evaluations(rng):
    from nngrad.methods.peers.jax_fd import chunk

    net = nngrad.DNN(2, 6, 3, 2, seed=0)
    x, y = make_data(net, 4, rng)
    n = net.num_params
    assert chunk(n, 4, 6, 8, max_bytes=8 * (n + 4 * 4 * 6) * 5) == 5
    result = nngrad.gradient(net, x, y, "jax-fd", max_bytes=8 * (n + 96) * 5)  # several chunks, a short last one
    assert result.loss_evaluations == n + 1 and result.info["chunk"] == 5
    assert result.loss == pytest.approx(net.loss(x, y), rel=1e-14)
    expected = nngrad.gradient(net, x, y, "numerical-batched")  # the same step: the same differences to rounding
    assert np.max(np.abs(to_numpy(result.grad) - expected.grad)) <= 8 * np.spacing(result.loss) / 1.5e-8


def test_a_devices_section_tables_every_method_at_the_classic_network_with_what_was_done_once(two_devices):
    """Eager and captured methods side by side on a device: the classic network's table, one-off work noted."""
    from nngrad.results.landscape import _note

    report = (two_devices / "report.md").read_text()
    section = report[report.index(f"### On {STRICT}"):]
    assert f"Every method on {STRICT} at the classic network (depth 5, width 32, batch 16)" in section
    assert "| backprop " in section and "(reference)" in section
    row = pd.Series({"compile_s": np.nan, "capture_s": 0.012, "message": None})
    assert _note(row) == "recorded as a CUDA graph once, in 0.012 s (not timed)"


def test_a_ratio_to_backprop_pairs_points_of_the_same_device_only():
    ns = [100, 1000]
    frame = pd.concat([_points("cpu", ns, [1.0, 2.0]), _points("cpu", ns, [0.1, 0.1], method="backprop"),
                       _points("cuda:0", ns, [0.5, 0.5]), _points("cuda:0", ns, [0.5, 0.5], method="backprop")])
    ratios = plots._ratio(frame, "numerical-batched", "backprop")
    assert sorted(ratios["ratio"]) == [1.0, 1.0, 10.0, 20.0]  # no cpu time over a cuda backprop, or the reverse
