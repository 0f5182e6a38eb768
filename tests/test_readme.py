"""The README is a front page and the docs say what the code does: every code block runs, the methods table is the
registry's, every relative link leads somewhere, and CI runs the README's test command."""

import re
from pathlib import Path

import pytest

from nngrad.methods import gradient_methods, registered, unregister

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks(path: Path) -> list[str]:
    return [b.split("```", 1)[0] for b in path.read_text().split("```python\n")[1:]]


def test_ci_runs_the_test_command_of_the_readme_then_the_tests_that_need_the_peers_or_numba():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    first = next(k for k, line in enumerate(lines) if "pytest" in line)
    assert lines[first] in (ROOT / "README.md").read_text()  # the README's test command, literally
    peers = next(k for k, line in enumerate(lines) if "[test,data,peers,fast]" in line)  # then the peers and numba
    assert first < peers and any("pytest" in line and "tests[@]" in line for line in lines[peers:])


def test_the_readme_is_a_front_page():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


def test_every_code_block_of_the_readme_and_the_docs_runs(tmp_path, monkeypatch):
    from nngrad.model.activations import ACTIVATIONS

    (tmp_path / "results").mkdir()  # the blocks' own runs go here, not into the checkout's results/
    for stored in ("reference", "reference-race"):  # the runs they read
        (tmp_path / "results" / stored).symlink_to(ROOT / "results" / stored)
    monkeypatch.chdir(tmp_path)
    blocks = [(page, b) for page in PAGES for b in python_blocks(page)]
    assert len(blocks) >= 5
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


def test_the_methods_table_is_the_registrys():
    text = (ROOT / "docs" / "methods.md").read_text()
    listed = {n for row in re.findall(r"^\| (`[^|]+`) \|", text, re.MULTILINE) for n in re.findall(r"`([^`]+)`", row)}
    assert listed == set(registered())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_leads_somewhere(page):
    for target in re.findall(r"\]\(([^)#]+)\)", page.read_text()):
        if not target.startswith(("http://", "https://")):
            assert (page.parent / target).exists(), f"{page.name}: {target}"


def _extras() -> dict[str, set[str]]:
    """Import name -> the optional extras of pyproject.toml that install it (array-api-strict -> {"test"})."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    out: dict[str, set[str]] = {}
    for extra, reqs in extras.items():
        for req in reqs:
            out.setdefault(re.split(r"[<>=\[ ]", req)[0].replace("-", "_"), set()).add(extra)
    return out


def _code(block: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in block.splitlines())


def test_a_code_block_that_needs_an_optional_package_names_the_extra_that_installs_it():
    """A block imports the package, or names it as a string (backend="array_api_strict"): it says how to get it."""
    needs = [(page.name, package) for page in PAGES for block in python_blocks(page)
             for package, extras in _extras().items()
             if re.search(rf"(import|from)\s+{package}\b|[\"']{package}[\"']", _code(block))
             and not any(f"[{extra}]" in block for extra in extras)]
    assert not needs, needs


def test_no_comment_in_a_runnable_block_says_its_line_raises():
    """Every block runs to its end, so a comment opening with an exception's name misreads its line."""
    wrong = [(page.name, line.strip()) for page in PAGES for block in python_blocks(page) for line in block.splitlines()
             if re.search(r"#\s*[A-Z]\w*(Error|Exception)\b", line)]
    assert not wrong, wrong


def test_a_test_file_skipped_whole_for_want_of_numba_is_listed_for_ci_to_run_again(monkeypatch):
    import types

    import conftest

    monkeypatch.setattr(conftest, "_peer_skips", [])
    numba = ("tests/test_x.py", 20, "Skipped: could not import 'numba': No module named")
    cuda = ("tests/test_y.py", 3, "Skipped: needs a CUDA device")
    conftest.pytest_collectreport(types.SimpleNamespace(skipped=True, nodeid="tests/test_x.py", longrepr=numba))
    conftest.pytest_collectreport(types.SimpleNamespace(skipped=True, nodeid="tests/test_y.py", longrepr=cuda))
    assert conftest._peer_skips == ["tests/test_x.py"]
