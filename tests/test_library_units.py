"""An array library is one unit and one registration: a unit registered here (numpy through array-api-compat's
wrapper, as a stand-in for a new library) is opened by ``backend``, read back by ``to_numpy`` and ``describe``,
named by benchmark labels and computes the same gradients, with nothing else edited; and the registered units
answer for their devices, not the callers."""

import numpy as np
import pytest
from conftest import make_data

import nngrad
from nngrad import backend as nb
from nngrad.errors import InvalidValue
from nngrad.libraries import KINDS, LIBRARIES, Library, register

pytest.importorskip("array_api_compat")


class CompatNumpy(Library):
    """numpy arrays through array-api-compat's numpy namespace, on the CPU."""

    name, module, install = "compat_numpy", "numpy", "pip install array-api-compat"

    def open(self, kind, index):
        import array_api_compat.numpy as xp

        return "cpu", xp, "cpu"


@pytest.fixture
def compat_numpy():
    register(CompatNumpy)
    yield LIBRARIES["compat_numpy"]
    del LIBRARIES["compat_numpy"]


def test_a_registered_library_is_a_backend_with_nothing_else_edited(compat_numpy, rng):
    where = nb.backend("cpu", "compat_numpy")
    assert (where.library, where.device, where.unit) == ("compat_numpy", "cpu", compat_numpy)
    assert where.label == "compat_numpy@cpu" and nb.from_label(where.label) == where
    assert not where.can_capture and where.on_host and where.free_bytes() is not None
    assert where.describe()["version"] == np.__version__
    net = nngrad.DNN(2, 5, 3, 2, seed=1)
    x, y = make_data(net, 4, rng)
    there = net.to("cpu", "compat_numpy")
    got = nngrad.gradient(there, there.backend.asarray(x), there.backend.asarray(y), "backprop").grad
    np.testing.assert_allclose(nb.to_numpy(got), nngrad.gradient(net, x, y, "backprop").grad, rtol=1e-12)


def test_a_library_refuses_a_device_kind_it_does_not_declare(compat_numpy):
    with pytest.raises(InvalidValue, match="compat_numpy arrays live on the CPU only; got device 'cuda'"):
        nb.backend("cuda", "compat_numpy")


@pytest.mark.parametrize("name", list(LIBRARIES))
def test_every_unit_declares_its_devices_and_where_it_is_the_default(name):
    unit = LIBRARIES[name]
    assert unit.devices and set(unit.devices) <= set(KINDS) and set(unit.default_on) <= set(unit.devices)
    assert unit.install.startswith("pip install")


def test_each_device_kind_has_exactly_one_default_library():
    for kind in KINDS:
        assert [n for n, u in LIBRARIES.items() if kind in u.default_on] in (["numpy"], ["torch"])


def test_only_a_library_that_records_cublas_can_capture_a_cuda_graph():
    assert [n for n, u in LIBRARIES.items() if u.can_capture("cuda:0")] == ["torch"]
    assert not any(u.can_capture("cpu") for u in LIBRARIES.values())


def test_host_libraries_wait_for_nothing_and_report_the_hosts_memory():
    for name in ("numpy", "array_api_strict"):
        unit = LIBRARIES[name]
        assert unit.synchronize(None) is None and unit.free_bytes(None) > 0


def test_numpys_peak_memory_is_tracemallocs_and_untraced_is_unknown():
    unit = LIBRARIES["numpy"]
    result, peak = unit.peak_memory(None, lambda: np.ones(1 << 20).sum(), traced=True)
    assert result == 1 << 20 and peak >= 8 << 20
    assert unit.peak_memory(None, lambda: 1, traced=False) == (1, None)
