"""The contract of a prepared call (base.Method), for every registered method: each call computes the gradient at
``net.params`` as they are when it is called, and counts only its own work. A training step writes new values into
``net.params`` in place between two calls of one prepared gradient; the benchmark calls one prepared gradient many
times. (Issue 20, M04: the kept forward pass built once in ``prepare`` returned a stale gradient after a step and
counted 9,285 loss evaluations on its second call instead of 4,643.)"""

import numpy as np
import pytest
from conftest import make_data
from test_backend import HAS_CUDA

from nngrad import DNN, gradient
from nngrad.methods import get, registered


def _param(name: str):
    method = get(name)
    if method.missing() is not None:
        return pytest.param(name, marks=pytest.mark.skip(reason=str(method.missing())))
    if method.cuda_only and not HAS_CUDA:
        return pytest.param(name, marks=pytest.mark.skip(reason=f"{name} runs on a CUDA device only"))
    return pytest.param(name, marks=[pytest.mark.gpu] if method.cuda_only else [])


EVERY_METHOD = [_param(name) for name in registered()]


def _network(name: str):
    """A network of 3 Dense layers (so every kind of perturbed layer is exercised: one with a rank-one next layer
    and a full suffix, one rank-one only, the output), asymmetric sizes, data drawn independently of the weights;
    on a CUDA device for a method that runs only there."""
    net = DNN(2, 5, 3, 2, seed=7)
    x, y = make_data(net, 4, np.random.default_rng(8))
    if get(name).cuda_only:
        net = net.to("cuda")
        x, y = net.check_data(x, y)
    return net, x, y


def _host(a) -> np.ndarray:
    from nngrad.backend import to_numpy

    return np.array(to_numpy(a), dtype=np.float64)  # a copy: a captured graph overwrites its output


@pytest.mark.parametrize("name", EVERY_METHOD)
def test_a_prepared_call_sees_parameters_changed_in_place_after_prepare_and_counts_only_its_own_work(name):
    method = get(name)
    net, x, y = _network(name)
    call = method.prepare(net, *net.check_data(x, y))
    first = call()
    first_grad = None if first.grad is None else _host(first.grad)
    first_loss = first.loss

    step = np.random.default_rng(9).standard_normal(net.num_params) * 0.5  # a training step, written in place
    net.params[...] = net.params + net.backend.asarray(step)
    second = call()
    fresh = gradient(net, x, y, name)  # prepared anew at the new parameters
    if method.family == "estimator":  # each call draws afresh: prepared anew, its second draw is the second's
        again = method.prepare(net, *net.check_data(x, y))
        again()
        fresh = again()

    n = net.num_params
    assert method.counted(first) == method.counted(second) == method.work_count(n)
    assert (first.loss_evaluations, first.tangent_passes) == (second.loss_evaluations, second.tangent_passes)
    if method.evaluates_loss:
        assert second.loss == pytest.approx(net.evaluate(*net.check_data(x, y)), rel=1e-12)
        assert second.loss != pytest.approx(first_loss, rel=1e-3)  # the step moved the loss
    if first_grad is not None:
        now, expected = _host(second.grad), _host(fresh.grad)
        np.testing.assert_allclose(now, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
        moved = np.abs(expected - first_grad).max()
        assert moved > 1e-3 * np.abs(expected).max()  # the step moved the gradient: a stale one is caught
