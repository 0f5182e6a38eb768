"""What a notebook shows inline without JavaScript or files beside it: figures as PNG data URIs, markdown whose
images are embedded, and a frame as an escaped HTML table."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+\.png)\)")  # ![title](name.png), as report.md writes its figures


def png_uri(fig: Figure) -> str:
    """``fig`` as a data:image/png;base64 URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class Figures(tuple):
    """A tuple of named matplotlib Figures that a notebook draws inline (``names``: one per figure)."""

    names: tuple[str, ...]

    def __new__(cls, figures: dict[str, Figure]) -> Figures:
        made = super().__new__(cls, figures.values())
        made.names = tuple(figures)
        return made

    def __repr__(self) -> str:
        return f"<Figures: {', '.join(self.names) or 'none'}>"

    def _repr_html_(self) -> str:
        return "".join(f'<figure><img alt="{html.escape(name)}" src="{png_uri(fig)}"/><figcaption>'
                       f"{html.escape(name)}</figcaption></figure>" for name, fig in zip(self.names, self))


class Markdown(str):
    """Markdown text (a str) that a notebook renders, its images (``![t](x.png)`` beside ``folder``) embedded."""

    folder: Path | None

    def __new__(cls, text: str, folder: Path | None = None) -> Markdown:
        made = super().__new__(cls, text)
        made.folder = folder
        return made

    def _repr_markdown_(self) -> str:
        def embed(match: re.Match) -> str:
            path = self.folder / match.group(2) if self.folder else None
            if path is None or not path.is_file():
                return match.group(0)
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            return f"![{match.group(1)}](data:image/png;base64,{data})"

        return IMAGE.sub(embed, str(self))


def number(value: float) -> str:
    """3 significant digits, in full with thousands separators from 1,000 on: 0.000184, 2.03, 5,321."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def frame_table(frame: pd.DataFrame, rows: int = 20) -> str:
    """The first ``rows`` rows of ``frame`` as an HTML table (nngrad.display's: every cell escaped; numbers to 3
    significant digits, missing ones as -), with how many were left off."""
    from ..display import html_table

    shown = frame.head(rows).map(lambda v: "-" if pd.isna(v) else number(v) if isinstance(v, float) else v)
    more = len(frame) - rows
    return html_table(shown) + (f"<p>... and {more:,} more rows (to_frame() has them all)</p>" if more > 0 else "")
