"""``nngrad report``: rebuild the tables, plots and report.md of a stored run without re-running anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import Command, register
from .options import output_folder


def options(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="run folder or benchmark JSON file")
    p.add_argument("--out", help="output folder (default: the run folder; for a JSON file, FILE-report/ beside it)")


def run(args: argparse.Namespace) -> int:
    from ..results.load import load_run
    from ..results.report import build_report, unfinished

    run = load_run(args.run)
    print(f"report: {build_report(args.run, output_folder(args.out), run)}")
    if note := unfinished(run.points, Path(args.run)):
        print(f"note: {note}", file=sys.stderr)
    return 0


COMMAND = register(Command(
    "report", "rebuild summary, fits, plots and report.md of a stored run",
    "Rebuild summary.csv, fits.csv, the plots and report.md from a run folder or a pytest-benchmark JSON of nngrad's "
    "suite, without re-running anything.", options, run))
