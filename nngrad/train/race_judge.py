"""The race's rules on recorded curves: targets from the reference, held targets, tuning choices, medians.

- Targets: from the median over the reference's final seeds of train_loss at each checkpoint (every seed shares
  the checkpoints: same budget), L0 at step 0 and L_end at the last: T_p = L0 - p (L0 - L_end).
- A run reaches a target at the first checkpoint from which its train_loss stays <= the target to the end of its
  budget; touching it and rising again is a miss, and so is any run that diverged (stopped before its budget).
- A miss is inf; a contestant's value is the median over its seeds (inf when more than half missed).
- Tuning on seed 0: the reference's rate is the one with the lowest final train loss among runs that never
  diverged; another contestant's rate is the one with the fewest equivalents to the first (lowest) target, held;
  ties and misses: the lowest final loss, then the lower rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UsageError

COUNTS = ("steps", "loss_evaluations", "tangent_passes", "backward_passes", "equivalents", "seconds")


def finished(curve: pd.DataFrame) -> bool:
    """Did the run take its whole budget without diverging?"""
    last = curve.iloc[-1]
    return bool(last["step"] == last["budget_steps"] and np.isfinite(last["train_loss"]))


def held_from(curve: pd.DataFrame, target: float) -> pd.Series | None:
    """The checkpoint row from which the run holds ``target`` to the end of its budget, or None (a miss)."""
    if not finished(curve):
        return None
    below = (curve["train_loss"] <= target).to_numpy()
    if not below[-1]:
        return None
    above = np.flatnonzero(~below)
    return curve.iloc[0 if above.size == 0 else above[-1] + 1]


def reached(curve: pd.DataFrame, target: float) -> dict[str, float]:
    """The counts at which the run holds ``target`` (steps, loss_evaluations, ..., seconds): inf for a miss."""
    row = held_from(curve, target)
    return {c: float(row["step" if c == "steps" else c]) if row is not None else np.inf for c in COUNTS}


def median_curve(curves: list[pd.DataFrame]) -> pd.DataFrame:
    """Median train_loss over runs at each step they share (the reference's seeds: same checkpoints)."""
    wide = pd.concat([c.set_index("step")["train_loss"].rename(i) for i, c in enumerate(curves)], axis=1)
    return wide.median(axis=1, skipna=False).rename("train_loss").reset_index()


def targets(reference: list[pd.DataFrame], fractions: dict[str, float]) -> dict[str, float]:
    """{"T90": loss, ...} from the reference's final curves (module doc)."""
    median = median_curve(reference)
    l0, end = float(median["train_loss"].iloc[0]), float(median["train_loss"].iloc[-1])
    if not (np.isfinite(end) and end < l0):
        raise UsageError(f"the reference's median loss did not fall ({l0:.4g} -> {end:.4g}): no target can be set")
    return {name: l0 - f * (l0 - end) for name, f in fractions.items()}


def tune_reference(runs: dict[float, pd.DataFrame]) -> float:
    """The reference's learning rate: the lowest final train loss among the runs that never diverged."""
    held = {lr: float(c["train_loss"].iloc[-1]) for lr, c in runs.items() if finished(c)}
    if not held:
        raise UsageError(f"every learning rate of the reference's grid ({', '.join(f'{lr:g}' for lr in runs)}) "
                         "diverged: no target can be set")
    return min(held, key=lambda lr: (held[lr], lr))


def tune(runs: dict[float, pd.DataFrame], target: float) -> float:
    """Another contestant's rate: fewest equivalents to hold ``target``; ties and misses: lowest final loss."""
    def key(lr: float) -> tuple:
        c = runs[lr]
        final = float(c["train_loss"].iloc[-1]) if finished(c) else np.inf
        return reached(c, target)["equivalents"], final, lr

    return min(runs, key=key)


def summarize(curves: list[pd.DataFrame], targets_: dict[str, float]) -> list[dict]:
    """One row per target over a contestant's final runs: seeds, reached, the medians of COUNTS (inf: a miss),
    final_loss and test_accuracy (medians at the budget's end; a diverged run's final loss is inf)."""
    finals = [float(c["train_loss"].iloc[-1]) if finished(c) else np.inf for c in curves]
    accuracy = [float(c["test_accuracy"].iloc[-1]) if finished(c) else np.nan for c in curves]
    rows = []
    for name, loss in targets_.items():
        hits = [reached(c, loss) for c in curves]
        row = {"target": name, "target_loss": loss, "seeds": len(curves),
               "reached": sum(np.isfinite(h["steps"]) for h in hits)}
        row |= {c: float(np.median([h[c] for h in hits])) for c in COUNTS}
        row["final_loss"] = float(np.median(finals))
        row["test_accuracy"] = float(np.median(accuracy)) if not np.all(np.isnan(accuracy)) else np.nan
        rows.append(row)
    return rows


def step_penalty(race: pd.DataFrame, reference: str = "backprop") -> pd.Series:
    """steps / the reference's steps to the same target at the same width: NaN for the reference's own rows and
    where either is inf."""
    ref = race[race["method"] == reference].set_index(["width", "target"])["steps"]
    base = pd.Series([ref.get((w, t), np.nan) for w, t in zip(race["width"], race["target"])], index=race.index)
    ratio = race["steps"] / base
    ratio[~np.isfinite(race["steps"]) | ~np.isfinite(base) | (race["method"] == reference)] = np.nan
    return ratio
