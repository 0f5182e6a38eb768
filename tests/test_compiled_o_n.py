"""The compiled O(N) methods (nngrad.methods.compiled): forward-mode-numba gives numpy backprop's gradient to 1e-12
on random architectures; numerical-batched-numba passes its numpy twin's check and agrees with the twin to the
twin's own round-off at the same step; both count their twins' work exactly, stay float32 in float32, leave the
parameters alone, see them change in place after prepare, return fresh arrays, work in several chunks per layer,
and say why not where they do not apply. Skips without numba (the ``fast`` extra)."""

import numpy as np
import pytest
from conftest import assert_rejected, make_data
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_gradients import rel_error

from nngrad import DNN, gradient
from nngrad.errors import InvalidValue
from nngrad.methods import compiled, get, registered
from nngrad.methods.compiled import ACTIVATION_CODES, LOSS_CODES
from nngrad.methods.schemes import SCHEMES
from nngrad.model.activations import ACTIVATIONS
from nngrad.tolerances import tolerance

pytest.importorskip("numba")

HIDDEN = [a for a in ACTIVATION_CODES if ACTIVATIONS[a].hidden]
FORWARD_MODE, DIFFERENCES = "forward-mode-numba", "numerical-batched-numba"
ARCHITECTURES = st.fixed_dictionaries({
    "depth": st.integers(1, 4), "width": st.integers(1, 12), "batch": st.integers(1, 6),
    "activation": st.sampled_from(HIDDEN), "output": st.sampled_from([None, "identity"]),
    "loss": st.sampled_from(list(LOSS_CODES)), "outputs": st.integers(2, 4), "seed": st.integers(0, 2**32 - 2)})


def network(activation="sigmoid", loss="mse", depth=2, width=6, outputs=3, batch=4, seed=0, output=None, **kw):
    """A small network (N = 93 at the defaults) with biases of its own (not 0) and checked data for it."""
    net = DNN(depth, width, 5, outputs, activation=activation, loss=loss, init=ACTIVATIONS[activation].init,
              seed=seed, output_activation=output, **kw)
    rng = np.random.default_rng(seed + 2)
    for dense in net.dense_layers:
        dense.b[...] = rng.uniform(-0.5, 0.5, dense.b.shape)  # views of net.params
    return (net, *net.check_data(*make_data(net, batch, np.random.default_rng(seed + 1))))


def passes_its_check(method, net, x, y, result) -> bool:
    """The method's own check (its numpy twin's declaration) passes on ``result``."""
    check = get(method).check
    error, _ = check.error(net, x, y, result)
    return error <= check.tolerance


@settings(max_examples=25, deadline=None)
@given(arch=ARCHITECTURES)
def test_forward_mode_agrees_with_numpy_backprop_to_1e_12_on_random_architectures(arch):
    net, x, y = network(**arch)
    reference, compiled_ = gradient(net, x, y, "backprop"), gradient(net, x, y, FORWARD_MODE)
    assert rel_error(compiled_.grad, reference.grad) <= 1e-12
    assert compiled_.loss == pytest.approx(reference.loss, rel=1e-12, abs=1e-300)


@settings(max_examples=25, deadline=None)
@given(arch=ARCHITECTURES)
def test_forward_differences_pass_their_twins_check_and_agree_with_the_twin_to_its_round_off(arch):
    net, x, y = network(**arch)
    twin, compiled_ = gradient(net, x, y, "numerical-batched"), gradient(net, x, y, DIFFERENCES)
    assume(passes_its_check(DIFFERENCES, net, x, y, twin))  # not a flat (dead relu) network the check cannot judge
    assert passes_its_check(DIFFERENCES, net, x, y, compiled_)
    # the same arithmetic in another order (numba's exp, the loss summed in another order): each entry differs by
    # the rounding of two losses over the step, a few u |L| / eps, never more
    eps = SCHEMES["forward"].default_eps(net.dtype)
    assert np.max(np.abs(compiled_.grad - twin.grad)) <= 64 * np.finfo(net.dtype).eps * abs(twin.loss) / eps
    assert compiled_.loss == pytest.approx(twin.loss, rel=1e-14)


@pytest.mark.parametrize("loss", list(LOSS_CODES))
@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("output", [None, "identity", "sigmoid", "relu", "tanh"])
def test_every_supported_activation_and_loss(activation, loss, output):
    net, x, y = network(activation, loss, output=output)
    reference = gradient(net, x, y, "backprop")
    assert rel_error(gradient(net, x, y, FORWARD_MODE).grad, reference.grad) <= 1e-12
    assert passes_its_check(DIFFERENCES, net, x, y, gradient(net, x, y, DIFFERENCES))


@pytest.mark.parametrize("method", [FORWARD_MODE, DIFFERENCES])
def test_several_chunks_per_layer_give_the_same_gradient(monkeypatch, method):
    net, x, y = network(depth=3, batch=3)
    whole = get(method).prepare(net, x, y)().grad
    monkeypatch.setattr(compiled, "CHUNK_BYTES", 3 * 3 * 6 * 8)  # 3 networks a chunk: layers of 36, 42 and 21
    assert compiled.Stacked.of(net, compiled.Buffers.of(net, x, y)).chunk == 3
    chunked = get(method).prepare(net, x, y)().grad
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-14 * np.max(np.abs(whole)))


@pytest.mark.parametrize("loss", list(LOSS_CODES))
def test_counts_are_the_twins_exactly_and_compile_time_is_recorded(loss):
    net, x, y = network(loss=loss)
    n = net.num_params
    tangents, differences = gradient(net, x, y, FORWARD_MODE), gradient(net, x, y, DIFFERENCES)
    assert (tangents.loss_evaluations, tangents.tangent_passes, tangents.backward_passes) == (1, n, 0)
    assert (differences.loss_evaluations, differences.tangent_passes) == (n + 1, 0)
    for method, result in ((FORWARD_MODE, tangents), (DIFFERENCES, differences)):
        m = get(method)
        assert m.counted(result) == m.work_count(n) == get(m.compiles).work_count(n)
        assert result.info["compile_s"] >= 0


@pytest.mark.parametrize("activation,loss", [("sigmoid", "mse"), ("relu", "softmax_ce"), ("tanh", "mse")])
def test_float32_stays_float32_and_agrees_to_float32s_tolerance(activation, loss):
    net32, x, y = network(activation, loss, dtype=np.float32)
    net64 = net32.to(dtype=np.float64)
    reference = gradient(net64, x, y, "backprop").grad
    tangents, differences = gradient(net32, x, y, FORWARD_MODE), gradient(net32, x, y, DIFFERENCES)
    assert tangents.grad.dtype == differences.grad.dtype == np.float32
    assert rel_error(tangents.grad.astype(np.float64), reference) <= tolerance("exact in float32", np.float32)
    assert passes_its_check(DIFFERENCES, net32, x, y, differences)  # the check's floor: float32's own step and error


def test_the_step_is_the_twins_by_dtype_and_eps_is_an_option():
    net, x, y = network()
    assert get(DIFFERENCES).step(np.float32) == get("numerical-batched").step(np.float32)
    default, given_ = gradient(net, x, y, DIFFERENCES), gradient(net, x, y, DIFFERENCES, eps=1e-8)
    np.testing.assert_array_equal(default.grad, gradient(net, x, y, DIFFERENCES, eps=np.finfo(float).eps ** 0.5).grad)
    assert not np.array_equal(default.grad, given_.grad)
    assert_rejected(lambda: gradient(net, x, y, DIFFERENCES, eps=0), net, ValueError, "eps must be a positive")


@pytest.mark.parametrize("method", [FORWARD_MODE, DIFFERENCES])
def test_params_unchanged(method):
    net, x, y = network()
    net.params[:] += np.random.default_rng(1).standard_normal(net.num_params)  # values where p + eps - eps != p
    before = net.params.tobytes()
    gradient(net, x, y, method)
    assert net.params.tobytes() == before


@pytest.mark.parametrize("method", [FORWARD_MODE, DIFFERENCES])
def test_a_prepared_call_sees_params_changed_in_place_and_results_do_not_alias(method):
    net, x, y = network()
    call = get(method).prepare(net, x, y)
    first = call()
    kept = first.grad.copy()
    net.params[...] = net.params * 0.5 + 0.1
    second = call()
    np.testing.assert_array_equal(first.grad, kept)  # the second call did not write into the first's result
    assert rel_error(second.grad, gradient(net, x, y, "backprop").grad) <= get(method).check.tolerance
    assert rel_error(second.grad, kept) > 1e-3


@pytest.mark.parametrize("method", [FORWARD_MODE, DIFFERENCES])
def test_an_unsupported_activation_is_rejected_in_one_line(method):
    net, x, y = network("leaky_relu")
    assert_rejected(lambda: gradient(net, x, y, method), net, InvalidValue,
                    r"^numba's compiled code supports the activations identity, sigmoid, relu, tanh; "
                    r"this network has leaky_relu$")


def test_the_registry_lists_them_after_forward_mode_as_compiled_twins():
    names = list(registered())
    assert names.index(FORWARD_MODE) == names.index("forward-mode") + 1
    assert names.index(DIFFERENCES) == names.index("numerical-batched") + 1
    for method, twin in ((FORWARD_MODE, "forward-mode"), (DIFFERENCES, "numerical-batched")):
        m = get(method)
        assert (m.compiles, m.runtime, m.family, m.work_unit) == (twin, "numba", get(twin).family, get(twin).work_unit)
        assert m.requires == ("numba", "scipy") and "nngrad[fast]" in m.install


@pytest.mark.parametrize("method", [FORWARD_MODE, DIFFERENCES])
@pytest.mark.parametrize("batch", [1, 16])
def test_the_declared_flops_are_the_twins(method, batch):
    from nngrad.methods.cost import Network

    net = Network((10, 32, 32, 32, 32, 32, 2), batch)
    mine, twin = get(method).cost(net), get(get(method).compiles).cost(net)
    assert (mine.flops, mine.elementwise) == (twin.flops, twin.elementwise)  # the calls: test_compiled_cost


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_vectorized_sigmoid_is_numpys_to_4_ulp_from_underflow_to_saturation(dtype):
    from nngrad.methods import compiled_kernels

    z = np.concatenate([np.linspace(-750, 750, 3001), [0.0, 1e-300, -1e-300, 709.5, -709.5]]).astype(dtype)
    out = z.reshape(2, -1).copy()
    compiled_kernels.sigmoid(out, np.empty(z.size, np.int64))
    with np.errstate(over="ignore"):  # exp(750): inf, and the sigmoid 0
        expected = (1 / (1 + np.exp(-z.astype(np.float64)))).astype(dtype)
    assert out.dtype == dtype
    np.testing.assert_array_less(np.abs(out.ravel() - expected), 4 * np.spacing(expected) + np.finfo(dtype).tiny)
