"""Rich display in a notebook (IPython's display protocol): HTML pieces for result objects' ``_repr_html_`` and a
short one-line ``repr``. Plain HTML with inline styles only: no JavaScript, no external CSS; every piece of text
is escaped (a user's array may be named "<b>")."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

MARK = "FAIL"  # the word beside a failing row: colour is never the only sign
REPR_WIDTH = 160  # the longest line a repr may have

_COLOURS = {"PASS": "#1a7f37", "FAIL": "#b3261e", "INCONCLUSIVE": "#9a6700"}
_FAILING = "font-weight:bold;color:#b3261e;background:#fde8e6"
_CELL = "padding:2px 8px;text-align:left;font-family:monospace;white-space:pre"


def escape(value: object) -> str:
    """``str(value)`` safe inside HTML (quotes included)."""
    return html.escape(str(value), quote=True)


def verdict_badge(verdict: str) -> str:
    """The verdict as a bold coloured word ("PASS", "FAIL", "INCONCLUSIVE", or any other word, in grey)."""
    colour = _COLOURS.get(verdict, "#57606a")
    return (f'<span style="font-weight:bold;color:white;background:{colour};padding:1px 6px;'
            f'border-radius:3px">{escape(verdict)}</span>')


def html_table(frame, failing_rows: Iterable[int] = (), mark: str = MARK, caption: str | None = None) -> str:
    """A pandas DataFrame (n rows) as an HTML table, cells shown as ``str()`` and escaped (format numbers first).

    ``failing_rows``: positions (0..n-1) of rows to mark: bold and coloured, and ``mark`` in a first column, so
    a reader without colour still sees them. ``caption``: a title above the table."""
    failing = set(failing_rows)
    marked = bool(failing)
    head = ([f'<th style="{_CELL}"></th>'] if marked else []) + [f'<th style="{_CELL}">{escape(c)}</th>'
                                                              for c in frame.columns]
    body = []
    for i, row in enumerate(frame.itertuples(index=False, name=None)):
        bad = i in failing
        cells = ([f'<td style="{_CELL}">{escape(mark) if bad else ""}</td>'] if marked else [])
        cells += [f'<td style="{_CELL}">{escape(v)}</td>' for v in row]
        style = f' style="{_FAILING}"' if bad else ""
        body.append(f"<tr{style}>{''.join(cells)}</tr>")
    title = f"<caption style=\"text-align:left\">{escape(caption)}</caption>" if caption else ""
    return (f'<table style="border-collapse:collapse">{title}<thead><tr>{"".join(head)}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def html_lines(lines: Sequence[str], strong: Iterable[int] = ()) -> str:
    """Lines of text as paragraphs, escaped; the lines at positions ``strong`` in bold."""
    bold = set(strong)
    return "".join(f'<div style="margin:2px 0">{"<b>" + escape(t) + "</b>" if i in bold else escape(t)}</div>'
                   for i, t in enumerate(lines))


def html_list(items: Sequence[str], strong: Iterable[int] = (), title: str | None = None) -> str:
    """A bulleted list, escaped; the items at positions ``strong`` bold and coloured (a bug), each item's own
    words saying what it is. Empty when there are no items."""
    if not items:
        return ""
    bold = set(strong)
    lis = "".join(f'<li style="{_FAILING}">{escape(t)}</li>' if i in bold else f"<li>{escape(t)}</li>"
                  for i, t in enumerate(items))
    return (f"<div><b>{escape(title)}</b></div>" if title else "") + f'<ul style="margin:2px 0">{lis}</ul>'


def html_block(verdict: str, title: str, *parts: str) -> str:
    """One object's display: the verdict badge and title first, then the ``parts`` (HTML already escaped)."""
    return (f'<div class="nngrad-display"><div style="margin-bottom:4px">{verdict_badge(verdict)} '
            f"<b>{escape(title)}</b></div>{''.join(parts)}</div>")


def short(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with "..." where longer."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:max(width - 3, 0)] + "..."


def short_repr(kind: str, subject: str, verdict: str, details: Sequence[str] = ()) -> str:
    """"<Kind subject: VERDICT, detail, detail>", one line of at most REPR_WIDTH characters (the subject cut)."""
    tail = "".join(", " + d for d in details)
    fixed = len(kind) + len(verdict) + len(tail) + 5  # "<", " ", ": ", ">"
    return f"<{kind} {short(subject, max(REPR_WIDTH - fixed, 20))}: {verdict}{tail}>"[:REPR_WIDTH]


def listed(names: Sequence[str], most: int = 3) -> str:
    """"a, b, c" or "a, b, c +4 more": the first ``most`` names."""
    more = f" +{len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more
