"""One run of the race: plain SGD of one contestant at one learning rate and seed, recorded at checkpoints.

Each step prepares the contestant's method on the step's mini-batch and calls it once (an estimator gets the run's
own direction Generator, so every step draws fresh directions, reproducibly), counts its work from the
GradientResult (loss evaluations, tangent passes, backward passes) and moves the weights by -lr x the gradient.
Only the steps are timed; at each checkpoint the loss on the whole training set (and the test set's loss and
accuracy) is evaluated outside the counts and the clock. A run whose loss or weights become NaN or inf stops
there: its last row has train_loss inf and it reaches no target.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..methods import get
from ..methods.base import GradientResult
from ..model.network import DNN
from .equivalents import Ratios
from .race_plan import RunSpec, checkpoints, seed_sequence

DATA_STREAM = "data order"
DIRECTIONS_STREAM = "directions"
CLASSIC_SEED = 0  # the lesson's sample: rng = default_rng(0); x, y = rng.random(10), rng.random(2)
SPLIT_SEED = 0  # digits' train/test split
DIGITS_BATCH = 16
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class TaskData:
    """A task's data and network shape: x (n, in), y targets; the test set (None for classic); the batch (None:
    the whole training set each step)."""

    task: str
    width: int
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    batch: int | None

    def network(self, seed: int) -> DNN:
        """The network of a run of this seed: the lesson's DNN(5, 32, 10, 2) sigmoid MSE for classic, 64-width-10
        ReLU (He init, as `nngrad train digits`) with softmax cross-entropy for digits."""
        if self.task == "classic":
            return DNN(5, self.width, 10, 2, seed=seed)
        from ..model.activations import ACTIVATIONS

        return DNN(1, self.width, self.x.shape[1], 10, activation="relu", loss="softmax_ce",
                   init=ACTIVATIONS["relu"].init, seed=seed)

    @property
    def n_params(self) -> int:
        return self.network(0).num_params


@functools.lru_cache(maxsize=8)
def task_data(task: str, width: int) -> TaskData:
    """The task's data (read once per process)."""
    if task == "classic":
        rng = np.random.default_rng(CLASSIC_SEED)
        x, y = rng.random(10), rng.random(2)
        return TaskData(task, width, x[None, :], y[None, :], None, None, None)
    from ..data import load_digits

    d = load_digits(TEST_FRACTION, SPLIT_SEED)
    return TaskData(task, width, d.x_train, d.y_train, d.x_test, d.y_test, DIGITS_BATCH)


def batches(data: TaskData, seed: int):
    """Index arrays of successive mini-batches: epochs of permutations drawn from the seed's data-order stream,
    every batch full (an epoch's remainder starts the next batch); the whole set each step when batch is None."""
    n = data.x.shape[0]
    if data.batch is None or data.batch >= n:
        whole = np.arange(n)
        while True:
            yield whole
    rng = np.random.default_rng(seed_sequence(seed, DATA_STREAM))
    pending = np.empty(0, dtype=np.int64)
    while True:
        while pending.size < data.batch:
            pending = np.concatenate([pending, rng.permutation(n)])
        yield pending[:data.batch]
        pending = pending[data.batch:]


def evaluate(net: DNN, data: TaskData, x, y, xt, yt) -> dict:
    """train_loss on the whole training set; test loss and accuracy (NaN without a test set)."""
    with np.errstate(all="ignore"):
        row = {"train_loss": float(net.evaluate(x, y)), "test_loss": np.nan, "test_accuracy": np.nan}
        if xt is not None:
            row["test_loss"] = float(net.evaluate(xt, yt))
            row["test_accuracy"] = float(np.mean(np.argmax(net.forward(xt), axis=-1) == yt))
    if not np.isfinite(row["train_loss"]):
        row["train_loss"] = np.inf
    return row


def load() -> float:
    """The machine's 1-minute load average per core (NaN where the system does not tell)."""
    try:
        return os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        return float("nan")


TICK_STEPS = 1000  # a long run calls ``tick`` this often (the progress line's heartbeat)


def run(spec: RunSpec, ratios: Ratios, tick=None) -> pd.DataFrame:
    """The run's curve: one row per checkpoint (race-schema28.md's curves.csv columns, phase included, and
    budget_steps). ``tick()``, if given, is called every TICK_STEPS steps (progress; never in the counts)."""
    data = task_data(spec.task, spec.width)
    net = data.network(spec.seed)
    x, y = net.check_data(data.x, data.y)
    xt, yt = (None, None) if data.x_test is None else net.check_data(data.x_test, data.y_test)
    method = get(spec.method)
    directions = np.random.default_rng(seed_sequence(spec.seed, DIRECTIONS_STREAM, spec.method, spec.k, spec.lr))
    options = {"k": spec.k, "rng": directions} if spec.k else {}
    order, marks = batches(data, spec.seed), set(checkpoints(spec.steps).tolist())
    whole = data.batch is None or data.batch >= x.shape[0]
    call = method.prepare(net, x, y, **options) if whole else None
    counts, seconds, rows, started = np.zeros(3, dtype=np.int64), 0.0, [], load()
    for step in range(spec.steps + 1):
        if step in marks:
            rows.append({"step": step, **_counts(counts, ratios), "seconds": seconds,
                         **evaluate(net, data, x, y, xt, yt)})
            if not np.isfinite(rows[-1]["train_loss"]):
                break
        if step == spec.steps:
            break
        if tick is not None and step % TICK_STEPS == 0:
            tick()
        start = time.perf_counter()
        idx = next(order)
        result = (call or method.prepare(net, x[idx], y[idx], **options))()
        ok = _step(net, result, spec.lr)
        seconds += time.perf_counter() - start
        counts += (result.loss_evaluations, result.tangent_passes, result.backward_passes)
        if not ok:  # diverged: recorded at this step, nothing after
            rows.append({"step": step + 1, **_counts(counts, ratios), "seconds": seconds,
                         **{**evaluate(net, data, x, y, xt, yt), "train_loss": np.inf}})
            break
    curve = pd.DataFrame(rows)
    for name, value in reversed(list(_identity(spec, net.num_params, started).items())):
        curve.insert(0, name, value)
    return curve


def _identity(spec: RunSpec, n: int, started: float) -> dict:
    return {"task": spec.task, "width": spec.width, "N": n, "method": spec.method, "k": spec.k, "lr": spec.lr,
            "seed": spec.seed, "phase": spec.phase, "budget_steps": spec.steps, "load": started}


def _counts(counts: np.ndarray, ratios: Ratios) -> dict:
    le, tp, bp = (int(c) for c in counts)
    return {"loss_evaluations": le, "tangent_passes": tp, "backward_passes": bp,
            "equivalents": ratios.equivalents(le, tp, bp)}


def _step(net: DNN, result: GradientResult, lr: float) -> bool:
    """params -= lr x grad, unless the loss or the step is not finite (then False, weights unchanged)."""
    with np.errstate(all="ignore"):
        stepped = net.params - lr * result.grad
    if not (result.loss is None or np.isfinite(result.loss)) or not np.all(np.isfinite(stepped)):
        return False
    net.params[...] = stepped
    return True


def probe(task: str, width: int, method: str, k: int) -> tuple[GradientResult, int | None]:
    """One step's gradient of the contestant on seed 0's first batch: (its result: the counts a step spends, the
    peak memory of the call in bytes, measured as sweep/point_check.py does, after one warm-up call: a
    measurement, like seconds, not a count)."""
    data = task_data(task, width)
    net = data.network(0)
    x, y = net.check_data(data.x, data.y)
    idx = next(batches(data, 0))
    m = get(method)
    call = m.prepare(net, x[idx], y[idx], **({"k": k, "rng": 0} if k else {}))
    call()  # warm: first-call caches are not a step's memory
    return net.backend.peak_memory(call, m.traced_memory)
