"""The notebooks of docs/notebooks run: each in a fresh kernel (nbclient, the ``test`` extra), no cell errs, and
the words the lesson stands on appear in their outputs; they are stored without outputs."""

import json
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "notebooks"
NOTEBOOKS = ["lesson.ipynb", "is_my_backward_right.ipynb", "race.ipynb"]
CELL_TIMEOUT = 120  # seconds a cell may take: a bound on a hang, not a measure of speed


def _run(name: str) -> str:
    """Execute the notebook ``name`` in a fresh kernel in its folder; returns all its text outputs, joined."""
    nbformat = pytest.importorskip("nbformat", reason="the notebooks run with nbformat: pip install -e '.[test]'")
    nbclient = pytest.importorskip("nbclient", reason="the notebooks run with nbclient: pip install -e '.[test]'")
    pytest.importorskip("ipykernel", reason="the notebooks need a Python kernel: pip install -e '.[test]'")
    nb = nbformat.read(FOLDER / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(FOLDER)}}).execute()  # raises on a cell's error
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{name}: {out.get('ename')}: {out.get('evalue')}"
            texts.append(out.get("text", "") + out.get("data", {}).get("text/plain", ""))
            if "image/png" in out.get("data", {}):
                texts.append("<image/png>")
    return "\n".join(texts)


def test_the_lesson_times_both_methods_shows_they_agree_and_draws_the_cost():
    text = _run("lesson.ipynb")
    for depth in (5, 10):
        assert f"depth {depth}, N = " in text and "times backprop's time" in text
        assert f"depth {depth}: nngrad's check: PASS" in text, text
    assert "<image/png>" in text


def test_is_my_backward_right_finds_each_classic_mistake_and_passes_each_fix():
    text = _run("is_my_backward_right.ipynb")
    assert "np.exp(-1) for np.exp(-x)?" in text  # the sigmoid with exp(-1)
    assert "dout-modified: backward changed the dout it was given, in place" in text  # the ReLU
    assert text.count("4 times the numerical gradient") == 2  # the softmax loss, layer and function
    assert text.count("result: FAIL") == 4
    for fixed in ("FixedSigmoid", "FixedRelu", "FixedSoftmaxWithLoss"):
        assert f"{fixed}: PASS" in text


def test_the_race_reads_the_reference_race_and_runs_a_tiny_one_live():
    pytest.importorskip("sklearn", reason="the race on digits needs scikit-learn: pip install -e '.[data]'")
    text = _run("race.ipynb")
    assert "T90 (90% of backprop's loss reduction): train loss <= 0.238" in text  # the stored reference race
    assert "backprop (lr 0.3): T90 reached after" in text and "spsa (lr " in text
    assert text.count("<image/png>") == 2


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_stored_without_outputs(name):
    cells = json.loads((FOLDER / name).read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
