"""A table of a report in markdown: what is not there is an empty cell, never "nan"."""

from __future__ import annotations

import pandas as pd


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3g") -> str:
    """``frame`` as a markdown table without its index, numbers to ``floatfmt``, missing values as empty cells."""
    return frame.astype(object).where(frame.notna(), None).to_markdown(index=False, floatfmt=floatfmt,
                                                                        missingval="")
