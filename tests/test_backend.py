"""Where arrays live (nngrad.backend): device strings, the one-line errors, and the network on array libraries
other than numpy (torch CPU tensors, array_api_strict) giving numpy's numbers."""

import importlib.util

import numpy as np
import pytest
from conftest import make_data

import nngrad
from nngrad import backend as nb
from nngrad.errors import InvalidValue, MissingPackage, UserError
from nngrad.model.activations import ACTIVATIONS

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_CUDA = HAS_TORCH and __import__("torch").cuda.is_available()
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed (pip install torch==2.13.0)")
LIBRARIES = ["array_api_strict", pytest.param("torch", marks=needs_torch)]


@pytest.mark.parametrize("text, parsed", [("cpu", ("cpu", None)), ("cuda", ("cuda", None)), ("cuda:1", ("cuda", 1)),
                                          (" CUDA:0 ", ("cuda", 0))])
def test_device_strings_parse(text, parsed):
    assert nb.parse_device(text) == parsed


@pytest.mark.parametrize("bad", ["gpu", "cuda:", "cuda:x", "tpu:0", "", None, 0])
def test_unknown_device_names_the_accepted_values(bad):
    with pytest.raises(InvalidValue, match=r"device must be one of cpu, cuda, cuda:N; got") as info:
        nb.backend(bad)
    assert "\n" not in str(info.value)


def test_cpu_is_numpy_unless_a_library_is_asked_for():
    assert nb.backend("cpu").xp is np and nb.backend("cpu").is_numpy
    assert nb.backend("cpu", "array_api_strict").library == "array_api_strict"
    with pytest.raises(InvalidValue, match="backend must be one of numpy, torch, array_api_strict, cupy; got 'jax'"):
        nb.backend("cpu", "jax")
    with pytest.raises(InvalidValue, match="numpy arrays live on the CPU only"):
        nb.backend("cuda", "numpy")


def test_cuda_without_torch_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(MissingPackage, match=r"torch is not installed: pip install 'nngrad\[gpu\]' \(a CUDA build of PyTorch\)") as info:
        nb.backend("cuda")
    assert "\n" not in str(info.value)
    with pytest.raises(MissingPackage, match="torch is not installed"):
        nngrad.DNN(1, 2, 2, 1, device="cuda:0")


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="cupy is installed")
def test_cupy_missing_says_how_to_install():
    with pytest.raises(MissingPackage, match=r"^cupy is not installed: pip install cupy-cuda12x$"):
        nngrad.DNN(1, 2, 2, 1, device="cuda", backend="cupy")
    with pytest.raises(InvalidValue, match="cupy arrays live on a CUDA device only"):
        nb.backend("cpu", "cupy")


@needs_torch
@pytest.mark.skipif(HAS_CUDA, reason="this machine has a CUDA device: the refusal cannot happen")
def test_cuda_without_a_device_is_a_one_line_user_error():
    with pytest.raises(nb.NoDevice, match=r"^no CUDA device: torch.cuda.is_available\(\) is False$") as info:
        nngrad.DNN(1, 2, 2, 1, device="cuda")
    assert isinstance(info.value, UserError)


def test_synchronize_on_the_cpu_is_a_no_op_and_a_bad_device_is_refused_first():
    assert nb.backend("cpu").synchronize() is None
    with pytest.raises(InvalidValue, match="device must be one of"):
        nb.backend("gpu")


@pytest.mark.parametrize("library", LIBRARIES)
def test_params_are_one_flat_array_of_the_library_and_the_layers_views_of_it(library):
    net = nngrad.DNN(2, 3, 4, 2, seed=0)
    moved = net.to("cpu", library)
    assert moved.backend.library == library and moved.device == "cpu" and moved.dtype == np.float64
    np.testing.assert_array_equal(nb.to_numpy(moved.params), net.params)
    assert type(moved.params).__module__.split(".")[0] == library
    moved.params[0] = 7.0  # a write into the flat vector is seen by the layer's W
    assert float(moved.dense_layers[0].W[0, 0]) == 7.0
    moved.params = np.zeros(net.num_params)  # numpy values are copied in; the views stay valid
    assert float(moved.dense_layers[-1].b[0]) == 0.0
    assert net.params[0] != 7.0  # the original network is untouched


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("activation, loss", [("sigmoid", "mse"), ("relu", "softmax_ce"), ("sigmoid", "softmax_ce")])
def test_forward_and_loss_match_numpy(library, activation, loss, rng):
    net = nngrad.DNN(3, 6, 4, 3, activation=activation, loss=loss, seed=1, init="xavier")
    x, y = make_data(net, 5, rng)
    moved = nngrad.DNN(3, 6, 4, 3, activation=activation, loss=loss, seed=1, init="xavier", backend=library)
    assert moved.loss(x, y) == pytest.approx(net.loss(x, y), rel=1e-14)
    out = moved.forward(moved.backend.asarray(x))  # an array of the network's own library is taken as it is
    np.testing.assert_allclose(nb.to_numpy(out), net.forward(x), rtol=1e-14)
    np.testing.assert_allclose(nb.to_numpy(moved.forward(x[0])), net.forward(x[0]), rtol=1e-14)  # one sample


@needs_torch
def test_arrays_of_two_devices_in_one_call_name_both():
    net = nngrad.DNN(1, 3, 2, 1, seed=0, backend="torch")
    x = nb.backend("cpu", "array_api_strict").asarray(np.ones((2, 2)))
    with pytest.raises(InvalidValue, match=r"x is array_api_strict on cpu but the network is torch on cpu") as info:
        net.loss(x, np.ones((2, 1)))
    assert "\n" not in str(info.value)
    strict = net.to("cpu", "array_api_strict")
    import torch

    with pytest.raises(InvalidValue, match=r"y is torch on cpu but the network is array_api_strict on cpu"):
        strict.loss(np.ones((2, 2)), torch.ones((2, 1), dtype=torch.float64))


@needs_torch
def test_a_numpy_network_still_takes_cpu_tensors():
    import torch

    net = nngrad.DNN(1, 3, 2, 1, seed=0)
    x = np.ones((2, 2))
    assert net.loss(torch.from_numpy(x), torch.ones((2, 1), dtype=torch.float64)) == net.loss(x, np.ones((2, 1)))


@pytest.mark.parametrize("library", LIBRARIES)
def test_bad_data_is_refused_off_numpy_as_on_numpy(library):
    net = nngrad.DNN(1, 3, 2, 1, seed=0, backend=library)
    with pytest.raises(InvalidValue, match="x must be finite"):
        net.loss(np.array([[np.nan, 1.0]]), np.ones((1, 1)))
    with pytest.raises(InvalidValue, match=r"x must have shape \(batch, 2\)"):
        net.loss(np.ones((1, 3)), np.ones((1, 1)))


# -- gradients off numpy: every method that runs on any namespace gives numpy's numbers --------------------------
EXACT = ["backprop", "forward-mode", "complex-step"]
DIFFERENCES = ["numerical-batched", "central-batched"]
NETWORKS = [("sigmoid", "mse"), ("sigmoid", "softmax_ce"), ("relu", "softmax_ce"), ("relu", "mse")]


def relative_gap(a, b) -> float:
    """max |a - b| / max |b|."""
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def on_both(library, activation, loss, rng, batch=5):
    """A numpy network, the same network on ``library`` and checked data (numpy)."""
    net = nngrad.DNN(3, 5, 4, 3, activation=activation, loss=loss, seed=3, init="xavier")
    x, y = make_data(net, batch, rng)
    return net, net.to("cpu", library), x, y


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("activation, loss", NETWORKS)
@pytest.mark.parametrize("method", ["forward", *EXACT, *DIFFERENCES])
def test_every_array_api_method_gives_numpys_gradient(library, activation, loss, method, rng):
    net, moved, x, y = on_both(library, activation, loss, rng)
    if method == "complex-step" and not ACTIVATIONS[activation].analytic:
        pytest.skip("complex-step refuses ReLU networks (tested in test_methods)")
    options = {} if method in ("forward", "backprop") else {"max_bytes": 3000}  # several chunks per layer
    if method in DIFFERENCES:
        options["eps"] = 1e-4  # the lesson's step: the rounding of a loss over eps stays far below 1e-9
    expected = nngrad.gradient(net, x, y, method=method, **options)
    got = nngrad.gradient(moved, x, y, method=method, **options)
    assert got.loss_evaluations == expected.loss_evaluations and got.tangent_passes == expected.tangent_passes
    if method == "forward":
        assert got.loss == pytest.approx(expected.loss, rel=1e-13)
        return
    assert type(got.grad).__module__.split(".")[0] == library  # the gradient stays where the network is
    grad = nb.to_numpy(got.grad)
    assert grad.shape == (net.num_params,) and grad.dtype == np.float64
    if method in EXACT:
        assert relative_gap(grad, expected.grad) <= 1e-12
    else:  # the same step: the two differ by the rounding of the losses over eps
        assert np.max(np.abs(grad - expected.grad)) <= 1e-9


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("method", DIFFERENCES)
def test_finite_differences_at_the_default_step_differ_by_a_few_roundings_of_the_loss(library, method, rng):
    """At eps = 1.5e-8 one rounding of L (an ulp, 2.8e-17 at L ~ 0.1) over eps is already 1.9e-9: two libraries
    that sum in different orders agree within a few of those, not within 1e-9."""
    net, moved, x, y = on_both(library, "sigmoid", "mse", rng)
    expected = nngrad.gradient(net, x, y, method=method)
    got = nngrad.gradient(moved, x, y, method=method)
    eps = nngrad.methods.get(method).step(net.dtype) * (2 if method == "central-batched" else 1)
    assert np.max(np.abs(nb.to_numpy(got.grad) - expected.grad)) <= 8 * np.spacing(net.loss(x, y)) / eps


@pytest.mark.parametrize("library", LIBRARIES)
def test_float32_networks_off_numpy(library, rng):
    net = nngrad.DNN(2, 4, 3, 2, seed=0, dtype=np.float32)
    moved = net.to("cpu", library)
    x, y = make_data(net, 3, rng)
    for method in ("backprop", "forward-mode"):
        got = nngrad.gradient(moved, x, y, method=method)
        assert str(got.grad.dtype).endswith("float32")
        assert relative_gap(nb.to_numpy(got.grad), nngrad.gradient(net, x, y, method=method).grad) <= 1e-5


@pytest.mark.parametrize("library", LIBRARIES)
def test_one_sample_without_the_batch_axis(library, rng):
    net, moved, x, y = on_both(library, "sigmoid", "mse", rng, batch=1)
    for method in EXACT:
        got = nngrad.gradient(moved, x[0], y[0], method=method)
        assert relative_gap(nb.to_numpy(got.grad), nngrad.gradient(net, x[0], y[0], method=method).grad) <= 1e-12


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("method", ["torch", "jax", "jax-fd"])
def test_the_peers_run_on_any_library_and_return_the_gradient_there(library, method, rng):
    """torch autograd and JAX take the network where it is (torch's own tensors, or a copy of the values) and
    give numpy's gradient (backprop's to rounding; JAX's finite difference numpy's at the same step), as an
    array of the network's library."""
    if reason := nngrad.methods.get(method).missing():
        pytest.skip(reason)
    net, moved, x, y = on_both(library, "sigmoid", "mse", rng)
    got = nngrad.gradient(moved, *moved.check_data(x, y), method=method)
    assert type(got.grad).__module__.split(".")[0] == library
    if method == "jax-fd":
        expected = nngrad.gradient(net, x, y, method="numerical-batched").grad
        assert np.max(np.abs(nb.to_numpy(got.grad) - expected)) <= 8 * np.spacing(net.loss(x, y)) / 1.5e-8
    else:
        assert relative_gap(nb.to_numpy(got.grad), nngrad.gradient(net, x, y, method="backprop").grad) <= 1e-12


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("method", ["numerical-loop", "scipy", "autograd"])
def test_numpy_only_methods_refuse_other_libraries_in_one_line(library, method, rng):
    _net, moved, x, y = on_both(library, "sigmoid", "mse", rng)
    if nngrad.methods.get(method).missing():
        pytest.skip(nngrad.methods.get(method).missing())
    with pytest.raises(InvalidValue, match=rf"method '{method}' runs on numpy networks only, and this network is "
                                           rf"{library} on cpu: use net.to\('cpu'\), or one of forward, backprop") as e:
        nngrad.gradient(moved, x, y, method=method)
    assert "\n" not in str(e.value)


def test_a_numpy_idiom_in_the_core_is_caught_by_array_api_strict(monkeypatch, rng):
    """``a.reshape`` is numpy's (and torch's), not the standard's: array_api_strict refuses it, so the tests above fail
    when the core takes a numpy shortcut on other namespaces."""
    from nngrad.methods import forward_mode, prefix

    def numpy_matmul_stacked(a, w):
        k, b, n = a.shape
        return (a.reshape(k * b, n) @ w).reshape(k, b, w.shape[1])

    monkeypatch.setattr(prefix, "matmul_stacked", numpy_matmul_stacked)
    monkeypatch.setattr(forward_mode, "matmul_stacked", numpy_matmul_stacked)
    net, strict, x, y = on_both("array_api_strict", "sigmoid", "mse", rng)
    nngrad.gradient(net, x, y, method="forward-mode")  # numpy takes it
    with pytest.raises(AttributeError, match="reshape"):
        nngrad.gradient(strict, x, y, method="forward-mode")


def test_prepared_calls_wait_for_the_device_only_off_the_cpu(monkeypatch, rng):
    """Method.prepare ends every call on a device with synchronize(); on the CPU the call is the method's own."""
    waits = []
    monkeypatch.setattr(nb.Backend, "synchronize", lambda self: waits.append(self.device))
    _net, strict, x, y = on_both("array_api_strict", "sigmoid", "mse", rng)
    call = nngrad.methods.get("backprop").prepare(strict, *strict.check_data(x, y))
    call()
    assert waits == []  # a CPU device: nothing to wait for
    fake = nb.Backend("array_api_strict", "cuda:7", strict.backend.xp, strict.backend.native)
    strict.backend = fake  # pretend the arrays live on a device
    nngrad.methods.get("backprop").prepare(strict, *strict.check_data(x, y))()
    assert waits == ["cuda:7"]


# -- on a CUDA device (pytest -m gpu) ------------------------------------------------------------------------------
NO_CUDA = "needs a CUDA device and a CUDA build of torch: " + ("torch is not installed" if not HAS_TORCH else
                                                                 "torch.cuda.is_available() is False")


def on_gpu(test):
    """Marked ``gpu`` (pytest -m gpu) and skipped, with the reason, where there is no CUDA device."""
    return pytest.mark.gpu(pytest.mark.skipif(not HAS_CUDA, reason=NO_CUDA)(test))


@on_gpu

@pytest.mark.parametrize("method", ["forward", *EXACT, *DIFFERENCES])
@pytest.mark.parametrize("activation, loss", NETWORKS[:3])
def test_gpu_gradients_match_the_cpu(method, activation, loss, rng):
    if method == "complex-step" and not ACTIVATIONS[activation].analytic:
        pytest.skip("complex-step refuses ReLU networks")
    net = nngrad.DNN(3, 5, 4, 3, activation=activation, loss=loss, seed=3, init="xavier")
    cuda = net.to("cuda")
    x, y = make_data(net, 5, rng)
    options = {"eps": 1e-4} if method in DIFFERENCES else {}  # see the test of the default step above
    expected = nngrad.gradient(net, x, y, method=method, **options)
    got = nngrad.gradient(cuda, x, y, method=method, **options)
    assert got.loss == pytest.approx(expected.loss, rel=1e-12)
    if method == "forward":
        return
    assert str(got.grad.device).startswith("cuda")
    gap = np.max(np.abs(nb.to_numpy(got.grad) - expected.grad))
    assert gap <= (1e-12 * np.max(np.abs(expected.grad)) if method in EXACT else 1e-9)


@on_gpu
def test_gpu_chunks_keep_within_their_memory_bound(rng):
    import torch

    net = nngrad.DNN(3, 64, 10, 2, seed=0).to("cuda")
    x, y = make_data(net, 16, rng)
    x, y = net.check_data(x, y)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    max_bytes = 2**20
    nngrad.methods.get("numerical-batched").prepare(net, x, y, max_bytes=max_bytes)()
    assert torch.cuda.max_memory_allocated() - before <= 2 * max_bytes + 8 * net.num_params * 8


@on_gpu
def test_gpu_networks_larger_than_the_device_are_refused_before_allocating():
    import torch

    free = torch.cuda.mem_get_info()[0]
    width = int((free / 8) ** 0.5) + 1024  # one width x width matrix of float64 more than the free memory
    with pytest.raises(InvalidValue, match="of device memory, and the device has"):
        nngrad.DNN(1, width, width, 1, device="cuda")


@on_gpu
def test_gpu_mixed_devices_name_both(rng):
    import torch

    net = nngrad.DNN(1, 3, 2, 1, seed=0, device="cuda")
    with pytest.raises(InvalidValue, match=r"x is torch on cpu but the network is torch on cuda:0"):
        net.loss(torch.ones((2, 2), dtype=torch.float64), np.ones((2, 1)))
    with pytest.raises(InvalidValue, match=r"x is torch on cuda:0 but the network is numpy on cpu"):
        net.to("cpu").loss(torch.ones((2, 2), dtype=torch.float64, device="cuda"), np.ones((2, 1)))


# -- the command line: --device -------------------------------------------------------------------------------------
def one_line_error(capsys, argv, words: str) -> None:
    """main(argv) exits 2 with one line on stderr containing ``words``."""
    from nngrad.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


@pytest.mark.parametrize("command", [["check"], ["train", "digits", "--epochs", "1"], ["bench", "--quick"]])
def test_cli_refuses_an_unknown_device_in_one_line_and_writes_nothing(command, capsys, tmp_path):
    out = ["--out", str(tmp_path / "results")] if command[0] != "check" else []
    one_line_error(capsys, [*command, "--device", "gpu0", *out], "device must be DEVICE (cpu, cuda, cuda:N) or LIBRARY@DEVICE (LIBRARY one of numpy, torch, array_api_strict, cupy, e.g. torch@cpu); got 'gpu0'")
    assert not (tmp_path / "results").exists()


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a CUDA device")
@pytest.mark.parametrize("command", [["check"], ["train", "digits", "--epochs", "1"], ["bench", "--quick"]])
def test_cli_cuda_without_a_device_is_one_line_and_writes_nothing(command, capsys, tmp_path):
    out = ["--out", str(tmp_path / "results")] if command[0] != "check" else []
    words = "no CUDA device: torch.cuda.is_available() is False" if HAS_TORCH else "torch is not installed"
    one_line_error(capsys, [*command, "--device", "cuda", *out], words)
    assert not (tmp_path / "results").exists()


def test_cli_train_classic_takes_no_device(capsys, tmp_path):
    from nngrad.cli import main

    with pytest.raises(SystemExit) as info:
        main(["train", "classic", "--device", "cpu", "--out", str(tmp_path)])
    assert info.value.code == 2 and "--device does not apply to 'train classic'" in capsys.readouterr().err


def test_cli_check_on_the_cpu_device_is_the_usual_check(capsys):
    from nngrad.cli import main

    assert main(["check", "--depth", "1", "--width", "3", "--device", "cpu"]) == 0
    assert "result: PASS" in capsys.readouterr().out


@on_gpu
def test_gpu_cli_check_and_train_end_to_end(capsys, tmp_path):
    from nngrad.cli import main

    assert main(["check", "--depth", "2", "--width", "8", "--batch", "4", "--device", "cuda"]) == 0
    out = capsys.readouterr().out
    assert "backprop on cuda:0 vs backprop on the CPU" in out and "forward-mode on cuda:0" in out
    pytest.importorskip("sklearn")
    assert main(["train", "digits", "--epochs", "3", "--device", "cuda", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("train-digits-*/history.csv"))) == 1


@pytest.mark.parametrize("library", LIBRARIES)
def test_training_off_numpy_follows_numpys_history(library, rng):
    net = nngrad.DNN(1, 6, 4, 3, activation="relu", loss="softmax_ce", init="he", seed=0)
    moved = net.to("cpu", library)
    x, y = make_data(net, 12, rng)
    expected = nngrad.train(net, x, y, epochs=3, lr=0.1, batch_size=4, seed=0)
    got = nngrad.train(moved, x, y, epochs=3, lr=0.1, batch_size=4, seed=0)
    np.testing.assert_allclose(got["loss"], expected["loss"], rtol=1e-12)
    np.testing.assert_allclose(got["accuracy"], expected["accuracy"])
    np.testing.assert_allclose(nb.to_numpy(moved.params), net.params, rtol=1e-12, atol=1e-15)


def test_check_on_a_device_compares_each_exact_method_with_the_cpu(monkeypatch, capsys, rng):
    """What 'nngrad check --device cuda' adds, run here on array_api_strict@cpu in the device's place."""
    from nngrad.commands import check as checking

    strict = nb.from_label("array_api_strict@cpu")
    net = nngrad.DNN(2, 4, 3, 2, seed=0)
    x, y = make_data(net, 3, rng)
    assert checking._check_on_device(net, x, y, strict)
    out = capsys.readouterr().out
    assert out.count("vs backprop on the CPU: relative gap") == 3 and "FAIL" not in out
    monkeypatch.setattr(nngrad.Sigmoid, "backward", lambda self, dout: dout * self.out)  # a wrong derivative ...
    assert not checking._check_on_device(net, x, y, strict)  # ... shows as forward mode's gap
    assert "forward-mode on array_api_strict@cpu vs backprop on the CPU: relative gap" in capsys.readouterr().out


def test_a_backend_answers_what_its_device_can_do():
    cpu, strict = nb.backend("cpu"), nb.from_label("array_api_strict@cpu")
    assert cpu.on_host and not cpu.can_capture and strict.on_host and not strict.can_capture
    result, peak = cpu.peak_memory(lambda: np.ones(100_000))
    assert result.shape == (100_000,) and peak >= 800_000  # tracemalloc saw the 800 kB
    assert cpu.peak_memory(lambda: np.ones(10), traced=False)[1] is None  # a peer's allocations: not seen
    assert strict.peak_memory(lambda: 1)[1] is None
    assert [nb.is_cuda(label) for label in ("cpu", "cuda:0", "torch@cpu", "cupy@cuda:1")] == [False, True, False, True]


def test_the_old_name_of_from_label_still_works_with_a_warning():
    with pytest.warns(DeprecationWarning, match="target is now from_label"):
        assert nb.target("cpu") == nb.from_label("cpu")
