"""A layer whose backward returns inf or NaN: the check says FAIL with a "nonfinite" finding, and nngrad's own
arithmetic on those values raises no numpy RuntimeWarning (warnings turned into errors around the check)."""

import warnings

import numpy as np
import pytest

from nngrad import check_layer


class Scale:
    """y = x @ W; its backward puts ``bad`` (inf, -inf or NaN) into dW and dx at a few elements."""

    def __init__(self, bad: float, everywhere: bool = False):
        self.W, self.bad, self.everywhere = np.linspace(-1.0, 1.0, 6).reshape(3, 2), bad, everywhere

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, dout):
        self.dW = self.x.T @ dout
        dx = dout @ self.W.T
        if self.everywhere:
            self.dW[...], dx[...] = self.bad, self.bad
        else:
            self.dW[0, 0], dx[1, 2] = self.bad, -self.bad
        return dx


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("everywhere", [False, True])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_backward_returning_inf_or_nan_fails_as_nonfinite_without_a_runtime_warning(bad, everywhere, mode, rng):
    x = rng.standard_normal((4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_layer(Scale(bad, everywhere), x, mode=mode)
    assert report.status == "FAIL"
    assert "nonfinite" in {f.kind for f in report.findings}
    assert {r.verdict for r in report.rows} == {"FAIL"}  # both dx and dW


def test_an_infinite_claim_is_never_excused_as_the_differences_own_error(rng):
    """inf - inf is no disagreement that shrank with the step: no row is "refined" or "kink"."""
    report = check_layer(Scale(np.inf, everywhere=True), rng.standard_normal((4, 3)), mode="full")
    assert not {f.kind for f in report.findings} & {"kink"}
    assert all(r.verdict == "FAIL" for r in report.rows)
