"""``nngrad compare``: two runs side by side, per-point time ratios B/A with their intervals and verdicts."""

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
    from ..results.compare import compare

    table, path = compare(args.run_a, args.run_b, output_folder(args.out))
    if Path(args.run_a).resolve() == Path(args.run_b).resolve():
        print("note: A and B are the same run: every ratio is 1 by construction", file=sys.stderr)
    where = ["device"] if table["device"].nunique() > 1 else []  # a run of several devices: say which
    print(table[["method", *where, "depth", "width", "batch", "median_s_a", "median_s_b", "ratio_b_over_a",
                 "verdict"]].to_string(index=False, float_format=lambda v: f"{v:.3g}", na_rep="-"))
    print(f"comparison: {path}")
    return 0


COMMAND = register(Command(
    "compare", "overlay two runs and tabulate per-point time ratios B/A",
    "Compare two runs (two machines, versions or batch sizes): overlay plot, per-point ratios B/A with a 95% "
    "bootstrap interval over each run's rounds, and the points whose whole interval lies beyond +-5% (slower or "
    "faster).", options, run))
