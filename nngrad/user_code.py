"""Loading a user's class by name, for the command line: FILE.py:Class or module:Class."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from .errors import InvalidValue


class UserCodeError(InvalidValue):
    """The user's code could not be loaded: the message says what and where."""


def load_class(spec: str) -> type:
    """The class named by ``spec``: "path/to/file.py:ClassName" or "package.module:ClassName"."""
    where, _, name = spec.rpartition(":")
    if not where or not name:
        raise UserCodeError(f"--layer must be FILE.py:ClassName or module:ClassName, got {spec!r}")
    module = _load_file(Path(where)) if where.endswith(".py") or "/" in where else _import(where)
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        defined = sorted(k for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == module.__name__)
        raise UserCodeError(f"{where} has no class {name!r} (it defines: {', '.join(defined) or 'no classes'})")
    return cls


def _load_file(path: Path):
    if not path.is_file():
        raise UserCodeError(f"no such file: {path}")
    spec = importlib.util.spec_from_file_location(f"nngrad_user_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # the file may import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the user's file may raise anything
        raise UserCodeError(f"importing {path} raised {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise UserCodeError(f"no module {name!r} can be imported ({exc}); give a file as path/to/file.py:Class") from None
    except Exception as exc:  # noqa: BLE001
        raise UserCodeError(f"importing {name} raised {type(exc).__name__}: {exc}") from None
