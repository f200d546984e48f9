"""Small constructors the section verbs share: numbered tables and figures, headings, notes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from itpcohort.report._blocks import (
    Cell,
    DataFile,
    Figure,
    Heading,
    Paragraph,
    Table,
    Text,
    runs,
)
from itpcohort.report._i18n import Translator

if TYPE_CHECKING:
    from itpcohort.report._figures import FigureImage
    from itpcohort.report._report import Report


def heading(report: Report, level: int, message_id: str) -> Heading:
    """A heading whose anchor is its message id (``results.flow`` -> ``results-flow``)."""
    return Heading(level, report.t(message_id), message_id.replace(".", "-").replace("_", "-"))


def paragraph(*parts: str | Text, style: str = "body") -> Paragraph:
    """A paragraph of translated strings and ``Text`` runs."""
    return Paragraph(runs(*parts), style)


def not_available(report: Report, what_id: str) -> Paragraph:
    """``<what>: not available.`` (an input the pipeline did not provide)."""
    return Paragraph(runs(report.t("na.sentence", what=report.t(what_id))), "note")


def header_row(*texts: str) -> tuple[Cell, ...]:
    """A header row of plain cells."""
    return tuple(Cell(text) for text in texts)


def label_row(label: str, *values: str, indent: int = 0, bold: bool = False) -> tuple[Cell, ...]:
    """A body row: a label cell then value cells."""
    return (Cell(label, indent=indent, bold=bold), *(Cell(value) for value in values))


def group_row(label: str, n_columns: int) -> tuple[Cell, ...]:
    """A group label spanning the row (its values are the indented rows under it)."""
    return (Cell(label, bold=True), *(Cell("") for _ in range(n_columns - 1)))


def make_table(
    report: Report,
    key: str,
    caption: str,
    header: Sequence[Sequence[Cell]],
    rows: Iterable[Sequence[Cell]],
    notes: Iterable[str | tuple[Text, ...]] = (),
) -> Table:
    """A table numbered after the report's tables so far; checks every row has every column."""
    table = Table(
        key=key,
        number=report.next_table_number(),
        caption=caption,
        header=tuple(tuple(row) for row in header),
        rows=tuple(tuple(row) for row in rows),
        notes=tuple(runs(note) if isinstance(note, str) else note for note in notes),
        label=report.t("table"),
    )
    for row in table.rows:
        width = sum(cell.span for cell in row)
        if width != table.n_columns:
            raise ValueError(f"table {key}: a row has {width} cells, the header {table.n_columns}")
    return table


def make_figure(report: Report, image: FigureImage, caption: str, alt: str) -> Figure:
    """A figure numbered after the report's figures so far."""
    return Figure(
        key=image.key,
        number=report.next_figure_number(),
        caption=caption,
        png=image.png,
        svg=image.svg,
        alt=alt,
        label=report.t("figure"),
        width_cm=image.width_cm,
    )


def make_figure_parts(
    report: Report,
    images: Sequence[FigureImage],
    caption: str,
    alt: str,
    supplementary: bool = False,
    data: DataFile | None = None,
) -> list[Figure]:
    """One figure drawn on several pages: the parts share one number and one time axis.

    The caption is given once, on part 1 (ending with "(part 1 of n)"); a later part's caption
    only says "Continued (part k of n)." Each alt text ends with "(part k of n)". Nothing is added
    when there is one part. A ``supplementary`` figure is numbered apart (``Figure S1``); ``data``
    (the full data of a capped figure) rides on part 1.
    """
    series = "S" if supplementary else ""
    number = report.next_figure_number(series)
    parts = len(images)
    figures = []
    for part, image in enumerate(images, start=1):
        suffix = "" if parts == 1 else " " + report.t("fig.part", part=part, parts=parts)
        text = caption + suffix if part == 1 else report.t("fig.continued", part=part, parts=parts)
        figures.append(
            Figure(
                key=image.key,
                number=number,
                caption=text,
                png=image.png,
                svg=image.svg,
                alt=alt + suffix,
                label=report.t("figure.supplementary" if supplementary else "figure"),
                width_cm=image.width_cm,
                part=part,
                parts=parts,
                series=series,
                data=data if part == 1 else None,
            )
        )
    return figures


def p_text(t: Translator, p: float | None) -> str:
    """``p = 0.006`` / ``p < 0.001`` for prose (``p not computed`` when missing)."""
    if p is None:
        return t("p.not_computed")
    formatted = t.fmt.p_value(p)  # "<\u00a00.001" or "0.006"; no line break inside "p = 0.006"
    return f"p\u00a0{formatted}" if formatted.startswith("<") else f"p\u00a0=\u00a0{formatted}"


def get(mapping: Mapping[str, Any] | None, *path: str | int) -> Any:
    """``mapping[path[0]][path[1]]...`` or None when any step is missing."""
    value: Any = mapping
    for step in path:
        if isinstance(value, Mapping) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value):
            value = value[step]
        else:
            return None
        if value is None:
            return None
    return value


def course_entry(entries: Sequence[Mapping[str, Any]] | None, course: int) -> Mapping[str, Any]:
    """The entry of ``course`` in a list sorted by course (``courses[]``, ``by_course[]``)."""
    for entry in entries or ():
        if entry.get("course") == course:
            return entry
    return {}


#: notes the analysis layer writes, translated when recognised (else shown verbatim)
_NOTE_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        r"course (?P<course>\d+): every response duration is censored; the median duration is "
        r"not reached",
        "note.all_censored",
    ),
    (r"no patient responded to course 2", "note.no_responder2"),
    (r"no patient met the inclusion criteria.*", "note.no_patient"),
    (r"no adverse event recorded for the included patients", "note.no_ae"),
    (r"the tables of this re-derivation were not provided", "note.not_rederived"),
    (r"not testable: a response group is empty", "note.not_testable_empty"),
    (r"not testable: every value is the same", "note.not_testable_same"),
    (r"not testable: one level only", "note.not_testable_level"),
)


def analysis_note(t: Translator, note: str) -> tuple[Text, ...]:
    """A note of the analysis layer in the report language, or verbatim when not recognised."""
    for pattern, message_id in _NOTE_PATTERNS:
        match = re.fullmatch(pattern, note.strip())
        if match:
            return (Text(t(message_id, **match.groupdict())),)
    return (Text(t("note.analysis") + " "), Text(note, verbatim=True))
