"""The headline, measured so that a second run reproduces it.

On a shared machine a point's median can move 2x between two runs: its rounds are timed in one burst, and
whatever slows the machine for that burst moves them all. The headline's ratios are therefore timed in
alternation: at the classic network, each round times one loss evaluation, one backprop gradient and one textbook
finite difference back to back, and the ratios are taken within each round. Their median and IQR over the rounds
are what the report states.
"""

from __future__ import annotations

import math
import time

from ..methods import get
from .config import SweepConfig
from .networks import build
from .plan import median_time

METHODS = ("forward", "backprop", "numerical-loop")  # the unit, reverse mode, the textbook loop
ROUNDS = 7
ROUND_S = 5e-3  # a fast call is repeated within its turn until the turn lasts this long


def headline_study(cfg: SweepConfig) -> dict | None:
    """{"network": [depth, width, batch], "seconds": {method: [per-call seconds, one per round]}} at the classic
    network; None when the sweep has no classic network or lacks one of METHODS."""
    if cfg.classic is None or not set(METHODS) <= set(cfg.methods):
        return None
    d, w, b = cfg.classic
    net, x, y = build(d, w, b, cfg.num_input, cfg.num_output, cfg.seed, cfg.activation, cfg.loss, cfg.dtype)
    calls = {name: get(name).prepare(net, x, y) for name in METHODS}
    repeats = {name: max(1, math.ceil(ROUND_S / median_time(call))) for name, call in calls.items()}
    seconds: dict[str, list[float]] = {name: [] for name in METHODS}
    for _ in range(ROUNDS):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(repeats[name]):
                call()
            seconds[name].append((time.perf_counter() - start) / repeats[name])
    return {"network": [d, w, b], "seconds": seconds}
