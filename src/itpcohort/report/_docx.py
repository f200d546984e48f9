"""``report.docx``: the report as a Word document a co-author can edit.

Headings use Word's Heading 1/2 styles (the navigation pane lists them); tables are real Word
tables (header rows repeated on each page, spanning cells merged, journal rules: a line above and
below the table and under the header) with a "Caption"-style caption whose number is a Word
``SEQ`` field, so Word's list of tables and cross-references work; figures are the 300 dpi PNGs.
A4 pages, 2 cm margins; the document language is set so that Word checks the right spelling.

Deterministic: fixed document properties (dates from ``generated_at``), and the zip is re-packed
with fixed entry dates, so two writes of the same report are byte-identical.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from itpcohort.report._blocks import Document, Figure, Heading, Paragraph, Table, Text

PAGE_WIDTH_CM, PAGE_HEIGHT_CM, MARGIN_CM = 21.0, 29.7, 2.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
FIXED_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
WORD_LANG = {"en": "en-GB", "fr": "fr-FR"}
MIN_WEIGHT, MAX_WEIGHT, PADDING = 10, 34, 5
#: a value cell this short never wraps (a p-value, a count, an interval)
NO_WRAP_CHARS = 12


#: the schema order of the property elements this module adds to (python-docx deletes its own
#: copies of these sequences after building its classes)
SCHEMA_ORDER: dict[str, tuple[str, ...]] = {
    "w:tblPr": ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual",
                "w:tblStyleRowBandSize", "w:tblStyleColBandSize", "w:tblW", "w:jc",
                "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout",
                "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange"),
    "w:tcPr": ("w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders",
               "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
               "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge",
               "w:tcPrChange"),
    "w:trPr": ("w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter",
               "w:cantSplit", "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc",
               "w:hidden", "w:ins", "w:del", "w:trPrChange"),
    "w:rPr": ("w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps",
              "w:strike", "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint",
              "w:noProof", "w:snapToGrid", "w:vanish", "w:webHidden", "w:color", "w:spacing",
              "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
              "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang",
              "w:eastAsianLayout", "w:specVanish", "w:oMath"),
}  # fmt: skip


def _insert_in_order(parent: Any, child: Any, tag: str) -> None:
    """Insert ``child`` (``tag``) where the schema wants it among ``parent``'s children.

    Word refuses a document whose property elements are out of schema order, so an element is
    never simply appended: it goes before the first sibling that must follow it.
    """
    parent_tag = next(name for name in SCHEMA_ORDER if parent.tag == qn(name))
    sequence = SCHEMA_ORDER[parent_tag]
    parent.insert_element_before(child, *sequence[sequence.index(tag) + 1 :])


def _set_language(document: DocxDocument, lang: str) -> None:
    for style_name in ("Normal", "Caption", "Title", "Heading 1", "Heading 2"):
        rpr = document.styles[style_name].element.get_or_add_rPr()
        for old in rpr.findall(qn("w:lang")):
            rpr.remove(old)
        element = OxmlElement("w:lang")
        element.set(qn("w:val"), WORD_LANG[lang])
        _insert_in_order(rpr, element, "w:lang")


def _setup(document: DocxDocument, lang: str) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    caption = document.styles["Caption"]
    caption.font.size = Pt(9.5)
    caption.font.italic = False
    caption.font.bold = False
    caption.font.color.rgb = RGBColor(0x1A, 0x1A, 0x1A)
    _set_language(document, lang)


def _add_runs(paragraph: DocxParagraph, parts: tuple[Text, ...], size: float | None = None) -> None:
    for part in parts:
        run = paragraph.add_run(part.text)
        run.bold = part.bold or None
        run.italic = part.italic or None
        if size:
            run.font.size = Pt(size)


def _seq_field(paragraph: DocxParagraph, label: str, number: int) -> None:
    """``Label N.`` where N is a Word SEQ field with its current value cached."""
    label_run = paragraph.add_run(f"{label} ")
    label_run.bold = True
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" SEQ {label} \\* ARABIC ")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    rpr.append(OxmlElement("w:b"))
    run.append(rpr)
    text = OxmlElement("w:t")
    text.text = str(number)
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    dot = paragraph.add_run(". ")
    dot.bold = True


def _caption(document: DocxDocument, label: str, number: int, caption: str) -> DocxParagraph:
    paragraph = document.add_paragraph(style="Caption")
    _seq_field(paragraph, label, number)
    paragraph.add_run(caption)
    return paragraph


def _border(element_pr: Any, tag: str, edges: dict[str, int]) -> None:
    borders = OxmlElement(tag)
    for edge, size in edges.items():
        border = OxmlElement(f"w:{edge}")
        border.set(qn("w:val"), "single" if size else "nil")
        if size:
            border.set(qn("w:sz"), str(size))
            border.set(qn("w:space"), "0")
            border.set(qn("w:color"), "000000")
        borders.append(border)
    _insert_in_order(element_pr, borders, tag)


def _keep_with_next(paragraph: DocxParagraph) -> None:
    paragraph.paragraph_format.keep_with_next = True


def column_widths(table: Table) -> list[float]:
    """Column widths (cm) filling the text width in proportion to each column's longest text.

    A text counts for at most ``MAX_WEIGHT`` characters (long texts wrap) and at least
    ``MIN_WEIGHT`` (a narrow count column still holds its header); the label column gets its
    indent too.
    """
    weights = [float(MIN_WEIGHT)] * table.n_columns
    for row in table.rows:
        column = 0
        for cell in row:
            if cell.span == 1:
                length = len(cell.text) + 3 * cell.indent + PADDING
                weights[column] = max(weights[column], min(length, MAX_WEIGHT))
            column += cell.span
    for cell_index, cell in enumerate(table.header[-1]):
        words = max((len(word) for word in cell.text.split()), default=0)
        weights[cell_index] = max(weights[cell_index], min(words + PADDING, MAX_WEIGHT))
    total = sum(weights)
    return [TEXT_WIDTH_CM * weight / total for weight in weights]


def _table(document: DocxDocument, table: Table) -> DocxTable:
    _keep_with_next(_caption(document, table.label, table.number, table.caption))
    n_rows = len(table.header) + len(table.rows)
    word_table = document.add_table(rows=n_rows, cols=table.n_columns)
    word_table.alignment = WD_TABLE_ALIGNMENT.CENTER
    word_table.autofit = False
    _border(
        word_table._tbl.tblPr,
        "w:tblBorders",
        {"top": 12, "left": 0, "bottom": 12, "right": 0, "insideH": 0, "insideV": 0},
    )
    widths = column_widths(table)
    for grid_column, width in zip(word_table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        grid_column.w = Cm(width)
    all_rows = (*table.header, *table.rows)
    # merge the spanning cells first, then read the cell grid once (Table.cell is O(table size))
    for row_index, row in enumerate(all_rows):
        column = 0
        for cell in row:
            if cell.span > 1:
                word_table.cell(row_index, column).merge(
                    word_table.cell(row_index, column + cell.span - 1)
                )
            column += cell.span
    grid = word_table._cells
    for row_index, row in enumerate(all_rows):
        is_header = row_index < len(table.header)
        if is_header:
            tr_pr = word_table.rows[row_index]._tr.get_or_add_trPr()
            _insert_in_order(tr_pr, OxmlElement("w:tblHeader"), "w:tblHeader")
        column = 0
        for cell in row:
            word_cell = grid[row_index * table.n_columns + column]
            word_cell.width = Cm(sum(widths[column : column + cell.span]))
            paragraph = word_cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.paragraph_format.space_before = Pt(0)
            if column > 0 and cell.align != "left":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if cell.indent:
                paragraph.paragraph_format.left_indent = Cm(0.4 * cell.indent)
            run = paragraph.add_run(cell.text)
            run.font.size = Pt(8.5)
            run.bold = (is_header or cell.bold) or None
            # tcPr children in schema order: tcW, gridSpan, ..., tcBorders, shd, noWrap
            if is_header and row_index == len(table.header) - 1:
                _border(word_cell._tc.get_or_add_tcPr(), "w:tcBorders", {"bottom": 6})
            if column > 0 and len(cell.text) <= NO_WRAP_CHARS:
                tc_pr = word_cell._tc.get_or_add_tcPr()
                _insert_in_order(tc_pr, OxmlElement("w:noWrap"), "w:noWrap")
            column += cell.span
    for note in table.notes:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        _add_runs(paragraph, note, size=8)
    document.add_paragraph().paragraph_format.space_after = Pt(2)
    return word_table


def _figure(document: DocxDocument, figure: Figure) -> None:
    document.add_picture(io.BytesIO(figure.png), width=Cm(min(figure.width_cm, TEXT_WIDTH_CM)))
    picture_paragraph = document.paragraphs[-1]
    picture_paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _keep_with_next(picture_paragraph)
    if figure.part == 1 and not figure.series:
        _caption(document, figure.label, figure.number, figure.caption)
        return
    # a later part of a figure repeats its number as text: a second SEQ field would renumber
    # every following figure when Word updates the fields; a supplementary figure (S1) is
    # numbered apart, as text
    paragraph = document.add_paragraph(style="Caption")
    paragraph.add_run(f"{figure.label} {figure.number_text}. ").bold = True
    paragraph.add_run(figure.caption)


def _core_properties(document: DocxDocument, title: str, generated_at: str | None) -> None:
    moment = datetime(2000, 1, 1, tzinfo=UTC)
    if generated_at:
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
    properties = document.core_properties
    properties.title = title
    properties.author = "itpcohort"
    properties.last_modified_by = "itpcohort"
    properties.created = moment
    properties.modified = moment
    properties.last_printed = moment
    properties.revision = 1
    properties.comments = ""


def _repack(data: bytes) -> bytes:
    """The same zip with fixed entry dates (python-docx stamps the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def render_docx(document: Document, generated_at: str | None = None) -> bytes:
    """The Word document of ``document``, as bytes."""
    word = new_document()
    _setup(word, document.lang)
    _core_properties(word, document.title, generated_at)
    word.add_heading(document.title, level=0)
    subtitle = word.add_paragraph(document.subtitle)
    subtitle.runs[0].font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    for block in document.blocks:
        if isinstance(block, Heading):
            word.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            paragraph = word.add_paragraph()
            _add_runs(
                paragraph, block.parts, size=9 if block.style in ("note", "reference") else None
            )
            if block.style == "lead":
                paragraph.paragraph_format.left_indent = Cm(0.5)
        elif isinstance(block, Table):
            _table(word, block)
        elif isinstance(block, Figure):
            _figure(word, block)
    buffer = io.BytesIO()
    word.save(buffer)
    return _repack(buffer.getvalue())
