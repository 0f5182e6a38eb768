"""check_network finds a network's parameters in whatever attributes hold float arrays (per-layer lists such as
scikit-learn's coefs_ / intercepts_, plain arrays self.W1) and calls a gradient method of whatever name and
signature (buffers it fills, made from its arguments' names; gradients returned as lists or a dict). Two networks
written for these tests, from Python and from the shell (the classes read off the last layer's bias)."""

import numpy as np
import pytest

import nngrad
from nngrad.cli import main

CODE = '''
import numpy as np


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class ListNet:
    """kernels[i] (n_in, n_out), offsets[i] (n_out,); backprop fills the gradient lists it is given."""

    def __init__(self, sizes=(3, 5, 4), seed=0):
        rng = np.random.default_rng(seed)
        self.kernels = [0.5 * rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        self.offsets = [0.1 * rng.standard_normal(b) for b in sizes[1:]]

    def backprop(self, X, y, kernel_grads, offset_grads):
        hs, h = [X], X
        for i, (K, o) in enumerate(zip(self.kernels, self.offsets)):
            z = h @ K + o
            h = np.tanh(z) if i < len(self.kernels) - 1 else softmax(z)
            hs.append(h)
        n = len(y)
        loss = -np.log(h[np.arange(n), y]).mean()
        d = h.copy()
        d[np.arange(n), y] -= 1
        d /= n
        for i in range(len(self.kernels) - 1, -1, -1):
            kernel_grads[i] = hs[i].T @ d
            offset_grads[i] = self._offset_grad(d)
            d = (d @ self.kernels[i].T) * (1 - hs[i] ** 2)
        return loss

    def _offset_grad(self, d):
        return d.sum(axis=0)


class ListNetOffsetsTimesN(ListNet):
    def _offset_grad(self, d):
        return d.sum(axis=0) * len(d)  # BUG: d is already divided by n; this multiplies it back


class AttrNet:
    """self.W1, self.b1, self.W2, self.b2; loss_and_gradients returns (loss, {"dW1": ...})."""

    def __init__(self, n_in=3, n_hidden=4, seed=0):
        rng = np.random.default_rng(seed)
        self.W1, self.b1 = rng.standard_normal((n_in, n_hidden)), 0.1 * rng.standard_normal(n_hidden)
        self.W2, self.b2 = rng.standard_normal((n_hidden, 1)), 0.1 * rng.standard_normal(1)

    def loss_and_gradients(self, X, y):
        h = np.tanh(X @ self.W1 + self.b1)
        err = (h @ self.W2 + self.b2)[:, 0] - y
        n = len(y)
        d = err[:, None] / n
        dh = self._back_through_tanh(d @ self.W2.T, h)
        return 0.5 * float(err @ err) / n, {"dW1": X.T @ dh, "db1": dh.sum(axis=0), "dW2": h.T @ d,
                                            "db2": d.sum(axis=0)}

    def _back_through_tanh(self, dh, h):
        return dh * (1 - h ** 2)


class AttrNetNoTanhDerivative(AttrNet):
    def _back_through_tanh(self, dh, h):
        return dh  # BUG: tanh's derivative forgotten
'''


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    path = tmp_path_factory.mktemp("net_attributes") / "nets.py"
    path.write_text(CODE)
    namespace: dict = {}
    exec(compile(CODE, str(path), "exec"), namespace)  # noqa: S102 - the learner's module, written above
    return path, namespace


def _labels(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((6, 3)), rng.integers(0, 4, 6)


@pytest.mark.parametrize("cls, status", [("ListNet", "PASS"), ("ListNetOffsetsTimesN", "FAIL")])
def test_per_layer_lists_and_a_method_that_fills_gradient_buffers(learner, cls, status):
    net = learner[1][cls]()
    X, y = _labels()
    before = [k.copy() for k in net.kernels]
    report = nngrad.check_network(net, X, y)
    assert report.status == status, str(report)
    assert [r.name for r in report.rows] == ["kernels[0]", "kernels[1]", "offsets[0]", "offsets[1]"]
    assert "backprop(x, t, kernel_grads, offset_grads)" in str(report)
    assert all(np.array_equal(k, b) for k, b in zip(net.kernels, before))
    if status == "FAIL":
        assert [r.passed for r in report.rows] == [True, True, False, False]


@pytest.mark.parametrize("cls, status", [("AttrNet", "PASS"), ("AttrNetNoTanhDerivative", "FAIL")])
def test_arrays_in_attributes_and_a_method_returning_a_dict(learner, cls, status):
    net = learner[1][cls]()
    rng = np.random.default_rng(1)
    report = nngrad.check_network(net, rng.standard_normal((5, 3)), rng.standard_normal(5))
    assert report.status == status, str(report)
    assert [r.name for r in report.rows] == ["W1", "b1", "W2", "b2"]
    if status == "FAIL":
        assert [r.passed for r in report.rows] == [False, False, True, True]
        assert "located" in {f.kind for f in report.findings}, str(report)


@pytest.mark.parametrize("cls, status", [("ListNet", 0), ("ListNetOffsetsTimesN", 1)])
def test_the_shell_takes_per_layer_lists_and_reads_the_classes_off_the_last_bias(capsys, learner, cls, status):
    assert main(["check", "--net", f"{learner[0]}:{cls}", "--input-shape", "6,3"]) == status
    out = capsys.readouterr().out
    assert "offsets[1]" in out and ("result: PASS" if status == 0 else "result: FAIL") in out


def test_a_network_with_no_arrays_is_refused_in_one_line():
    class Empty:
        def __init__(self):
            self.sizes = [3, 4]

    with pytest.raises(nngrad.errors.InvalidType, match="keeps no float arrays") as info:
        nngrad.check_network(Empty(), np.zeros((2, 3)), np.zeros(2, dtype=int))
    assert "\n" not in str(info.value)
