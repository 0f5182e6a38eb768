"""Where arrays live (nngrad.backend): device strings, the one-line errors, and the network on array libraries
other than numpy (torch CPU tensors, array_api_strict) giving numpy's numbers."""

import importlib.util

import numpy as np
import pytest
from conftest import make_data

import nngrad
from nngrad import backend as nb
from nngrad.errors import InvalidValue, MissingPackage, UserError

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
    with pytest.raises(InvalidValue, match="backend must be one of numpy, torch, array_api_strict; got 'jax'"):
        nb.backend("cpu", "jax")
    with pytest.raises(InvalidValue, match="numpy arrays live on the CPU only"):
        nb.backend("cuda", "numpy")


def test_cuda_without_torch_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(nb.importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(MissingPackage, match=r"torch is not installed: pip install torch") as info:
        nb.backend("cuda")
    assert "\n" not in str(info.value)
    with pytest.raises(MissingPackage, match="torch is not installed"):
        nngrad.DNN(1, 2, 2, 1, device="cuda:0")


@needs_torch
@pytest.mark.skipif(HAS_CUDA, reason="this machine has a CUDA device: the refusal cannot happen")
def test_cuda_without_a_device_is_a_one_line_user_error():
    with pytest.raises(nb.NoDevice, match=r"^no CUDA device: torch.cuda.is_available\(\) is False$") as info:
        nngrad.DNN(1, 2, 2, 1, device="cuda")
    assert isinstance(info.value, UserError)


def test_synchronize_on_the_cpu_is_a_no_op_and_checks_the_device():
    nb.synchronize("cpu")
    nb.synchronize(nb.backend("cpu"))
    with pytest.raises(InvalidValue, match="device must be one of"):
        nb.synchronize("gpu")


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
