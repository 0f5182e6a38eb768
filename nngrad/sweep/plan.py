"""The sweep as data: which points, what each is predicted to cost, which are run.

Each point's time is predicted before anything is timed, by the cost model (methods/cost.py): the work its
method declares (numpy calls, matrix-product flops, element-wise work) priced by the machine constants
measured at the start of the run (machine.py). A method that declares no cost is timed once instead. Points
predicted over the budget are not run but kept with their prediction and the reason; so are points whose method
does not apply.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import asdict, dataclass, fields

import numpy as np

from .. import runfiles
from ..methods import cost, get
from ..methods.base import Method
from ..methods.checks import StatisticalCheck
from ..methods.cost import Constants, Network
from ..model.counts import forward_flops, num_params
from .config import SweepConfig
from .networks import build_on
from .point_check import REMEASURE_S, schedule

# pytest, JAX's compilation, the record on disk: per point, whatever the method (0.30 s on average over the 355
# points of a default run on the development machine, the checks of those small networks included)
POINT_OVERHEAD_S = 0.25


@dataclass
class PlannedPoint:
    """One benchmark point, with its prediction (or why it is skipped)."""

    method: str
    depth: int
    width: int
    batch: int
    n_params: int
    flops: int
    forward_flops: int
    predicted_s: float | None  # None: the method does not apply
    skip_reason: str | None = None
    # the cost model's prediction in its three terms, seconds (None: the method declares no cost, it was timed)
    model_calls_s: float | None = None
    model_flops_s: float | None = None
    model_elementwise_s: float | None = None
    device: str = "cpu"  # where it runs: a label of SweepConfig.devices
    check_s: float = 0.0  # predicted seconds of its untimed gradient check (Check.passes forward passes)

    @property
    def key(self) -> tuple[str, int, int, int, str]:
        return (self.method, self.depth, self.width, self.batch, self.device)

    @property
    def test_id(self) -> str:
        return runfiles.test_id(self.to_dict())

    def expected_wall_s(self, timing_s: float, max_rounds: int) -> float:
        """Seconds this point should take: its timed rounds, the untimed call (and a warm-up round for a fast
        call), its gradient check, the overhead."""
        if self.skip_reason:
            return 0.0
        rounds, iterations = schedule(self.predicted_s, timing_s, max_rounds)
        untimed = 2 if self.predicted_s < REMEASURE_S else 1
        return (rounds * iterations + untimed) * self.predicted_s + self.check_s + POINT_OVERHEAD_S

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, point: dict) -> PlannedPoint:
        """A point as stored in run.json (fields of older formats that are no longer planned are ignored)."""
        return cls(**{f.name: point[f.name] for f in fields(cls) if f.name in point})


def median_time(fn, min_total_s: float = 0.02, max_calls: int = 200) -> float:
    """Median seconds of one call of fn() (a quick estimate for planning, not a measurement)."""
    times = []
    start = time.perf_counter()
    while len(times) < max_calls and (len(times) < 3 or time.perf_counter() - start < min_total_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def predict(method: Method, net, x: np.ndarray, y: np.ndarray, batch: int,
            constants: Constants, options: dict | None = None) -> tuple[float, dict[str, float]]:
    """(predicted seconds of one call of ``method`` with ``options`` on (net, x, y), the cost model's terms in
    seconds): the cost model where the method declares its cost (given the options its cost takes, e.g. an
    estimator's k), else one call timed (and no terms)."""
    options = options or {}
    terms = {}
    if method.cost is not None:
        taken = inspect.signature(method.cost).parameters
        work = method.cost(Network.of(net, batch), **{k: v for k, v in options.items() if k in taken})
        terms = work.terms(constants.of(method.name))
    if not terms or not np.isfinite(sum(terms.values())):  # no cost declared, or its library was not measured
        return median_time(method.prepare(net, x, y, **options)), {}
    return sum(terms.values()), terms


def plan(cfg: SweepConfig, constants: dict[str, Constants]) -> list[PlannedPoint]:
    """Every point of the sweep on every device, with its predicted time from that device's ``constants`` (by
    device label); points over the budget, or whose method does not apply to the network, get a skip_reason.
    Ordered by device, method (registration order), then depth, width, batch."""
    points = [p for device in cfg.devices for network in cfg.networks()
              for p in _plan_network(*network, cfg, constants[device], device)]
    if cfg.total_s is not None:
        _fit_total(points, cfg)
    order = {m: i for i, m in enumerate(cfg.methods)}
    devices = {d: i for i, d in enumerate(cfg.devices)}
    return sorted(points, key=lambda p: (devices[p.device], order[p.method], p.depth, p.width, p.batch))


def _fit_total(points: list[PlannedPoint], cfg: SweepConfig) -> None:
    """Leave out the costliest points until the rest is predicted to take at most ``cfg.total_s`` seconds: those of
    the methods whose work grows with N and the estimators (whose check calls them hundreds of times) first:
    they are what runs long; never the classic network's (at any batch: the headline and the targets need
    them)."""
    cost = {id(p): p.expected_wall_s(cfg.timing_s, cfg.max_rounds) for p in points}
    total = sum(cost.values())
    classic = tuple(cfg.classic or ())[:2]
    for p in sorted(points, key=lambda p: (-_runs_long(get(p.method)), -cost[id(p)])):
        if total <= cfg.total_s:
            return
        if cost[id(p)] and (p.depth, p.width) != classic:
            total -= cost[id(p)]
            p.skip_reason = (f"predicted {p.predicted_s:.3g} s per call: left out to fit the sweep in its total of "
                             f"{cfg.total_s:g} s")


def check_seconds(method: Method, layers: int, n: int, forward_s: float, call_s: float | None) -> float:
    """Predicted seconds of ``method``'s check before timing on a network of ``layers`` Dense layers and ``n``
    parameters: its declared forward passes; a statistical check (an estimator's) calls the method itself many
    times: those calls at the method's predicted ``call_s`` and one backprop (3 forward passes)."""
    check = method.check
    if isinstance(check, StatisticalCheck) and call_s is not None:
        return 3 * forward_s + check.calls(n) * call_s
    return (check.passes(layers) if check.passes else 0.0) * forward_s


def _runs_long(method: Method) -> bool:
    """Does ``method``'s point run long on a large network: its work grows with N, or its check before timing
    is a statistical one (hundreds of calls)?"""
    return method.work_exponent >= 1 or isinstance(method.check, StatisticalCheck)


def _plan_network(depth: int, width: int, batch: int, cfg: SweepConfig, constants: Constants,
                  device: str = "cpu") -> list[PlannedPoint]:
    net, x, y = build_on(device, depth, width, batch, cfg.num_input, cfg.num_output, cfg.seed, cfg.activation,
                         cfg.loss, cfg.dtype)
    layer_sizes = cfg.sizes(depth, width)
    n, fwd = num_params(layer_sizes), forward_flops(layer_sizes, batch)
    forward_s = sum(cost.forward(Network.of(net, batch)).terms(constants.of("forward")).values())
    points = []
    for name in cfg.methods_on(device):
        method = get(name)
        reason = method.why_not(net)
        predicted, terms = (None, {}) if reason else predict(method, net, x, y, batch, constants,
                                                                    cfg.method_options.get(name))
        if predicted is not None and predicted > cfg.budget_s:
            reason = f"predicted {predicted:.3g} s per call > budget {cfg.budget_s:g} s"
        points.append(PlannedPoint(name, depth, width, batch, n, method.operations(layer_sizes, batch), fwd,
                                   predicted, reason, *(terms.get(t) for t in ("calls", "flops", "elementwise")),
                                   device, check_seconds(method, len(layer_sizes) - 1, n, forward_s, predicted)))
    return points
