"""nngrad installed as users install it (not editable: a wheel built from the checkout) finds its benchmark suite
and runs it from any folder."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A non-editable install of this checkout (pip builds a wheel and installs it) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                           str(ROOT)], check=False, capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"pip install of the checkout failed:\n{done.stderr[-2000:]}")
    return target


def run_installed(installed: Path, cwd: Path, *code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    return subprocess.run([sys.executable, *code], check=False, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_installed_package_carries_its_suite(installed, tmp_path):
    done = run_installed(installed, tmp_path, "-c", "import nngrad.sweep.runner as r; print(r.SUITE, r.SUITE.exists())")
    suite, exists = done.stdout.split()
    assert Path(suite).is_relative_to(installed) and exists == "True", done.stderr


def test_nngrad_bench_runs_from_a_non_editable_install_in_any_folder(installed, tmp_path):
    done = run_installed(installed, tmp_path, "-m", "nngrad", "bench", "--depths", "1", "--widths", "3",
                         "--methods", "forward,backprop", "--out", "runs")
    assert done.returncode == 0, done.stderr[-2000:]
    (run,) = (tmp_path / "runs").iterdir()
    assert (run / "benchmark.json").exists() and (run / "report.md").exists()
    assert "nngrad/sweep/suite/test_gradients.py::test_gradient[backprop-d1-w3-b16]" in (run / "benchmark.json").read_text()
