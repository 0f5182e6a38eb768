"""backprop-numba (nngrad.methods.compiled): nngrad's backprop as one compiled call gives numpy backprop's gradient
and loss to rounding for every supported activation and loss, in float64 and float32, counts one loss evaluation
and one backward pass, leaves the parameters alone, sees them change in place after prepare, and says why not
where it does not apply. Skips without numba (the ``fast`` extra)."""

import numpy as np
import pytest
from conftest import assert_rejected, make_data
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients import rel_error

from nngrad import DNN, gradient
from nngrad.errors import InvalidValue
from nngrad.methods import get
from nngrad.methods.compiled import ACTIVATION_CODES, LOSS_CODES
from nngrad.model.activations import ACTIVATIONS
from nngrad.tolerances import tolerance

pytest.importorskip("numba")

HIDDEN = [a for a in ACTIVATION_CODES if ACTIVATIONS[a].hidden]


def network(activation="sigmoid", loss="mse", depth=2, width=6, outputs=3, batch=4, seed=0, labels=True, **kw):
    net = DNN(depth, width, 5, outputs, activation=activation, loss=loss, init=ACTIVATIONS[activation].init,
              seed=seed, **kw)
    return (net, *make_data(net, batch, np.random.default_rng(seed + 1), labels=labels))


def both(net, x, y):
    return gradient(net, x, y, "backprop"), gradient(net, x, y, "backprop-numba")


@settings(max_examples=25, deadline=None)
@given(arch=st.fixed_dictionaries({
    "depth": st.integers(1, 4), "width": st.integers(1, 24), "batch": st.integers(1, 9),
    "activation": st.sampled_from(HIDDEN), "loss": st.sampled_from(list(LOSS_CODES)),
    "outputs": st.integers(2, 4), "seed": st.integers(0, 2**32 - 2)}))
def test_agrees_with_numpy_backprop_to_1e_12_on_random_architectures(arch):
    reference, compiled = both(*network(**arch))
    assert rel_error(compiled.grad, reference.grad) <= 1e-12
    assert compiled.loss == pytest.approx(reference.loss, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("loss", list(LOSS_CODES))
@pytest.mark.parametrize("activation", HIDDEN)
@pytest.mark.parametrize("output", [None, "identity", "sigmoid", "relu", "tanh"])
def test_every_supported_activation_and_loss(activation, loss, output):
    net, x, y = network(activation, loss, output_activation=output)
    reference, compiled = both(net, x, y)
    assert rel_error(compiled.grad, reference.grad) <= 1e-12
    assert compiled.loss == pytest.approx(reference.loss, rel=1e-12)


def test_one_hot_rows_and_integer_labels_give_the_same_gradient():
    labels, onehot = network(loss="softmax_ce", labels=True), network(loss="softmax_ce", labels=False)
    np.testing.assert_array_equal(gradient(*labels, "backprop-numba").grad, gradient(*onehot, "backprop-numba").grad)


def test_a_single_sample_without_a_batch_axis():
    net, x, y = network(batch=1)
    reference, compiled = both(net, x[0], y[0])
    assert rel_error(compiled.grad, reference.grad) <= 1e-12


@pytest.mark.parametrize("activation,loss", [("sigmoid", "mse"), ("relu", "softmax_ce"), ("tanh", "mse")])
def test_float32_agrees_to_float32s_tolerance_and_stays_float32(activation, loss):
    net32, x, y = network(activation, loss, dtype=np.float32)
    net64 = net32.to(dtype=np.float64)
    compiled = gradient(net32, x, y, "backprop-numba")
    assert compiled.grad.dtype == np.float32
    assert rel_error(compiled.grad.astype(np.float64), gradient(net64, x, y, "backprop").grad) <= tolerance("exact in float32", np.float32)


def test_counts_one_loss_evaluation_and_one_backward_pass_and_records_compile_time():
    result = gradient(*network(), "backprop-numba")
    assert (result.loss_evaluations, result.backward_passes, result.tangent_passes) == (1, 1, 0)
    assert get("backprop-numba").counted(result) == get("backprop-numba").work_count(93) == 1
    assert result.info["compile_s"] >= 0
    assert "threads" in result.info["blas"]  # SciPy's BLAS, which numba's np.dot calls, is named in the record


def test_params_unchanged():
    net, x, y = network()
    before = net.params.copy()
    gradient(net, x, y, "backprop-numba")
    np.testing.assert_array_equal(net.params, before)


def test_a_prepared_call_sees_params_changed_in_place_and_results_do_not_alias():
    net, x, y = network()
    call = get("backprop-numba").prepare(net, *net.check_data(x, y))
    first = call()
    kept = first.grad.copy()
    net.params[...] = net.params * 0.5 + 0.1
    second = call()
    np.testing.assert_array_equal(first.grad, kept)  # the second call did not write into the first's result
    assert rel_error(second.grad, gradient(net, x, y, "backprop").grad) <= 1e-12
    assert rel_error(second.grad, kept) > 1e-3


def test_why_not_an_unsupported_activation():
    net, x, y = network("leaky_relu")
    assert "leaky_relu" in get("backprop-numba").why_not(net)
    assert_rejected(lambda: gradient(net, x, y, "backprop-numba"), net, InvalidValue, "supports the activations")


def test_the_registry_lists_the_compiled_pair_after_backprop_with_its_install_line():
    from nngrad.methods import registered

    names = list(registered())
    assert names.index("forward-numba") == names.index("backprop") + 1
    assert names.index("backprop-numba") == names.index("backprop") + 2
    assert get("forward-numba").runtime == get("backprop-numba").runtime == "numba"
    assert "nngrad[fast]" in get("backprop-numba").install


@pytest.mark.parametrize("loss", list(LOSS_CODES))
def test_the_compiled_forward_pass_is_one_loss_evaluation_of_the_network(loss):
    net, x, y = network("tanh", loss)
    result = gradient(net, x, y, "forward-numba")
    assert result.grad is None and result.loss_evaluations == 1
    assert result.loss == pytest.approx(net.evaluate(x, y), rel=1e-12)
    assert result.info["compile_s"] >= 0


def test_each_compiled_method_names_the_numpy_method_it_compiles_and_that_one_runs_on_numpy():
    from nngrad.methods import registered

    compiled = {n: m for n, m in registered().items() if m.runtime == "numba"}
    assert {"forward-numba", "backprop-numba"} <= set(compiled)
    for name, method in compiled.items():
        assert get(method.compiles).runtime == "numpy" and get(method.compiles).family == method.family, name


def test_numba_without_scipy_is_said_to_be_missing_scipy(monkeypatch):
    """np.dot inside numba calls SciPy's BLAS: without SciPy the methods are unavailable, and say so."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None if name == "scipy" else real(name))
    assert "needs scipy" in get("backprop-numba").missing() and "nngrad[fast]" in get("backprop-numba").missing()
