"""A center fills the CRF workbook (here with openpyxl, as Excel would store it) and saves it.

The filled file keeps the layout the importer reads: one sheet per table named as the table, the
data-model header on row 1, native Excel dates, dropdown values, and only README/lists besides.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from itpcohort.crf.workbook import LISTS_SHEET, NON_TABLE_SHEETS, write_workbook
from itpcohort.schema import BOOLEAN_SPELLINGS, TABLES, TABLES_BY_NAME, ColumnType

D = dt.datetime

ROWS: dict[str, list[dict[str, object]]] = {
    "patients": [
        {
            "patient_id": "TLS-001",
            "center": "TLS",
            "sex": "F",
            "birth_date": "1975-06",
            "diagnosis_date": D(2012, 3, 15),
            "itp_type": "primary",
            "last_followup_date": D(2023, 11, 20),
        },
        {
            "patient_id": "TLS-002",
            "center": "TLS",
            "sex": "M",
            "birth_date": "1960",
            "diagnosis_date": "2015-09",
            "itp_type": "secondary",
            "secondary_cause": "sle",
            "last_followup_date": D(2022, 5, 2),
        },
    ],
    "treatments": [
        {
            "patient_id": "TLS-001",
            "drug": "prednisone",
            "start_date": D(2012, 3, 16),
            "end_date": D(2012, 5, 1),
            "dose": 1,
            "dose_unit": "mg/kg",
        },
        *(
            {
                "patient_id": "TLS-001",
                "drug": "rituximab",
                "start_date": D(2019, 3, day),
                "dose": 375,
                "dose_unit": "mg/m2",
            }
            for day in (4, 11, 18, 25)
        ),
        {
            "patient_id": "TLS-002",
            "drug": "ivig",
            "start_date": D(2016, 1, 4),
            "dose": 1,
            "dose_unit": "g/kg",
            "rescue": "yes",
        },
    ],
    "platelet_counts": [
        {"patient_id": "TLS-001", "date": D(2019, 3, 1), "platelets": 12},
        {"patient_id": "TLS-001", "date": D(2019, 4, 15), "platelets": 135, "unit": "G/L"},
        {"patient_id": "TLS-001", "date": D(2020, 1, 10), "platelets": 98000, "unit": "/uL"},
        {"patient_id": "TLS-002", "date": D(2016, 1, 3), "platelets": 8},
    ],
    "bleeding_events": [
        {"patient_id": "TLS-002", "date": D(2016, 1, 3), "site": "epistaxis", "who_grade": 2},
    ],
    "adverse_events": [
        {
            "patient_id": "TLS-001",
            "onset_date": D(2019, 3, 4),
            "event": "infusion_reaction",
            "ctcae_grade": 1,
            "serious": "no",
        },
    ],
    "investigator_assessments": [
        {
            "patient_id": "TLS-001",
            "course_number": 1,
            "response": "CR",
            "response_date": D(2019, 4, 15),
        },
    ],
}


def fill(path: Path) -> None:
    """Open the blank CRF at ``path``, type ROWS under the headers, save it in place."""
    workbook = load_workbook(path)
    for table, rows in ROWS.items():
        sheet = workbook[table]
        header = [cell.value for cell in sheet[1]]
        for r, row in enumerate(rows, start=2):
            for column, value in row.items():
                sheet.cell(row=r, column=header.index(column) + 1, value=value)
    workbook.save(path)


def test_filled_workbook_keeps_the_importable_layout(tmp_path: Path) -> None:
    path = tmp_path / "toulouse.xlsx"
    write_workbook(path, "en")
    fill(path)

    workbook = load_workbook(path)
    tables = [name for name in workbook.sheetnames if name not in NON_TABLE_SHEETS]
    assert tables == [t.name for t in TABLES]
    dropdowns = workbook[LISTS_SHEET]
    offered = {
        column[0].value: {cell.value for cell in column[1:] if cell.value is not None}
        for column in dropdowns.iter_cols()
    }
    for name in tables:
        table = TABLES_BY_NAME[name]
        sheet = workbook[name]
        assert [c.value for c in sheet[1]] == list(table.column_names)
        typed = ROWS.get(name, [])
        assert sheet.max_row == 1 + len(typed)
        for r, row in enumerate(typed, start=2):
            for column, value in row.items():
                cell = sheet.cell(row=r, column=table.column_names.index(column) + 1)
                assert cell.value == value
                kind = table.column(column).type
                if kind is ColumnType.DATE:
                    assert cell.is_date  # native Excel date, read back as a datetime
                if kind is ColumnType.VOCAB:
                    assert value in offered[f"{name}.{column}"]
                if kind is ColumnType.BOOLEAN:
                    assert value in BOOLEAN_SPELLINGS
    # the checks survive the round trip through a save
    assert len(workbook["platelet_counts"].data_validations.dataValidation) == 5
