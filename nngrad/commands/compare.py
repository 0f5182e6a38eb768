"""``nngrad compare``: two runs side by side, per-point time ratios B/A with their intervals and verdicts; the runs'
state (busy, unfinished, flagged points) printed first."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import Command, register
from .options import output_folder


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_a", metavar="RUN_A", help="the baseline run (folder or JSON)")
    p.add_argument("run_b", metavar="RUN_B", help="the run compared against it")
    p.add_argument("--out", help="output folder (default: RUN_B/compare-<A>)")


def run(args: argparse.Namespace) -> int:
    from ..results.compare import comparison, default_out, one_run_only, write

    out = output_folder(args.out)
    c = comparison(args.run_a, args.run_b)
    path = write(c, Path(out) if out else default_out(args.run_a, args.run_b, c))
    if c.same:
        print("note: A and B are the same run: every ratio is 1 by construction", file=sys.stderr)
    print("\n".join(c.lines()))  # the runs' state first: busy, unfinished, flagged points
    print(c.shown(c.methods).to_string(index=False, float_format=lambda v: f"{v:.3g}", na_rep="-"))
    if alone := one_run_only(c):
        print(f"measured in one run only (no verdict possible): {alone}")
    print(f"comparison: {path} (every point, with its verdict, in compare.csv)")
    return 0


COMMAND = register(Command(
    "compare", "overlay two runs and tabulate per-point time ratios B/A",
    "Compare two runs (two machines, versions or batch sizes): overlay plot, per-point ratios B/A with a 95% "
    "bootstrap interval over each run's rounds, the points whose whole interval lies beyond +-5% (slower or "
    "faster) and a verdict per method. What each run says of itself comes first: a busy run makes the verdicts "
    "that involve it inconclusive, a point its run flagged takes part in no verdict, and a point an unfinished "
    "run did not time is not compared; each such row says why.", options, run))
