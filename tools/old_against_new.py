"""numpy methods, old against new: interleaved runs of two nngrad source trees, one process per tree and round, the
order alternating, each process timing the same methods at the same networks (the median over repeats of each
call's mean); prints each point's median of per-round ratios new / old.

    git worktree add /tmp/old <commit>
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python tools/old_against_new.py /tmp/old . --rounds 6
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

POINTS = [(5, 32, 1), (5, 32, 16), (5, 32, 64), (3, 128, 64)]
METHODS = ["forward", "backprop", "numerical-batched", "forward-mode", "complex-step"]
CHEAP_ONLY = {(3, 128, 64)}  # only forward and backprop there: the O(N) methods take seconds a call
TIMER = """
import json, time
import numpy as np
from nngrad.methods import get
from nngrad.sweep.networks import build
out = {}
for d, w, b in POINTS:
    net, x, y = build(d, w, b)
    for m in METHODS[:2] if (d, w, b) in CHEAP_ONLY else METHODS:
        call = get(m).prepare(net, *net.check_data(x, y))
        call()
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < 0.02:
            call(); n += 1
        times = []
        for _ in range(9):
            t0 = time.perf_counter()
            for _ in range(n):
                call()
            times.append((time.perf_counter() - t0) / n)
        out[f"{m} d{d} w{w} b{b}"] = float(np.median(times))
print(json.dumps(out))
"""


def timed(tree: str) -> dict[str, float]:
    """Seconds per call at each point, by the nngrad in ``tree`` (a fresh process)."""
    code = f"POINTS = {POINTS!r}\nMETHODS = {METHODS!r}\nCHEAP_ONLY = {CHEAP_ONLY!r}\n{TIMER}"
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
    return json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                                     text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the old nngrad source tree (a git worktree)")
    parser.add_argument("new", help="the new nngrad source tree")
    parser.add_argument("--rounds", type=int, default=6, help="rounds, each timing both trees (default 6)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    rounds = []
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        rounds.append({v: timed(getattr(args, v)) for v in order})
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    print(f"{'point':32s} {'old µs':>10s} {'new µs':>10s} {'new/old':>8s}  per round")
    for key in rounds[0]["old"]:
        old, new = ([t[v][key] for t in rounds] for v in ("old", "new"))
        ratios = [n / o for o, n in zip(old, new)]
        print(f"{key:32s} {statistics.median(old) * 1e6:10.1f} {statistics.median(new) * 1e6:10.1f} "
              f"{statistics.median(ratios):8.3f}  {' '.join(f'{x:.2f}' for x in ratios)}")


if __name__ == "__main__":
    main()
