"""A zoo of small numpy layers, functional pairs, losses, networks and a micrograd-style engine, written the way
learners write them: about half correct, half with one known bug each (marked ``# BUG:`` in the code).

``CASES``: every case (see ``case.Case``); ``module_file(case)``: the path of the module that holds its code (what
``{file}`` stands for in ``case.cli``)."""

from pathlib import Path

from . import cs231n, dict_params, dlfs, micrograd, networks, nnfs, sgd_tutorial
from .case import Case

MODULES = {"dlfs": dlfs, "nnfs": nnfs, "sgd_tutorial": sgd_tutorial, "dict_params": dict_params, "cs231n": cs231n,
           "networks": networks, "micrograd": micrograd}

CASES: list[Case] = [case for module in MODULES.values() for case in module.CASES]

_names = [c.name for c in CASES]
assert len(_names) == len(set(_names)), sorted({n for n in _names if _names.count(n) > 1})


def module_file(case: Case) -> Path:
    return Path(MODULES[case.name.split(".")[0]].__file__)


def cli_args(case: Case) -> tuple[str, ...] | None:
    """case.cli with ``{file}`` filled in."""
    if case.cli is None:
        return None
    return tuple(a.replace("{file}", str(module_file(case))) for a in case.cli)


__all__ = ["CASES", "Case", "cli_args", "module_file"]
