"""tools/mutation/mutate.py runs, for a mutant of a judging module, only the tests its MODULES map names: a test
file that imports the module and is left out makes its kills read as survivals (results/fits.py lacked
tests/test_mutations.py, the only file that killed two of its mutants). Every test file importing a judging
module is named for it: whole, or by each of its tests that uses what it imports."""

import ast
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> dict[str, list[str]]:
    spec = importlib.util.spec_from_file_location("_mutation_mutate", ROOT / "tools" / "mutation" / "mutate.py")
    mutate = sys.modules.setdefault("_mutation_mutate", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(mutate)
    return mutate.MODULES


def imported_names(tree: ast.Module, module: str) -> set[str] | None:
    """The names a test file binds from ``module`` ("nngrad.results.fits"), {"*"} for ``import nngrad.results.fits``
    (any test may use it), None when it does not import it."""
    package, _, name = module.rpartition(".")
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == package:
            names |= {a.asname or a.name for a in node.names if a.name == name}
        elif isinstance(node, ast.Import) and any(a.name == module for a in node.names):
            names.add("*")
    return names or None


def _tests_using(tree: ast.Module, names: set[str]) -> set[str]:
    """The top-level tests (``def test_*``) of a file that use any of ``names``."""
    return {f.name for f in tree.body if isinstance(f, ast.FunctionDef) and f.name.startswith("test_") and (
        "*" in names or any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(f)))}


def unmapped(modules: dict[str, list[str]], test_files: list[Path]) -> dict[str, list[str]]:
    """For each judging module, the test files (or file::test) importing it that its entry leaves out."""
    trees = {f"tests/{f.name}": ast.parse(f.read_text()) for f in test_files}
    out = {}
    for module, entries in modules.items():
        whole = {e for e in entries if "::" not in e}
        named = {e for e in entries if "::" in e}
        dotted = module.removesuffix(".py").replace("/", ".")
        missing = []
        for file, tree in trees.items():
            if file in whole or (names := imported_names(tree, dotted)) is None:
                continue
            used = _tests_using(tree, names) or {"(the file)"}
            missing += [f"{file}::{t}" for t in sorted(used) if f"{file}::{t}" not in named]
        if missing:
            out[module] = missing
    return out


def test_every_test_file_importing_a_judging_module_is_run_on_its_mutants():
    missing = unmapped(_modules(), sorted((ROOT / "tests").glob("test_*.py")))
    assert not missing, f"add to tools/mutation/mutate.py's MODULES: {missing}"


def test_a_test_file_left_out_of_a_modules_entry_is_found(tmp_path):
    (tmp_path / "test_a.py").write_text("from nngrad.results.fits import power_fit\n\n"
                                        "def test_fit():\n    power_fit\n\ndef test_other():\n    pass\n")
    (tmp_path / "test_b.py").write_text("from nngrad.results import fits\n\ndef test_b():\n    fits\n")
    files = sorted(tmp_path.glob("test_*.py"))
    assert unmapped({"nngrad/results/fits.py": ["tests/test_b.py"]}, files) == {
        "nngrad/results/fits.py": ["tests/test_a.py::test_fit"]}
    assert unmapped({"nngrad/results/fits.py": ["tests/test_a.py::test_fit", "tests/test_b.py"]}, files) == {}
