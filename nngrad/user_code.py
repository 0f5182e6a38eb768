"""A user's code on the command line: a class or function named FILE.py:Name, NOTEBOOK.ipynb:Name (the notebook's
definitions, notebook_code.py) or module:Name, loaded; its
constructor's arguments and its inputs built from the options; and an exception it raised told in one line that
points at the user's own file and line."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
import traceback
from pathlib import Path

import numpy as np

from .errors import InvalidValue

PACKAGE = Path(__file__).resolve().parent


class UserCodeError(InvalidValue):
    """The user's code could not be loaded, built or run: the message says what and where."""


def load_class(spec: str, option: str = "--layer"):
    """The class named by ``spec``: "path/to/file.py:ClassName" or "package.module:ClassName"; or a function of
    that file that builds the object (a factory: "file.py:build", called with --kwargs as the class would be)."""
    module, where, name = _module(spec, option, "ClassName")
    cls = getattr(module, name, None)
    if inspect.isfunction(cls) and cls.__module__ == module.__name__:
        return _found(module, cls)
    if not isinstance(cls, type):
        own = {k: v for k, v in vars(module).items() if getattr(v, "__module__", None) == module.__name__}
        classes = sorted(k for k, v in own.items() if isinstance(v, type))
        factories = sorted(k for k, v in own.items() if inspect.isfunction(v) and not k.startswith("_"))
        raise UserCodeError(f"{where} has no class {name!r} (it defines: {', '.join(classes) or 'no classes'}"
                            + (f"; and the functions {', '.join(factories)}: a function that returns the layer works "
                               "too" if factories else "") + ")" + _why_missing(module, name))
    return _found(module, cls)


def load_functions(spec: str, option: str, names: int) -> list:
    """The functions named by ``spec``: FILE.py:f (one), FILE.py:forward,backward (two), or FILE.py:affine for
    affine_forward and affine_backward when ``names`` is 2; FILE.py:forward,cost,backward (three)."""
    expected = {1: "function", 2: "forward,backward", 3: "forward,cost,backward"}[names]
    module, where, listed = _module(spec, option, expected)
    wanted = listed.split(",")
    if names == 2 and len(wanted) == 1:
        wanted = [f"{listed}_forward", f"{listed}_backward"]
    if len(wanted) != names:
        raise UserCodeError(f"{option} takes {'one function' if names == 1 else f'FILE.py:{expected}'}, got "
                            f"{len(wanted)} names in {spec!r}")
    found = []
    for name in wanted:
        f = getattr(module, name, None)
        if not callable(f) or isinstance(f, type):
            defined = sorted(k for k, v in vars(module).items()
                             if inspect.isfunction(v) and v.__module__ == module.__name__)
            raise UserCodeError(f"{where} has no function {name!r} (it defines: {', '.join(defined) or 'none'})"
                                + _why_missing(module, name))
        found.append(f)
    return _found(module, found)


def _module(spec: str, option: str, what: str):
    where, _, name = spec.rpartition(":")
    if not where or not name:
        raise UserCodeError(f"{option} must be FILE.py:{what} or module:{what}, got {spec!r}")
    if where.endswith(".ipynb"):
        return _load_notebook(Path(where)), where, name
    module = _load_file(Path(where)) if where.endswith(".py") or "/" in where else _import(where)
    return module, where, name


def _load_notebook(path: Path):
    """The definitions of the notebook at ``path`` as a module; which cells gave them, said on stderr."""
    from . import notebook_code
    module, taken = notebook_code.load(path)
    module.__nngrad_taken__ = taken
    return module


def _why_missing(module, name: str) -> str:
    """For a notebook's module, why ``name`` is not in it where a statement that was not run assigns it."""
    taken = getattr(module, "__nngrad_taken__", None)
    return taken.why_missing(name) if taken is not None else ""


def _found(module, what):
    """``what``, found in ``module``; a notebook's module says on stderr which cells gave its definitions (only
    once the names are found, so that a refusal stays one line)."""
    if (taken := getattr(module, "__nngrad_taken__", None)) is not None:
        print(f"nngrad: {taken}", file=sys.stderr)
    return what


def _load_file(path: Path):
    if not path.is_file():
        raise UserCodeError(f"no such file: {path}")
    if (path.parent / "__init__.py").is_file():  # a module of a package: imported as one (relative imports work)
        return _package_module(path.resolve())
    spec = importlib.util.spec_from_file_location(f"nngrad_user_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # the file may import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the user's file may raise anything
        raise UserCodeError(f"importing {path} raised {type(exc).__name__}: {exc}{where(exc)}") from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module


def _package_module(path: Path):
    """The module at ``path`` imported by its dotted name, from the folder above its outermost package."""
    root, parts = path.parent, [path.stem]
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    sys.path.insert(0, str(root))
    try:
        return _import(".".join(parts))
    finally:
        sys.path.remove(str(root))


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise UserCodeError(f"no module {name!r} can be imported ({exc}); give a file as path/to/file.py:Name") from None
    except Exception as exc:  # noqa: BLE001
        raise UserCodeError(f"importing {name} raised {type(exc).__name__}: {exc}{where(exc)}") from None


def import_methods(spec: str, option: str = "--import") -> str:
    """Import the module that registers gradient methods of one's own: a module name (importable from the current
    folder too) or a FILE.py (imported by its name from its folder, a package's module by its dotted name). Its
    folder stays on sys.path, so the benchmark's suite, which runs in another process with this one's import
    path, imports it again by the same name. Returns the module's name; UserCodeError in one line otherwise."""
    path = Path(spec)
    if spec.endswith(".py") or "/" in spec:
        if not path.is_file():
            raise UserCodeError(f"{option} {spec}: no such file")
        root, parts = path.resolve().parent, [path.stem]
        while (root / "__init__.py").is_file():
            parts.insert(0, root.name)
            root = root.parent
        folder, name = str(root), ".".join(parts)
    else:
        folder, name = os.getcwd(), spec
    if folder not in sys.path:
        sys.path.append(folder)
    try:
        importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - the user's module may raise anything
        raise UserCodeError(f"{option} {spec}: cannot import it: {type(exc).__name__}: {exc}{where(exc)}") from None
    return name


def where(exc: BaseException) -> str:
    """" (file.py, line 12: the line)" for the deepest frame of the traceback outside nngrad and the Python
    installation (the user's code), or "" when there is none."""
    prefixes = {str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not str(Path(f.filename).resolve()).startswith(str(PACKAGE))
              and not any(str(Path(f.filename).resolve()).startswith(p) for p in prefixes)
              and not f.filename.startswith("<")]
    if not frames:
        return ""
    f = frames[-1]
    return f" ({Path(f.filename).name}, line {f.lineno}: {f.line})" if f.line else f" ({f.filename}, line {f.lineno})"


def in_user_code(exc: BaseException) -> bool:
    """Did ``exc`` come from the user's code (a frame outside nngrad and Python's own files)?"""
    return bool(where(exc))


# -- building what the code takes -------------------------------------------------------------------------------

SHAPE = re.compile(r"^\d+(,\d+)*$")
LABELS = re.compile(r"^labels(:(\d+))?$")
INTEGERS = re.compile(r"^(\d+(?:,\d+)*):(?:int<(\d+)|(bool))$")  # 4,5:int<10 (token ids), 4,5:bool (a mask)


def shape(text: str) -> tuple[int, ...]:
    """'4,3' -> (4, 3): positive integers."""
    if not SHAPE.match(text) or any(int(v) == 0 for v in text.split(",")):
        raise UserCodeError(f"a shape is positive integers separated by commas, e.g. 4,3; got {text!r}")
    return tuple(int(v) for v in text.split(","))


def kwargs(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserCodeError(f"--kwargs must be a JSON object, e.g. '{{\"n\": 3}}': {exc}") from None
    if not isinstance(value, dict):
        raise UserCodeError(f"--kwargs must be a JSON object of keyword arguments, got {text}")
    return {k: v if _sizes(v) else array(v) for k, v in value.items()}


def _sizes(value) -> bool:
    """A flat list of integers (sizes, layer dims, a kernel's shape): what a constructor takes as a list."""
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


def array(value):
    """A JSON list of numbers (nested lists too) as a numpy array (integers stay integers, booleans booleans);
    anything else as it is."""
    if not isinstance(value, list):
        return value
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged
        return value
    return arr if arr.dtype.kind in "biuf" else value


def params(specs: list[str], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """--param NAME=SHAPE ...: a random normal array of that shape for each constructor argument NAME."""
    out = {}
    for spec in specs:
        name, sep, dims = spec.partition("=")
        if not sep or not name.isidentifier():
            raise UserCodeError(f"--param must be NAME=SHAPE, e.g. W=4,3; got {spec!r}")
        out[name] = rng.standard_normal(shape(dims))
    return out


def build(cls: type, given: dict, option: str):
    """``cls(**given)``, refusing first, in one line, when a required argument is missing."""
    try:
        required = [p.name for p in inspect.signature(cls).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    except (TypeError, ValueError):
        required = []
    if missing := [r for r in required if r not in given]:
        raise UserCodeError(f"{cls.__name__}({', '.join(required)}) needs {', '.join(missing)}: pass arrays as "
                            f"--param {missing[0]}=SHAPE (random normal), numbers and the rest as --kwargs JSON")
    try:
        return cls(**given)
    except Exception as exc:  # noqa: BLE001 - the user's constructor may raise anything
        shown = {k: (f"array{v.shape}" if isinstance(v, np.ndarray) else v) for k, v in given.items()}
        raise UserCodeError(f"{cls.__name__}(**{shown}) raised {type(exc).__name__}: {exc}{where(exc)}") from None


def inputs(specs: list[str], rng: np.random.Generator) -> list:
    """--shapes SPEC ...: "4,5" a random normal array of that shape; "4,5:int<10" integers in [0, 10) (token ids),
    "4,5:bool" a random mask; "labels" or "labels:C" integer labels in [0, C) for the first array's rows (C: its
    last axis by default); anything else a JSON value (0.1, '{"mode": "train"}'), a list becoming an array."""
    out: list = []
    for spec in specs:
        if SHAPE.match(spec):
            out.append(rng.standard_normal(shape(spec)))
        elif m := INTEGERS.match(spec):
            if m.group(2) is not None and int(m.group(2)) == 0:
                raise UserCodeError(f"--shapes: {spec!r}: int<K needs K of 1 or more (integers in [0, K))")
            size = shape(m.group(1))
            out.append(rng.uniform(size=size) < 0.5 if m.group(3) else rng.integers(0, int(m.group(2)), size))
        elif m := LABELS.match(spec):
            first = next((v for v in out if isinstance(v, np.ndarray)), None)
            if first is None or first.ndim < 1:
                raise UserCodeError("--shapes: labels need an array before them (their rows)")
            classes = int(m.group(2)) if m.group(2) else first.shape[-1]
            out.append(rng.integers(0, classes, first.shape[0]))
        else:
            try:
                out.append(array(json.loads(spec)))
            except json.JSONDecodeError:
                raise UserCodeError(f"--shapes: {spec!r} is neither a shape (4,5), labels[:C] nor a JSON value "
                                    "(0.1, '{\"mode\": \"train\"}'), nor integers (4,5:int<10) or a mask "
                                    "(4,5:bool)") from None
    return out
