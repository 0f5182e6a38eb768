"""No judgement and no test draws from numpy's global generator (np.random.rand, np.random.seed, ...): a test that
passes for one global seed and fails for another is a defect. The code and the tests draw from a seeded
np.random.default_rng (conftest's ``rng``). The few uses left are named here with why; tests/zoo is left out: it
imitates users' code, whose constructors draw from the global generator, and its cases redraw every array from
the case's own rng."""

import ast
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_GLOBAL = np.random.mtrand._rand  # the legacy API's functions are the bound methods of this one RandomState
LEGACY = {n for n in dir(np.random) if getattr(getattr(np.random, n), "__self__", None) is _GLOBAL} | {
    n for n in ("seed", "ranf", "sample") if hasattr(np.random, n)}
ALLOWED = {  # file: the legacy names it may use, and why
    "nngrad/check/randomness.py": {"get_state", "set_state"},  # puts the user's global state back after a check
    "tests/test_verdict_and_global_generator.py": {"seed", "get_state"},  # 100 global seeds, one verdict
    "tests/test_check_training_mode.py": {"rand", "seed", "get_state"},  # a user's dropout draws from it
    "tests/test_check_diagnoses.py": {"seed"},  # two global seeds that once changed a diagnosis
    "tests/test_check_findings.py": {"rand", "seed", "get_state"},  # a user's dropout; the state left as found
}


def legacy_uses(source: str) -> set[str]:
    """The legacy global-generator names a module's source uses: np.random.X, numpy.random.X, npr.X after
    ``import numpy.random as npr`` or ``from numpy import random``, and ``from numpy.random import X``."""
    tree = ast.parse(source)
    numpy_names, random_names, found = {"np", "numpy"}, set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    numpy_names.add(alias.asname or "numpy")
                elif alias.name == "numpy.random" and alias.asname:
                    random_names.add(alias.asname)
        elif isinstance(node, ast.ImportFrom) and node.module == "numpy":
            random_names |= {a.asname or a.name for a in node.names if a.name == "random"}
        elif isinstance(node, ast.ImportFrom) and node.module == "numpy.random":
            found |= {a.name for a in node.names if a.name in LEGACY}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in LEGACY:
            owner = node.value
            if (isinstance(owner, ast.Attribute) and owner.attr == "random" and isinstance(owner.value, ast.Name)
                    and owner.value.id in numpy_names) or (isinstance(owner, ast.Name) and owner.id in random_names):
                found.add(node.attr)
    return found


def _judged_files() -> list[Path]:
    return sorted([*(ROOT / "nngrad").rglob("*.py"), *(ROOT / "tests").glob("*.py")])


def test_no_module_or_test_draws_from_numpys_global_generator():
    uses = {str(f.relative_to(ROOT)): legacy_uses(f.read_text()) for f in _judged_files()}
    wrong = {f: sorted(names - ALLOWED.get(f, set())) for f, names in uses.items() if names - ALLOWED.get(f, set())}
    assert not wrong, f"draw from a seeded np.random.default_rng instead of numpy's global generator: {wrong}"
    stale = {f: sorted(names - uses.get(f, set())) for f, names in ALLOWED.items() if names - uses.get(f, set())}
    assert not stale, f"allowed but no longer used (remove them from ALLOWED): {stale}"


def test_every_spelling_of_the_global_generator_is_seen():
    spellings = {"np.random.rand(3)": {"rand"}, "import numpy\nnumpy.random.seed(0)": {"seed"},
                 "import numpy as xp\nxp.random.choice([1])": {"choice"},
                 "import numpy.random as npr\nnpr.randn(2)": {"randn"},
                 "from numpy import random as r\nr.shuffle(a)": {"shuffle"},
                 "from numpy.random import randint": {"randint"}}
    for source, names in spellings.items():
        assert legacy_uses(source) == names, source
    for fine in ("np.random.default_rng(0).random(3)", "rng = np.random.default_rng(1)\nrng.choice([1])",
                 "np.random.RandomState(0).rand(2)", "import random\nrandom.random()"):
        assert legacy_uses(fine) == set(), fine
