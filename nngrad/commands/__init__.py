"""The ``nngrad`` commands: each one small registered unit (a module here) that carries its help, its options and
what it does. :mod:`nngrad.cli` builds the parser from COMMANDS and runs the one asked for."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

COMMANDS: dict[str, Command] = {}


@dataclass(frozen=True)
class Command:
    """``name`` and its one-line ``help`` and ``description`` (``nngrad NAME --help``); ``options(parser)`` adds its
    options; ``settle(parser, args)`` checks them together and fills in defaults that depend on each other (it
    exits 2 with one line on a bad combination); ``run(args)`` does the work and returns the exit status."""

    name: str
    help: str
    description: str
    options: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    settle: Callable[[argparse.ArgumentParser, argparse.Namespace], None] | None = None


def register(command: Command) -> Command:
    """Add ``command`` to COMMANDS under its name (in the order of ``nngrad --help``)."""
    COMMANDS[command.name] = command
    return command


ORDER = ("check", "bench", "report", "compare", "train", "race", "memory", "methods", "examples")  # of ``nngrad --help``


def _register_all() -> None:
    """Import each command's module: each registers itself."""
    import importlib

    for name in ORDER:
        importlib.import_module(f".{name}", __name__)


_register_all()
