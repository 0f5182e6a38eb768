"""accuracy.png is the run's own network: the study is built with its activation, loss and dtype, it draws only
the methods that network allows (a ReLU run refuses the complex step: no curve, and the legend says why), and its
title names the activation and loss; an older study without them still draws, as the default network it was."""

import numpy as np
import pandas as pd
import pytest
from test_plots import LABEL, ax_of, legend, lines

from nngrad.methods import get
from nngrad.methods.backprop import backprop
from nngrad.methods.checks import relative_error
from nngrad.results import plots
from nngrad.sweep import accuracy, runner
from nngrad.sweep.config import SweepConfig
from nngrad.sweep.networks import build

STEPPING = ("forward", "backprop", "numerical-batched", "complex-step")


def relu_config(**kw) -> SweepConfig:
    return SweepConfig(depths=(1,), widths=(4,), methods=STEPPING, activation="relu", **kw)


@pytest.fixture(scope="module")
def relu_study() -> list[dict]:
    return accuracy.accuracy_study(relu_config())


def test_the_study_is_of_the_runs_network_and_names_it(relu_study):
    rows = pd.DataFrame(relu_study)
    assert set(rows["activation"]) == {"relu"} and set(rows["loss"]) == {"mse"}
    size = accuracy.SIZE
    net, x, y = build(size["depth"], size["width"], size["batch"], activation="relu")  # the run's network
    exact = backprop(net, x, y)[1]
    eps = 1e-6
    grad = get("numerical-batched").prepare(net, x, y, eps=eps)().grad
    (error,) = rows.loc[(rows["method"] == "numerical-batched") & (rows["eps"] == eps), "error"]
    assert error == relative_error(grad, exact)  # the same number: the study ran on this very network


def test_a_relu_study_refuses_the_complex_step_and_says_why(relu_study):
    refused = [r for r in relu_study if r["method"] == "complex-step"]
    assert len(refused) == 1 and refused[0]["eps"] is None and refused[0]["error"] is None
    assert "kink" in refused[0]["refused"]


def test_the_runner_records_the_study_of_the_runs_network(monkeypatch):
    monkeypatch.setattr(runner, "headline_study", lambda cfg: None)
    rows = runner.studies(relu_config(loss="softmax_ce"))["accuracy"]
    assert {(r["activation"], r["loss"]) for r in rows} == {("relu", "softmax_ce")}
    assert [r["method"] for r in rows if r.get("refused")] == ["complex-step"]


def test_the_figure_of_a_relu_run_draws_no_complex_step_and_names_the_network(relu_study):
    ax = ax_of(plots.accuracy(pd.DataFrame(relu_study), LABEL))
    title = ax.figure.get_suptitle()
    assert "relu activation" in title and "mse loss" in title
    drawn = {k: line for k, line in lines(ax).items() if len(line.get_xdata()) and not k.startswith("_")}
    assert list(drawn) == ["numerical-batched"]  # a curve for what this network allows only
    (why,) = [e for e in legend(ax) if e.startswith("complex-step")]
    assert "no curve" in why and "kink" in why.replace("\n", " ")
    ax.figure.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1  # beside the data


def test_a_study_of_refusals_only_says_so_in_the_axes():
    rows = pd.DataFrame([{"method": "complex-step", "eps": None, "error": None, "default_eps": None, "depth": 3,
                          "width": 16, "batch": 4, "activation": "relu", "loss": "mse", "refused": "a kink"}])
    text = " ".join(t.get_text() for t in ax_of(plots.accuracy(rows, LABEL)).texts)
    assert "no accuracy measurements" in text and "complex-step: no curve: a kink" in text


def test_an_older_study_without_its_network_draws_as_the_default_network():
    eps = np.logspace(-12, -1, 12)
    old = pd.DataFrame({"method": "complex-step", "eps": eps, "error": 1e-16, "default_eps": 1e-20, "depth": 3,
                        "width": 16, "batch": 4})
    ax = ax_of(plots.accuracy(old, LABEL))
    assert "sigmoid activation, mse loss (the default network" in ax.figure.get_suptitle()
    assert len(lines(ax)["complex-step"].get_xdata()) == len(eps)
