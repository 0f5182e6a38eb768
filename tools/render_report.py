"""Draw docs/images/report-in-notebook.png: the HTML that a notebook shows for a checker's report, rendered by
MuPDF's HTML engine (no browser needed). Run from the repository root, in two steps:

    .venv/bin/python tools/render_report.py html > /tmp/report.html     # nngrad writes the report's HTML
    python -m venv /tmp/venv-pdf && /tmp/venv-pdf/bin/pip install pymupdf
    /tmp/venv-pdf/bin/python tools/render_report.py png /tmp/report.html docs/images/report-in-notebook.png
"""

import sys

WIDTH, HEIGHT = 900, 195  # points: one report of one array and one finding


def html() -> str:
    """The report of the book's sigmoid whose backward forgot the factor (1 - y), as a notebook shows it."""
    import numpy as np

    import nngrad

    class Sigmoid:
        def forward(self, x):
            self.out = 1 / (1 + np.exp(-x))
            return self.out

        def backward(self, dout):
            return dout * self.out  # the bug: dout * self.out * (1 - self.out)

    report = nngrad.check_layer(Sigmoid(), np.random.default_rng(0).standard_normal((4, 3)))
    return f"<html><body style='font-family:sans-serif;font-size:11px'>{report._repr_html_()}</body></html>"


def png(source: str, target: str) -> None:
    import pymupdf

    story = pymupdf.Story(html=open(source).read())
    pdf = "/tmp/report-in-notebook.pdf"
    writer = pymupdf.DocumentWriter(pdf)
    page = pymupdf.Rect(0, 0, WIDTH, HEIGHT)
    device = writer.begin_page(page)
    story.place(page + (10, 10, -10, -10))
    story.draw(device)
    writer.end_page()
    writer.close()
    pymupdf.open(pdf)[0].get_pixmap(dpi=110).save(target)


if __name__ == "__main__":
    print(html()) if sys.argv[1] == "html" else png(sys.argv[2], sys.argv[3])
