from pathlib import Path

from nngrad.methods import gradient_methods, registered, unregister

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_test_command_of_the_readme():
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert "pytest" in ci_command
    assert ci_command in (ROOT / "README.md").read_text()


def python_blocks(path: Path) -> list[str]:
    return [b.split("```", 1)[0] for b in path.read_text().split("```python\n")[1:]]


def test_the_api_tour_and_the_extension_examples_run():
    from nngrad.model.activations import ACTIVATIONS

    blocks = [(page, b) for page in (ROOT / "README.md", ROOT / "docs" / "extending.md") for b in python_blocks(page)]
    assert len(blocks) >= 4
    before, activations = set(registered()), dict(ACTIVATIONS)
    try:
        for page, block in blocks:
            exec(compile(block, str(page.name), "exec"), {})  # noqa: S102 - our own docs
        assert set(registered()) - before == {"mine"}  # the method of one's own is registered
        assert gradient_methods()[-1] == "mine"
        assert ACTIVATIONS["tanh"] is not activations["tanh"]  # the example's tanh registered in its place
    finally:
        for name in set(registered()) - before:
            unregister(name)
        ACTIVATIONS.clear()
        ACTIVATIONS.update(activations)
