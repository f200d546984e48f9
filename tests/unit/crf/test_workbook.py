"""The CRF workbook, opened with openpyxl: sheets, headers, dropdowns, formats, checks and README."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from itpcohort.crf.labels import BOOLEAN_WORDS, COLUMN_TEXTS, VALUE_LABELS
from itpcohort.crf.workbook import (
    DATE_FORMAT,
    FIRST_DATA_ROW,
    LAST_ROW,
    LISTS_SHEET,
    MAX_FORMULA,
    MAX_MESSAGE,
    MAX_TITLE,
    NON_TABLE_SHEETS,
    README_SHEET,
    TEXT_FORMAT,
    build_workbook,
    workbook_bytes,
)
from itpcohort.schema import BOOLEAN_SPELLINGS, TABLES, Column, ColumnType

FORMULA_STARTS = ("=", "+", "-", "@")


@pytest.fixture(scope="module", params=["en", "fr"])
def opened(request: pytest.FixtureRequest) -> tuple[str, Workbook]:
    """The workbook as a reader sees it: written to bytes, then loaded back."""
    lang = request.param
    data = workbook_bytes(build_workbook(lang))
    return lang, load_workbook(io.BytesIO(data))


def validation_of(sheet: Worksheet, letter: str) -> DataValidation:
    matches = [
        dv
        for dv in sheet.data_validations.dataValidation
        if str(dv.sqref) == f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}"
    ]
    assert len(matches) == 1, (sheet.title, letter)
    return matches[0]


def columns_with_letters():
    for table in TABLES:
        for index, column in enumerate(table.columns, start=1):
            yield table, column, get_column_letter(index)


def list_values(workbook: Workbook, reference: str) -> list[str]:
    sheet_name, cells = reference.split("!")
    assert sheet_name == LISTS_SHEET
    return [c.value for (c,) in workbook[sheet_name][cells.replace("$", "")]]


def test_sheets_readme_first_tables_in_order_lists_hidden_last(opened) -> None:
    _, workbook = opened
    assert workbook.sheetnames == [README_SHEET, *(t.name for t in TABLES), LISTS_SHEET]
    assert workbook.sheetnames[0] == "README"
    assert workbook[LISTS_SHEET].sheet_state == "hidden"
    assert [s for s in workbook.sheetnames if s not in {t.name for t in TABLES}] == list(
        NON_TABLE_SHEETS
    )
    assert workbook.active.title == README_SHEET


def test_headers_are_exactly_the_data_model_columns_and_frozen(opened) -> None:
    _, workbook = opened
    for table in TABLES:
        sheet = workbook[table.name]
        header = [cell.value for cell in sheet[1]]
        assert header == list(table.column_names)
        assert sheet.freeze_panes == "B2"
        # an empty template: only the header row holds values
        assert sheet.max_row == 1
        for cell in sheet[1]:
            assert cell.font.bold


def test_required_columns_stand_out(opened) -> None:
    _, workbook = opened
    for table in TABLES:
        fills = {
            column.required: workbook[table.name][f"{get_column_letter(i)}1"].fill.fgColor.rgb
            for i, column in enumerate(table.columns, start=1)
        }
        assert fills[True] != fills.get(False, "none")


def test_dropdown_on_every_vocabulary_and_boolean_column(opened) -> None:
    lang, workbook = opened
    dropdowns = 0
    for table, column, letter in columns_with_letters():
        dv = validation_of(workbook[table.name], letter)
        if column.type not in (ColumnType.VOCAB, ColumnType.BOOLEAN):
            assert dv.type != "list"
            continue
        dropdowns += 1
        assert dv.type == "list"
        assert dv.showErrorMessage and dv.errorStyle == "stop"
        assert dv.showDropDown in (False, None)  # True would hide the arrow in Excel
        values = list_values(workbook, dv.formula1)
        if column.type is ColumnType.BOOLEAN:
            assert values == list(BOOLEAN_WORDS[lang])
            assert all(v in BOOLEAN_SPELLINGS for v in values)
        else:
            # every vocabulary value offered, each in a spelling the importer accepts
            assert [v.lower() for v in values] == [v.lower() for v in column.vocabulary]
    assert dropdowns == sum(
        c.type in (ColumnType.VOCAB, ColumnType.BOOLEAN) for t in TABLES for c in t.columns
    )


def test_the_long_drug_list_goes_through_the_lists_sheet(opened) -> None:
    _, workbook = opened
    dv = validation_of(workbook["treatments"], "C")
    assert len(",".join(column_vocabulary("treatments", "drug"))) > 255  # too long inline
    assert dv.formula1.startswith(f"{LISTS_SHEET}!")
    assert "rituximab" in list_values(workbook, dv.formula1)


def column_vocabulary(table: str, column: str) -> tuple[str, ...]:
    return next(t for t in TABLES if t.name == table).column(column).vocabulary


def test_date_columns_formatted_and_checked(opened) -> None:
    _, workbook = opened
    seen = 0
    for table, column, letter in columns_with_letters():
        sheet = workbook[table.name]
        dv = validation_of(sheet, letter)
        fmt = sheet.column_dimensions[letter].number_format
        if column.type is ColumnType.DATE:
            seen += 1
            assert fmt == DATE_FORMAT == "yyyy-mm-dd"
            assert (dv.type, dv.operator) == ("date", "between")
            assert float(dv.formula1) == to_excel(dt.date(1900, 1, 1))
            assert float(dv.formula2) == to_excel(dt.date(2100, 12, 31))
            assert dv.errorStyle == "stop"
        elif column.type is ColumnType.PARTIAL_DATE:
            seen += 1
            # text, so that Excel keeps 1975-06 as typed; the check allows text or a date
            assert fmt == TEXT_FORMAT
            assert dv.type == "custom"
            assert f"ISNUMBER({letter}{FIRST_DATA_ROW})" in dv.formula1
            assert f"ISTEXT({letter}{FIRST_DATA_ROW})" in dv.formula1
    assert seen == sum(
        c.type in (ColumnType.DATE, ColumnType.PARTIAL_DATE) for t in TABLES for c in t.columns
    )


def test_partial_date_columns_are_birth_and_diagnosis(opened) -> None:
    _, workbook = opened
    sheet = workbook["patients"]
    for name in ("birth_date", "diagnosis_date"):
        letter = get_column_letter(TABLES[0].column_names.index(name) + 1)
        assert sheet.column_dimensions[letter].number_format == TEXT_FORMAT


def test_numeric_ranges(opened) -> None:
    _, workbook = opened

    def check(table: str, column: str) -> DataValidation:
        names = next(t for t in TABLES if t.name == table).column_names
        return validation_of(workbook[table], get_column_letter(names.index(column) + 1))

    platelets = check("platelet_counts", "platelets")
    assert (platelets.type, platelets.operator, platelets.formula1, platelets.formula2) == (
        "decimal",
        "between",
        "0",
        "2000",
    )
    assert platelets.errorStyle == "warning"  # a count per µL with its unit is legitimate
    who = check("bleeding_events", "who_grade")
    assert (who.type, who.operator, who.formula1, who.formula2) == ("whole", "between", "0", "4")
    ctcae = check("adverse_events", "ctcae_grade")
    assert (ctcae.type, ctcae.formula1, ctcae.formula2) == ("whole", "1", "5")
    course = check("investigator_assessments", "course_number")
    assert (course.type, course.operator, course.formula1) == ("whole", "greaterThanOrEqual", "1")
    assert course.errorStyle == "stop"
    dose = check("treatments", "dose")
    assert (dose.type, dose.operator, dose.formula1) == ("decimal", "greaterThanOrEqual", "0")


def test_validation_texts_fit_excels_limits(opened) -> None:
    _, workbook = opened
    for table in TABLES:
        for dv in workbook[table.name].data_validations.dataValidation:
            assert len(dv.promptTitle or "") <= MAX_TITLE
            assert len(dv.errorTitle or "") <= MAX_TITLE
            assert len(dv.prompt or "") <= MAX_MESSAGE
            assert len(dv.error or "") <= MAX_MESSAGE
            assert len(dv.formula1 or "") <= MAX_FORMULA
            assert dv.prompt  # every column shows its help when a cell is selected


def test_column_widths_fit_the_longest_entry(opened) -> None:
    _, workbook = opened
    for table, column, letter in columns_with_letters():
        width = workbook[table.name].column_dimensions[letter].width
        assert len(column.name) < width <= 40
        if column.type is ColumnType.VOCAB:
            assert max(len(v) for v in column.vocabulary) < width


def readme_rows(workbook: Workbook) -> list[tuple[object, ...]]:
    return list(workbook[README_SHEET].iter_rows(values_only=True))


def test_readme_documents_every_column(opened) -> None:
    lang, workbook = opened
    rows = readme_rows(workbook)
    header_index = next(i for i, row in enumerate(rows) if row[0] == "Table")
    described = {(row[0], row[1]): row for row in rows[header_index + 1 :] if row[1]}
    assert set(described) == {(t.name, c.name) for t in TABLES for c in t.columns}
    for table in TABLES:
        for column in table.columns:
            _, _, label, kind, required, allowed, example, description = described[
                (table.name, column.name)
            ]
            texts = COLUMN_TEXTS[(table.name, column.name)]
            assert label == texts.label(lang)
            assert description == texts.help(lang)
            assert kind and required and allowed
            assert (example or "") == texts.example(lang)
            check_allowed(column, str(allowed), lang)


def check_allowed(column: Column, allowed: str, lang: str) -> None:
    if column.type is ColumnType.VOCAB:
        for value in column.vocabulary:
            assert value.lower() in allowed.lower()
            assert VALUE_LABELS[value](lang).lower() in allowed.lower()  # type: ignore[arg-type]
    if column.minimum is not None:
        assert str(int(column.minimum)) in allowed
    if column.maximum is not None:
        assert str(int(column.maximum)) in allowed


def test_readme_is_in_the_chosen_language(opened) -> None:
    lang, workbook = opened
    rows = readme_rows(workbook)
    title = rows[0][0]
    assert (
        title
        == {
            "en": "itpcohort: data-collection workbook",
            "fr": "itpcohort : classeur de recueil des données",
        }[lang]
    )
    conditional = next(r for r in rows if r[:2] == ("patients", "secondary_cause"))
    assert conditional[4] == {"en": "if secondary ITP", "fr": "si PTI secondaire"}[lang]
    text = " ".join(str(v) for row in rows for v in row if v)
    assert "birth_date" in text and str(LAST_ROW) in text
    assert ("Obligatoire" in text) == (lang == "fr")


def test_no_cell_reads_as_a_formula(opened) -> None:
    _, workbook = opened
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not value.startswith(FORMULA_STARTS), (sheet.title, value)


def test_two_runs_give_identical_bytes() -> None:
    for lang in ("en", "fr"):
        assert workbook_bytes(build_workbook(lang)) == workbook_bytes(build_workbook(lang))
    assert workbook_bytes(build_workbook("en")) != workbook_bytes(build_workbook("fr"))
