"""Workbook cells read as the text a CSV would hold; sheet rows keep their numbers."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from itpcohort.errors import InputError
from itpcohort.io.xlsx_reader import cell_text, open_sheet_text, sheet_names


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (dt.datetime(2019, 3, 4, 0, 0), "2019-03-04"),
        (dt.datetime(2019, 3, 4, 13, 30), "2019-03-04"),
        (dt.date(2019, 3, 4), "2019-03-04"),
        (150.0, "150"),
        (0.1, "0.1"),
        (7, "7"),
        (True, "true"),
        (" TLS-001 ", " TLS-001 "),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_sheet_rows_keep_their_numbers_across_empty_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "platelet_counts"
    sheet.append([])  # the header may start below an empty row
    sheet.append(["patient_id", "date", "platelets"])
    sheet.append(["A", dt.date(2019, 1, 2), 30])
    sheet.append([])
    sheet.append([None, None, None])
    sheet.append(["B", "2019-01-03", 40.5])
    path = tmp_path / "w.xlsx"
    workbook.save(path)
    assert sheet_names(path) == ["platelet_counts"]
    text = open_sheet_text(
        path, "platelet_counts", "w.xlsx[platelet_counts]", "w.xlsx[platelet_counts]"
    )
    assert text.header == ["patient_id", "date", "platelets"]
    assert text.header_line == 2
    rows = [r for b in text.batches([0, 1, 2]) for r in b.to_pylist()]
    assert [(r["__line"], r["c0"], r["c1"], r["c2"]) for r in rows] == [
        (3, "A", "2019-01-02", "30"),
        (6, "B", "2019-01-03", "40.5"),
    ]


def test_a_damaged_workbook_is_a_file_level_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(InputError) as error:
        sheet_names(path)
    assert "not a readable .xlsx workbook" in error.value.problems[0].reason


def test_an_empty_sheet_is_a_file_level_problem(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "patients"
    path = tmp_path / "e.xlsx"
    workbook.save(path)
    with pytest.raises(InputError) as error:
        open_sheet_text(path, "patients", "e.xlsx[patients]", "e.xlsx[patients]")
    assert error.value.problems[0].reason == "empty sheet: no header row"


def _rewrite_sheet_xml(path: Path, change: Callable[[str], str]) -> None:
    """Rewrite the XML of the workbook's first sheet with ``change`` (the other parts kept)."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    name = "xl/worksheets/sheet1.xml"
    parts[name] = change(parts[name].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for part, data in parts.items():
            target.writestr(part, data)


@pytest.mark.parametrize("declared", ["A1:C3", "A1:B4"])
def test_rows_and_cells_beyond_the_declared_dimension_are_read(
    tmp_path: Path, declared: str
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "platelet_counts"
    sheet.append(["patient_id", "date", "platelets"])
    for day in (2, 3, 4):
        sheet.append(["A", f"2019-01-0{day}", 30 + day])
    path = tmp_path / "w.xlsx"
    workbook.save(path)
    _rewrite_sheet_xml(
        path, lambda xml: re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{declared}"', xml)
    )
    with zipfile.ZipFile(path) as written:
        assert f'<dimension ref="{declared}"' in written.read("xl/worksheets/sheet1.xml").decode()
    text = open_sheet_text(path, "platelet_counts", "w.xlsx", "w.xlsx")
    assert text.header == ["patient_id", "date", "platelets"]
    rows = [r for b in text.batches([0, 1, 2]) for r in b.to_pylist()]
    assert [(r["__line"], r["c1"], r["c2"]) for r in rows] == [
        (2, "2019-01-02", "32"),
        (3, "2019-01-03", "33"),
        (4, "2019-01-04", "34"),
    ]
