"""The report's tables as a reader sees them: a few columns, rounded, at most WIDTH characters wide; the full data
stays in summary.csv, fits.csv, limits.csv and landscape.csv."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import sanity
from .markdown import markdown_table

WIDTH = 160  # no line of a table in report.md is wider
NOTE = 60  # clip()'s default width
FAILED = 10  # the failed points listed by name; the rest counted per method


def clip(text: object, width: int = NOTE) -> str:
    """``text`` cut to ``width`` characters, "…" marking a cut; "" for a missing value."""
    text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    return text if len(text) <= width else text[:max(width - 1, 0)].rstrip() + "…"


def fitted(frame: pd.DataFrame, column: str, width: int = WIDTH) -> pd.DataFrame:
    """``frame`` with its text ``column`` (the last) clipped so that its markdown table is at most ``width`` wide."""
    if frame.empty:
        return frame
    others = max(len(line) for line in markdown_table(frame.assign(**{column: ""})).splitlines())
    room = max(width - others + len(column), len(column))  # the empty column is as wide as its header
    return frame.assign(**{column: [clip(v, room) for v in frame[column]]})


def readable(frame: pd.DataFrame, width: int = WIDTH) -> str:
    """``frame`` as a markdown table no wider than ``width`` where it can be (compare.md's tables): the longest
    text cells are cut short with "…", none under 12 characters (the CSV holds them whole)."""
    frame, text = frame.copy(), markdown_table(frame)
    while (excess := max(map(len, text.splitlines())) - width) > 0:
        lengths = {c: frame[c].map(lambda v: len(v) if isinstance(v, str) else 0).max() for c in frame}
        longest = max(lengths, key=lengths.get)
        cut = max(lengths[longest] - excess, 12)
        if cut >= lengths[longest]:
            return text
        frame[longest] = frame[longest].map(lambda v: v[:cut - 1] + "…" if isinstance(v, str) and len(v) > cut else v)
        text = markdown_table(frame)
    return text


def landscape(table: pd.DataFrame) -> pd.DataFrame:
    """The classic network's table (landscape.landscape_table) without family, status and IQR, its notes clipped;
    an estimator's cosine with backprop's gradient in the error's column ("cosine 0.233")."""
    cosine = table.get("cosine vs backprop", pd.Series("", index=table.index))
    error = [f"cosine {c}" if c else e for e, c in zip(table["error vs backprop"], cosine)]
    return pd.DataFrame({"method": table["method"], "time_s": table["time_s"], "work": table["work"],
                         "t / t(forward)": table["t / t(forward)"], "error vs backprop": error,
                         "peak_MiB": table["peak_MiB"],
                         "note": [n if s == "ok" else f"{s}: {n}" for n, s in zip(table["note"], table["status"])]}
                        ).pipe(fitted, "note")


WHERE = {"batch >= ": "b>=", "width >= ": "w>=", "batch ": "b", "classic network": "classic", "every point": "all"}


def limits(table: pd.DataFrame) -> pd.DataFrame:
    """The peers-and-limits table (limits.limits_table) as the report shows it: the worst ratio with where it was
    measured, the memory target's and the places' words shortened, ``why`` last (clipped to the width; in full in
    limits.csv)."""
    where = table["where"]
    for long, short in WHERE.items():
        where = where.str.replace(long, short, regex=False)
    worst = [f"{m:.3g} at {at}" if pd.notna(m) else "" for m, at in zip(table["measured"], table["at"])]
    return pd.DataFrame({
        "target": table["target"].str.replace(" (its bound)", "", regex=False).str.replace(" peak memory", " memory"),
        "where": where, "worst": worst, "verdict": table["verdict"], "why": table["why"]}).pipe(fitted, "why")


def _interval(row) -> str:
    return "" if pd.isna(row["ci_low"]) else f"{row['ci_low']:.2f} to {row['ci_high']:.2f}"


def fits(table: pd.DataFrame, model: str, regime: str) -> pd.DataFrame:
    """Per method, its fit of ``model`` in ``regime`` (fits.growth_fits' rows): the exponent, its interval, theory
    at these sizes (and for large N), the points fitted and left out; the note clipped to the width."""
    rows = table[(table["model"] == model) & (table["regime"] == regime)]
    out = [{"method": r["method"], "exponent": r["exponent"], "95% interval": _interval(r),
            "theory": _theory(r), "points": r["points"], "left out": _left(r), "note": r["note"]}
           for _, r in rows.iterrows()]
    return pd.DataFrame(out).pipe(fitted, "note")


def _theory(row) -> str:
    """"0.89 (1)": the exponent of the counted work at these sizes, 2 decimals, and the large-network limit."""
    if pd.isna(row["theory_sizes"]):
        return ""
    return f"{round(float(row['theory_sizes']), 2) + 0.0:g} ({row['theory_asymptotic']:g})"


def _left(row) -> str:
    """"21 overhead, 5 flagged": the points a fit left out (fits.csv's flagged_as says why each flagged one)."""
    overhead, flagged = (int(row.get(c, 0) or 0) for c in ("excluded_overhead", "excluded_flagged"))
    return ", ".join([*([f"{overhead} overhead"] if overhead else []), *([f"{flagged} flagged"] if flagged else [])])


def methods(declared: dict) -> pd.DataFrame:
    """What each method is: its name, work per gradient (at its default options; the run's own options said after
    it) and description."""
    return pd.DataFrame([{"method": name, "work per gradient": f"{m.get('work')}{_options(m.get('options'))}",
                          "what it is": m.get("description")} for name, m in declared.items()]).pipe(fitted,
                                                                                                     "what it is")


def _options(given: dict | None) -> str:
    """" (default options; this run: k = 16)" for a method the run gave options, "" otherwise."""
    if not given:
        return ""
    return " (default options; this run: " + ", ".join(f"{k} = {v}" for k, v in given.items()) + ")"


def _skip_reason(message: object) -> str:
    """"predicted 10.9 s per call > budget 5 s" -> "> budget 5 s": the reason without the point's own numbers."""
    reason = re.sub(r"^predicted [^ ]+ s per call:? ?", "", str(message or "")).strip() or "skipped"
    return reason.replace("left out to fit the sweep in its total of", "to fit the total of")


DEVICE_HEADERS = {"memory (GiB)": "GiB", "call (µs)": "call µs", "GEMM (GFLOP/s)": "GEMM GFLOP/s",
                  "element-wise (ns/element)": "ns/element"}


def devices(table: pd.DataFrame) -> pd.DataFrame:
    """The devices' constants (devices.constants_table) with short headers, the hardware last and clipped."""
    short = table.rename(columns=DEVICE_HEADERS).rename(columns=lambda c: "knee N" if c.endswith("grows from N ≈") else
                                                         c.replace("within ", "in "))
    return short[[c for c in short if c != "hardware"] + ["hardware"]].pipe(fitted, "hardware")


def per_method(points: pd.DataFrame) -> pd.DataFrame:
    """One row per method: its points measured, flagged, skipped (and why), failed and not run."""
    rows = []
    for method, mine in points.groupby("method", sort=False):
        status = mine["status"]
        skipped = mine.loc[status == "skipped", "message"].map(_skip_reason)
        rows.append({"method": method, "measured": int((status == "ok").sum()),
                     "flagged": int(sanity.flagged(mine).sum()), "skipped": int(len(skipped)),
                     "failed": int((status == "failed").sum()), "not run": int((status == "not run").sum()),
                     "why skipped": sanity.tally(skipped, most=skipped.nunique()) if len(skipped) else ""})
    return pd.DataFrame(rows).pipe(fitted, "why skipped")


def failed(points: pd.DataFrame) -> pd.DataFrame:
    """The first FAILED failed points: where, and the note clipped."""
    bad = points[points["status"] == "failed"].head(FAILED)
    return pd.DataFrame({"method": bad["method"], "depth": bad["depth"], "width": bad["width"],
                         "batch": bad["batch"], "note": bad["message"].fillna("")}).pipe(fitted, "note")
