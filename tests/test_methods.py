"""The registered gradient methods: each gives backprop's gradient within its declared tolerance, does exactly the
work it declares (counted as it happens), and answers bad input through ``nngrad.gradient`` without side effects."""

import importlib

import numpy as np
import pytest
from conftest import assert_rejected, make_data
from hypothesis import HealthCheck, assume, given, settings
from test_gradients import architectures, build, rel_error, relu_margin

from nngrad import DNN, GradientResult, backprop_gradient, gradient, list_methods
from nngrad.methods import available_methods, get, gradient_methods, registered
from nngrad.methods.compiled import ACTIVATION_CODES
from nngrad.methods.forward_mode import Tangents
from nngrad.model.activations import ACTIVATIONS

PEERS = ("torch", "jax", "jax-fd", "autograd", "scipy", "backprop-graph", "torch-graph")  # the -graph ones: torch's CUDA graphs
COMPILED = ("forward-numba", "backprop-numba", "forward-mode-numba", "numerical-batched-numba")  # the fast extra's
LOOPS = [m for m in registered() if get(m).per_parameter]  # a loss evaluation per parameter: small networks only
NO_LOSS = [m for m in registered() if not get(m).evaluates_loss]  # never evaluate L at the unperturbed parameters
ON_NUMPY = [name for name in gradient_methods() if not get(name).cuda_only]  # the CUDA graphs: tests/test_captured.py
METHODS = [pytest.param(name, marks=pytest.mark.skipif(get(name).missing() is not None, reason=str(get(name).missing())))
           for name in ON_NUMPY]
ESTIMATORS = [name for name in ON_NUMPY if get(name).family == "estimator"]  # unbiased, not exact: checked
# statistically (tests/test_estimators.py, tests/test_estimator_check.py)
EXACT_OR_DIFFERENCE = [m for m in METHODS if m.values[0] not in ESTIMATORS]


def network(activation: str = "sigmoid", loss: str = "mse", batch: int = 3, seed: int = 0, **kw):
    """A small network (N = 93 for 3 outputs) and a batch for it."""
    net = DNN(2, 6, 4, 3, activation=activation, loss=loss, init=ACTIVATIONS[activation].init,
              seed=seed, **kw)
    return (net, *make_data(net, batch, np.random.default_rng(seed + 1)))


# -- 1. every method gives the gradient ------------------------------------------------------------------------------

@pytest.mark.parametrize("method", EXACT_OR_DIFFERENCE)
@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(arch=architectures)
def test_every_method_gives_backprops_gradient_within_its_declared_tolerance(method, arch):
    net, x, y = build(arch)
    loss, exact = backprop_gradient(net, x, y)
    # a forward difference resolves each entry only to ~sqrt(u) |L|: its declared 1e-5 needs sqrt(N u) |L| below
    # 1e-5 |grad| (true of ~99% of these networks; the rest are nearly flat for their size)
    assume(np.sqrt(net.num_params * np.finfo(float).eps) * loss < 1e-5 * np.linalg.norm(exact))
    assume(method not in LOOPS or net.num_params < 3000)
    if method == "complex-step" and not ACTIVATIONS[arch["activation"]].analytic:  # a kink: no complex extension
        assert_rejected(lambda: gradient(net, x, y, method), net, ValueError, "kink")
        return
    if method in COMPILED and arch["activation"] not in ACTIVATION_CODES:  # compiled for these activations only
        assert_rejected(lambda: gradient(net, x, y, method), net, ValueError, "supports the activations")
        return
    if method == "backprop":  # the reference itself is checked against central differences
        reference, tolerance = gradient(net, x, y, "central-batched").grad, 1e-6
    else:
        reference, tolerance = exact, get(method).check.tolerance
    assert rel_error(gradient(net, x, y, method).grad, reference) <= tolerance


def test_complex_step_refuses_a_relu_network_naming_the_kink():
    net, x, y = network("relu")
    assert_rejected(lambda: gradient(net, x, y, "complex-step"), net, ValueError, "Relu has a kink")


# -- 2. every method does exactly the work it declares -------------------------------------------------------------

class WorkCounter:
    """The work of every network with this loss class, counted as it happens: ``single``, calls of the loss layer's
    ``value`` (one loss each; ``forward`` is float(value)); ``stacked``, losses returned by the vectorised ``function`` (of ``dtypes``);
    ``tangents``, directional derivatives returned by forward mode; ``chunks``, calls of either of the last two."""

    def __init__(self, monkeypatch, loss_class: type) -> None:
        self.single = self.stacked = self.chunks = self.tangents = 0
        self.dtypes: set[np.dtype] = set()
        value, function, tangents = loss_class.value, loss_class.function, Tangents.__call__

        def counted_value(layer, *args):
            self.single += 1
            return value(layer, *args)

        def counted_function(*args):
            losses = function(*args)
            self.stacked, self.chunks = self.stacked + np.size(losses), self.chunks + 1
            self.dtypes.add(losses.dtype)
            return losses

        def counted_tangents(kernel, *args):
            derivatives = tangents(kernel, *args)
            self.tangents, self.chunks = self.tangents + len(derivatives), self.chunks + 1
            return derivatives

        monkeypatch.setattr(loss_class, "value", counted_value)
        monkeypatch.setattr(loss_class, "function", staticmethod(counted_function))
        monkeypatch.setattr(Tangents, "__call__", counted_tangents)


# method -> (single losses, stacked losses, tangent passes) of a gradient of N parameters
WORK = {"backprop": lambda n: (1, 0, 0), "numerical-loop": lambda n: (n + 1, 0, 0), "scipy": lambda n: (n + 1, 0, 0),
        "numerical-batched": lambda n: (1, n, 0), "central-batched": lambda n: (0, 2 * n, 0),
        "complex-step": lambda n: (0, n, 0), "forward-mode": lambda n: (1, 0, n)}


@pytest.mark.parametrize("loss", ["mse", "softmax_ce"])
@pytest.mark.parametrize("method", [p for p in METHODS if p.values[0] in WORK])
def test_each_method_counts_exactly_the_loss_evaluations_and_tangent_passes_it_does(monkeypatch, method, loss):
    net, x, y = network(loss=loss)
    m, n = get(method), net.num_params
    counter = WorkCounter(monkeypatch, type(net.loss_layer))
    options = {"max_bytes": 2000} if "max_bytes" in m.options else {}  # 3 networks a chunk: many chunks per layer
    result = gradient(net, x, y, method, **options)
    assert (counter.single, counter.stacked, counter.tangents) == WORK[method](n)
    assert (result.loss_evaluations, result.tangent_passes) == (counter.single + counter.stacked, counter.tangents)
    assert m.counted(result) == m.work_count(n)
    if counter.stacked or counter.tangents:
        assert counter.chunks > 2 * len(net.dense_layers)  # several chunks per layer
    if method == "complex-step":
        assert counter.dtypes and all(np.issubdtype(d, np.complexfloating) for d in counter.dtypes)


def peer_losses(monkeypatch, peer: str, net: DNN):
    """A function giving how many losses ``peer`` has evaluated so far (jax: traced into its compiled gradient)."""
    calls = []
    if peer == "torch":  # one torch.addmm per Dense layer and loss
        torch = importlib.import_module("torch")
        addmm = torch.addmm
        monkeypatch.setattr(torch, "addmm", lambda *a, **k: calls.append(1) or addmm(*a, **k))
        return lambda: len(calls) / len(net.dense_layers)
    module = importlib.import_module(f"nngrad.methods.peers.{peer}")
    numpy_like_loss = module.numpy_like_loss

    def counted(*args):
        value = numpy_like_loss(*args)
        return lambda params: calls.append(1) or value(params)

    monkeypatch.setattr(module, "numpy_like_loss", counted)
    return lambda: len(calls)


@pytest.mark.parametrize("peer", ["torch", "jax", "autograd"])
def test_reverse_mode_peers_evaluate_the_loss_once_and_count_it(monkeypatch, peer):
    pytest.importorskip(peer)
    net, x, y = network(loss="softmax_ce")
    evaluated = peer_losses(monkeypatch, peer, net)
    result = gradient(net, x, y, peer)
    assert evaluated() == result.loss_evaluations == get(peer).work_count(net.num_params) == 1


# -- 3. nngrad.gradient ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_gradient_returns_one_entry_per_parameter_and_the_loss_where_the_method_computes_it(method):
    net, x, y = network(loss="softmax_ce")
    result = gradient(net, x, y, method)
    assert isinstance(result, GradientResult) and result.method == method
    assert result.grad.shape == (net.num_params,) and result.grad.dtype == net.dtype
    if method in ESTIMATORS and method in NO_LOSS:  # SPSA: the mean of its 2k perturbed losses, L + O(eps^2)
        assert result.loss == pytest.approx(net.loss(x, y), rel=1e-4)
    elif method in NO_LOSS:
        assert result.loss is None
    else:
        assert result.loss == pytest.approx(net.loss(x, y), rel=1e-12)


@pytest.mark.parametrize("loss", ["mse", "softmax_ce"])
@pytest.mark.parametrize("method", METHODS)
def test_a_single_sample_gives_the_gradient_of_a_batch_of_one(method, loss):
    net, x, y = network(loss=loss, batch=1)
    result = gradient(net, x[0], y[0], method)  # x (num_input,); y (num_output,) or a scalar label
    assert result.grad.shape == (net.num_params,)
    if method in ESTIMATORS:  # the same directions (seed 0): the same estimate as the batch of one
        np.testing.assert_allclose(result.grad, gradient(net, x, y, method).grad, rtol=1e-12)
        return
    assert rel_error(result.grad, backprop_gradient(net, x, y)[1]) <= get(method).check.tolerance


@pytest.mark.parametrize("method,options,error,words", [
    ("steepest-descent", {}, ValueError, "method must be one of 'forward', 'backprop', .*; got 'steepest-descent'"),
    ("backprop", {"eps": 1e-6}, TypeError, "'backprop' got unknown option.*eps; it takes no options"),
    ("complex-step", {"scheme": "central"}, TypeError, "unknown option.*scheme; its options are eps, max_bytes"),
    ("numerical-loop", {"eps": 0}, ValueError, "eps must be a positive finite number, got 0"),
    ("complex-step", {"eps": 0.0}, ValueError, "eps must be a positive finite number"),
    ("numerical-batched", {"max_bytes": 0}, ValueError, "max_bytes must be a positive integer, got 0"),
    ("forward-mode", {"max_bytes": 0}, ValueError, "max_bytes must be a positive integer"),
])
def test_bad_methods_and_options_are_rejected_and_nothing_changes(method, options, error, words):
    net, x, y = network()
    assert_rejected(lambda: gradient(net, x, y, method, **options), net, error, words)


@pytest.mark.parametrize("method", METHODS)
def test_x_of_the_wrong_shape_is_rejected_and_nothing_changes(method):
    net, x, y = network()
    assert_rejected(lambda: gradient(net, x[:, 1:], y, method), net, ValueError, r"x must have shape \(batch, 4\)")


@pytest.mark.parametrize("peer", PEERS)
def test_a_method_whose_package_is_missing_says_how_to_install_it(monkeypatch, peer):
    net, x, y = network()
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert_rejected(lambda: gradient(net, x, y, peer), net, ImportError,
                    rf"{peer} needs {get(peer).requires[0]}, which is not installed: pip install")


def test_no_method_changes_the_parameters():
    net, x, y = network()
    net.params[:] += np.random.default_rng(1).standard_normal(net.num_params)  # values where p + eps - eps != p
    before = net.params.tobytes()
    for method in available_methods():
        if not get(method).cuda_only:
            gradient(net, x, y, method)
            assert net.params.tobytes() == before, method


# -- 4. list_methods -------------------------------------------------------------------------------------------------

def test_list_methods_has_one_row_per_registered_method():
    table = list_methods()
    assert list(table.columns) == ["name", "family", "work", "available", "reason", "description"]
    assert table.name.tolist() == list(registered())
    installed_elsewhere = [m for m in available_methods() if m not in set(table.name[table.available])]
    assert all(get(m).cuda_only for m in installed_elsewhere)  # installed, but no CUDA device here for a CUDA graph
    assert table.work[table.name == "central-batched"].item() == "2N loss evaluations"


def test_without_the_optional_packages_only_the_peers_and_compiled_methods_are_unavailable_and_say_how_to_install(
        monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    table = list_methods().set_index("name")
    peers = table.index.isin(PEERS + COMPILED)
    assert peers.sum() == len(PEERS + COMPILED) and not table.available[peers].any() and table.available[~peers].all()
    assert table.reason[peers].str.contains("pip install").all() and (table.reason[~peers] == "").all()


# -- 5. the peers ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("activation,loss,seed", [("sigmoid", "mse", 0), ("relu", "softmax_ce", 3)])
@pytest.mark.parametrize("peer,tolerance", [("torch", 1e-10), ("jax", 1e-10), ("autograd", 1e-10), ("scipy", 1e-5)])
def test_peers_agree_with_backprop(peer, tolerance, activation, loss, seed):
    pytest.importorskip(peer)
    net, x, y = network(activation, loss, batch=5, seed=seed)
    assert relu_margin(net, x) > 1e-4  # no ReLU at its kink: the gradient is unique
    assert rel_error(gradient(net, x, y, peer).grad, backprop_gradient(net, x, y)[1]) < tolerance


@pytest.mark.parametrize("peer", ["torch", "jax", "autograd"])
def test_peers_take_the_derivative_of_relu_at_its_kink_as_0_like_backprop(peer):
    pytest.importorskip(peer)
    net, x, y = network("relu", "softmax_ce", batch=5)  # a sample with a whole dead layer: the next z = b = 0
    assert relu_margin(net, x) == 0
    assert rel_error(gradient(net, x, y, peer).grad, backprop_gradient(net, x, y)[1]) < 1e-10


def test_jax_records_its_compile_time_and_computes_in_float64():
    pytest.importorskip("jax")
    net, x, y = network()
    result = gradient(net, x, y, "jax")
    assert result.info["compile_s"] > 0 and result.grad.dtype == np.float64


def test_torch_records_its_thread_count():
    torch = pytest.importorskip("torch")
    net, x, y = network()
    assert gradient(net, x, y, "torch").info["threads"] == torch.get_num_threads() >= 1


# -- 6. float32 networks ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["mse", "softmax_ce"])
@pytest.mark.parametrize("method", ["complex-step", "forward-mode"])
def test_exact_methods_stay_exact_to_float32_rounding_on_a_float32_network(method, loss):
    net, x, y = network(loss=loss, dtype=np.float32)
    result = gradient(net, x, y, method)
    assert result.grad.dtype == np.float32
    assert rel_error(result.grad.astype(float), backprop_gradient(net, x, y)[1].astype(float)) < 1e-5
