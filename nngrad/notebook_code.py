"""A Jupyter notebook's definitions as a module: from its code cells, the imports, functions, classes and
constants (NAME = literals, or simple expressions of literals and names already taken), each top-level statement
kept or dropped by its form; loops, calls at top level, prints, training and IPython's magics and shell lines are
never run. Cells are numbered as the notebook shows them, from 1, markdown cells included."""

from __future__ import annotations

import ast
import builtins
import json
import linecache
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

from ._words import plural
from .errors import InvalidValue


MAGIC = re.compile(r"^\s*([%!]|[\w, ]+=\s*[%!])")  # %timeit ..., !pip ..., files = !ls, t = %time f()


class NotebookError(InvalidValue):
    """The notebook cannot be read or its definitions not taken: the message says which cell and line."""


@dataclass
class Taken:
    """What was taken from a notebook: the cells that gave definitions, and per cell what was left out."""

    path: Path
    took: list[int] = field(default_factory=list)
    skipped: dict[int, list[str]] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)  # a name assigned by a statement not run: its cell

    def why_missing(self, name: str) -> str:
        """"; cell 5 assigns Relu in a statement that is not run (...)" where it does, else ""."""
        if name not in self.left_out:
            return ""
        return (f"; cell {self.left_out[name]} assigns {name} in a statement that is not run (only imports, def, "
                "class and constants of literals are taken)")

    def __str__(self) -> str:
        took = (f"took definitions from {'cell' if len(self.took) == 1 else 'cells'} "
                f"{', '.join(map(str, self.took))} of {self.path.name}" if self.took
                else f"took no definitions from {self.path.name}")
        if not self.skipped:
            return took
        return took + "; skipped " + ", ".join(f"cell {n}'s {_counted(kinds)}" for n, kinds in self.skipped.items())


def load(path: Path, name: str | None = None) -> tuple[types.ModuleType, Taken]:
    """The module of ``path``'s definitions (named ``name``, by default after the file) and what was taken."""
    cells = code_cells(path)
    module = types.ModuleType(name or f"nngrad_notebook_{path.stem.replace('-', '_').replace(' ', '_')}")
    module.__file__ = str(path)
    taken, names = Taken(path), set(dir(builtins))
    sys.modules[module.__name__] = module  # classes' __module__ resolves (pickle, inspect)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # the notebook may import its neighbours
    try:
        for number, source in cells:
            _run_cell(module, taken, names, number, source)
    finally:
        sys.path.remove(folder)
    return module, taken


def code_cells(path: Path) -> list[tuple[int, str]]:
    """(cell number from 1, source) of each code cell of the nbformat-4 notebook at ``path``."""
    if not path.is_file():
        raise NotebookError(f"no such notebook: {path}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookError(f"{path} is not a notebook: not JSON ({exc})") from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise NotebookError(f"{path} is not a notebook: nbformat 4 JSON has a list of cells, this has none")
    out = []
    for number, cell in enumerate(cells, 1):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"{path} is not a notebook: cell {number}'s source is neither text nor lines")
        if cell.get("cell_type") == "code":
            out.append((number, source))
    return out


def _run_cell(module: types.ModuleType, taken: Taken, names: set[str], number: int, source: str) -> None:
    skipped: list[str] = []
    if source.lstrip().startswith("%%"):  # a cell magic: the cell is not Python
        taken.skipped[number] = ["cell magic"]
        return
    lines = source.splitlines()
    magic = [i for i, line in enumerate(lines) if MAGIC.match(line)]
    skipped += ["magic line"] * len(magic)
    python = "\n".join("" if i in magic else line for i, line in enumerate(lines))
    filename = f"{taken.path.name} cell {number}"
    try:
        tree = ast.parse(python, filename=filename)
    except SyntaxError as exc:
        text = (exc.text or "").strip()
        raise NotebookError(f"cell {number} of {taken.path} does not parse: line {exc.lineno}: {exc.msg}"
                            + (f" ({text})" if text else "")) from None
    kept = []
    for statement in tree.body:
        kind = _kept(statement, names)
        if kind and kind.startswith("assignment to "):
            taken.left_out.update((n, number) for n in kind.removeprefix("assignment to ").split(", "))
        if kind is None:
            kept.append(statement)
        elif kind:
            skipped.append(kind)
    if skipped:
        taken.skipped[number] = skipped
    if not kept:
        return
    taken.took.append(number)
    linecache.cache[filename] = (len(python), None, [line + "\n" for line in python.splitlines()], filename)
    code = compile(ast.Module(body=kept, type_ignores=[]), filename, "exec")
    try:
        exec(code, module.__dict__)  # noqa: S102 - definitions only: imports, def, class, constants
    except Exception as exc:  # noqa: BLE001 - the user's imports and decorators may raise anything
        from .user_code import where
        raise NotebookError(f"the definitions of cell {number} of {taken.path} raised {type(exc).__name__}: "
                            f"{exc}{where(exc)}") from None


def _kept(statement: ast.stmt, names: set[str]) -> str | None:
    """None when ``statement`` is a definition (taken; its names join ``names``); else what it is, in words
    ("" for a docstring, left out without a word)."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        names.update((a.asname or a.name).split(".")[0] for a in statement.names)
        return None
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(statement.name)
        return None
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        bound = [n for t in targets for n in _names(t)]
        if bound and statement.value is not None and _constant(statement.value, names):
            names.update(bound)
            return None
        return f"assignment to {', '.join(bound)}" if bound else "assignment"
    if isinstance(statement, ast.Expr):
        if isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str):
            return ""
        return "call" if isinstance(statement.value, ast.Call) else "expression"
    if isinstance(statement, (ast.For, ast.While, ast.AsyncFor)):
        return "loop"
    return f"{type(statement).__name__.lower()} statement"


def _names(target: ast.expr) -> list[str]:
    """The names a plain assignment target binds (a, or a, b); [] for anything else (x[0] = ..., obj.a = ...)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        inner = [_names(e) for e in target.elts]
        return [n for i in inner for n in i] if all(inner) else []
    return []


def _constant(value: ast.expr, names: set[str]) -> bool:
    """Literals, names already taken (and their attributes), and operators, containers of those; no calls."""
    if isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.Name):
        return value.id in names
    if isinstance(value, ast.Attribute):
        return _constant(value.value, names) and not isinstance(value.value, ast.Constant)
    if isinstance(value, ast.UnaryOp):
        return _constant(value.operand, names)
    if isinstance(value, ast.BinOp):
        return _constant(value.left, names) and _constant(value.right, names)
    if isinstance(value, (ast.Tuple, ast.List, ast.Set)):
        return all(_constant(e, names) for e in value.elts)
    if isinstance(value, ast.Dict):
        return all(k is not None and _constant(k, names) for k in value.keys) and all(
            _constant(v, names) for v in value.values)
    return False


def _counted(kinds: list[str]) -> str:
    """["loop", "call", "call", "assignment to W", "assignment to b"] -> "loop, 2 calls and assignments to W, b"."""
    counts: dict[str, int] = {}
    assigned = [k.removeprefix("assignment to ") for k in kinds if k.startswith("assignment to ")]
    for kind in kinds:
        key = "assignment to" if kind.startswith("assignment to ") else kind
        counts[key] = counts.get(key, 0) + 1
    words = [(f"assignment{'s' if len(assigned) > 1 else ''} to {', '.join(assigned)}" if kind == "assignment to"
              else kind if n == 1 else plural(n, kind)) for kind, n in counts.items()]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
