"""Readers of the written report for the tests: HTML (stdlib html.parser), Word (python-docx), CSV.

Each reader gives the tables as grids of cell texts, a spanning cell followed by empty cells, so
the three renderings can be compared cell by cell; ``numbers`` reads the numbers of a cell in
either language, so that a displayed value can be checked against results.json.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import docx

NBSP = "\u00a0"
Grid = list[list[str]]


@dataclass
class HtmlReport:
    """What the tests read from report.html."""

    tables: dict[str, Grid] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # translatable text nodes
    verbatim_texts: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)  # every src and href
    images: list[str] = field(default_factory=list)
    headings: list[tuple[str, str]] = field(default_factory=list)  # (tag, text)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.report = HtmlReport()
        self.stack: list[tuple[str, bool]] = []  # (tag, verbatim)
        self.table_key: str | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.span = 1
        self.in_style = False
        self.heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        verbatim = values.get("translate") == "no" or (bool(self.stack) and self.stack[-1][1])
        if tag not in ("img", "meta", "br", "link"):
            self.stack.append((tag, verbatim))
        for name in ("src", "href"):
            if values.get(name) is not None:
                self.report.urls.append(str(values[name]))
        if tag == "img":
            self.report.images.append(str(values.get("src")))
        if tag == "style":
            self.in_style = True
        if tag == "section" and "table-block" in (values.get("class") or ""):
            self.table_key = str(values.get("data-key"))
            self.report.tables[self.table_key] = []
        if tag == "tr" and self.table_key:
            self.row = []
        if tag in ("td", "th") and self.row is not None:
            self.cell = []
            self.span = int(values.get("colspan") or 1)
        if tag in ("h2", "h3"):
            self.heading = []

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()
        if tag == "style":
            self.in_style = False
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.row.extend([""] * (self.span - 1))
            self.cell = None
        if tag == "tr" and self.row is not None and self.table_key:
            self.report.tables[self.table_key].append(self.row)
            self.row = None
        if tag == "section":
            self.table_key = None
        if tag in ("h2", "h3") and self.heading is not None:
            self.report.headings.append((tag, "".join(self.heading).strip()))
            self.heading = None

    def handle_data(self, data: str) -> None:
        if self.in_style:
            return
        if self.cell is not None:
            self.cell.append(data)
        if self.heading is not None:
            self.heading.append(data)
        text = data.strip()
        if text:
            verbatim = bool(self.stack) and self.stack[-1][1]
            (self.report.verbatim_texts if verbatim else self.report.texts).append(text)


def read_html(path: Path) -> HtmlReport:
    """Parse report.html."""
    parser = _Parser()
    parser.feed(Path(path).read_text("utf-8"))
    parser.close()
    return parser.report


def docx_tables(path: Path) -> list[Grid]:
    """The Word tables as grids (a merged cell's text, then empty cells for the rest of its span)."""
    document = docx.Document(str(path))
    grids = []
    for table in document.tables:
        grid = []
        for row in table.rows:
            texts: list[str] = []
            for tc in row._tr.tc_lst:
                texts.append("".join(t.text or "" for t in tc.iter(docx.oxml.ns.qn("w:t"))))
                texts.extend([""] * (tc.grid_span - 1))
            grid.append([text.strip() for text in texts])
        grids.append(grid)
    return grids


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of the Word document, one per line."""
    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for grid in docx_tables(path):
        lines += [cell for row in grid for cell in row]
    return "\n".join(lines)


def csv_grid(path: Path) -> Grid:
    """A tables/*.csv file as read by a spreadsheet-unaware reader (quotes kept)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.reader(handle)]


def numbers(text: str, lang: str) -> list[float]:
    """The numbers written in ``text`` (thousands separators, decimal comma, minus sign read)."""
    text = text.replace("−", "-")
    if lang == "fr":
        text = re.sub(r"(?<=\d)[\u00a0\u202f ](?=\d{3}\b)", "", text)
        text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    else:
        text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return [float(match) for match in re.findall(r"-?\d+(?:\.\d+)?", text)]


def row_of(grid: Grid, label: str, start: int = 0) -> list[str]:
    """The first row at or after ``start`` whose first cell is ``label``."""
    for row in grid[start:]:
        if row and row[0] == label:
            return row
    raise AssertionError(f"no row {label!r} in table; first cells: {[r[0] for r in grid]}")


def index_of(grid: Grid, label: str) -> int:
    """Index of the first row whose first cell is ``label``."""
    for i, row in enumerate(grid):
        if row and row[0] == label:
            return i
    raise AssertionError(f"no row {label!r}")
