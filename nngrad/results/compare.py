"""Two runs side by side: per-point time ratios B/A, flagged only when a bootstrap interval over the rounds
lies wholly beyond a minimum effect, and only where both runs can vouch for their points: a flagged point, a busy
run or a point one run did not time makes its verdict "inconclusive" or "not compared", with the reason."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _files
from .._words import plural
from ..errors import InvalidValue
from . import plots
from .tables import readable
from .load import KEY, Run, load_run
from .markdown import markdown_table
from .report import busy_reasons
from .report import unfinished as unfinished_note

MIN_EFFECT = 0.05  # never call a change under 5% a change, however steady both runs were
MIN_ROUNDS = 3  # fewer raw rounds in either run: no interval, verdict "same (too few rounds)"
RESAMPLES = 2000  # bootstrap resamples of each run's rounds
CONFIDENCE = 0.95  # percentile interval of the ratio of medians
SEED = 0  # fixed: the same two runs always give the same table
TOO_FEW = "same (too few rounds)"
SAME_WITHIN = 1.5  # a method is "same" only when its whole interval lies within a factor of this of 1
INCONCLUSIVE = "inconclusive"  # neither beyond the minimum effect nor within SAME_WITHIN: the interval is too wide
TIMED = ("slower", "faster", "same")  # the verdicts a timing supports, and a busy run takes away
ONLY = "only in"  # the verdict of a point the other run never planned: "only in A"
ROWS = 40  # a per-point table of compare.md longer than this is summed up by method and reason
EXPERIMENT = {"activation": "sigmoid", "loss": "mse", "dtype": "float64"}  # what a point's key leaves out: its
# network's activation, loss and precision, and the default of a run that does not say


def experiment(config: dict) -> dict[str, str]:
    """The experiment a run's points belong to: activation, loss and dtype (EXPERIMENT's defaults for older runs)."""
    return {k: str((config or {}).get(k) or default) for k, default in EXPERIMENT.items()}


def same_experiment(config_a: dict, config_b: dict) -> None:
    """Raise naming what differs when two runs are of different experiments: their points are not comparable."""
    a, b = experiment(config_a), experiment(config_b)
    if differs := [f"{k} {a[k]} (A) against {b[k]} (B)" for k in EXPERIMENT if a[k] != b[k]]:
        raise InvalidValue(f"A and B are different experiments: {'; '.join(differs)}; their points are not "
                           "comparable (compare runs made with the same --activation, --loss and --dtype)")


# -- what each run says of itself ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunState:
    """What a run says of itself: why it was busy (empty: quiet), its unfinished note (None: finished) and the
    flags of its flagged points (one string per point)."""

    side: str  # "A", "B", or "A (= B)" for a run compared with itself
    busy: tuple[str, ...]
    unfinished: str | None
    flags: tuple[str, ...]


def run_state(run: Run, source: str | Path, side: str) -> RunState:
    """``run``'s state as compare reports it; ``source``: where it was read from (for the resume command)."""
    note = unfinished_note(run.points, Path(source))  # "Unfinished run: 79 of 302 points finished (...); resume ..."
    flags = tuple(f for f in run.points.get("flag", ()) if isinstance(f, str) and f)
    return RunState(side, tuple(busy_reasons(run)), note and note.split(": ", 1)[-1].rstrip("."), flags)


def state_lines(states: list[RunState], same: bool = False) -> list[str]:
    """One sentence per thing a run says of itself, busy first: what compare.md's header and the terminal lead
    with; one sentence saying all is well where nothing is to be said."""
    lines = [f"Run {s.side} was busy ({'; '.join(s.busy)}): "
             + ("its times are not reproducible (a run compared with itself has every ratio 1 whatever the load)."
                if same else "its verdicts are inconclusive.") for s in states if s.busy]
    lines += [f"Run {s.side} is unfinished: {s.unfinished}; the points it did not time are not compared."
              for s in states if s.unfinished]
    for s in states:
        if s.flags:
            kinds = pd.Series([f.split(":", 1)[0] for f in s.flags]).value_counts()
            lines.append(f"Run {s.side} has {plural(len(s.flags), 'flagged point')} ("
                         + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
                         + "): left out of every verdict, each named in its row.")
    if same:
        return lines or [f"Run {states[0].side} is finished, was not busy and flagged no point."]
    return lines or ["Runs A and B are finished, were not busy and flagged no point: every verdict below rests on "
                     "both."]


# -- the points measured in both -------------------------------------------------------------------------------------

def method_verdict(low: float, high: float) -> str:
    """slower / faster when the interval lies wholly beyond MIN_EFFECT, same when it lies within SAME_WITHIN of 1,
    else INCONCLUSIVE."""
    if low > 1 + MIN_EFFECT:
        return "slower"
    if high < 1 / (1 + MIN_EFFECT):
        return "faster"
    return "same" if 1 / SAME_WITHIN <= low and high <= SAME_WITHIN else INCONCLUSIVE


def ratio_table(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Points measured in both runs: median_s and rounds of each, ratio B/A, its interval, the verdict, and each
    point's flag (flag_a, flag_b: "" where none).

    ratio_b_over_a = median_s_b / median_s_a; [ratio_ci_low, ratio_ci_high] is the CONFIDENCE percentile interval
    of median(B*) / median(A*) over RESAMPLES bootstrap resamples A*, B* of each run's per-call round times
    (resampled with replacement, independently, SEED fixed). "slower" when ratio_ci_low > 1 + MIN_EFFECT,
    "faster" when ratio_ci_high < 1 / (1 + MIN_EFFECT), INCONCLUSIVE when the interval is NaN (a NaN round), else
    "same". Where either run kept fewer than MIN_ROUNDS raw rounds (or none: hand-made files) the interval is NaN
    and the verdict TOO_FEW: the spread of so few rounds says nothing of the median's uncertainty, and the old IQR
    rule-of-thumb is what this replaced.
    The verdict is the interval's alone: ``judge`` makes it say what the runs' state leaves of it.
    """
    cols = [*KEY, "n_params", "median_s", "iqr_s", "round_times_s", "flag"]
    ok_a, ok_b = a[a["status"] == "ok"].reindex(columns=cols), b[b["status"] == "ok"].reindex(columns=cols)
    both = ok_a.merge(ok_b, on=[*KEY, "n_params"], suffixes=("_a", "_b")).reset_index(drop=True)
    for side in ("flag_a", "flag_b"):  # "" where a point is not flagged (or its run has no flag column)
        both[side] = [f if isinstance(f, str) else "" for f in both[side]]
    both["rounds_a"], both["rounds_b"] = _count(both["round_times_s_a"]), _count(both["round_times_s_b"])
    both["ratio_b_over_a"] = both["median_s_b"] / both["median_s_a"]
    low, high = ratio_interval(both["round_times_s_a"], both["round_times_s_b"])
    both["ratio_ci_low"], both["ratio_ci_high"] = low, high
    tested = (both["rounds_a"] >= MIN_ROUNDS) & (both["rounds_b"] >= MIN_ROUNDS)
    both["verdict"] = np.select([~tested, np.isnan(low) | np.isnan(high), low > 1 + MIN_EFFECT,
                                 high < 1 / (1 + MIN_EFFECT)], [TOO_FEW, INCONCLUSIVE, "slower", "faster"], "same")
    return both.drop(columns=["round_times_s_a", "round_times_s_b"])


def _count(rounds: pd.Series) -> np.ndarray:
    """Number of raw rounds of each point (0 where none was kept): (P,)."""
    return np.array([len(r) if isinstance(r, (tuple, list, np.ndarray)) else 0 for r in rounds], dtype=int)


def ratio_interval(rounds_a: pd.Series, rounds_b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap interval of median(B) / median(A) per point: (low, high), each (P,); NaN where a side has
    fewer than MIN_ROUNDS rounds. rounds_a, rounds_b: P sequences of per-call seconds."""
    med_a, med_b = bootstrap_medians(rounds_a, side=0), bootstrap_medians(rounds_b, side=1)  # (P, RESAMPLES)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(med_b / med_a, [tail, 100 - tail], axis=1)
    return low, high


def bootstrap_medians(rounds: pd.Series, side: int) -> np.ndarray:
    """Medians of RESAMPLES resamples with replacement of each point's rounds: (P, RESAMPLES); rows of NaN where
    a point has fewer than MIN_ROUNDS rounds. Points with the same number of rounds n share one draw of indices,
    seeded by (SEED, side, n): a point's interval depends on its own rounds only, not on the rest of the table."""
    counts = _count(rounds)
    out = np.full((len(counts), RESAMPLES), np.nan)
    for n in np.unique(counts[counts >= MIN_ROUNDS]):
        rows = np.flatnonzero(counts == n)
        x = np.sort(np.array([rounds.iloc[i] for i in rows], dtype=float), axis=1)  # (p, n), each row ascending
        idx = np.sort(np.random.default_rng([SEED, side, int(n)]).integers(0, n, (RESAMPLES, n)), axis=1)
        # x sorted and idx sorted make x[idx] sorted: its median is the mean of its middle two order statistics
        out[rows] = (x[:, idx[:, (n - 1) // 2]] + x[:, idx[:, n // 2]]) / 2
    return out


def busy_words(states: list[RunState], short: bool = False) -> str | None:
    """"run B was busy: GEMM rate 38.6 -> 3.1 GFLOP/s" (each busy run's first reason; the header gives them all),
    "run B was busy" when ``short``; None when neither run was busy."""
    busy = [s for s in states if s.busy]
    if not busy:
        return None
    who = f"run {busy[0].side} was busy" if len(busy) == 1 else "runs A and B were busy"
    if short:
        return who
    return f"{who}: " + "; ".join(s.busy[0] + (f" ({s.side})" if len(busy) > 1 else "") for s in busy)


def judge(table: pd.DataFrame, busy: str | None = None) -> pd.DataFrame:
    """``table`` (ratio_table's) with the verdicts the runs' state leaves: ``interval`` keeps what the interval
    said; a pair with a flagged point is "inconclusive (flagged in B: impossible: ...)" and ``left_out`` names why
    it takes no part in its method's verdict; with ``busy`` (busy_words) every timed verdict is "inconclusive
    (run B was busy: ...)"."""
    out = table.assign(interval=table["verdict"], left_out="")
    flag_a, flag_b = out["flag_a"] != "", out["flag_b"] != ""
    if busy:
        out.loc[out["verdict"].isin(TIMED), "verdict"] = f"{INCONCLUSIVE} ({busy})"
    flagged = flag_a | flag_b
    out.loc[flagged, "verdict"] = [f"{INCONCLUSIVE} ({_flagged(fa, fb)})"
                                   for fa, fb in zip(out["flag_a"][flagged], out["flag_b"][flagged])]
    out.loc[flagged, "left_out"] = np.select([flag_a & flag_b, flag_a], ["flagged in A and B", "flagged in A"],
                                             "flagged in B")[flagged.to_numpy()]
    return out


def _flagged(flag_a: str, flag_b: str) -> str:
    """"flagged in B: impossible: ..." for a pair of points with these flags ("": not flagged)."""
    if flag_a and flag_b:
        return f"flagged in A and B: {flag_a}" if flag_a == flag_b else f"flagged in A: {flag_a}; in B: {flag_b}"
    return f"flagged in A: {flag_a}" if flag_a else f"flagged in B: {flag_b}"


# -- the points measured in one run only -----------------------------------------------------------------------------

def not_compared(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Points measured in one run and not in the other: key, N, its median_s_a or median_s_b, the verdict saying
    why the other run has no time ("not compared (run B did not time this point: the run was interrupted)",
    "... (run B's plan left it out: predicted 12 s ...)", "... (run B's point failed: ...)", or "only in A" where
    B never planned it) and ``left_out``, the reason in a few words."""
    cols = [*KEY, "n_params", "median_s"]
    frames = []
    for mine, other, side, o in ((a, b, "A", "B"), (b, a, "B", "A")):
        ok = mine.loc[mine["status"] == "ok", cols]
        theirs = other[KEY].assign(other_status=other["status"], other_message=other["message"])
        alone = ok.merge(theirs, on=KEY, how="left")
        alone = alone[alone["other_status"] != "ok"]
        verdict, left = _why_not(alone["other_status"], alone["other_message"], side, o)
        frames.append(alone[cols].rename(columns={"median_s": f"median_s_{side.lower()}"})
                      .assign(verdict=verdict, left_out=left))
    return pd.concat(frames, ignore_index=True)


def _why_not(status: pd.Series, message: pd.Series, side: str, other: str) -> tuple[list[str], list[str]]:
    """The verdict and the few words of why of each point measured in ``side`` whose ``status`` in ``other`` is
    not "ok" (NaN: not planned there)."""
    verdicts, words = [], []
    for s, m in zip(status, message):
        m = m if isinstance(m, str) and m else "no reason recorded"
        verdict, word = {
            "not run": (f"not compared (run {other} did not time this point: the run was interrupted)",
                        f"not timed by {other} (interrupted)"),
            "skipped": (f"not compared (run {other}'s plan left it out: {m})", f"left out by {other}'s plan"),
            "failed": (f"not compared (run {other}'s point failed: {m})", f"failed in {other}"),
        }.get(s, (f"{ONLY} {side}", f"{ONLY} {side}"))
        verdicts.append(verdict)
        words.append(word)
    return verdicts, words


# -- per method ------------------------------------------------------------------------------------------------------

def method_table(table: pd.DataFrame, busy: str | None = None) -> pd.DataFrame:
    """Per method: its points judged (measured in both, neither flagged), those left out and why (a point
    measured in one run only is not counted, and a method measured in one run only has no row), the median of
    their ratios B/A and its CONFIDENCE bootstrap interval over the points (resampled with replacement, SEED
    fixed), and the verdict by the same MIN_EFFECT rule. A point's own interval covers only the noise within its
    rounds, timed in one burst; the spread between a method's points also holds what moves between two runs (a
    busy spell, the CPU's clock), so a method's verdict is the one a second run of the same two versions
    reproduces. "same" needs the interval within SAME_WITHIN of 1: a wider one that holds 1 (1.03 to 451) is
    INCONCLUSIVE. ``busy`` (busy_words): every timed verdict is inconclusive for that reason; a method with no
    point left is "not judged". ``table``: rows with method and ratio_b_over_a, and optionally left_out (a
    non-empty string: the row takes no part) as judge and not_compared make them."""
    rows = []
    rng = np.random.default_rng(SEED)
    tail = 100 * (1 - CONFIDENCE) / 2
    left = table["left_out"].fillna("") if "left_out" in table else pd.Series("", index=table.index)
    for method, sel in table.groupby("method", sort=False):
        mine = left[sel.index]
        used, out = sel[mine == ""], mine[(mine != "") & ~mine.str.startswith(ONLY)]
        if used.empty and out.empty:  # measured in one run only: no verdict was ever possible
            continue
        why = "; ".join(f"{n} {word}" for word, n in out.value_counts(sort=False).items())
        row = {"method": method, "judged": len(used), "left out": why, "median ratio B/A": np.nan,
               "ci_low": np.nan, "ci_high": np.nan,
               "verdict": f"not judged ({why})"}
        if len(used):
            ratios = used["ratio_b_over_a"].to_numpy(dtype=float)
            medians = np.median(ratios[rng.integers(0, len(ratios), (RESAMPLES, len(ratios)))], axis=1)
            low, high = np.percentile(medians, [tail, 100 - tail])
            verdict = method_verdict(low, high)
            row.update({"median ratio B/A": float(np.median(ratios)), "ci_low": low, "ci_high": high,
                        "verdict": f"{INCONCLUSIVE} ({busy})" if busy and verdict in TIMED else verdict})
        rows.append(row)
    return pd.DataFrame(rows, columns=["method", "judged", "left out", "median ratio B/A", "ci_low", "ci_high",
                                       "verdict"])


# -- the comparison --------------------------------------------------------------------------------------------------

@dataclass
class Comparison:
    """Two runs compared: their states, the pairs measured in both (judged), the points measured in one only, the
    verdict per method."""

    run_a: Run
    run_b: Run
    states: list[RunState]
    table: pd.DataFrame
    others: pd.DataFrame
    methods: pd.DataFrame
    same: bool
    across: bool  # one device each, two devices: B's points are matched to A's across them
    devices: tuple[str, str] = ("cpu", "cpu")  # A's and B's (first) device

    @property
    def busy(self) -> str | None:
        """busy_words of the two runs (None for a run compared with itself: one load on both sides)."""
        return None if self.same else busy_words(self.states)

    def shown(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its busy verdicts in short ("inconclusive (run B was busy)"): the header and
        compare.csv give the reasons, a table on screen need not repeat them on every row."""
        long, short = self.busy, busy_words(self.states, short=True)
        return frame.assign(verdict=frame["verdict"].map(lambda v: v.replace(long, short) if long else v))

    @property
    def whole(self) -> pd.DataFrame:
        """One row per point measured in either run: compare.csv."""
        return pd.concat([self.table, self.others], ignore_index=True)

    def lines(self) -> list[str]:
        """What the terminal leads with: the runs' state, then the count."""
        return [*state_lines(self.states, self.same), summary(self.table, self.others)]

    def to_frame(self) -> pd.DataFrame:
        """One row per point measured in either run, with its ratio B/A, interval and verdict (compare.csv)."""
        return self.whole.copy()

    def plot(self):
        """The two runs overlaid (time per gradient) and their cost gaps: inline.Figures of two Figures."""
        from .inline import Figures

        a, b = self.run_a, self.run_b
        label = f"A = {a.label}\nB = {b.label}"
        return Figures({"compare": plots.overlay(a.points, b.points, a.name, b.name, label),
                        "compare_gap": plots.overlay_gap(a.points, b.points, a.name, b.name, label)})

    def __repr__(self) -> str:
        counted = self.shown(self.methods)["verdict"].value_counts()
        verdicts = f"{plural(len(self.methods), 'method')}: " + ", ".join(f"{n} {v}" for v, n in counted.items())
        return f"<Comparison B = {self.run_b.name} against A = {self.run_a.name}\n  {self.lines()[-1]}\n  {verdicts}>"

    def _repr_html_(self) -> str:
        import html

        from .inline import frame_table

        said = "".join(f"<p>{html.escape(line)}</p>" for line in self.lines())
        return (f"<div><p><b>nngrad comparison</b>: B = {html.escape(self.run_b.name)} against A = "
                f"{html.escape(self.run_a.name)}</p>{said}{frame_table(self.shown(self.methods))}"
                "<p>.plot(), .to_frame() (every point, with its verdict)</p></div>")


def comparison(path_a: str | Path, path_b: str | Path) -> Comparison:
    """Read both runs and judge every point measured in either."""
    run_a, run_b = load_run(path_a), load_run(path_b)
    same_experiment(run_a.config, run_b.config)
    same = Path(path_a).resolve() == Path(path_b).resolve()
    devices = run_a.devices[0], run_b.devices[0]
    across = len(run_a.devices) == len(run_b.devices) == 1 and devices[0] != devices[1]
    if across:  # one device each, two devices: the comparison is between the devices, point by point
        run_b = replace(run_b, points=run_b.points.assign(device=run_a.devices[0]))
    states = [run_state(run_a, path_a, "A (= B)")] if same else [run_state(run_a, path_a, "A"),
                                                                run_state(run_b, path_b, "B")]
    busy = None if same else busy_words(states)  # a run against itself: one load, every ratio 1 by construction
    table = judge(ratio_table(run_a.points, run_b.points), busy)
    if table.empty:
        raise InvalidValue(f"{path_a} and {path_b} have no measured point in common (same method, depth, width, batch)")
    others = not_compared(run_a.points, run_b.points)
    methods = method_table(pd.concat([table, others], ignore_index=True), busy)
    return Comparison(run_a, run_b, states, table, others, methods, same, across, devices)


def write(c: Comparison, out: Path) -> Path:
    """compare.csv, compare.png, compare_gap.png and compare.md of ``c`` into ``out``; returns compare.md."""
    out.mkdir(parents=True, exist_ok=True)
    _files.write_atomic(out / "compare.csv", c.whole.to_csv(index=False))
    a, b = c.run_a, c.run_b
    label = f"A = {a.label}\nB = {b.label}"
    plots.save(plots.overlay(a.points, b.points, a.name, b.name, label), out / "compare.png")
    plots.save(plots.overlay_gap(a.points, b.points, a.name, b.name, label), out / "compare_gap.png")
    _files.write_atomic(out / "compare.md", markdown(c))
    return out / "compare.md"


def default_out(path_a: str | Path, path_b: str | Path, c: Comparison) -> Path:
    """RUN_B/compare-<A> (beside B for a JSON file)."""
    return Path(path_b if Path(path_b).is_dir() else Path(path_b).parent) / f"compare-{c.run_a.name}"


def compare(path_a: str | Path, path_b: str | Path, out: str | Path | None = None) -> tuple[pd.DataFrame, Path]:
    """Write compare.csv, compare.png, compare_gap.png and compare.md into ``out``; returns the table (one row per
    point measured in either run) and the markdown path."""
    c = comparison(path_a, path_b)
    return c.whole, write(c, Path(out) if out else default_out(path_a, path_b, c))


# -- compare.md ------------------------------------------------------------------------------------------------------

def _values(column: pd.Series) -> str:
    return ", ".join(str(v) for v in sorted(column.dropna().unique()))


def _interval(low: pd.Series, high: pd.Series) -> pd.Series:
    """"0.976 to 0.996" per row; None where there is no interval."""
    return pd.Series([None if pd.isna(lo) else f"{lo:.3g} to {hi:.3g}" for lo, hi in zip(low, high)], index=low.index,
                     dtype=object)


def digest(frame: pd.DataFrame, limit: int = ROWS, said: bool = False) -> str:
    """Per-point rows as a readable table: all of them up to ``limit`` (with ``said``, what the interval alone said
    beside the verdict), else one row per method and reason (its points, depths, widths and batches) with a
    pointer to compare.csv, which also holds each point's medians."""
    if frame.empty:
        return "_none_"
    if len(frame) > limit:
        why = frame["left_out"].where(frame["left_out"] != "", frame["verdict"])
        first = frame.assign(why=why, last=why.str.startswith(ONLY))  # what a run's state left out, first
        summed = pd.DataFrame([{"method": m, "why": w, "points": len(g), "depths": _values(g["depth"]),
                                "widths": _values(g["width"]), "batches": _values(g["batch"])}
                               for (_, m, w), g in first.groupby(["last", "method", "why"], sort=False)])
        summed = summed.iloc[np.argsort([w.startswith(ONLY) for w in summed["why"]], kind="stable")]
        return (f"{plural(len(frame), 'point')}, by method and reason (each point, with its verdict in full, is in "
                f"compare.csv):\n\n" + readable(summed))
    points = frame.reindex(columns=["method", "device", "depth", "width", "batch", "ratio_b_over_a"])
    points = points.rename(columns={"ratio_b_over_a": "B/A"})
    if "ratio_ci_low" in frame:
        points[f"{CONFIDENCE:.0%} interval"] = _interval(frame["ratio_ci_low"], frame["ratio_ci_high"])
    if said and "interval" in frame:
        points["interval says"] = frame["interval"]
    points["verdict"] = frame["verdict"]
    points = points.dropna(axis=1, how="all")  # the medians of a point measured in one run only
    return readable(points.drop(columns="device") if points["device"].nunique() <= 1 else points)


def summary(table: pd.DataFrame, others: pd.DataFrame) -> str:
    """The count of compare.md and the terminal: measured in both, judged, left out, verdicts, not compared."""
    judged = table[table["left_out"] == ""]
    verdicts = judged["verdict"]
    few = (judged["interval"] == TOO_FEW).sum()
    flagged = len(table) - len(judged)
    return (f"{plural(len(table), 'point')} measured in both"
            + (f" ({flagged} left out: a point of {'the pair' if flagged == 1 else 'each pair'} flagged)"
               if flagged else "")
            + (f"; median ratio B/A = {judged['ratio_b_over_a'].median():.3g} over the {len(judged)} judged"
               if len(judged) else "; none judged")
            + f"; {(verdicts == 'slower').sum()} slower, {(verdicts == 'faster').sum()} faster, "
            + f"{(verdicts == 'same').sum()} same, {verdicts.str.startswith(INCONCLUSIVE).sum()} {INCONCLUSIVE}."
            + (f" {plural(few, 'point')} not tested (fewer than {MIN_ROUNDS} raw rounds in A or B)." if few else "")
            + (f" {plural(len(others), 'point')} measured in one run only, not compared: "
               + ", ".join(f"{n} {why}" for why, n in others["left_out"].value_counts(sort=False).items()) + "."
               if len(others) else ""))


def one_run_only(c: Comparison) -> str:
    """"torch, jax (A only)": the methods with no point measured in both and none left out for a run's state."""
    alone = c.others[~c.others["method"].isin(c.methods["method"])]
    return "; ".join(f"{', '.join(g['method'].unique())} ({why.removeprefix(ONLY + ' ')} only)"
                     for why, g in alone.groupby("left_out", sort=False))


def markdown(c: Comparison) -> str:
    """compare.md: the runs' state first, then the count, the verdicts per method, the figures and the points."""
    run_a, run_b, table, others, same = c.run_a, c.run_b, c.table, c.others, c.same
    changed = table[table["verdict"].isin(["slower", "faster"])]
    doubted = table[table["verdict"].str.startswith(INCONCLUSIVE)]

    def rows(frame: pd.DataFrame) -> str:  # what the interval alone said beside the verdicts a busy run took away
        return digest(c.shown(frame), said=bool(c.busy))

    device_a, device_b = c.devices
    return "\n".join([
        f"# {run_b.name} (B) against {run_a.name} (A)", "",
        *[f"**{line}**  " for line in state_lines(c.states, same)], "",
        f"A: {run_a.label}  ", f"B: {run_b.label}", "",
        "Both: " + ", ".join(f"{k} {v}" for k, v in experiment(run_a.config).items())
        + " (points are matched by method, depth, width and batch within one experiment).", "",
        *(["**A and B are the same run**: every ratio is 1 by construction.", ""] if same else []),
        *([(f"**A ran on {device_a}, B on {device_b}**: the points are matched by method, depth, width and batch "
            "across the two devices."), ""] if c.across else []),
        summary(table, others), "",
        (f"The test: the {CONFIDENCE:.0%} bootstrap interval of the ratio of medians B/A over the rounds of each run "
         f"({RESAMPLES:,} resamples); a change only when the whole interval lies beyond ±{MIN_EFFECT:.0%} "
         f"(above {1 + MIN_EFFECT:.3g}: slower; below 1/{1 + MIN_EFFECT:.3g}: faster). No verdict rests on a point "
         "its own run flagged (impossible, busy, ...): such a pair is inconclusive and takes no part in its method's "
         "verdict. A busy run (other processes' load, or machine constants that moved between its start and end) "
         "makes every verdict that involves it inconclusive: a busy spell slows whatever it falls on, by up to "
         "100x on a loaded machine, so no ratio measured through it can say which code is faster, nor that both "
         "are the same."), "",
        "## Per method", "",
        (f"The median of each method's ratios B/A over its points judged (measured in both, neither flagged), with "
         f"a {CONFIDENCE:.0%} bootstrap interval over those points: a point's rounds are timed in one burst, so its "
         "own interval misses what changes between two runs (on the 2-core development machine two default runs of "
         "the same code differed by more than 10% at about 40% of the points, both ways); a method's verdict is what "
         f"a second comparison reproduces. \"same\" needs the whole interval within {1 / SAME_WITHIN:.3g} to "
         f"{SAME_WITHIN:.3g}; a wider interval that is not beyond ±{MIN_EFFECT:.0%} is \"{INCONCLUSIVE}\": more "
         "points or rounds would decide it. \"left out\" counts the method's points that took no part, and why."), "",
        readable(c.shown(c.methods)), "",
        *([f"Measured in one run only (no verdict possible): {alone}.", ""] if (alone := one_run_only(c)) else []),
        "![time per call, A and B](compare.png)", "", "![cost gap, A and B](compare_gap.png)", "",
        f"## Changed points (the whole interval beyond ±{MIN_EFFECT:.0%})", "", rows(changed), "",
        "## Inconclusive points (a flagged point or a busy run)", "", rows(doubted), "",
        "## Not compared: measured in one run only", "", digest(c.shown(others)), "",
        "## All points", "",
        (f"Every point measured in either run ({len(table) + len(others):,} rows: medians, rounds, interval, what "
         "the interval alone said, flags and verdict) is in compare.csv"
         + (f"; the {plural(len(table), 'point')} measured in both:" if len(table) <= ROWS else ".")), "",
        *([rows(table), ""] if len(table) <= ROWS else [])])
