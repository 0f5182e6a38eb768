"""``nngrad memory``: peak memory of one training step (gradient + update) of each method against batch size and
depth, measured with tracemalloc beside the memory model's prediction; writes memory.csv, memory.png and report.md
into a new folder."""

from __future__ import annotations

import argparse
import sys

from .._words import plural
from . import Command, register
from .options import int_list, output_folder, positive_int


def method_labels(text: str) -> tuple[str, ...]:
    """'backprop,mezo' -> ('backprop', 'mezo'): the memory study's methods (nngrad.methods.memory.VARIANTS)."""
    from ..methods.memory import variants

    labels = tuple(v.strip() for v in text.split(",") if v.strip())
    try:
        variants(labels)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return labels


def options(p: argparse.ArgumentParser) -> None:
    from ..methods.memory import VARIANTS

    p.add_argument("--batches", type=int_list, default=(1, 16, 64, 256), help="batch sizes (default 1,16,64,256)")
    p.add_argument("--depths", type=int_list, default=(1, 5, 10), help="hidden depths (default 1,5,10)")
    p.add_argument("--width", type=positive_int, default=256, help="units per hidden layer, and inputs (default "
                   "%(default)s)")
    p.add_argument("--methods", type=method_labels, default=tuple(VARIANTS),
                   help=f"comma-separated, among {', '.join(VARIANTS)} (default: all)")
    p.add_argument("--k", type=positive_int, default=1, help="directions of the estimators (default %(default)s)")
    p.add_argument("--out", default="results", help="folder for the output folder (default %(default)s)")


def run(args: argparse.Namespace) -> int:
    from .._progress import progress_bar
    from ..methods.memory import grid
    from ..results.memory_report import target_rows, write
    from ..runfiles import new_run_dir

    root = output_folder(args.out)  # a bad place is refused before any work
    total = len(args.batches) * len(args.depths) * len(args.methods)
    print(f"nngrad memory: {plural(total, 'measurement')} of one step each (width {args.width})", file=sys.stderr)
    bar = progress_bar(total, True, "memory", "measurement")
    try:
        frame = grid(args.batches, args.depths, args.width, args.methods, args.k, bar)
    finally:
        if bar is not None:
            bar.close()
    out = new_run_dir(root, "memory")
    path = write(frame, out)
    if (targets := target_rows(frame)) is not None:
        print(targets.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"memory.csv, memory.png and {path.name} in {out}")
    return 0


COMMAND = register(Command(
    "memory", "peak memory of one training step per method against batch size and depth",
    "Peak memory of ONE training step (the method's gradient and the SGD update in place) of backprop, SPSA "
    "(stacked, and moving the weights in place), the forward gradient and MeZO's fused step, against batch size and "
    "depth: what the step allocates, measured with tracemalloc, beside each method's memory model (predicted from "
    "the shapes). Writes memory.csv, memory.png and report.md (with the ratio to backprop at batch 256, depth 10) "
    "into a new folder under --out.", options, run))
