"""What a gradient method declares, once: the registry that the API, the sweep, the fits, the plots, the
report and the command line read. A method never knows it is being benchmarked: it declares its cost
model as data, and the sweep turns that into predictions and timings."""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidType, InvalidValue, UserError
from . import runtimes
from .cost import Cost, Network
from .runtimes import DEFAULT as DEFAULT_RUNTIME

# family -> exponent k of how its counted work grows with N (work ~ N^k)
FAMILIES: dict[str, int] = {"function": 0, "reverse-mode": 0, "forward-mode": 1, "finite-difference": 1,
                            "estimator": 0}  # estimators: k random directions, whatever N is (not exact)
WORK_UNITS = ("loss evaluations", "tangent passes")
SINGULAR = {"loss evaluations": "loss evaluation", "tangent passes": "tangent pass"}
REFERENCE = "backprop"  # the gradient every other is compared with (checks, cost gap, ratio fits)
UNIT = "forward"  # one loss evaluation: the unit every gradient's cost is measured in


@dataclass
class GradientResult:
    """A gradient and what it cost. ``grad``: (N,), layout of ``net.params`` (None for the "forward" method,
    which computes only the loss); ``loss``: L(params) when the method computes it, else None. Work is counted
    as it happens: ``loss_evaluations`` (real or complex), ``tangent_passes`` (forward mode), ``backward_passes``
    (reverse mode: one per backprop)."""

    grad: np.ndarray | None
    loss: float | None
    method: str
    loss_evaluations: int
    tangent_passes: int = 0
    backward_passes: int = 0
    info: dict = field(default_factory=dict)  # what the method wants recorded (threads, compile time, ...)


Call = Callable[[], GradientResult]  # one gradient of prepared (net, x, y): what the sweep times


@dataclass(frozen=True)
class Check:
    """How a method's gradient is checked before it is timed: ``error(net, x, y, result) -> (relative error, names
    of the parameter arrays it could not resolve)`` against ``reference`` (a description), passed when the error
    is <= ``tolerance``; ``error=None``: nothing to check. ``passes(layers)``: what it costs, in forward passes of
    the network (None: nothing worth pricing), so that the sweep plans its time."""

    reference: str
    tolerance: float = 0.0
    error: Callable | None = None
    passes: Callable[[int], float] | None = None  # forward passes it costs, of a network of that many Dense layers


@dataclass(frozen=True)
class Method:
    """One way to get dL/dparams of a DNN, declared once.

    ``prepare(net, x, y, **options) -> Call``: x, y already checked; does once what a user does once (convert
    weights, compile) and returns the call that computes one gradient. The contract of a prepared call, for
    every method: each call computes the gradient at ``net.params`` as they are when it is called (values
    written into ``net.params`` in place after ``prepare``, by a training step say, are seen by the next call;
    x, y and the network's shapes stay those it was prepared with), and counts only its own work.
    ``work_count(N)``: the work a call is
    expected to count (the theory the counts are tested against, never used as the count). ``cost(network) ->
    Cost``: the work of one call with the default options (numpy calls, matrix-product flops, element-wise
    work: the cost model, methods/cost.py); a method without one is predicted by timing a call, and then
    declares ``flops(sizes, batch)``, its operation count. ``why_not(net)``: None, or why the method does not
    apply to ``net``. ``chunked(net, x, y, **options)``: the method's chunked evaluation (see prefix.py), if it
    has one. ``color`` and ``marker``: how plots draw it, everywhere. ``array_api``: does it run on a network
    whose arrays are not numpy's (torch, on a CUDA device perhaps; array_api_strict)? Its prepared call then
    ends by waiting for the device (Backend.synchronize), so that a clock read after it is honest; a
    method without it refuses such a network.
    """

    name: str
    family: str
    description: str
    prepare: Callable[..., Call]
    work_count: Callable[[int], int]
    check: Check
    cost: Callable[[Network], Cost] | None = None
    flops: Callable[[list[int], int], int] | None = None
    work_unit: str = "loss evaluations"
    requires: tuple[str, ...] = ()  # import names of optional packages
    install: str = ""  # how to install them
    options: tuple[str, ...] = ()  # keyword options prepare takes
    why_not: Callable[[object], str | None] = field(default=lambda net: None)
    chunked: Callable | None = None
    step: Callable[[np.dtype], float] | None = None  # default step of a method that takes ``eps``, by dtype
    traced_memory: bool = True  # does tracemalloc see its allocations (numpy's do; torch's and JAX's do not)?
    array_api: bool = False  # runs on any array namespace and device, not only numpy
    cuda_only: bool = False  # runs on a CUDA device only (a CUDA graph): a sweep plans it nowhere else
    exact: bool = True  # its gradient is exact to rounding (False: it carries a finite difference's own error)
    evaluates_loss: bool = True  # it evaluates L at the unperturbed parameters, and returns it
    per_parameter: bool = False  # a whole loss evaluation per parameter, one at a time: small networks only
    runtime: str = DEFAULT_RUNTIME  # where its code runs (methods/runtimes.py): its unit, its backprop, its constants
    compiles: str | None = None  # a compiled method: the numpy method whose algorithm it compiles (its twin)
    color: str = "#8c564b"
    marker: str = "P"

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise InvalidValue(f"family must be one of {', '.join(FAMILIES)}; got {self.family!r}")
        runtimes.get(self.runtime)
        if self.cost is None and self.flops is None:
            raise InvalidValue(f"method {self.name!r} must declare its cost (or at least its flops)")
        if self.work_unit not in WORK_UNITS:
            raise InvalidValue(f"work_unit must be one of {', '.join(WORK_UNITS)}; got {self.work_unit!r}")
        object.__setattr__(self, "prepare", _on_devices(self.name, self.prepare, self.array_api))

    def missing(self) -> str | None:
        """None if every package the method needs is installed, else which are missing and how to install them."""
        absent = [p for p in self.requires if importlib.util.find_spec(p) is None]
        if not absent:
            return None
        return f"{self.name} needs {', '.join(absent)}, which is not installed" + (f": {self.install}" if self.install
                                                                                    else "")

    def unavailable(self) -> str | None:
        """None if the method can run here, else why not: a package missing, or, for a CUDA graph, no CUDA device."""
        if reason := self.missing():
            return reason
        if self.cuda_only:
            from .. import backend

            try:
                backend.from_label("cuda")
            except UserError as exc:
                return f"{self.name} needs a CUDA device ({exc})"
        return None

    @property
    def runs_on(self) -> str:
        """Where it runs, in words: "only on a CUDA device", "only on numpy's CPU" or "on any device"."""
        return "only on a CUDA device" if self.cuda_only else "on any device" if self.array_api else "only on numpy's CPU"

    def work_count_label(self) -> str:
        """The expected work per call as a formula in N, e.g. "N + 1 loss evaluations"."""
        k0, k1 = self.work_count(0), self.work_count(1) - self.work_count(0)  # every work_count is affine in N
        n = "" if k1 == 0 else ("N" if k1 == 1 else f"{k1}N")
        count = n + (f" + {k0}" if n and k0 else "" if n else f"{k0}")
        return f"{count} {SINGULAR[self.work_unit] if count == '1' else self.work_unit}"

    def operations(self, sizes: list[int], batch: int) -> int:
        """Its matrix-product flops on a network of layer ``sizes`` and ``batch`` samples."""
        if self.flops is not None:
            return int(self.flops(sizes, batch))
        return int(self.cost(Network(tuple(sizes), batch)).flops)

    def counted(self, result: GradientResult) -> int:
        """The work ``result`` counted, in this method's unit."""
        return result.tangent_passes if self.work_unit == "tangent passes" else result.loss_evaluations

    @property
    def work_exponent(self) -> int:
        """k in work ~ N^k (0: a constant number of passes; 1: a pass per parameter)."""
        return FAMILIES[self.family]


def _on_devices(name: str, prepare: Callable[..., Call], array_api: bool) -> Callable[..., Call]:
    """``prepare`` as is for a numpy network; for any other, refused (a numpy-only method) or its call followed by
    a wait for the device (a clock read after the call then counts the device's work)."""
    if getattr(prepare, "on_devices", False):
        return prepare

    def prepared(net, *args, **options) -> Call:
        where = getattr(net, "backend", None)
        if where is None or where.is_numpy:
            return prepare(net, *args, **options)
        if not array_api:
            others = ", ".join(n for n, m in _REGISTRY.items() if m.array_api)
            raise InvalidValue(f"method {name!r} runs on numpy networks only, and this network is {where}: use "
                               f"net.to('cpu'), or one of {others}")
        call = prepare(net, *args, **options)
        if where.device == "cpu":
            return call

        def synchronized() -> GradientResult:
            result = call()
            where.synchronize()
            return result

        return synchronized

    functools.update_wrapper(prepared, prepare)  # its name, doc and signature (inspect follows __wrapped__)
    prepared.on_devices = True
    return prepared


_REGISTRY: dict[str, Method] = {}
_ORIGIN: dict[str, str] = {}  # method name -> the module that registered it


def register(method: Method) -> Method:
    """Add ``method`` to the registry (its name must be new); returns it. To benchmark a method of your own,
    register it when your module is imported: the suite runs in another process and imports that module."""
    if not isinstance(method, Method):
        raise InvalidType(f"method must be a nngrad Method, got {type(method).__name__}")
    if not isinstance(method.name, str) or not method.name or "," in method.name or method.name != method.name.strip():
        raise InvalidValue(f"a method's name must be a non-empty string without commas or outer spaces, got "
                         f"{method.name!r}")
    if method.name in _REGISTRY:
        raise InvalidValue(f"a method named {method.name!r} is already registered")
    _REGISTRY[method.name] = method
    _ORIGIN[method.name] = sys._getframe(1).f_globals.get("__name__", "__main__")
    return method


def origin(name: str) -> str:
    """The module that registered the method ``name`` (importing it registers the method again elsewhere)."""
    get(name)
    return _ORIGIN[name]


def unregister(name: str) -> None:
    """Remove a registered method (tests register toy methods and take them out again)."""
    _REGISTRY.pop(name, None)
    _ORIGIN.pop(name, None)


def registered() -> dict[str, Method]:
    """Every registered method by name, in registration order (the order of tables and legends)."""
    return dict(_REGISTRY)


def get(name: str) -> Method:
    """The method called ``name``; ValueError listing the valid names otherwise."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise InvalidValue(f"method must be one of {', '.join(map(repr, _REGISTRY))}; got {name!r}") from None
