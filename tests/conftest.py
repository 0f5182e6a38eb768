import os

import numpy as np
import pytest
from hypothesis import settings

from nngrad import DNN

# CI keeps the property tests short; HYPOTHESIS_PROFILE=thorough runs ten times as many examples.
settings.register_profile("default", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=250, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def make_data(net: DNN, batch: int, rng: np.random.Generator, labels: bool = True):
    """x ~ N(0, 1) (batch, in); y: [0, 1) targets (mse), integer labels or one-hot rows (softmax_ce)."""
    x = rng.standard_normal((batch, net.num_input))
    if net.loss_name == "mse":
        return x, rng.random((batch, net.num_output))
    t = rng.integers(0, net.num_output, batch)
    return x, (t if labels else np.eye(net.num_output)[t])
