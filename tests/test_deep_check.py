"""The benchmark's directional check of a deep network costs passes linear in its depth (blocks of layers beyond
BLOCKS Dense layers), and still finds a gradient wrong in one array in the middle of the network."""

from dataclasses import replace

import numpy as np
import pytest
from conftest import make_data

from nngrad import DNN
from nngrad.methods import checks, prefix
from nngrad.methods.backprop import backprop
from nngrad.methods.checks import BLOCKS, directional_error


def _deep(depth: int, activation: str = "tanh") -> tuple:
    net = DNN(depth, 16, 4, 3, activation=activation, loss="softmax_ce" if activation != "tanh" else "mse",
              init="he" if activation != "tanh" else "xavier", seed=5)
    x, y = make_data(net, 5, np.random.default_rng(6))
    return net, x, y, backprop(net, x, y)[1]


@pytest.mark.parametrize("activation", ["tanh", "leaky_relu"])  # the complex step, and central differences
def test_a_correct_deep_gradient_passes_the_blocked_check(activation):
    net, x, y, grad = _deep(3 * BLOCKS, activation)
    error, unresolved = directional_error(net, x, y, grad)
    assert error < (1e-9 if activation == "tanh" else 1e-5) and not unresolved, (error, unresolved)


@pytest.mark.parametrize("which", ["W", "b"])
def test_one_wrong_array_in_the_middle_of_a_deep_network_fails_the_blocked_check(which):
    net, x, y, grad = _deep(3 * BLOCKS)
    middle = next(a for a in net.param_arrays() if a.layer == 1 + 3 * BLOCKS // 2 and a.name == which)
    wrong = grad.copy()
    wrong[middle.start:middle.stop] *= 1.05
    block = next(b for b in np.array_split(np.arange(len(net.dense_layers)), BLOCKS) if middle.layer in b)
    in_block = 2 * len(block)  # W and b of each layer of the middle array's block
    # each array has an equal share of g.v, so its 5% shows diluted at most by the arrays of its block (and by
    # the random directions, at most twice): not hidden behind the block's largest gradient
    assert directional_error(net, x, y, wrong)[0] > 0.05 / (2 * in_block)


def test_the_checks_passes_grow_like_the_depth_not_its_square(monkeypatch):
    counted = []
    real = prefix.Prefix.suffix

    def suffix(self, m, out):
        counted.append(len(self.dense) - m)  # the layers this pass goes through
        return real(self, m, out)

    monkeypatch.setattr(prefix.Prefix, "suffix", suffix)
    layers = {}
    for depth in (2 * BLOCKS, 8 * BLOCKS):
        counted.clear()
        net, x, y, grad = _deep(depth)
        directional_error(net, x, y, grad)
        layers[depth] = sum(counted)
    assert layers[8 * BLOCKS] < 5 * layers[2 * BLOCKS]  # 4x deeper: ~4x the layers (16x per array)


def test_a_shallow_network_is_still_judged_array_by_array():
    net, x, y, grad = _deep(4)
    wrong = grad.copy()
    last = net.param_arrays()[-1]
    wrong[last.start:last.stop] = 0.0
    tiny = DNN(4, 6, 4, 2, activation="relu", init="normal", init_std=1e-9, seed=3)
    xt, yt = make_data(tiny, 3, np.random.default_rng(4))
    _, unresolved = directional_error(tiny, xt, yt, backprop(tiny, xt, yt)[1])
    assert directional_error(net, x, y, wrong)[0] > 0.5 and unresolved and all(n[0] in "Wb" for n in unresolved)
    assert checks.BLOCKS >= 4


def test_the_checks_price_grows_like_the_depth_and_is_in_the_plan():
    from nngrad.methods import get
    from nngrad.methods.checks import directional_passes
    from nngrad.methods.cost import Constants
    from nngrad.sweep.config import SweepConfig
    from nngrad.sweep.plan import plan

    assert directional_passes(1) == pytest.approx(2 * checks.PASS_COST)  # W and b of the one layer, whole
    deep = [directional_passes(layers) for layers in (8 * BLOCKS, 16 * BLOCKS)]
    assert deep[1] == pytest.approx(deep[0], rel=0.05)  # per forward pass: a constant, so its time ~ depth
    constants = Constants(call_s=1e-6, gemm_flop_s=1e10, elementwise_s=1e-9)
    cfg = SweepConfig(depths=(4, 4 * BLOCKS), widths=(4,), methods=("forward", "backprop"), classic=None, extra=(),
                      total_s=None)
    points = {(p.method, p.depth): p for p in plan(cfg, {"cpu": constants})}
    assert points[("forward", 4)].check_s == 0.0  # a forward pass has nothing to check
    shallow, deep_point = points[("backprop", 4)], points[("backprop", 4 * BLOCKS)]
    assert get("backprop").check.passes is not None and shallow.check_s > 0 and deep_point.check_s > shallow.check_s
    unchecked = replace(deep_point, check_s=0.0).expected_wall_s(cfg.timing_s, cfg.max_rounds)
    assert deep_point.expected_wall_s(cfg.timing_s, cfg.max_rounds) == pytest.approx(unchecked + deep_point.check_s)
