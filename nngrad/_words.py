"""Words for the messages: a count with its noun in the right number ("1 point", "2 points")."""

from __future__ import annotations


def plural(n: int | float, word: str, many: str | None = None) -> str:
    """"1 point", "0 points", "4,642 points": ``n`` (an int, or a float already rounded to what is shown) with
    thousands separators and ``word``, or ``many`` (default: ``word`` + "s") for any number but 1."""
    count = f"{int(n):,}" if float(n).is_integer() else f"{n:,}"
    return f"{count} {word if n == 1 else many or word + 's'}"
