"""`nngrad bench` stopped by a signal, for real: a sweep of a method that sleeps (so that it lasts, whatever the
machine's speed) started in a subprocess, signalled once its first point is recorded. It stops within the point
being timed, keeps what finished, writes the report of it, says how to resume and exits 128 + the signal."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nngrad import runfiles

TESTS = Path(__file__).resolve().parent
WIDTHS = range(2, 42)  # 40 networks of a 0.05 s gradient: 20 s of sleep and more uninterrupted
GENEROUS_S = 120  # a bound for a loaded machine, not a measurement: stopping takes a point and a small report


def _start(out: Path) -> subprocess.Popen:
    # SIGINT ignored, as a shell script's `nngrad bench &` inherits it (and these tests do when run so): `trap ""
    # INT` then exec keeps it ignored (a preexec_fn would fork a process that may hold JAX's threads)
    cmd = ["sh", "-c", 'trap "" INT; exec "$0" "$@"', sys.executable, "-m", "nngrad", "bench",
           "--import", str(TESTS / "sleepy_method.py"), "--methods", "sleepy", "--depths", "1",
           "--widths", ",".join(map(str, WIDTHS)), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), os.environ.get("PYTHONPATH", "")])}
    # a session of its own: the group signal below reaches nngrad's group only, as a terminal's Ctrl-C would
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _first_point(out: Path, bench: subprocess.Popen) -> Path:
    """The run folder, once its first point is recorded (the bench still running)."""
    deadline = time.monotonic() + 5 * GENEROUS_S
    while time.monotonic() < deadline:
        assert bench.poll() is None, bench.communicate()
        runs = list(out.glob("run-*"))
        if runs and runfiles.read_points(runs[0]):
            return runs[0]
        time.sleep(0.05)
    bench.kill()
    pytest.fail("no point recorded")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc to find the suite's process")
@pytest.mark.parametrize("signum, to_group", [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["kill -INT pid", "Ctrl-C to the group", "kill -TERM pid"])
def test_a_signal_to_bench_stops_the_suite_keeps_and_reports_what_finished(tmp_path, signum, to_group):
    """Kills: SIGINT sent to nngrad alone not forwarded to the suite (it ran on to the last point, then 'interrupted:
    492 of 492'); a terminal's Ctrl-C delivered to the suite twice (nngrad's forward and the terminal's own: the
    suite in nngrad's process group); no report after an interrupt; SIGTERM ending nngrad without its message."""
    bench = _start(tmp_path)
    run = _first_point(tmp_path, bench)
    suites = _children(bench.pid)
    assert suites and all(os.getpgid(s) != os.getpgid(bench.pid) for s in suites)  # a Ctrl-C reaches nngrad alone
    (os.killpg if to_group else os.kill)(bench.pid, signum)
    try:
        _, err = bench.communicate(timeout=GENEROUS_S)
    except subprocess.TimeoutExpired:
        os.killpg(bench.pid, signal.SIGKILL)
        raise
    assert bench.returncode == 128 + signum, err
    counts = runfiles.count_points(run)
    assert counts.finished < counts.to_time / 2, counts  # stopped, not run on: 40 points took 20 s of sleep at least
    what = "interrupted" if signum == signal.SIGINT else "stopped by SIGTERM"
    assert f"nngrad bench: {what}: {counts}; kept in" in err and f"nngrad bench --resume {run}" in err
    assert f"report of what finished: {run / 'report.md'}" in err
    assert f"Unfinished run: {counts}" in (run / "report.md").read_text()
    log = (run / "pytest.log").read_text()
    if signum == signal.SIGINT:  # pytest stopped once, cleanly: not two interrupts, one in its teardown
        assert log.count("!!! KeyboardInterrupt !!!") == 1 and "Traceback" not in log, log
    assert not (run / f"{runfiles.BENCHMARK_JSON}.part").exists()
