"""A progress bar only when asked for (and then only on a terminal)."""

from __future__ import annotations


def progress_bar(total: int, show: bool, desc: str, unit: str = "it"):
    """A tqdm bar of ``total`` steps when ``show``, else None (callers skip updates: no cost in timed loops)."""
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=None, leave=False)
