"""Loss-evaluation equivalents: one currency for the work of every gradient, counted, priced by measured ratios.

A step's work is counted as it happens (GradientResult: loss evaluations, tangent passes, backward passes); its
cost in loss evaluations is

    equivalents = loss_evaluations + tangent_pass x tangent_passes + backward_pass x backward_passes

where ``tangent_pass`` and ``backward_pass`` are the measured time of one tangent pass and one backward pass over
the time of one loss evaluation (a forward pass and the loss) of the same network at the same batch. A backprop
step is then worth 1 + backward_pass forward passes (about 1.5-2.3 at nngrad's sizes), a forward-gradient step
with one direction 1 + tangent_pass. The counts do not depend on the machine; the ratios do, so a run measures
them once and stores them beside its counts.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

ROUNDS = 25  # interleaved rounds of the ratio measurement (the fastest of each call counts)
MIN_ROUND_S = 5e-4  # calls repeated within a round until it lasts this long (short: some rounds escape a load)
TRIES = 3  # measurements at most, while a pass comes out costing nothing (a disturbed one: it cannot)


@dataclass(frozen=True)
class Ratios:
    """Seconds of a tangent pass and of a backward pass, each over the seconds of one loss evaluation."""

    tangent_pass: float
    backward_pass: float

    def equivalents(self, loss_evaluations: float, tangent_passes: float = 0, backward_passes: float = 0) -> float:
        """Work in loss-evaluation equivalents (works on numbers and on pandas columns alike)."""
        return loss_evaluations + self.tangent_pass * tangent_passes + self.backward_pass * backward_passes

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def measure_ratios(net, x: np.ndarray, y: np.ndarray, rounds: int = ROUNDS) -> Ratios:
    """The ratios on ``net`` at checked (x, y) (2D): a loss evaluation, a backprop and a one-direction tangent
    pass with its primal pass (the direction drawn beforehand: drawing is not a pass; SPSA's draws are not counted
    either) timed interleaved, ``rounds`` rounds; a backward pass is backprop less a loss evaluation, a tangent
    pass the tangent call less one, each over a loss evaluation, from the fastest round of each. The
    tangent pass runs on numpy only: on a network elsewhere (torch, a GPU) its ratio is that of a numpy copy of
    the network on the CPU, each pass over its own loss evaluation. A pass measured to cost nothing (the machine's
    load slowed every round of the loss evaluation) is measured again, ``TRIES`` times at most."""
    from ..backend import to_numpy
    from ..methods import get
    from ..methods.estimators import draw, generator, tangents

    host, hx, hy = net, x, y
    if not net.backend.is_numpy:
        host, hx, hy = net.to("cpu", "numpy"), to_numpy(x), to_numpy(y)
    v = draw(generator(None), 1, net.num_params, "gaussian", net.dtype)
    calls = {"forward": get("forward").prepare(net, x, y), "backprop": get("backprop").prepare(net, x, y),
             "host forward": get("forward").prepare(host, hx, hy), "tangent": lambda: tangents(host, hx, hy, v)}
    if host is net:
        del calls["host forward"]
    for _ in range(TRIES):
        rounds_ = _rounds(calls, rounds)
        host_forward = rounds_["host forward"] if "host forward" in rounds_ else rounds_["forward"]
        ratios = Ratios(tangent_pass=_over_forward(rounds_["tangent"], host_forward),
                        backward_pass=_over_forward(rounds_["backprop"], rounds_["forward"]))
        if ratios.tangent_pass > 0 and ratios.backward_pass > 0:
            break
    return ratios


def _over_forward(call: np.ndarray, forward: np.ndarray) -> float:
    """(call - forward) / forward from each one's fastest round (perfplot's rule: the slower rounds measure how
    slow a loaded machine can go; medians of a machine shared with other work swing by 2x), never below 0."""
    return max(float((call.min() - forward.min()) / forward.min()), 0.0)


def _rounds(calls: dict, rounds: int) -> dict[str, np.ndarray]:
    """Seconds of each call in each of ``rounds`` interleaved rounds (each round >= MIN_ROUND_S): (rounds,)."""
    for call in calls.values():
        call()  # warm up
    repeats = {name: max(1, int(MIN_ROUND_S / max(_seconds(call, 1), 1e-9))) for name, call in calls.items()}
    times = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            times[name].append(_seconds(call, repeats[name]))
    return {name: np.array(t) for name, t in times.items()}


def _seconds(call, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - start) / repeats
