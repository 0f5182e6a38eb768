"""Training on the estimators (spsa, forward-gradient): one direction Generator per training, derived from its
seed, so new directions every step, the same ones for the same seed; the CLI's --k, --eps, --directions; the
classic experiment with an estimator, whose curve is not expected to coincide with backprop's."""

import csv

import numpy as np
import pandas as pd
import pytest
from conftest import assert_rejected, make_data

from nngrad import DNN
from nngrad.cli import main
from nngrad.train import descent
from nngrad.train.descent import directions, train
from nngrad.train.equivalents import Ratios

RATIOS = Ratios(tangent_pass=1.0, backward_pass=1.0)
ESTIMATORS = [("spsa", {"k": 2}), ("forward-gradient", {"k": 1}), ("spsa", {"k": 1, "in_place": True})]


@pytest.fixture
def data(rng):
    net = DNN(2, 6, 3, 2, seed=0)
    return net, *make_data(net, 8, rng)


def trained(data, gradient, seed=0, epochs=3, batch_size=4, **options):
    net, x, y = data
    net = net.copy()
    history = train(net, x, y, epochs=epochs, lr=0.1, gradient=gradient, batch_size=batch_size, seed=seed,
                    ratios=RATIOS, **options)
    return history.drop(columns="elapsed_s"), net.params.copy()


@pytest.mark.parametrize("gradient,options", ESTIMATORS)
def test_the_same_seed_gives_a_bit_identical_training_and_another_seed_another(data, gradient, options):
    first, params = trained(data, gradient, **options)
    again, params_again = trained(data, gradient, **options)
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    np.testing.assert_array_equal(params, params_again)
    other, _ = trained(data, gradient, seed=1, **options)
    assert not np.array_equal(first["loss"], other["loss"])


@pytest.mark.parametrize("gradient,options", ESTIMATORS)
def test_every_step_follows_a_new_direction(data, gradient, options, monkeypatch):
    """One full-batch step per epoch, one direction per step: with the same direction at every step (a Generator
    not passed on, each step drawing from seed 0 again) all the steps would be parallel."""
    net, x, y = data
    steps, real = [], descent.descent_step

    def recorded(net, *args, **kwargs):
        before = net.params.copy()
        result = real(net, *args, **kwargs)
        steps.append(net.params - before)
        return result

    monkeypatch.setattr(descent, "descent_step", recorded)
    train(net.copy(), x, y, epochs=3, lr=0.1, gradient=gradient, seed=0, ratios=RATIOS, **options)
    unit = np.array([s / np.linalg.norm(s) for s in steps])
    cosines = np.abs(unit @ unit.T)[np.triu_indices(3, 1)]
    assert cosines.max() < 0.9, f"steps along the same direction: |cos| {cosines}"  # random, N = 80: ~0.1


def test_the_directions_are_a_stream_of_their_own_beside_the_shuffling():
    np.testing.assert_array_equal(directions(3).standard_normal(4), directions(3).standard_normal(4))
    assert not np.array_equal(directions(3).standard_normal(4), np.random.default_rng(3).standard_normal(4))
    assert not np.array_equal(directions(3).standard_normal(4), directions(4).standard_normal(4))


def test_a_generator_given_as_rng_drives_the_directions_and_advances(data):
    net, x, y = data
    runs = [trained(data, "spsa", rng=np.random.default_rng(7))[0] for _ in range(2)]
    pd.testing.assert_frame_equal(*runs, check_exact=True)
    assert not np.array_equal(runs[0]["loss"], trained(data, "spsa")[0]["loss"])
    given = np.random.default_rng(7)
    state = given.bit_generator.state
    trained(data, "spsa", rng=given)
    assert given.bit_generator.state != state
    pd.testing.assert_frame_equal(trained(data, "spsa", rng=5)[0], trained(data, "spsa", rng=5)[0])


@pytest.mark.parametrize("kwargs,error,words", [
    ({"gradient": "spsa", "rng": "abc"}, TypeError, "rng must be a non-negative integer seed or a numpy Generator"),
    ({"gradient": "forward-gradient", "rng": -1}, TypeError, "rng must be"),
    ({"gradient": "spsa", "rng": np.random.RandomState(0)}, TypeError, "rng must be"),
    ({"gradient": "spsa", "k": 0}, ValueError, "k must be a positive integer"),
    ({"gradient": "spsa", "eps": -1e-3}, ValueError, "eps must be a positive"),
    ({"gradient": "forward-gradient", "eps": 1e-3}, TypeError, "unknown option.* eps"),
    ({"gradient": "spsa", "seed": "zero"}, TypeError, "seed must be a non-negative integer or None"),
])
def test_bad_estimator_arguments_are_refused_and_change_nothing(data, kwargs, error, words):
    net, x, y = data
    assert_rejected(lambda: train(net, x, y, epochs=1, ratios=RATIOS, **kwargs), net, error, words)


def test_the_classic_experiment_with_spsa_counts_two_evaluations_a_step_and_is_no_failure(tmp_path, capsys):
    assert main(["train", "classic", "--gradient", "spsa", "--depths", "1,2", "--width", "4", "--epochs", "5",
                 "--out", str(tmp_path)]) == 0
    (folder,) = tmp_path.iterdir()
    summary = list(csv.DictReader((folder / "summary.csv").open()))
    for row in summary:
        assert row["estimator"] == "True" and float(row["loss_evaluations_per_step"]) == 2
        assert int(row["loss_evaluations"]) == 10 and int(row["tangent_passes"]) == 0
        assert float(row["final_loss_gap"]) == pytest.approx(
            float(row["gradient_final_loss"]) / float(row["final_loss"]) - 1)
    out = capsys.readouterr().out
    assert "2 loss evaluations a step, 10 loss evaluations = 10 equivalents in all" in out
    assert "not expected to coincide" in out and "is an estimator" in (folder / "report.md").read_text()


def test_the_classic_experiment_still_fails_a_finite_difference_whose_curve_differs(tmp_path, capsys, monkeypatch):
    from nngrad.train import classic

    monkeypatch.setattr(classic, "CURVE_RTOL", 0.0)  # forward differences differ by O(eps): now a failure
    argv = ["train", "classic", "--depths", "1", "--width", "3", "--epochs", "2", "--out", str(tmp_path)]
    assert main(argv) == 1
    assert "curves of numerical-loop and backprop differ at depth 1" in capsys.readouterr().err
    assert main([*argv[:2], "--gradient", "forward-gradient", *argv[2:]]) == 0  # an estimator: no failure


@pytest.mark.parametrize("argv,words", [
    (["digits", "--k", "4", "--gradient", "backprop"],
     "--k applies to the estimators (spsa, forward-gradient), not to backprop"),
    (["digits", "--directions", "rademacher"], "--directions applies to the estimators"),
    (["classic", "--k", "2"], "--k applies to the estimators (spsa, forward-gradient), not to numerical-loop"),
    (["digits", "--gradient", "forward-gradient", "--eps", "1e-3"], "--eps applies to numerical-loop, "),
    (["digits", "--gradient", "spsa", "--k", "0"], "argument --k: expected a positive integer, got 0"),
    (["classic", "--gradient", "spsa", "--eps", "0"], "argument --eps: expected a positive finite number"),
    (["digits", "--gradient", "spsa", "--directions", "uniform"], "argument --directions: invalid choice"),
])
def test_estimator_options_that_cannot_apply_exit_2_in_one_line_before_the_data_are_read(argv, words, tmp_path,
                                                                                          capsys, monkeypatch):
    from nngrad import data

    def not_yet(*args, **kwargs):
        raise AssertionError("the data were read before the options were checked")

    monkeypatch.setattr(data, "load_digits", not_yet)
    with pytest.raises(SystemExit) as info:
        main(["train", *argv, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert info.value.code == 2 and words in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_digits_on_spsa_counts_its_evaluations_and_says_them(tmp_path, capsys):
    pytest.importorskip("sklearn")
    status = main(["train", "digits", "--gradient", "spsa", "--k", "2", "--epochs", "2", "--width", "4", "--lr", "0.01",
                   "--out", str(tmp_path)])
    assert status in (0, 1)  # two epochs of SPSA may learn little: the counts are what is checked
    (folder,) = tmp_path.iterdir()
    rows = list(csv.DictReader((folder / "history.csv").open()))
    steps = -(-1438 // 16)  # digits' 1,438 training images in batches of 16
    assert [int(r["loss_evaluations"]) for r in rows] == [4 * steps] * 2
    assert {int(r["tangent_passes"]) for r in rows} == {int(r["backward_passes"]) for r in rows} == {0}
    out = capsys.readouterr().out
    assert f"(spsa k=2): {8 * steps:,} loss evaluations = {8 * steps:,} loss-evaluation equivalents" in out
