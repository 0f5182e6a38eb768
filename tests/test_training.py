import numpy as np
import pytest
from conftest import assert_rejected, make_data

from nngrad import DNN
from nngrad.train.descent import gradient_descent, train


def test_a_gradient_descent_step_lowers_the_loss(rng):
    net = DNN(2, 8, 4, 2, seed=0, init="xavier")
    x, y = make_data(net, 5, rng)
    before = net.loss(x, y)
    assert gradient_descent(net, x, y, lr=0.5) == before
    assert net.loss(x, y) < before


@pytest.mark.parametrize("loss,batch_size", [("mse", None), ("softmax_ce", 3)])
@pytest.mark.parametrize("gradient,options,atol", [("central-batched", {"eps": 1e-5}, 1e-9),
                                                    ("complex-step", {}, 1e-13), ("forward-mode", {}, 1e-13)])
def test_training_on_any_gradient_gives_the_parameters_of_backprop(rng, loss, batch_size, gradient, options, atol):
    a = DNN(2, 4, 3, 3, loss=loss, seed=0, init="xavier")
    b = a.copy()
    x, y = make_data(a, 7, rng)
    ha = train(a, x, y, epochs=5, lr=0.5, batch_size=batch_size, seed=1)
    hb = train(b, x, y, epochs=5, lr=0.5, batch_size=batch_size, seed=1, gradient=gradient, **options)
    np.testing.assert_allclose(b.params, a.params, rtol=0, atol=atol)
    np.testing.assert_allclose(hb["loss"], ha["loss"], rtol=1e-8)
    assert len(ha) == 5 and ha["elapsed_s"].is_monotonic_increasing


def test_history_columns_for_regression_and_classification(rng):
    net = DNN(1, 4, 3, 2, seed=0)
    x, y = make_data(net, 4, rng)
    work = ["loss_evaluations", "tangent_passes", "backward_passes", "equivalents", "cumulative_steps",
            "cumulative_equivalents"]
    assert list(train(net, x, y, epochs=2).columns) == ["epoch", "loss", *work, "elapsed_s"]
    clf = DNN(1, 4, 3, 3, loss="softmax_ce", seed=0)
    x, y = make_data(clf, 6, rng)
    history = train(clf, x, y, epochs=2, batch_size=2, seed=0, x_test=x[:3], y_test=y[:3])
    assert list(history.columns) == ["epoch", "loss", "accuracy", "test_loss", "test_accuracy", *work, "elapsed_s"]
    assert history["accuracy"].isin(np.arange(7) / 6).all() and history["test_accuracy"].isin(np.arange(4) / 3).all()
    assert ((0 <= history["accuracy"]) & (history["accuracy"] <= 1)).all()


def test_shuffling_is_seeded(rng):
    net = DNN(1, 4, 3, 3, loss="softmax_ce", seed=0)
    x, y = make_data(net, 9, rng)
    runs = [train(net.copy(), x, y, epochs=3, batch_size=2, lr=0.3, seed=s)["loss"] for s in (5, 5, 6)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_the_digit_classifier_reaches_95_percent_in_seconds():
    pytest.importorskip("sklearn")
    from nngrad.data import load_digits

    data = load_digits(seed=0)
    net = DNN(1, 256, 64, 10, activation="relu", loss="softmax_ce", init="he", seed=0)  # the CLI's defaults
    history = train(net, data.x_train, data.y_train, epochs=60, lr=0.1, batch_size=16, seed=0,
                    x_test=data.x_test, y_test=data.y_test)
    assert history["test_accuracy"].iloc[-1] >= 0.95
    assert history["elapsed_s"].iloc[-1] < 60


def test_the_classic_experiment_learns(rng):
    net = DNN(5, 32, 10, 2, seed=0)
    x, y = rng.random(10), np.array([0.2, 0.9])
    history = train(net, x, y, epochs=100, lr=0.01)
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]


@pytest.mark.parametrize("kwargs,error,words", [
    ({"lr": 0}, ValueError, "lr must be a positive"),
    ({"gradient": "adjoint"}, ValueError, "gradient must be one of 'backprop', 'numerical-loop', .*'forward-mode'"),
    ({"gradient": "torch"}, ValueError, "gradient must be one of"),  # the peers time, they do not train
    ({"gradient": "numerical-loop", "scheme": "x"}, TypeError, "unknown option.* scheme; its options are eps"),
    ({"gradient": "backprop", "eps": 1e-4}, TypeError, "'backprop' got unknown option.* eps; it takes no options"),
    ({"gradient": "numerical-batched", "eps": 0.0}, ValueError, "eps must be a positive"),
])
def test_bad_step_arguments_leave_parameters_unchanged(rng, kwargs, error, words):
    net = DNN(1, 3, 2, 2, seed=0)
    x, y = make_data(net, 2, rng)
    assert_rejected(lambda: gradient_descent(net, x, y, **kwargs), net, error, words)


@pytest.mark.parametrize("kwargs,error,words", [
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
    ({"lr": -0.1}, ValueError, "lr must be a positive"),
    ({"epochs": 0}, ValueError, "epochs must be a positive integer"),
    ({"gradient": "forward"}, ValueError, "gradient must be one of"),
    ({"gradient": "complex-step", "max_bytes": 0}, ValueError, "max_bytes must be a positive integer"),
    ({"gradient": "complex-step", "method": "fast"}, TypeError, "unknown option.* method; its options are eps"),
    ({"x_test": np.zeros((2, 2))}, ValueError, "give both or neither"),
])
def test_bad_training_arguments_change_nothing(rng, kwargs, error, words):
    net = DNN(1, 3, 2, 3, loss="softmax_ce", seed=0)
    x, y = make_data(net, 4, rng)
    epochs = kwargs.pop("epochs", 2)
    assert_rejected(lambda: train(net, x, y, epochs=epochs, **kwargs), net, error, words)


def test_labels_out_of_range_are_rejected(rng):
    net = DNN(1, 3, 2, 3, loss="softmax_ce", seed=0)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        train(net, rng.random((3, 2)), np.array([0, 1, 3]), epochs=1)


def test_a_diverging_training_stops_at_its_epoch_and_restores_the_parameters(rng):
    net = DNN(2, 16, 3, 2, activation="relu", output_activation="identity", init="he", seed=0)
    x, y = make_data(net, 8, rng)
    before = net.params.copy()
    with pytest.raises(FloatingPointError, match=r"diverged at epoch \d+.*Try a lower learning rate"):
        train(net, x * 100, y, epochs=50, lr=10.0)
    np.testing.assert_array_equal(net.params, before)


def test_a_diverging_step_stops_and_leaves_parameters_unchanged(rng):
    net = DNN(1, 3, 2, 2, seed=0, activation="relu", output_activation="identity")
    x, y = make_data(net, 2, rng)
    net.params[:] = 1e154  # the squared error overflows
    before = net.params.copy()
    with pytest.raises(FloatingPointError, match="lower learning rate"), np.errstate(all="ignore"):
        gradient_descent(net, x * 1e150, y, lr=1.0)
    np.testing.assert_array_equal(net.params, before)


def test_a_step_that_overflows_leaves_the_parameters_as_they_were(rng):
    net = DNN(1, 4, 3, 2, activation="relu", output_activation="identity", init="he", seed=0)
    x, y = make_data(net, 4, rng)
    before = net.params.copy()
    with pytest.raises(FloatingPointError, match="diverged"):
        train(net, 10 * x, y, epochs=3, lr=1e308)  # the step itself overflows to inf
    np.testing.assert_array_equal(net.params, before)
    with pytest.raises(FloatingPointError, match="parameters left unchanged"):
        gradient_descent(net, 10 * x, y, lr=1e308)
    np.testing.assert_array_equal(net.params, before)


def test_an_interrupted_training_restores_the_parameters(rng, monkeypatch):
    net = DNN(1, 4, 3, 2, seed=0)
    x, y = make_data(net, 4, rng)
    before = net.params.copy()
    calls = []

    def step_then_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    from nngrad.train import descent

    real = descent.descent_step
    monkeypatch.setattr(descent, "descent_step", step_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(net, x, y, epochs=5, lr=0.5)
    np.testing.assert_array_equal(net.params, before)


def test_an_interrupted_training_can_keep_its_finished_epochs(rng, monkeypatch):
    from nngrad.train import descent

    net = DNN(1, 4, 3, 2, seed=0)
    x, y = make_data(net, 4, rng)
    real, calls = descent._epoch, []

    def epoch_then_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(descent, "_epoch", epoch_then_interrupt)
    history = train(net, x, y, epochs=5, lr=0.5, keep_on_interrupt=True)
    assert list(history["epoch"]) == [1, 2] and history.attrs["interrupted"]
    assert not train(net, x, y, epochs=1, lr=0.5).attrs["interrupted"]


def test_training_with_progress_off_a_terminal_prints_plain_lines(rng, capsys):
    net = DNN(1, 4, 3, 2, seed=0)
    x, y = make_data(net, 4, rng)
    train(net, x, y, epochs=3, lr=0.1, progress=True)
    err = capsys.readouterr().err
    assert "training (backprop): 3/3 epochs, elapsed" in err and "loss=" in err
