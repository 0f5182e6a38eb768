from pathlib import Path

from nngrad.methods import gradient_methods, registered, unregister

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_test_command_of_the_readme():
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert "pytest" in ci_command
    assert ci_command in (ROOT / "README.md").read_text()


def test_the_api_tour_runs():
    text = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    assert blocks
    before = set(registered())
    try:
        for block in blocks:
            exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - our own README
        assert set(registered()) - before == {"mine"}  # the method of one's own is registered
        assert gradient_methods()[-1] == "mine"
    finally:
        for name in set(registered()) - before:
            unregister(name)
