"""A center fills the CRF workbook (here with openpyxl, as Excel would store it), saves it, and the
study import takes it with no conversion and no rejected row.

The filled file keeps the layout the importer reads: one sheet per table named as the table, the
data-model header on row 1, native Excel dates, dropdown values, and only README/lists besides.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from itpcohort.config import load_config
from itpcohort.crf.labels import BOOLEAN_WORDS
from itpcohort.crf.workbook import LISTS_SHEET, NON_TABLE_SHEETS, write_workbook
from itpcohort.schema import BOOLEAN_SPELLINGS, TABLES, TABLES_BY_NAME, ColumnType
from itpcohort.store import connect_ibis, execute_to_arrow, import_study

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


def rows_in(lang: str) -> dict[str, list[dict[str, object]]]:
    """ROWS with the yes/no words of the workbook's language (the dropdown offers oui/non in French)."""
    words = dict(zip(("yes", "no"), BOOLEAN_WORDS[lang], strict=True))  # type: ignore[index]
    return {
        table: [
            {k: words.get(v, v) if isinstance(v, str) else v for k, v in row.items()}
            for row in rows
        ]
        for table, rows in ROWS.items()
    }


def fill(path: Path, lang: str = "en") -> None:
    """Open the blank CRF at ``path``, type the rows under the headers, save it in place."""
    workbook = load_workbook(path)
    for table, rows in rows_in(lang).items():
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


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_filled_workbook_imports_with_no_rejected_row(tmp_path: Path, lang: str) -> None:
    path = tmp_path / "toulouse.xlsx"
    write_workbook(path, lang)
    fill(path, lang)

    report = import_study([path], load_config(None), tmp_path / "study.duckdb")

    assert report.rejected == ()
    assert report.problems == ()
    assert report.ok
    for table in TABLES:
        counts = report.count(table.name)
        typed = len(ROWS.get(table.name, []))
        assert (counts.rows_read, counts.rows_loaded, counts.rows_rejected) == (typed, typed, 0)
    # README and lists are skipped as non-table sheets, not read as data
    assert report.notes == tuple(
        f"{path}[{sheet}]: ignored (not a table)" for sheet in NON_TABLE_SHEETS
    )
    assert report.warnings == ()

    db = connect_ibis(tmp_path / "study.duckdb", read_only=True)
    patients = execute_to_arrow(db.table("patients").order_by("patient_id")).to_pylist()
    assert [p["birth_date_precision"] for p in patients] == ["month", "year"]
    assert [p["diagnosis_date_precision"] for p in patients] == ["day", "month"]
    assert patients[0]["last_followup_date"] == dt.date(2023, 11, 20)
    assert patients[1]["secondary_cause"] == "sle"
    counts = execute_to_arrow(
        db.table("platelet_counts").order_by(["patient_id", "date"])
    ).to_pylist()
    # the count typed per µL with its unit is converted, not refused
    assert [c["platelets"] for c in counts] == [12.0, 135.0, 98.0, 8.0]
    treatments = execute_to_arrow(db.table("treatments")).to_pylist()
    assert sorted(t["drug"] for t in treatments) == ["ivig", "prednisone", *["rituximab"] * 4]
    assert [t["rescue"] for t in treatments if t["drug"] == "ivig"] == [True]
    events = execute_to_arrow(db.table("adverse_events")).to_pylist()
    assert [e["serious"] for e in events] == [False]
