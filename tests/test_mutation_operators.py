"""The mutation tool's own operators (tools/mutation/nngrad_operators.py) write the mutant each one promises: a
survivor count means something only if the operators made the mutants they are named for. Skipped without Cosmic
Ray (`pip install -e tools/mutation`)."""

import pytest

pytest.importorskip("cosmic_ray")
nngrad_operators = pytest.importorskip("nngrad_operators")
from cosmic_ray.mutating import mutate_code  # noqa: E402

SOURCE = """def judge(err, tol=1e-6, strict=True, n=100):
    if err < tol and n not in seen:
        worst = a + 2 * b - c
        rng.set_state(state)
    return np.abs(err).max() > 0.5 or any(flags)
"""

# operator -> every line it changes in SOURCE, in the order of its occurrences
EXPECTED = {
    "ScaleConstant": ["def judge(err, tol=1e-05, strict=True, n=100):", "def judge(err, tol=1e-07, strict=True, n=100):",
                      "def judge(err, tol=1e-6, strict=True, n=1000):", "        worst = a + 20 * b - c",
                      "    return np.abs(err).max() > 5.0 or any(flags)",
                      "    return np.abs(err).max() > 0.05 or any(flags)"],
    "ShiftInteger": ["def judge(err, tol=1e-6, strict=True, n=101):", "def judge(err, tol=1e-6, strict=True, n=99):",
                     "        worst = a + 3 * b - c", "        worst = a + 1 * b - c"],
    "MoveBoundary": ["    if err <= tol and n not in seen:", "    if err < tol and n in seen:",
                     "    return np.abs(err).max() >= 0.5 or any(flags)"],
    "FlipComparison": ["    if err >= tol and n not in seen:", "    return np.abs(err).max() <= 0.5 or any(flags)"],
    "DropTerm": ["        worst = a - c", "        worst = a + 2 * b", "        worst = 2 * b - c",
                 "        worst = a + 2 - c", "        worst = a + b - c"],
    "SwapReduction": ["    return np.abs(err).min() > 0.5 or any(flags)", "    return np.abs(err).mean() > 0.5 or any(flags)",
                      "    return np.abs(err).max() > 0.5 or all(flags)"],
    "DropCall": ["        None"],
}


def _changed(operator: str, occurrence: int) -> list[str] | None:
    mutant = mutate_code(SOURCE, nngrad_operators.Provider()[operator](), occurrence)
    if mutant is None:
        return None
    return [new for new, old in zip(mutant.splitlines(), SOURCE.splitlines()) if new != old]


@pytest.mark.parametrize("operator", sorted(EXPECTED))
def test_each_operator_makes_exactly_the_mutants_it_is_named_for(operator):
    made = []
    while (lines := _changed(operator, len(made))) is not None:
        made.append(lines)
    assert made == [[line] for line in EXPECTED[operator]]


def test_the_provider_names_every_operator_once():
    assert sorted(nngrad_operators.Provider()) == sorted(EXPECTED)
