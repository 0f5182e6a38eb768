import numpy as np
import pytest

from nngrad import DNN, sweep
from nngrad.cost import batched_flops, forward_flops, method_flops, num_params
from nngrad.sweep import QUICK, SweepConfig, check_point, plan


def test_operation_counts_of_a_small_network():
    sizes = [2, 3, 1]
    assert num_params(sizes) == DNN(1, 3, 2, 1).num_params == 13
    assert forward_flops(sizes, batch=4) == 2 * 4 * (2 * 3 + 3 * 1)
    # layer 0: 9 perturbations, each a rank-one update of layer 1 (2*B*1); layer 1: 4, no products
    assert batched_flops(sizes, 4) == forward_flops(sizes, 4) + 9 * 2 * 4 * 1
    assert method_flops("numerical-loop", sizes, 4) == 14 * forward_flops(sizes, 4)
    with pytest.raises(ValueError, match="unknown method"):
        method_flops("adjoint", sizes, 4)


def test_points_predicted_over_the_budget_are_skipped_with_their_prediction():
    cfg = SweepConfig(depths=(1, 3), widths=(4, 64), budget_s=0.02, target_s=0.01)
    points = plan(cfg)
    assert len(points) == 2 * 2 * 4
    loop = {(p.depth, p.width): p for p in points if p.method == "numerical-loop"}
    big = loop[(3, 64)]
    assert big.predicted_s == pytest.approx((big.n_params + 1) * big.forward_s)
    assert big.skip_reason and f"{big.predicted_s:.3g} s" in big.skip_reason and big.expected_wall_s() == 0
    for p in points:
        assert (p.skip_reason is None) == (p.predicted_s <= cfg.budget_s)
        if not p.skip_reason:
            assert 3 <= p.rounds <= cfg.max_rounds and p.iterations >= 1
            assert p.iterations * p.predicted_s >= sweep.MIN_ROUND_S or p.iterations == 1


def test_planned_points_hold_plain_json_values():
    p = plan(SweepConfig(depths=(1,), widths=(4,), methods=("forward",)))[0]
    assert all(type(v) in (int, float, str, type(None)) for v in p.to_dict().values())


@pytest.mark.parametrize("kwargs,words", [
    ({"depths": ()}, "depths must list at least one size"),
    ({"widths": (8, 0)}, "widths must be a positive integer"),
    ({"methods": ("forward", "adjoint")}, "methods must be one of"),
    ({"budget_s": 0}, "budget_s must be a positive"),
])
def test_bad_sweep_configurations_are_rejected(kwargs, words):
    with pytest.raises(ValueError, match=words):
        SweepConfig(**kwargs)


def test_quick_sweep_is_smaller_than_the_default():
    assert len(QUICK.depths) * len(QUICK.widths) < len(SweepConfig().depths) * len(SweepConfig().widths)


@pytest.mark.parametrize("method", ["backprop", "numerical-loop", "numerical-batched"])
def test_each_point_is_checked_against_its_reference(method):
    net, x, y = sweep.build(2, 5, 3)
    checked = check_point(method, net, x, y)
    assert checked.passed and checked.gradient_error < sweep.CHECK_TOL and checked.peak_memory_bytes > 0
    assert checked.loss_evaluations == (net.num_params + 1 if method != "backprop" else 1)


@pytest.mark.parametrize("method", ["backprop", "numerical-loop"])
def test_a_point_whose_gradient_disagrees_fails_its_check(monkeypatch, method):
    net, x, y = sweep.build(2, 5, 3)
    real = sweep.backprop_gradient
    monkeypatch.setattr(sweep, "backprop_gradient", lambda *a: (0.0, 1.5 * real(*a)[1]))
    before = net.params.copy()
    checked = check_point(method, net, x, y)
    assert not checked.passed and checked.gradient_error > 0.1
    np.testing.assert_array_equal(net.params, before)


def test_accuracy_curve_is_v_shaped():
    rows = sweep.accuracy_curve(depth=2, width=6, batch=2)
    for scheme in ("forward", "central"):
        errors = np.array([r["error"] for r in rows if r["scheme"] == scheme])
        best = int(np.argmin(errors))
        assert 0 < best < len(errors) - 1 and errors[0] > 100 * errors[best] < errors[-1]
