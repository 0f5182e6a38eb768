"""``nngrad methods``: every registered gradient method, its family and work, and whether it runs here."""

from __future__ import annotations

import argparse
import sys

from . import Command, register
from .options import add_import


def run(args: argparse.Namespace) -> int:
    from ..methods import list_methods

    table = list_methods()
    table["available"] = table["available"].map({True: "yes", False: "no"})
    print(table[["name", "family", "work", "available", "description"]].to_markdown(index=False, tablefmt="simple"))
    for row in table[table["available"] == "no"].itertuples():
        print(f"{row.name}: {row.reason}", file=sys.stderr)
    return 0


COMMAND = register(Command(
    "methods", "list every gradient method, its family and work, and whether it is available here",
    "List the registered gradient methods: name (what --methods takes), family, work per gradient, available here "
    "or why not, and what it is; with --import, methods of your own too.", add_import, run))
