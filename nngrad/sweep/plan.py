"""The sweep as data: which points, what each is predicted to cost, which are run.

Each point's time is predicted before anything is timed, from what its method declares (methods.base
PREDICTIONS): timed directly, its operation count at the forward pass's rate, its counted work x one loss
evaluation, or a timed pilot chunk of each layer scaled to the layer's size. Points predicted over the budget
are not run but kept with their prediction and the reason; so are points whose method does not apply.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields

import numpy as np

from ..methods import get
from ..methods.base import Method
from ..model.counts import forward_flops, num_params
from .config import SweepConfig
from .networks import build
from .point_check import REMEASURE_S, schedule

PILOT = 512  # perturbed networks timed per layer by a pilot
POINT_OVERHEAD_S = 0.03  # pytest, the check's reference, the record on disk: per point, whatever the method


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
    forward_s: float
    predicted_s: float | None  # None: the method does not apply
    skip_reason: str | None = None

    @property
    def key(self) -> tuple[str, int, int, int]:
        return (self.method, self.depth, self.width, self.batch)

    @property
    def test_id(self) -> str:
        return f"{self.method}-d{self.depth}-w{self.width}-b{self.batch}"

    def expected_wall_s(self, target_s: float, max_rounds: int) -> float:
        """Seconds this point should take: its timed rounds, the untimed check call (and a warm-up round for a
        fast call), the overhead."""
        if self.skip_reason:
            return 0.0
        rounds, iterations = schedule(self.predicted_s, target_s, max_rounds)
        untimed = 2 if self.predicted_s < REMEASURE_S else 1
        return (rounds * iterations + untimed) * self.predicted_s + POINT_OVERHEAD_S

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


def pilot_seconds(job) -> float:
    """Seconds of a chunked gradient: a pilot chunk of a layer is timed (best of two, the first pays for cold
    memory) and scaled to the layer's parameter count. Timed: the first two and the last two layers; a hidden
    layer between them costs per network linearly in the number of layers after it, so it is interpolated."""
    sizes = job.prefix.layer_sizes
    timed = sorted({0, 1, len(sizes) - 2, len(sizes) - 1} & set(range(len(sizes))))
    per_network = {l: _pilot(job, l) for l in timed}
    first, last = timed[min(1, len(timed) - 1)], timed[max(len(timed) - 2, 0)]
    for l in range(first + 1, last):
        per_network[l] = np.interp(l, [first, last], [per_network[first], per_network[last]])
    return float(sum(per_network[l] * size for l, size in enumerate(sizes)))


def _pilot(job, l: int) -> float:
    """Seconds per network of layer l's pilot chunk, best of two."""
    best, ran = np.inf, 1
    for _ in range(2):
        t0 = time.perf_counter()
        ran = job.pilot(l, PILOT)
        best = min(best, time.perf_counter() - t0)
    return best / ran


def predict(method: Method, net, x: np.ndarray, y: np.ndarray, t_forward: float, flops: int, fwd: int,
            budget_s: float) -> float:
    """Predicted seconds of one call of ``method`` on (net, x, y)."""
    if method.prediction == "per-evaluation":
        return method.work_count(net.num_params) * t_forward
    floor = t_forward * flops / fwd  # its operation count at the forward pass's rate: a lower bound
    if method.prediction == "flops" or floor > budget_s:  # no need to time what is over the budget anyway
        return floor
    if method.prediction == "pilot":
        start = time.perf_counter()
        job = method.chunked(net, x, y)
        return time.perf_counter() - start + pilot_seconds(job)
    return median_time(method.prepare(net, x, y))


def plan(cfg: SweepConfig) -> list[PlannedPoint]:
    """Every point of the sweep with its predicted time; points over the budget, or whose method does not apply
    to the network, get a skip_reason. Ordered by method (registration order), then depth, width, batch."""
    points = [p for network in cfg.networks() for p in _plan_network(*network, cfg)]
    if cfg.total_s is not None:
        _fit_total(points, cfg)
    order = {m: i for i, m in enumerate(cfg.methods)}
    return sorted(points, key=lambda p: (order[p.method], p.depth, p.width, p.batch))


def _fit_total(points: list[PlannedPoint], cfg: SweepConfig) -> None:
    """Leave out the costliest points until the rest is predicted to take at most ``cfg.total_s`` seconds: those of
    the methods whose work grows with N first (they are what runs long), never the landscape network's."""
    cost = {id(p): p.expected_wall_s(cfg.target_s, cfg.max_rounds) for p in points}
    total = sum(cost.values())
    landscape = tuple(cfg.landscape or ())
    for p in sorted(points, key=lambda p: (-get(p.method).work_exponent, -cost[id(p)])):
        if total <= cfg.total_s:
            return
        if cost[id(p)] and (p.depth, p.width, p.batch) != landscape:
            total -= cost[id(p)]
            p.skip_reason = (f"predicted {p.predicted_s:.3g} s per call: left out to fit the sweep in its total of "
                             f"{cfg.total_s:g} s")


def _plan_network(depth: int, width: int, batch: int, cfg: SweepConfig) -> list[PlannedPoint]:
    net, x, y = build(depth, width, batch, cfg.num_input, cfg.num_output, cfg.seed, cfg.activation, cfg.loss)
    layer_sizes = cfg.sizes(depth, width)
    n, fwd = num_params(layer_sizes), forward_flops(layer_sizes, batch)
    t_forward = median_time(lambda: net.evaluate(x, y))
    points = []
    for name in cfg.methods:
        method = get(name)
        flops = method.flops(layer_sizes, batch)
        reason = method.supports(net)
        predicted = None if reason else predict(method, net, x, y, t_forward, flops, fwd, cfg.budget_s)
        if predicted is not None and predicted > cfg.budget_s:
            reason = f"predicted {predicted:.3g} s per call > budget {cfg.budget_s:g} s"
        points.append(PlannedPoint(name, depth, width, batch, n, flops, fwd, t_forward, predicted, reason))
    return points
