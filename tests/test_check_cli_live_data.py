"""``nngrad check`` of the DNN demonstrates a check that can pass: at the default seed every hidden activation and
loss reaches PASS. A draw of the data that leaves some array's gradient all zero (dead ReLUs: the output ReLUs of
a relu/mse network are off for a share of the inputs) is drawn again, a bounded number of times, and said."""

import numpy as np
import pytest

from nngrad.cli import main
from nngrad.commands import check
from nngrad.model.activations import hidden_activations
from nngrad.model.losses import LOSSES


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", hidden_activations())
def test_the_default_check_passes_for_every_activation_and_loss(activation, loss, capsys):
    assert main(["check", "--activation", activation, "--loss", loss]) == 0
    assert "result: PASS" in capsys.readouterr().out


def test_a_draw_that_verifies_nothing_is_drawn_again_and_said(capsys):
    """relu/mse at seed 0: the first draws turn both output ReLUs off (every gradient zero); a later one does not."""
    assert main(["check", "--activation", "relu"]) == 0
    err = capsys.readouterr().err
    assert "note: the data were drawn " in err and "left every parameter's gradient zero at every element" in err


def test_the_redraws_are_bounded_and_the_first_draw_is_checked_when_none_helps(monkeypatch, capsys):
    calls = []

    def silent(net, x, y):
        calls.append(x)
        return ["W5", "b5"]

    monkeypatch.setattr(check, "silent_arrays", silent)
    net = check.build_network(check.argparse.Namespace(depth=1, width=3, inputs=2, outputs=2, activation="relu",
                                                       loss="mse", init="auto", seed=0))
    x, y = check.live_data(net, 1, 1)
    assert len(calls) == check.DRAWS and np.array_equal(x, calls[0])
    first, _ = check.random_data(net, 1, np.random.default_rng(1))
    assert np.array_equal(x, first)  # the first draw is today's data: other seeds' checks are unchanged
    assert f"each of {check.DRAWS} draws of the data left the gradient of W5, b5 zero" in capsys.readouterr().err
