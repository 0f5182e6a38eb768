"""What the command line accepts: the types of its options (each refuses a bad value in one line saying what was
expected), an option's old name that still works, and the ``--out`` folder checked before any work."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..backend import parse_label
from ..errors import InvalidValue, UsageError, UserError


class Deprecated(argparse.Action):
    """An option's old name: it still sets the new one, and says so on stderr (it goes in the next release)."""

    def __call__(self, parser, namespace, values, option_string=None):
        new = "--" + self.dest.replace("_", "-")
        print(f"nngrad: {option_string} is now {new} (a method is a registered gradient method); {option_string} "
              "goes in the next release", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_import(p: argparse.ArgumentParser) -> None:
    """``--import MODULE_OR_FILE`` (repeatable): the one definition, on every command that names methods and on the
    parser that imports them before the others are read (nngrad.cli.import_user_methods)."""
    p.add_argument("--import", dest="imports", action="append", metavar="MODULE_OR_FILE", help="import a module (or "
                   "FILE.py) that registers gradient methods of your own before the methods are named, e.g. --import "
                   "mine.py --methods backprop,mine (repeat it; installed packages can name their module in the "
                   "'nngrad.methods' entry-point group instead)")


def _parsed(text: str, convert, valid, expected: str):
    """``convert(text)`` if it parses and is ``valid``, else an argparse error saying what was expected."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not valid(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
    return value


def positive_int(text: str) -> int:
    return _parsed(text, int, lambda v: v > 0, "a positive integer")


def positive_float(text: str) -> float:
    return _parsed(text, float, lambda v: np.isfinite(v) and v > 0, "a positive finite number")


def non_negative_float(text: str) -> float:
    return _parsed(text, float, lambda v: np.isfinite(v) and v >= 0, "a non-negative finite number")


def open_fraction(text: str) -> float:
    return _parsed(text, float, lambda v: 0 < v < 1, "a number strictly between 0 and 1")


def int_list(text: str) -> tuple[int, ...]:
    """'1,2,4' -> (1, 2, 4): positive integers, comma-separated."""
    values = tuple(positive_int(v.strip()) for v in text.split(",") if v.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values


def method_list(text: str) -> tuple[str, ...]:
    """'backprop,torch' -> ('backprop', 'torch'): registered method names, comma-separated, each once (the check of
    nngrad.bench's ``methods``: sweep.bench.method_names)."""
    from ..sweep.bench import method_names

    try:
        return method_names(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("methods: ")) from None


def option_value(text: str) -> int | float | bool | str:
    """A method option's value as typed: an int ('16'), a float ('1e-3'), a bool ('true', 'false'), else the
    text itself ('rademacher')."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def method_option(text: str) -> tuple[str, str, int | float | bool | str]:
    """'spsa.k=16' -> ('spsa', 'k', 16): NAME.KEY=VALUE, a registered method, one of its options and a value it
    takes (checked by preparing the method on a tiny network: nothing is timed)."""
    from ..sweep.config import checked_options

    name, dot, rest = text.partition(".")
    key, equals, value = rest.partition("=")
    if not (dot and equals and name.strip() and key.strip() and value.strip()):
        raise argparse.ArgumentTypeError(f"expected NAME.KEY=VALUE, e.g. spsa.k=16; got {text!r}")
    name, key, parsed = name.strip(), key.strip(), option_value(value.strip())
    try:
        checked_options(name, {key: parsed})
    except UserError as exc:  # InvalidValue, InvalidType
        raise argparse.ArgumentTypeError(f"{text}: {exc}") from None
    return name, key, parsed


def device_list(text: str) -> tuple[str, ...]:
    """'cpu,cuda' -> ('cpu', 'cuda'): devices as nngrad.backend.from_label reads them, comma-separated."""
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"expected devices separated by commas, e.g. cpu,cuda; got {text!r}")
    for v in values:
        try:
            parse_label(v)
        except InvalidValue as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return values


def output_folder(path: str | Path | None, option: str = "--out") -> Path | None:
    """``--out`` checked before any work: a folder, or nothing yet (it is made when there is something to write);
    a file there, or a place nothing can be written (a read-only file system, /proc), is a usage error. None
    stays None. Nothing is left behind by the check."""
    if path is None:
        return None
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path} is a file; give a folder (it is made if missing)")
    if any(parent.exists() and not parent.is_dir() for parent in path.parents):
        raise UsageError(f"{option} {path}: a part of this path is a file, not a folder")
    writable(path, option)
    return path


def writable(path: Path, option: str) -> None:
    """UsageError naming ``option``, the folder and the reason unless a folder can be made in ``path`` (or in the
    nearest folder above it that exists); the probe is removed."""
    base = next((p for p in (path, *path.parents) if p.exists()), Path.cwd())
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".nngrad-probe-", dir=base))
    except OSError as exc:
        raise UsageError(f"{option} {path}: nothing can be written in {base} ({exc.strerror or exc}); give a folder "
                         "you can write to") from None
