"""What a training counts, per epoch: the work its steps did (loss evaluations, tangent passes, backward passes)
and its price in loss-evaluation equivalents, by ratios measured once (or given) and stored with the history."""

import numpy as np
import pandas as pd
import pytest
from conftest import assert_rejected, make_data

from nngrad import DNN
from nngrad.train.descent import descent_step, train
from nngrad.train.equivalents import Ratios

RATIOS = Ratios(tangent_pass=0.75, backward_pass=1.5)  # given: no timing, exact equivalents
SAMPLES, BATCH, STEPS = 10, 4, 3  # 10 samples in batches of 4: 3 steps an epoch (4, 4, 2)


@pytest.fixture
def data(rng):
    net = DNN(2, 5, 3, 3, loss="softmax_ce", seed=0)
    return net, *make_data(net, SAMPLES, rng)


def history_of(data, gradient, epochs=2, **options):
    net, x, y = data
    return train(net.copy(), x, y, epochs=epochs, lr=0.05, gradient=gradient, batch_size=BATCH, seed=0,
                 ratios=RATIOS, **options)


@pytest.mark.parametrize("gradient,options,per_step", [
    ("spsa", {"k": 3}, (6, 0, 0)),  # 2k loss evaluations
    ("forward-gradient", {"k": 2}, (1, 2, 0)),  # its primal pass and k tangent passes
    ("backprop", {}, (1, 0, 1)),  # a loss evaluation and a backward pass
    ("forward-mode", {}, (1, "N", 0)),  # the primal pass and one tangent pass per parameter
])
def test_each_epoch_counts_the_work_of_its_steps_exactly(data, gradient, options, per_step):
    history = history_of(data, gradient, **options)
    n = data[0].num_params
    evaluations, tangents, backwards = (n if c == "N" else c for c in per_step)
    assert list(history["loss_evaluations"]) == [STEPS * evaluations] * 2
    assert list(history["tangent_passes"]) == [STEPS * tangents] * 2
    assert list(history["backward_passes"]) == [STEPS * backwards] * 2
    assert list(history["cumulative_steps"]) == [STEPS, 2 * STEPS]


def test_a_method_that_returns_no_loss_pays_one_more_evaluation_for_it(data):
    """central-batched evaluates 2N perturbed losses, never L itself: the step evaluates it, and counts it."""
    net, x, y = data
    result = descent_step(net.copy(), x, y, 0.05, "central-batched")
    assert result.loss == pytest.approx(net.loss(x, y)) and result.loss_evaluations == 2 * net.num_params + 1
    assert list(history_of(data, "central-batched")["loss_evaluations"]) == [STEPS * (2 * net.num_params + 1)] * 2


def test_equivalents_are_the_counts_priced_by_the_stored_ratios(data):
    history = history_of(data, "forward-gradient", epochs=3, k=2)
    assert history.attrs["ratios"] == {"tangent_pass": 0.75, "backward_pass": 1.5}
    expected = history["loss_evaluations"] + 0.75 * history["tangent_passes"] + 1.5 * history["backward_passes"]
    np.testing.assert_array_equal(history["equivalents"], expected)
    assert history["equivalents"].iloc[0] == STEPS * (1 + 0.75 * 2)
    np.testing.assert_array_equal(history["cumulative_equivalents"], np.cumsum(expected))


def test_ratios_not_given_are_measured_once_before_training_and_stored(data, monkeypatch):
    from nngrad.train import descent

    calls = []

    def measured(net, x, y):
        calls.append(x.shape)
        return Ratios(tangent_pass=1.25, backward_pass=2.0)

    monkeypatch.setattr(descent, "measure_ratios", measured)
    net, x, y = data
    history = train(net.copy(), x, y, epochs=3, lr=0.05, batch_size=BATCH, seed=0)
    assert calls == [(BATCH, net.num_input)]  # once, on the first batch
    assert history.attrs["ratios"] == {"tangent_pass": 1.25, "backward_pass": 2.0}
    np.testing.assert_array_equal(history["equivalents"], [STEPS * (1 + 2.0)] * 3)


def test_measured_ratios_price_a_backward_and_a_tangent_pass_at_a_positive_number_of_forward_passes(data):
    net, x, y = data
    ratios = train(net.copy(), x, y, epochs=1, lr=0.05, batch_size=BATCH, seed=0).attrs["ratios"]
    assert set(ratios) == {"tangent_pass", "backward_pass"}
    assert all(np.isfinite(v) and v >= 0 for v in ratios.values())


def test_a_step_returns_what_it_counted_and_gradient_descent_still_returns_the_loss(data):
    from nngrad.train.descent import gradient_descent

    net, x, y = data
    before = net.loss(x, y)
    result = descent_step(net.copy(), x, y, 0.05, "backprop")
    assert (result.loss, result.loss_evaluations, result.backward_passes) == (pytest.approx(before), 1, 1)
    assert gradient_descent(net.copy(), x, y, 0.05) == pytest.approx(before)


def test_ratios_of_the_wrong_type_are_refused_before_training(data):
    net, x, y = data
    assert_rejected(lambda: train(net, x, y, epochs=1, ratios={"tangent_pass": 1.0, "backward_pass": 1.0}), net,
                    TypeError, "ratios must be nngrad's Ratios")


def test_equivalents_work_on_numbers_and_columns_alike():
    counts = pd.DataFrame({"e": [2, 1], "t": [0, 3], "b": [1, 0]})
    np.testing.assert_array_equal(RATIOS.equivalents(counts["e"], counts["t"], counts["b"]), [3.5, 3.25])
    assert RATIOS.equivalents(2, 0, 1) == 3.5


def test_a_network_off_numpy_has_its_ratios_measured_too(data):
    pytest.importorskip("array_api_strict")
    net, x, y = data
    history = train(net.to("cpu", "array_api_strict"), x, y, epochs=1, lr=0.05, batch_size=BATCH, seed=0)
    assert all(np.isfinite(v) and v >= 0 for v in history.attrs["ratios"].values())  # the tangent's on a numpy copy
    assert history["equivalents"].iloc[0] == pytest.approx(STEPS * (1 + history.attrs["ratios"]["backward_pass"]), rel=1e-12)


def test_a_measurement_disturbed_into_a_free_backward_pass_is_taken_again(data, monkeypatch):
    from nngrad.train import equivalents

    real, seen = equivalents._rounds, []

    def disturbed_once(calls, rounds):
        times = real(calls, rounds)
        seen.append(1)
        if len(seen) == 1:  # every round of the loss evaluation slowed past the backprop's
            times["forward"] = times["backprop"] * 2
        return times

    monkeypatch.setattr(equivalents, "_rounds", disturbed_once)
    net, x, y = data
    ratios = equivalents.measure_ratios(net, *net.check_data(x, y))
    assert len(seen) == 2 and ratios.backward_pass > 0
