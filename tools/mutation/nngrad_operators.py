"""Cosmic Ray operators for the mistakes a tired developer makes in code that judges.

Registered as the operator provider ``nngrad`` (``tools/mutation/pyproject.toml``). Each operator is one small
class: where it applies (``mutation_positions``), what it writes there (``mutate``) and an example.

- ``ScaleConstant``: a float constant ten times larger or smaller (a tolerance, a floor, a threshold); an
  integer of at least 2 ten times larger.
- ``ShiftInteger``: an integer constant one larger or smaller (a count or an index moved by one).
- ``MoveBoundary``: ``<`` for ``<=``, ``>`` for ``>=`` and back, ``==`` for ``!=``, ``is`` for ``is not``,
  ``in`` for ``not in`` (a boundary moved by one, a condition negated).
- ``FlipComparison``: ``<`` for ``>=`` and the like (a rule's direction reversed).
- ``DropTerm``: ``a + b`` becomes ``a`` (each operand after an operator is dropped once, and the first
  operand of a sum or product too): a term left out.
- ``SwapReduction``: ``any`` for ``all``, ``max`` for ``min``, ``.max()`` for ``.mean()``: a rule's scope.
- ``DropCall``: a statement that is only a call (``rng.set_state(s)``) does nothing: state not restored.

Flipped defaults come from Cosmic Ray's own ``core/ReplaceTrueWithFalse`` and ``core/ReplaceFalseWithTrue``
(a default is a constant like any other) and from the numeric operators above.
"""

from __future__ import annotations

import parso
from cosmic_ray.operators.operator import Example, Operator


def _number(node) -> object | None:
    """The value of a plain int or float literal (not complex), or None."""
    if node.type != "number" or node.value.lower().endswith("j"):
        return None
    return eval(node.value)  # noqa: S307 - a numeric literal


def _literal(value: object) -> str:
    if isinstance(value, int):
        return repr(value)
    text = f"{value:.6g}"
    return text if any(c in text for c in ".en") else text + ".0"  # a float stays a float


def _replace_leaf(node, code: str):
    """A node that reads ``code`` where ``node`` was, keeping what precedes it (spaces, a comment)."""
    return parso.parse(node.get_first_leaf().prefix + code)


class _NodeRewrite(Operator):
    """An operator that writes each text of ``rewrites(node)`` in place of ``node``, one mutant each."""

    @staticmethod
    def rewrites(node) -> list[str]:
        raise NotImplementedError

    def mutation_positions(self, node):
        for _ in self.rewrites(node):
            yield node.start_pos, node.end_pos

    def mutate(self, node, index):
        return _replace_leaf(node, self.rewrites(node)[index])


def _scalings(node) -> list[str]:
    value = _number(node)
    if isinstance(value, float) and value != 0.0:
        return [_literal(value * 10), _literal(value / 10)]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 2:
        return [_literal(value * 10)]
    return []


class ScaleConstant(_NodeRewrite):
    """A float constant times 10 or divided by 10; an integer of at least 2 times 10."""

    rewrites = staticmethod(_scalings)

    @classmethod
    def examples(cls):
        return (Example("x = 1e-6", "x = 1e-05"), Example("x = 1e-6", "x = 1e-07", occurrence=1),
                Example("x = 4", "x = 40"))


class ShiftInteger(_NodeRewrite):
    """An integer constant plus or minus one."""

    @staticmethod
    def rewrites(node) -> list[str]:
        value = _number(node)
        return [str(value + 1), str(value - 1)] if isinstance(value, int) else []

    @classmethod
    def examples(cls):
        return (Example("x = 100", "x = 101"), Example("x = 100", "x = 99", occurrence=1))


def _comparison_operator(table: dict[str, str]):
    """An operator that rewrites each comparison operator found in ``table`` to its entry."""

    class Rewrite(Operator):
        TABLE = table

        def mutation_positions(self, node):
            for _, op in self._points(node):
                yield op.start_pos, op.end_pos

        def mutate(self, node, index):
            i, op = list(self._points(node))[index]
            node.children[i] = parso.parse(op.get_first_leaf().prefix + self.TABLE[_code(op)])
            return node

        @classmethod
        def _points(cls, node):
            if node.type == "comparison":
                for i in range(1, len(node.children), 2):
                    if _code(node.children[i]) in cls.TABLE:
                        yield i, node.children[i]

        @classmethod
        def examples(cls):
            first = next(iter(cls.TABLE))
            return (Example(f"x {first} y", f"x {cls.TABLE[first]} y"),)

    return Rewrite


def _code(op) -> str:
    return " ".join(op.get_code().split())


MoveBoundary = type("MoveBoundary", (_comparison_operator({
    "<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==",
    "is": "is not", "is not": "is", "in": "not in", "not in": "in"}),),
    {"__doc__": "A boundary moved by one (< for <=) or an equality negated."})
FlipComparison = type("FlipComparison", (_comparison_operator({
    "<": ">=", "<=": ">", ">": "<=", ">=": "<"}),),
    {"__doc__": "An order comparison reversed (< for >=): the rule's direction."})


def _term_drops(node) -> list[str]:
    """A sum or a product's text without each droppable operand in turn."""
    if node.type not in ("arith_expr", "term"):
        return []
    drops = [(i, i + 1) for i in range(1, len(node.children), 2)]  # "op operand" after the first
    if _code(node.children[1]) in ("+", "*"):
        drops.append((0, 1))  # the first operand and the operator after it
    return ["".join(c.get_code() for c in node.children[:first] + node.children[last + 1:]).strip()
            for first, last in drops]


class DropTerm(_NodeRewrite):
    """One operand of a sum, difference, product or quotient left out."""

    rewrites = staticmethod(_term_drops)

    @classmethod
    def examples(cls):
        return (Example("x = a + b", "x = a"), Example("x = a + b", "x = b", occurrence=1),
                Example("x = a / b", "x = a"))


SWAPS = {"any": "all", "all": "any", "max": "min", "min": "max", "amax": "amin", "amin": "amax",
         "nanmax": "nanmin", "nanmin": "nanmax"}


def _reductions(node) -> list[str]:
    if node.type != "name":
        return []
    out = [SWAPS[node.value]] if node.value in SWAPS else []
    prev = node.get_previous_leaf()
    if node.value in ("max", "amax", "nanmax") and prev is not None and prev.value == ".":
        out.append("mean")  # the worst replaced by the average
    return out


class SwapReduction(_NodeRewrite):
    """any for all, max for min, a worst (.max) for a mean: the scope of a rule changed."""

    rewrites = staticmethod(_reductions)

    @classmethod
    def examples(cls):
        return (Example("x = any(v)", "x = all(v)"), Example("x = np.max(v)", "x = np.min(v)"),
                Example("x = np.max(v)", "x = np.mean(v)", occurrence=1))


def _is_call_statement(node) -> bool:
    """A statement that is a call and nothing else (its value unused)."""
    return (node.type in ("atom_expr", "power") and node.parent is not None
            and node.parent.type == "simple_stmt" and node.children[-1].type == "trailer"
            and node.children[-1].children[0].value == "(")


class DropCall(_NodeRewrite):
    """A statement that only calls something does nothing instead (state not set or not restored)."""

    @staticmethod
    def rewrites(node) -> list[str]:
        return ["None"] if _is_call_statement(node) else []

    @classmethod
    def examples(cls):
        return (Example("rng.set_state(s)\n", "None\n"),)


_OPERATORS = {op.__name__: op for op in (ScaleConstant, ShiftInteger, MoveBoundary, FlipComparison, DropTerm,
                                          SwapReduction, DropCall)}


class Provider:
    """The ``nngrad`` operator provider: its operators by name."""

    def __iter__(self):
        return iter(_OPERATORS)

    def __getitem__(self, name: str):
        return _OPERATORS[name]
