"""The benchmark sweep as data: which points, what each is predicted to cost, which are run.

Shared by the pytest-benchmark suite (bench/) and ``nngrad bench``. Slow points: each point's
time is predicted before anything is timed (numerical-loop: (N+1) x the measured forward time;
numerical-batched: a timed pilot chunk of perturbed networks per layer); points predicted over the
budget are not run but kept, with their prediction and the reason.
"""

from __future__ import annotations

import functools
import math
import time
import tracemalloc
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from . import _validate as check
from .batched import predict_seconds
from .cost import method_flops, num_params
from .gradients import DEFAULT_MAX_BYTES, backprop_gradient, default_eps, numerical_gradient
from .network import DNN

METHODS = ("forward", "backprop", "numerical-loop", "numerical-batched")
FD_EPS = default_eps("forward")  # step of the timed forward differences: sqrt(machine eps)
CHECK_TOL = 1e-5  # norm-wise relative error allowed between a point's gradient and its reference
DIRECTIONS = 3  # random directions of the directional check of backprop
MIN_ROUND_S = 2e-3  # fast calls are repeated within a round until it lasts this long


@dataclass(frozen=True)
class SweepConfig:
    """What to sweep. Every (depth, width, batch) combination is run for every method."""

    depths: tuple[int, ...] = (1, 2, 4, 8, 16)
    widths: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512)
    batches: tuple[int, ...] = (16,)
    methods: tuple[str, ...] = METHODS
    budget_s: float = 5.0  # a point whose one call is predicted slower than this is skipped
    target_s: float = 0.5  # timed seconds aimed at per point (rounds x iterations x call)
    max_rounds: int = 50
    num_input: int = 10
    num_output: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("depths", "widths", "batches"):
            values = getattr(self, name)
            if not values:
                raise ValueError(f"{name} must list at least one size")
            for v in values:
                check.positive_int(name, v)
        if not self.methods:
            raise ValueError("methods must list at least one method")
        for m in self.methods:
            check.choice("methods", m, METHODS)
        check.positive_float("budget_s", self.budget_s)
        check.positive_float("target_s", self.target_s)


QUICK = SweepConfig(depths=(1, 2, 4, 8), widths=(16, 64, 256), budget_s=1.0, target_s=0.15, max_rounds=20)


@dataclass
class PlannedPoint:
    """One benchmark point, with its prediction and how it will be timed (or why it is skipped)."""

    method: str
    depth: int
    width: int
    batch: int
    n_params: int
    flops: int
    forward_flops: int
    forward_s: float
    predicted_s: float
    rounds: int
    iterations: int
    skip_reason: str | None = None

    @property
    def key(self) -> tuple[str, int, int, int]:
        return (self.method, self.depth, self.width, self.batch)

    @property
    def test_id(self) -> str:
        return f"{self.method}-d{self.depth}-w{self.width}-b{self.batch}"

    def expected_wall_s(self) -> float:
        """Seconds this point should take: the timed rounds plus the check and memory runs."""
        return 0.0 if self.skip_reason else (self.rounds * self.iterations + 2) * self.predicted_s

    def to_dict(self) -> dict:
        return asdict(self)


def sizes(depth: int, width: int, cfg: SweepConfig) -> list[int]:
    return [cfg.num_input] + [width] * depth + [cfg.num_output]


@functools.lru_cache(maxsize=8)
def build(depth: int, width: int, batch: int, num_input: int = 10, num_output: int = 2, seed: int = 0):
    """(net, x, y) of a point: the classic sigmoid/MSE network, seeded, cached per point."""
    net = DNN(depth, width, num_input, num_output, seed=seed)
    rng = np.random.default_rng(seed + 1)
    return net, rng.random((batch, num_input)), rng.random((batch, num_output))


def run_method(method: str, net: DNN, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray | float, int]:
    """One call of a benchmark method: (its output, loss evaluations it performed)."""
    if method == "forward":
        return net._loss(x, y), 1
    if method == "backprop":
        return backprop_gradient(net, x, y)[1], 1
    result = numerical_gradient(net, x, y, scheme="forward", eps=FD_EPS, method=method.split("-")[1])
    return result.grad, result.loss_evaluations


def median_time(fn, min_total_s: float = 0.02, max_calls: int = 200) -> float:
    """Median seconds of one call of fn() (a quick estimate for planning, not a measurement)."""
    times = []
    start = time.perf_counter()
    while len(times) < max_calls and (len(times) < 3 or time.perf_counter() - start < min_total_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def plan(cfg: SweepConfig) -> list[PlannedPoint]:
    """Every point of the sweep with its predicted time; points over the budget get a skip_reason.

    Predictions: forward and backprop are timed directly (a few calls); numerical-loop = (N+1) x forward;
    numerical-batched: one chunk of perturbed networks per layer is timed and scaled to the layer's size.
    """
    points = []
    for batch in cfg.batches:
        for depth in cfg.depths:
            for width in cfg.widths:
                points += _plan_network(depth, width, batch, cfg)
    return sorted(points, key=lambda p: (METHODS.index(p.method), p.depth, p.width, p.batch))


def _plan_network(depth: int, width: int, batch: int, cfg: SweepConfig) -> list[PlannedPoint]:
    net, x, y = build(depth, width, batch, cfg.num_input, cfg.num_output, cfg.seed)
    layer_sizes = sizes(depth, width, cfg)
    n, fwd = num_params(layer_sizes), method_flops("forward", layer_sizes, batch)
    t_forward = median_time(lambda: net._loss(x, y))
    predicted = {"forward": t_forward, "numerical-loop": (n + 1) * t_forward}
    if "numerical-batched" in cfg.methods:  # its operation count gives a lower bound: no pilot when that is too slow
        floor = t_forward * method_flops("numerical-batched", layer_sizes, batch) / fwd
        predicted["numerical-batched"] = floor if floor > cfg.budget_s else predict_seconds(net, x, y,
                                                                                             DEFAULT_MAX_BYTES)
    if "backprop" in cfg.methods:
        predicted["backprop"] = median_time(lambda: backprop_gradient(net, x, y))
    return [_schedule(PlannedPoint(method, depth, width, batch, n, method_flops(method, layer_sizes, batch), fwd,
                                   t_forward, predicted[method], 0, 0), cfg) for method in cfg.methods]


def _schedule(p: PlannedPoint, cfg: SweepConfig) -> PlannedPoint:
    if p.predicted_s > cfg.budget_s:
        return replace(p, skip_reason=f"predicted {p.predicted_s:.3g} s per call > budget {cfg.budget_s:g} s")
    iterations = max(1, math.ceil(MIN_ROUND_S / p.predicted_s))
    rounds = min(cfg.max_rounds, max(3, round(cfg.target_s / (iterations * p.predicted_s))))
    return replace(p, rounds=rounds, iterations=iterations)


@dataclass
class PointCheck:
    """The gradient check and memory of one point, measured outside the timed region."""

    gradient_error: float | None  # norm-wise relative error against the reference (None for "forward")
    reference: str
    loss_evaluations: int
    peak_memory_bytes: int
    passed: bool = field(default=True)


def check_point(method: str, net: DNN, x: np.ndarray, y: np.ndarray) -> PointCheck:
    """Run the method once under tracemalloc (peak memory), then compare its gradient with the reference:
    backprop for the numerical methods (norm-wise relative error), central differences along random
    directions for backprop (see ``directional_error``)."""
    tracemalloc.start()
    try:
        output, evaluations = run_method(method, net, x, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if method == "forward":
        return PointCheck(None, "none (one loss evaluation)", evaluations, peak)
    if method == "backprop":
        error, name = directional_error(net, x, y, output), f"central differences along {DIRECTIONS} random directions"
    else:
        reference, name = backprop_gradient(net, x, y)[1], "backprop"
        error = float(np.linalg.norm(output - reference) / max(np.linalg.norm(reference), np.finfo(float).tiny))
    return PointCheck(error, name, evaluations, peak, passed=bool(error <= CHECK_TOL))


def directional_error(net: DNN, x: np.ndarray, y: np.ndarray, grad: np.ndarray, seed: int = 0) -> float:
    """Largest relative error |g.v - D_v L| / (|g.v| + |D_v L|) over random unit directions v, with D_v L the
    central difference (L(p + h v) - L(p - h v)) / 2h: 2 loss evaluations per direction, whatever N is.
    The parameters are restored exactly."""
    p, saved = net.params, net.params.copy()
    h = default_eps("central")
    worst = 0.0
    try:
        for v in np.random.default_rng(seed).standard_normal((DIRECTIONS, p.size)):
            v /= np.linalg.norm(v)
            p[:] = saved + h * v
            plus = net._loss(x, y)
            p[:] = saved - h * v
            numerical, analytic = (plus - net._loss(x, y)) / (2 * h), float(grad @ v)
            worst = max(worst, abs(analytic - numerical) / max(abs(analytic) + abs(numerical), np.finfo(float).tiny))
    finally:
        p[:] = saved
    return worst


def accuracy_curve(depth: int = 3, width: int = 16, batch: int = 4, seed: int = 0) -> list[dict]:
    """Norm-wise relative error of forward and central differences against backprop, over eps (float64)."""
    net, x, y = build(depth, width, batch, seed=seed)
    _, exact = backprop_gradient(net, x, y)
    rows = []
    for scheme in ("forward", "central"):
        for eps in np.logspace(-14, -1, 27):
            grad = numerical_gradient(net, x, y, scheme=scheme, eps=float(eps), method="batched").grad
            rows.append({"scheme": scheme, "eps": float(eps),
                         "error": float(np.linalg.norm(grad - exact) / np.linalg.norm(exact)),
                         "default_eps": default_eps(scheme), "depth": depth, "width": width, "batch": batch})
    return rows
