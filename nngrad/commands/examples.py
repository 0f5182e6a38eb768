"""``nngrad examples``: the classic computational-graph examples, worked with MulLayer and AddLayer."""

from __future__ import annotations

import argparse

from . import Command, register


def run(args: argparse.Namespace) -> int:
    from ..examples import EXAMPLES

    for name, example in EXAMPLES.items():
        values = example()
        print(f"{name}: {example.__doc__.split(';')[0].split(' and ')[0].strip()}\n  "
              + ", ".join(f"{k} = {v:.6g}" for k, v in values.items()))
    return 0


COMMAND = register(Command(
    "examples", "the worked examples: apples, apples and oranges, the chain rule",
    "Run the classic computational-graph examples with MulLayer and AddLayer.", lambda p: None, run))
