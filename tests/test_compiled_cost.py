"""The cost model knows compiled code (issue 30, item 2): numba's three constants measured inside @njit, kept in
the run, pricing the compiled methods (NaN without them), and the operations each compiled method declares
counted from its kernel."""

import importlib.util
import json
import math
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nngrad.methods import compiled, get
from nngrad.methods.cost import Constants, Network
from nngrad.sweep import compiled_machine, machine
from nngrad.sweep.networks import build

NUMPY = Constants(call_s=1e-6, gemm_flop_s=1e10, elementwise_s=2e-9, library_call_s={"torch": 5e-6})
NUMBA = Constants(call_s=6e-8, gemm_flop_s=3e10, elementwise_s=4e-9)
BOTH = Constants(NUMPY.call_s, NUMPY.gemm_flop_s, NUMPY.elementwise_s, dict(NUMPY.library_call_s),
                 runtimes={"numba": NUMBA})
COMPILED = ["forward-numba", "backprop-numba", "forward-mode-numba", "numerical-batched-numba"]


def test_the_compiled_constants_round_trip_through_to_dict_and_json():
    assert Constants.from_dict(json.loads(json.dumps(BOTH.to_dict()))) == BOTH
    assert BOTH.to_dict()["runtimes"] == {"numba": NUMBA.to_dict()}
    assert Constants.from_dict({"call_s": 1e-6, "gemm_flop_s": 1e10, "elementwise_s": 2e-9}).runtimes == {}  # older run


@pytest.mark.parametrize("name", COMPILED)
def test_a_compiled_method_is_priced_with_the_compiled_constants(name):
    work = get(name).cost(Network((10, 32, 32, 10), 16))
    assert BOTH.of(name) == NUMBA
    assert work.seconds(BOTH.of(name)) == pytest.approx(work.calls * 6e-8 + work.flops / 3e10 + work.elementwise * 4e-9)
    assert BOTH.of(get(name).compiles) == BOTH  # its numpy twin keeps numpy's


@pytest.mark.parametrize("name", COMPILED)
def test_a_compiled_method_without_compiled_constants_is_predicted_nan_not_with_numpys(name):
    work = get(name).cost(Network((10, 32, 32, 10), 16))
    assert all(math.isnan(t) for t in work.terms(NUMPY.of(name)).values())
    assert math.isnan(work.seconds(NUMPY.of(name)))


def test_the_compiled_constants_are_measured_only_when_the_run_has_a_compiled_method(monkeypatch):
    """measure()'s hook: numba's constants when a method of runtime numba runs and numba is installed."""
    for name in ("warm_up", "call_seconds", "gemm_flop_rate", "elementwise_seconds"):
        monkeypatch.setattr(machine, name, lambda *args, **kwargs: 1.0)
    monkeypatch.setattr(compiled_machine, "measure", lambda trials, dtype="float64": NUMBA)
    monkeypatch.setattr(compiled_machine, "available", lambda: True)
    assert machine.measure(("forward", "backprop-numba")).runtimes == {"numba": NUMBA}
    assert machine.measure(("forward", "backprop")).runtimes == {}
    monkeypatch.setattr(compiled_machine, "available", lambda: False)
    assert machine.measure(("backprop-numba",)).runtimes == {}


def test_the_compiled_microbenchmarks_return_positive_finite_constants():
    pytest.importorskip("numba")
    c = compiled_machine.measure(1)
    for value in (c.call_s, c.gemm_flop_s, c.elementwise_s):
        assert np.isfinite(value) and value > 0
    assert 1e-10 < c.call_s < 1e-4 and 1e7 < c.gemm_flop_s < 1e13 and 1e-11 < c.elementwise_s < 1e-6  # sane units


class Counted:
    """numpy, with np.dot counted."""

    def __init__(self):
        self.dots = 0

    def __getattr__(self, name):
        return getattr(np, name)

    def dot(self, *args):
        self.dots += 1
        return np.dot(*args)


def kernels_in_python(monkeypatch) -> tuple[types.ModuleType, Counted, dict]:
    """compiled_kernels.py run as Python (numba's njit replaced by the identity), np.dot and the loop helpers
    (activate, derivative, loss) counted."""
    monkeypatch.setitem(sys.modules, "numba", types.SimpleNamespace(njit=lambda **kw: (lambda f: f)))
    spec = importlib.util.spec_from_file_location("kernels_in_python", Path(compiled.__file__).with_name(
        "compiled_kernels.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    counted, loops = Counted(), {"loops": 0}
    module.np = counted
    for helper in ("activate", "derivative", "loss"):
        original = getattr(module, helper)

        def wrapped(*args, original=original):
            loops["loops"] += 1
            return original(*args)
        setattr(module, helper, wrapped)
    return module, counted, loops


def arrays_in(args) -> int:
    return sum(arrays_in(a) if isinstance(a, tuple) else isinstance(a, np.ndarray) for a in args)


# loops written inline in each kernel's layer, not through a helper: the bias's add (forward); that, gb's zeroing
# and its row sum (backprop)
INLINE = {"forward": 1, "backprop": 3}


@pytest.mark.parametrize("depth", [1, 2, 5])
@pytest.mark.parametrize("kind", ["forward", "backprop"])
def test_the_declared_operations_are_what_the_kernel_issues(monkeypatch, kind, depth):
    net, x, y = build(depth, 3, 4, 2, 2)
    b = compiled.Buffers.of(net, x, y)
    args = ((*b.network, b.outs, b.douts[-1], b.bits) if kind == "forward"
            else (*b.network, b.outs, b.douts, b.gWs, b.gbs, b.bits))
    module, counted, loops = kernels_in_python(monkeypatch)
    getattr(module, kind)(*args)
    declared = getattr(compiled, f"{kind}_operations")(Network.of(net, 4))
    assert declared["dots"] == counted.dots
    assert declared["arrays"] == arrays_in(args)
    assert declared["loops"] == loops["loops"] + INLINE[kind] * (depth + 1)


@pytest.mark.parametrize("depth, width, batch", [(1, 3, 4), (3, 5, 2), (4, 40, 16)])  # one chunk a layer, several
@pytest.mark.parametrize("kind", ["forward-mode", "numerical-batched"])
def test_the_o_n_kernels_issue_the_declared_products_and_receive_the_declared_arrays(monkeypatch, kind, depth, width,
                                                                                     batch):
    net, x, y = build(depth, width, batch, 2, 2)
    b = compiled.Buffers.of(net, x, y)
    s = compiled.Stacked.of(net, b)
    if kind == "forward-mode":
        args, kernel = (*b.network, s.zs, b.outs, s.slopes, s.g, b.grad, s.chunk, s.a, s.b, s.bits), "tangents"
    else:
        args, kernel = ((*b.network, s.zs, b.outs, s.slopes, s.g, b.grad, 1e-7, s.chunk, s.a, s.b, s.column, s.losses,
                         s.bits), "differences")
    module, counted, _ = kernels_in_python(monkeypatch)
    getattr(module, kernel)(*args)
    declared = getattr(compiled, f"{kind.replace('-', '_').removeprefix('numerical_')}_operations")(
        Network.of(net, batch))
    assert declared["dots"] == counted.dots
    assert declared["arrays"] == arrays_in(args)


@pytest.mark.parametrize("name", COMPILED)
def test_a_compiled_methods_calls_are_its_entry_and_operations_and_its_arithmetic_its_twins(name):
    net = Network((10, 32, 32, 10), 16)
    kind = name.removesuffix("-numba")
    work, twin = get(name).cost(net), get(kind).cost(net)
    operations = getattr(compiled, f"{kind.replace('-', '_').removeprefix('numerical_')}_operations")(net)
    assert work.calls == compiled.ENTRY[kind] + sum(operations.values())
    assert (work.flops, work.elementwise) == pytest.approx((twin.flops, twin.elementwise))


def test_the_report_lists_the_compiled_constants_when_the_run_has_them():
    from nngrad.results.load import Run
    from nngrad.results.report import model_section

    points = pd.DataFrame({"method": ["backprop-numba"], "depth": [1], "width": [8], "batch": [16],
                           "n_params": [100], "status": ["ok"], "median_s": [1e-5], "model_s": [1e-5],
                           "dominant": ["calls"], "flag": [""]})
    text = "\n".join(model_section(Run("r", points, pd.DataFrame(), constants=BOTH.to_dict())))
    assert "inside compiled code" in text and "60 ns" in text and "30 GFLOP/s" in text and "4 ns per element" in text
    text = "\n".join(model_section(Run("r", points, pd.DataFrame(), constants=NUMPY.to_dict())))
    assert "inside compiled code" not in text
