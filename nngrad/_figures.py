"""What every figure of nngrad shares: argument checks, a new Figure without pyplot, axes labels and legend
outside the data, and an atomic PNG save. Pure: nothing here touches global matplotlib state."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._files import atomic_path
from .errors import InvalidValue


def require(name: str, frame: object, columns: Iterable[str]) -> pd.DataFrame:
    """Return ``frame`` if it is a DataFrame holding ``columns``, else raise ValueError naming what is wrong."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidValue(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise InvalidValue(f"{name} is missing column(s): {', '.join(missing)}")
    return frame


def check_type(name: str, value: object, kind: type, what: str) -> None:
    """Raise ValueError unless ``value`` is a ``kind`` (bools refused), saying it must be ``what``."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise InvalidValue(f"{name} must be {what}, got {type(value).__name__} {value!r}")


def positive(values: pd.Series) -> pd.Series:
    """Mask of finite values > 0 (the only ones a log axis can show)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return (v > 0) & np.isfinite(v)


def figure(title: str, label: str, size: tuple[float, float] = (7, 4.5)) -> tuple[Figure, Axes]:
    """A new figure with one gridded axes: ``title`` on top, ``label`` as the caption line below it."""
    check_type("label", label, str, "a string")
    fig = Figure(figsize=size, dpi=120, layout="constrained")
    FigureCanvasAgg(fig)  # savefig/draw without any global backend
    ax = fig.add_subplot()
    fig.suptitle(title, fontsize=12)
    ax.set_title(label, fontsize=8, color="0.35")
    ax.grid(True, which="major", alpha=0.45)
    ax.grid(True, which="minor", alpha=0.12)
    return fig, ax


def finish(fig: Figure, ax: Axes, xlabel: str, ylabel: str, empty: str | None = None, outside: bool = False) -> Figure:
    """Label the axes; add the legend (beside the axes when ``outside``, so it never covers data), or, when
    nothing was plotted, a message saying so."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if empty is not None:
        ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="0.3")
        ax.set_xticks([])
        ax.set_yticks([])
    elif labels := ax.get_legend_handles_labels()[1]:
        if outside:
            ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, framealpha=0.9)
        else:
            ax.legend(fontsize=8, ncols=2 if len(labels) > 5 else 1, framealpha=0.9)
    return fig


def save(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Write ``fig`` to ``path`` as PNG atomically: a temporary file in the same folder, renamed over ``path``."""
    check_type("fig", fig, Figure, "a matplotlib Figure")
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
