"""The data-collection workbook (CRF) a center fills by hand (``data-model.md``, all tables).

Built from :mod:`itpcohort.schema` with openpyxl:

- a first sheet ``README`` explaining the conventions and every column (table, column, label, type,
  required, allowed values, example, description) in the chosen language;
- one sheet per table, named as the table, whose row 1 holds exactly the data-model column names
  (required columns in orange), frozen, with sensible widths;
- on rows 2 to ``LAST_ROW``: a dropdown for every vocabulary and yes/no column (values kept in the
  hidden sheet ``lists``, because inline lists are limited to 255 characters), date checks on date
  columns, whole/decimal ranges on numeric columns, and the column's help as the input message;
- date columns formatted ``yyyy-mm-dd``; partial-date columns (``birth_date``, ``diagnosis_date``)
  and free-text columns formatted as text, so that Excel keeps ``1975-06`` and ``TLS-0012`` as typed
  (it would turn ``1975-06`` into 1 June 1975 and drop leading zeros). Their check accepts a text
  ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, or a native Excel date.

Platelet counts are checked 0..2000 with a *warning* rather than a refusal: a count typed per µL or
mm3 is legitimate once its unit is chosen, and it is converted on import (``data-model.md``).

A filled workbook imports with no conversion: sheets named as tables, header on row 1, native Excel
dates. ``README`` and ``lists`` are not tables, and the importer skips them.

The file is deterministic: workbook properties carry a fixed timestamp and the zip entries a fixed
date, so two runs write identical bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from itpcohort.crf.labels import (
    BOOLEAN_WORDS,
    COLUMN_TEXTS,
    REQUIRED_IF,
    TABLE_TEXTS,
    TYPE_TEXTS,
    UI,
    VALUE_LABELS,
    Language,
    spelling,
)
from itpcohort.schema import (
    BOOLEAN_SPELLINGS,
    TABLES,
    Column,
    ColumnType,
    Table,
)
from itpcohort.shared.safe_csv import neutralise

README_SHEET = "README"
LISTS_SHEET = "lists"
#: sheets of the workbook that are not tables of the data model (the importer skips them)
NON_TABLE_SHEETS = (README_SHEET, LISTS_SHEET)
FIRST_DATA_ROW = 2
#: data validations and input messages cover rows FIRST_DATA_ROW..LAST_ROW of every table sheet
LAST_ROW = 20001
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
#: written into the workbook properties and the zip entries so that the bytes never change
FIXED_TIMESTAMP = dt.datetime(2000, 1, 1, 0, 0, 0)

#: Excel's limits on data-validation texts (longer ones make Excel "repair" the file)
MAX_TITLE = 32
MAX_MESSAGE = 255
MAX_FORMULA = 255

_REQUIRED_FILL = PatternFill("solid", fgColor="FFF8CBAD")
_OPTIONAL_FILL = PatternFill("solid", fgColor="FFE7E6E6")
_BOLD = Font(bold=True)
_TOP_WRAP = Alignment(wrap_text=True, vertical="top")


def _fits(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def dropdown_values(column: Column, lang: Language) -> tuple[str, ...]:
    """The values offered by the dropdown of a vocabulary or yes/no column, as typed in a cell."""
    if column.type is ColumnType.BOOLEAN:
        return BOOLEAN_WORDS[lang]
    return tuple(spelling(value) for value in column.vocabulary)


def has_dropdown(column: Column) -> bool:
    """True for the columns that get a dropdown: vocabularies and booleans."""
    return column.type in (ColumnType.VOCAB, ColumnType.BOOLEAN)


def range_text(column: Column, lang: Language) -> str:
    """The allowed range of a numeric column in words (``0 to 2000``, ``1 or more``)."""
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        return UI["range_between"](lang).format(low=_number(low), high=_number(high))
    if low is not None:
        return UI["range_at_least"](lang).format(low=_number(low))
    if high is not None:
        return UI["range_at_most"](lang).format(high=_number(high))
    key = "any_integer" if column.type is ColumnType.INTEGER else "any_number"
    return UI[key](lang)


def allowed_values_text(column: Column, lang: Language) -> str:
    """What a cell of ``column`` may hold, in words, for the README sheet."""
    if column.type is ColumnType.VOCAB:
        parts = []
        for value in column.vocabulary:
            written, label = spelling(value), VALUE_LABELS[value](lang)
            parts.append(written if label.lower() == written.lower() else f"{written} = {label}")
        return "; ".join(parts)
    if column.type is ColumnType.BOOLEAN:
        return UI["boolean_values"](lang).format(words=" / ".join(BOOLEAN_WORDS[lang]))
    if column.type is ColumnType.DATE:
        return UI["date_values"](lang)
    if column.type is ColumnType.PARTIAL_DATE:
        return UI["partial_date_values"](lang)
    if column.type in (ColumnType.NUMBER, ColumnType.INTEGER):
        return range_text(column, lang)
    return UI["free_text"](lang)


def required_text(table: Table, column: Column, lang: Language) -> str:
    """``yes``/``no``, or the condition under which the column is required (``secondary_cause``)."""
    condition = REQUIRED_IF.get((table.name, column.name))
    if condition is not None:
        return condition(lang)
    return UI["yes" if column.required else "no"](lang)


def _partial_date_formula(cell: str) -> str:
    """True for a native date, or a text shaped YYYY, YYYY-MM or YYYY-MM-DD (the importer checks
    the calendar); relative to the first cell of the validated range."""
    c = cell
    return (
        f"OR(AND(ISNUMBER({c}),{c}>=1),AND(ISTEXT({c}),ISNUMBER(VALUE(LEFT({c},4))),"
        f'OR(LEN({c})=4,AND(LEN({c})=7,MID({c},5,1)="-"),'
        f'AND(LEN({c})=10,MID({c},5,1)="-",MID({c},8,1)="-"))))'
    )


#: columns whose out-of-range values only warn: a platelet count per µL or mm3 is legitimate once
#: its unit is chosen, and is divided by 1000 on import (``data-model.md``, platelet_counts)
WARN_ONLY = frozenset({("platelet_counts", "platelets")})


def _numeric_check(column: Column, lang: Language) -> tuple[dict[str, object], str, str]:
    """The whole/decimal check of a numeric column, its error title and its error message."""
    integer = column.type is ColumnType.INTEGER
    check: dict[str, object] = {"type": "whole" if integer else "decimal"}
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        check |= {"operator": "between", "formula1": _number(low), "formula2": _number(high)}
    elif low is not None:
        check |= {"operator": "greaterThanOrEqual", "formula1": _number(low)}
    elif high is not None:
        check |= {"operator": "lessThanOrEqual", "formula1": _number(high)}
    else:
        check |= {"operator": "between", "formula1": "-1E+307", "formula2": "1E+307"}
    title = UI["dv_integer_title" if integer else "dv_number_title"](lang)
    error = UI["dv_integer_error" if integer else "dv_number_error"](lang)
    return check, title, error.format(allowed=range_text(column, lang))


def _validation(
    table: Table, column: Column, letter: str, list_range: str | None, lang: Language
) -> DataValidation:
    """The data validation of one column: its check, its input message and its error message."""
    texts = COLUMN_TEXTS[(table.name, column.name)]
    first_cell = f"{letter}{FIRST_DATA_ROW}"
    check: dict[str, object] = {}
    error_title, error = "", ""
    if list_range is not None:
        check = {"type": "list", "formula1": list_range}
        error_title, error = UI["dv_list_title"](lang), UI["dv_list_error"](lang)
    elif column.type is ColumnType.DATE:
        check = {
            "type": "date",
            "operator": "between",
            "formula1": str(int(to_excel(EARLIEST_DATE))),
            "formula2": str(int(to_excel(LATEST_DATE))),
        }
        error_title, error = UI["dv_date_title"](lang), UI["dv_date_error"](lang)
    elif column.type is ColumnType.PARTIAL_DATE:
        check = {"type": "custom", "formula1": _partial_date_formula(first_cell)}
        error_title, error = UI["dv_partial_title"](lang), UI["dv_partial_error"](lang)
    elif column.type in (ColumnType.NUMBER, ColumnType.INTEGER):
        check, error_title, error = _numeric_check(column, lang)
    warn_only = (table.name, column.name) in WARN_ONLY
    if warn_only:
        error = UI["dv_platelets_error"](lang)
    validation = DataValidation(
        allow_blank=True,
        showErrorMessage=bool(error),
        showInputMessage=True,
        promptTitle=_fits(texts.label(lang), MAX_TITLE),
        prompt=_fits(texts.help(lang), MAX_MESSAGE),
        **check,
    )
    if error:
        validation.errorStyle = "warning" if warn_only else "stop"
        validation.errorTitle = _fits(error_title, MAX_TITLE)
        validation.error = _fits(error, MAX_MESSAGE)
    validation.add(f"{first_cell}:{letter}{LAST_ROW}")
    return validation


def _column_width(column: Column, lang: Language) -> float:
    longest = len(column.name)
    if has_dropdown(column):
        longest = max(longest, *(len(v) for v in dropdown_values(column, lang)))
    if column.type in (ColumnType.DATE, ColumnType.PARTIAL_DATE):
        longest = max(longest, len("2019-03-04"))
    if column.type is ColumnType.TEXT:
        longest = max(longest, 14)
    return float(min(max(longest + 3, 10), 40))


def _fill_lists(lists: Worksheet, lang: Language) -> dict[tuple[str, str], str]:
    """Write one column per dropdown into the lists sheet; return (table, column) -> range."""
    ranges: dict[tuple[str, str], str] = {}
    index = 0
    for table in TABLES:
        for column in table.columns:
            if not has_dropdown(column):
                continue
            index += 1
            letter = get_column_letter(index)
            values = dropdown_values(column, lang)
            lists.cell(row=1, column=index, value=f"{table.name}.{column.name}")
            for offset, value in enumerate(values, start=2):
                lists.cell(row=offset, column=index, value=neutralise(value))
            last = 1 + len(values)
            ranges[(table.name, column.name)] = f"{LISTS_SHEET}!${letter}$2:${letter}${last}"
            lists.column_dimensions[letter].width = max(len(f"{table.name}.{column.name}"), 12)
    return ranges


def _fill_table_sheet(
    sheet: Worksheet, table: Table, ranges: dict[tuple[str, str], str], lang: Language
) -> None:
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index, value=column.name)
        header.font = _BOLD
        header.fill = _REQUIRED_FILL if column.required else _OPTIONAL_FILL
        dimension = sheet.column_dimensions[letter]
        dimension.width = _column_width(column, lang)
        if column.type is ColumnType.DATE:
            dimension.number_format = DATE_FORMAT
        elif column.type in (ColumnType.PARTIAL_DATE, ColumnType.TEXT):
            dimension.number_format = TEXT_FORMAT
        sheet.add_data_validation(
            _validation(table, column, letter, ranges.get((table.name, column.name)), lang)
        )
    sheet.freeze_panes = "B2"


def _readme_rows(lang: Language) -> list[list[str]]:
    """The README sheet as rows of text: title, conventions, then one row per table and column."""
    partial = [
        f"{t.name}.{c.name}" for t in TABLES for c in t.columns if c.type is ColumnType.PARTIAL_DATE
    ]
    fields = {
        "required_tables": ", ".join(t.name for t in TABLES if t.required),
        "partial_columns": ", ".join(partial),
        "boolean_words": " / ".join(BOOLEAN_WORDS[lang]),
        "boolean_spellings": ", ".join(
            s for s in BOOLEAN_SPELLINGS if s not in BOOLEAN_WORDS[lang]
        ),
        "last_row": str(LAST_ROW),
    }
    rows: list[list[str]] = [[UI["readme_title"](lang)], []]
    number = 1
    while f"readme_how_{number}" in UI:
        rows.append([f"{number}. " + UI[f"readme_how_{number}"](lang).format(**fields)])
        number += 1
    rows += [[], [UI["readme_columns"](lang)]]
    heads = ("table", "column", "label", "type", "required", "allowed", "example", "description")
    rows.append([UI[f"head_{h}"](lang) for h in heads])
    for table in TABLES:
        kind = UI["required_table" if table.required else "optional_table"](lang)
        rows.append([table.name, "", "", "", kind, "", "", TABLE_TEXTS[table.name](lang)])
        for column in table.columns:
            texts = COLUMN_TEXTS[(table.name, column.name)]
            rows.append(
                [
                    table.name,
                    column.name,
                    texts.label(lang),
                    TYPE_TEXTS[column.type](lang),
                    required_text(table, column, lang),
                    allowed_values_text(column, lang),
                    texts.example(lang),
                    texts.help(lang),
                ]
            )
    return rows


README_WIDTHS = (26, 24, 30, 22, 12, 60, 18, 70)


def _fill_readme(sheet: Worksheet, lang: Language) -> None:
    rows = _readme_rows(lang)
    header_row = next(i for i, row in enumerate(rows, start=1) if len(row) == len(README_WIDTHS))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value == "":
                continue
            cell = sheet.cell(row=r, column=c, value=neutralise(value))
            if r > header_row:
                cell.alignment = _TOP_WRAP
                if row[1] == "":
                    cell.font = _BOLD
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.cell(row=header_row - 1, column=1).font = Font(bold=True, size=12)
    for c in range(1, len(README_WIDTHS) + 1):
        sheet.cell(row=header_row, column=c).font = _BOLD
        sheet.cell(row=header_row, column=c).fill = _OPTIONAL_FILL
        sheet.column_dimensions[get_column_letter(c)].width = README_WIDTHS[c - 1]


def build_workbook(lang: Language = "en") -> Workbook:
    """The CRF workbook in ``lang``: README, one sheet per table, then the hidden ``lists``."""
    workbook = Workbook()
    readme = workbook.active
    assert readme is not None
    readme.title = README_SHEET
    _fill_readme(readme, lang)
    table_sheets = [workbook.create_sheet(table.name) for table in TABLES]
    lists = workbook.create_sheet(LISTS_SHEET)
    ranges = _fill_lists(lists, lang)
    lists.sheet_state = "hidden"
    for sheet, table in zip(table_sheets, TABLES, strict=True):
        _fill_table_sheet(sheet, table, ranges, lang)
    workbook.active = 0
    properties = workbook.properties
    properties.creator = "itpcohort"
    properties.title = UI["readme_title"](lang)
    properties.language = lang
    properties.created = FIXED_TIMESTAMP
    properties.modified = FIXED_TIMESTAMP
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    """Serialise ``workbook`` to .xlsx bytes that depend only on its content.

    openpyxl's ``save`` stamps the current time into the properties and into every zip entry; this
    writes through openpyxl's ``ExcelWriter`` without the stamp, then rewrites the archive with a
    fixed date on every entry.
    """
    raw = io.BytesIO()
    # stored, not compressed: the archive is compressed once, when rewritten below
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as archive:
        ExcelWriter(workbook, archive).write_data()
    fixed = io.BytesIO()
    date_time = FIXED_TIMESTAMP.timetuple()[:6]
    with (
        zipfile.ZipFile(raw, "r") as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return fixed.getvalue()


def write_workbook(path: Path, lang: Language = "en") -> None:
    """Write the CRF workbook in ``lang`` to ``path`` (identical bytes on every run)."""
    path.write_bytes(workbook_bytes(build_workbook(lang)))
