import numpy as np
import pytest

from nngrad import DNN, Identity, Relu, Sigmoid
from nngrad.model.layers import Dense


def test_parameter_count_of_the_classic_network():
    assert DNN(5, 32, 10, 2).num_params == 4642  # 10*32+32 + 4*(32*32+32) + 32*2+2


def test_every_W_and_b_is_a_view_into_params_in_layer_order():
    net = DNN(2, 3, 4, 2, seed=0)
    assert len(net.dense_layers) == 3 and all(isinstance(d, Dense) for d in net.dense_layers)
    expected = np.concatenate([p.ravel() for d in net.dense_layers for p in (d.W, d.b)])
    np.testing.assert_array_equal(net.params, expected)
    for d in net.dense_layers:
        assert np.shares_memory(d.W, net.params) and np.shares_memory(d.b, net.params)
    net.params[4 * 3] = 7.0  # first element after W0 (4x3) is b0[0]
    assert net.dense_layers[0].b[0] == 7.0
    net.params[1] = 5.0  # W is row-major: params[1] is W0[0, 1]
    assert net.dense_layers[0].W[0, 1] == 5.0
    assert net.params.dtype == np.float64 and net.params.flags["C_CONTIGUOUS"]


def test_assigning_params_copies_into_the_shared_vector():
    net = DNN(1, 3, 2, 1, seed=0)
    buffer = net.params
    net.params = np.arange(net.num_params, dtype=float)
    assert net.params is buffer
    np.testing.assert_array_equal(net.dense_layers[0].W, [[0, 1, 2], [3, 4, 5]])


def test_layer_sizes_and_output_activation_defaults():
    net = DNN(3, 8, 5, 2)
    assert [d.W.shape for d in net.dense_layers] == [(5, 8), (8, 8), (8, 8), (8, 2)]
    assert isinstance(net.activations[-1], Sigmoid)  # mse: the hidden activation at the output
    assert isinstance(DNN(1, 4, 3, 2, activation="relu", loss="softmax_ce").activations[-1], Identity)
    assert isinstance(DNN(1, 4, 3, 2, activation="relu").activations[0], Relu)
    assert isinstance(DNN(1, 4, 3, 2, output_activation="identity").activations[-1], Identity)


@pytest.mark.parametrize("init,std_of", [
    ("normal", lambda n_in, n_out: 0.01),
    ("xavier", lambda n_in, n_out: np.sqrt(2 / (n_in + n_out))),
    ("he", lambda n_in, n_out: np.sqrt(2 / n_in)),
])
def test_initialisations_have_the_stated_scale_and_zero_biases(init, std_of):
    net = DNN(2, 300, 200, 100, init=init, seed=1)
    for d in net.dense_layers:
        n_in, n_out = d.W.shape
        assert d.W.std() == pytest.approx(std_of(n_in, n_out), rel=0.05)
        assert abs(d.W.mean()) < 0.1 * std_of(n_in, n_out)
        assert not d.b.any()


def test_same_seed_same_network_and_copy_is_independent():
    a, b = DNN(2, 5, 3, 2, seed=7), DNN(2, 5, 3, 2, seed=7)
    np.testing.assert_array_equal(a.params, b.params)
    c = a.copy()
    c.params[0] += 1
    assert a.params[0] != c.params[0] and c.num_params == a.num_params


def test_forward_on_a_batch_and_on_a_single_sample(rng):
    net = DNN(2, 6, 4, 3, seed=0)
    x = rng.standard_normal((5, 4))
    out = net.forward(x)
    assert out.shape == (5, 3)
    np.testing.assert_allclose(net.forward(x[2]), out[2])
    assert net.loss(x[2], out[2]) == 0.0


def test_loss_accepts_labels_or_one_hot_for_softmax(rng):
    net = DNN(1, 6, 4, 3, loss="softmax_ce", seed=0)
    x, t = rng.standard_normal((5, 4)), np.array([0, 2, 1, 1, 0])
    assert net.loss(x, t) == pytest.approx(net.loss(x, np.eye(3)[t]))
    assert net.loss(x[0], 0) == pytest.approx(net.loss(x[:1], t[:1]))


@pytest.mark.parametrize("kwargs,error,words", [
    ({"hidden_depth": 0}, ValueError, "hidden_depth must be a positive integer"),
    ({"num_neuron": -3}, ValueError, "num_neuron must be a positive integer"),
    ({"num_input": 2.5}, TypeError, "num_input must be a positive integer"),
    ({"num_output": True}, TypeError, "num_output must be a positive integer"),
    ({"activation": "softplus"}, ValueError, "activation must be one of 'sigmoid', 'relu', 'identity', 'tanh'"),
    ({"loss": "hinge"}, ValueError, "loss must be one of 'mse', 'softmax_ce'"),
    ({"init": "zeros"}, ValueError, "init must be one of 'normal', 'xavier', 'he'"),
    ({"init_std": 0}, ValueError, "init_std must be a positive"),
    ({"seed": -1}, TypeError, "seed must be"),
    ({"dtype": np.int32}, TypeError, "dtype must be float64 or float32"),
    ({"num_output": 1, "loss": "softmax_ce"}, ValueError, "loss='softmax_ce' needs num_output >= 2"),
])
def test_bad_constructor_arguments_name_the_argument(kwargs, error, words):
    args = {"hidden_depth": 2, "num_neuron": 4, "num_input": 3, "num_output": 2, **kwargs}
    with pytest.raises(error, match=words):
        DNN(**args)


@pytest.mark.parametrize("x_shape,y_shape,words", [
    ((4, 5), (4, 2), r"x must have shape \(batch, 3\) or \(3,\), got \(4, 5\)"),
    ((4, 3), (4, 3), r"y must have shape \(4, 2\) for x of shape \(4, 3\), got \(4, 3\)"),
    ((3,), (4, 2), r"y must have shape \(2,\)"),
    ((0, 3), (0, 2), "at least one sample"),
    ((2, 3, 1), (2, 2), "x must have shape"),
])
def test_wrong_shapes_say_the_expected_shape(x_shape, y_shape, words):
    net = DNN(1, 4, 3, 2)
    with pytest.raises(ValueError, match=words):
        net.loss(np.zeros(x_shape), np.zeros(y_shape))


@pytest.mark.parametrize("where", ["x", "y", "params"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_is_rejected_and_named(where, bad):
    net = DNN(1, 4, 3, 2)
    x, y = np.zeros((2, 3)), np.zeros((2, 2))
    {"x": x, "y": y, "params": net.params}[where][1] = bad
    with pytest.raises(ValueError, match=f"{'net.params' if where == 'params' else where} must be finite"):
        net.loss(x, y)


def test_softmax_targets_are_checked():
    net = DNN(1, 4, 3, 3, loss="softmax_ce")
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        net.loss(x, np.array([0, 3]))
    with pytest.raises(ValueError, match="one-hot"):
        net.loss(x, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2,\) \(integer labels\)"):
        net.loss(x, np.zeros(5, dtype=int))


def test_float_labels_are_a_type_error():
    with pytest.raises(TypeError, match="y labels must be integers, got dtype float64"):
        DNN(1, 4, 3, 3, loss="softmax_ce").loss(np.zeros((2, 3)), np.array([0.0, 1.0]))


@pytest.mark.parametrize("x", [[["a", "b", "c"]], [[1j, 0, 0]], [[1, 2], [3]]], ids=["text", "complex", "ragged"])
def test_non_numeric_input_is_a_type_error(x):
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        DNN(1, 4, 3, 2).forward(x)


def test_bad_params_assignment_leaves_params_unchanged():
    net = DNN(1, 4, 3, 2, seed=0)
    before = net.params.copy()
    for bad in (np.zeros(3), np.full(net.num_params, np.nan)):
        with pytest.raises(ValueError, match="params must"):
            net.params = bad
    np.testing.assert_array_equal(net.params, before)


def test_a_network_larger_than_the_free_memory_is_refused_before_anything_is_allocated(monkeypatch):
    monkeypatch.setattr("nngrad._validate.available_memory", lambda: 2**30)
    assert DNN(1, 1000, 1000, 32).num_params == 1_033_032  # 16 MiB fits in 1 GiB
    with pytest.raises(ValueError, match=r"a network of 100,020,001 parameters \(float64\) would need 1.5 GiB of "
                                         r"memory, and this machine has 1.0 GiB available"):
        DNN(1, 10_000, 10_000, 1)
