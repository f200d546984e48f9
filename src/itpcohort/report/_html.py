"""``report.html``: the report as one self-contained page (jinja2).

Styles are inlined, figures are inlined as base64 SVG images (crisp at any zoom and on paper),
fonts are the reader's own (DejaVu, then common system fonts): the page makes no network request.
Codes and notes copied from the data carry ``translate="no"``. Readable on a laptop (one column of
at most 50 rem) and printable on A4 (``@page``, no break inside a table or a figure, no break
after a heading).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from importlib import resources

import jinja2

from itpcohort.report._blocks import Document, Figure, Heading, Paragraph, Table
from itpcohort.report._i18n import Translator


@dataclass
class TocEntry:
    """A heading in the table of contents, with its subsections."""

    text: str
    anchor: str
    children: list[TocEntry] = field(default_factory=list)


def _template(name: str) -> str:
    return resources.files("itpcohort.report").joinpath("templates", name).read_text("utf-8")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: _template(name)),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def table_of_contents(document: Document) -> list[TocEntry]:
    """Level-1 headings with their level-2 headings."""
    entries: list[TocEntry] = []
    for block in document.blocks:
        if isinstance(block, Heading):
            entry = TocEntry(block.text, block.anchor)
            if block.level == 1 or not entries:
                entries.append(entry)
            else:
                entries[-1].children.append(entry)
    return entries


def render_html(document: Document) -> str:
    """The HTML page of ``document``."""
    t = Translator(document.lang)
    blocks = []
    for block in document.blocks:
        kind = {Heading: "heading", Paragraph: "paragraph", Table: "table", Figure: "figure"}[
            type(block)
        ]
        blocks.append((kind, block))
    svg_data = {
        figure.key: base64.b64encode(figure.svg).decode("ascii") for figure in document.figures()
    }
    return (
        _environment()
        .get_template("report.html")
        .render(
            doc=document,
            blocks=blocks,
            toc=table_of_contents(document),
            svg_data=svg_data,
            css=_template("report.css"),
            contents=t("contents"),
            kicker=t("report.kicker"),
        )
    )
