"""The report as data: headings, paragraphs, tables and figures, rendered alike to HTML and Word.

Every section verb of ``Report`` appends blocks; ``_html`` and ``_docx`` render the same blocks and
``_csv`` writes each ``Table``, so the three outputs cannot disagree (compute once, render many
ways). A ``Text`` run marked ``verbatim`` is a code or a note copied from the data or the analysis
(a patient id, a solver message): it is shown as is in either language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Text:
    """A run of text; ``verbatim`` runs come from the data or the analysis and are not translated."""

    text: str
    verbatim: bool = False
    bold: bool = False
    italic: bool = False


def runs(*parts: str | Text) -> tuple[Text, ...]:
    """Text runs from plain strings (translated text) and ``Text`` runs."""
    return tuple(part if isinstance(part, Text) else Text(part) for part in parts)


@dataclass(frozen=True)
class Heading:
    """A section heading: level 1 (section) or 2 (subsection); ``anchor`` is its HTML id."""

    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text runs; ``style`` is ``body``, ``lead`` (summary), ``note`` or ``reference``."""

    parts: tuple[Text, ...]
    style: str = "body"

    @property
    def text(self) -> str:
        """The paragraph as plain text."""
        return "".join(part.text for part in self.parts)


@dataclass(frozen=True)
class Cell:
    """One table cell; ``indent`` (0 or 1) sets a level under a group label, ``verbatim`` data.

    Value columns are centred; ``align="left"`` keeps a text column (a meaning, a reason) left.
    """

    text: str
    indent: int = 0
    bold: bool = False
    verbatim: bool = False
    span: int = 1
    align: str = ""


@dataclass(frozen=True)
class DataFile:
    """The full data of a figure or a listing the report shows capped: ``tables/<name>.csv``.

    ``frame`` is written as is (its columns are the header), formula-safe (``_csv``). Or the file
    was ``written`` already, at that path (``run`` writes the swimmer data in a forked child while
    it analyses: ``draw_swimmer``); ``Report.save`` copies it into ``tables/`` when it is not there.
    """

    name: str
    frame: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    written: Path | None = field(default=None, compare=False)

    @property
    def file_name(self) -> str:
        """``<name>.csv``."""
        return f"{self.name}.csv"


@dataclass(frozen=True)
class Table:
    """A numbered report table: caption, header rows, body rows, footnotes, and its CSV name.

    ``header`` holds one or two rows of cells (a cell's ``span`` covers several columns); the body
    has exactly as many cells per row as the table has columns. ``key`` names ``tables/<key>.csv``.
    """

    key: str
    number: int
    caption: str
    header: tuple[tuple[Cell, ...], ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[tuple[Text, ...], ...] = ()
    label: str = "Table"
    #: every row of a listing the report shows capped (None: the table is whole)
    data: DataFile | None = None

    @property
    def n_columns(self) -> int:
        """The number of columns (the span of the last header row)."""
        return sum(cell.span for cell in self.header[-1])

    @property
    def file_stem(self) -> str:
        """``table03_<key>``: the CSV file name, numbered as in the report."""
        return f"table{self.number:02d}_{self.key}"

    @property
    def title(self) -> str:
        """``Table 3. Caption``, the caption with its number."""
        return f"{self.label} {self.number}. {self.caption}"


@dataclass(frozen=True)
class Figure:
    """A numbered figure: its PNG (300 dpi) and SVG renderings, caption and alt text.

    A figure too tall for one page comes in ``parts`` blocks that share its ``number``
    (``part`` 1 to ``parts``, each with its own ``key``, image and caption). A supplementary
    figure has the ``series`` ``S`` and is numbered apart (``Figure S1``).
    """

    key: str
    number: int
    caption: str
    png: bytes
    svg: bytes
    alt: str
    label: str = "Figure"
    width_cm: float = 16.0
    part: int = 1
    parts: int = 1
    series: str = ""
    #: every data point of a figure the report shows capped (on its first part)
    data: DataFile | None = None

    @property
    def number_text(self) -> str:
        """``5``, or ``S1`` for a supplementary figure."""
        return f"{self.series}{self.number}"

    @property
    def anchor(self) -> str:
        """``figure-5`` (the first or only part), ``figure-5-2`` for the next parts."""
        anchor = f"figure-{self.number_text}"
        return anchor if self.part == 1 else f"{anchor}-{self.part}"

    @property
    def file_stem(self) -> str:
        """``figure2_<key>`` (``figureS1_<key>``): the PNG/SVG file name, numbered as in the report."""
        return f"figure{self.number_text}_{self.key}"

    @property
    def title(self) -> str:
        """``Figure 2. Caption``."""
        return f"{self.label} {self.number_text}. {self.caption}"


Block = Heading | Paragraph | Table | Figure


@dataclass(frozen=True)
class Document:
    """The whole report: language, title, blocks in reading order."""

    lang: str
    title: str
    subtitle: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def tables(self) -> tuple[Table, ...]:
        """The tables in order."""
        return tuple(block for block in self.blocks if isinstance(block, Table))

    def figures(self) -> tuple[Figure, ...]:
        """The figures in order."""
        return tuple(block for block in self.blocks if isinstance(block, Figure))

    def data_files(self) -> tuple[DataFile, ...]:
        """The full data of the capped figures and listings, in order."""
        return tuple(
            block.data
            for block in self.blocks
            if isinstance(block, Table | Figure) and block.data is not None
        )
