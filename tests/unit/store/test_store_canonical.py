"""Canonical values, defaults, patient lookup, partial-date coherence and warnings of an import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from itpcohort.config import StudyConfig
from itpcohort.pipeline import validate_inputs
from itpcohort.schema import (
    CANONICAL_COLUMNS,
    PROVENANCE_COLUMNS,
    REJECTED_ROWS_COLUMNS,
)
from itpcohort.store import RUNS_COLUMNS, import_study
from tests.fixtures.io_study import Rows, set_cell, valid_tables, write_study

D = dt.date


def _import(tmp_path: Path, tables: dict[str, Rows] | None = None) -> Path:
    study = write_study(tmp_path / "cohort", tables)
    db = tmp_path / "out" / "study.duckdb"
    import_study([study], StudyConfig(), db)
    return db


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def valid_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _import(tmp_path_factory.mktemp("valid"))


def test_tables_have_exactly_the_schema_columns_and_types(valid_db: Path) -> None:
    expected = {t: c + PROVENANCE_COLUMNS for t, c in CANONICAL_COLUMNS.items()}
    expected["rejected_rows"] = REJECTED_ROWS_COLUMNS
    expected["runs"] = RUNS_COLUMNS
    for table, columns in expected.items():
        described = _rows(valid_db, f'DESCRIBE "{table}"')
        assert [(name, kind) for name, kind, *_ in described] == list(columns), table


def test_patients_partial_dates_at_mid_period(valid_db: Path) -> None:
    rows = _rows(valid_db, "SELECT * FROM patients ORDER BY source_row")
    assert rows[1] == (
        "TLS", "TLS-002", "M", D(1975, 6, 15), "month", D(2016, 7, 1), "year", "secondary",
        "sle", D(2021, 6, 30), None, None, rows[1][-2], 3,
    )  # fmt: skip
    assert rows[1][-2].endswith("cohort/TLS/patients.csv")
    assert rows[2][3:5] == (D(1950, 1, 20), "day")


def test_treatments_classes_and_rescue_default(valid_db: Path) -> None:
    rows = _rows(
        valid_db,
        "SELECT drug, drug_class, end_date, dose, dose_unit, rescue, source_row FROM treatments "
        "ORDER BY source_row",
    )
    assert rows[0] == ("prednisone", "corticosteroids", D(2015, 5, 1), 60.0, "mg", False, 2)
    assert rows[5] == ("rituximab", "anti_cd20", None, 1000.0, "mg", False, 7)  # empty -> false
    assert rows[6] == ("ivig", "ivig", None, 1.0, "g/kg", True, 8)


def test_platelets_converted_with_value_and_unit_as_given(valid_db: Path) -> None:
    rows = _rows(
        valid_db,
        "SELECT platelets, platelets_as_given, unit FROM platelet_counts ORDER BY source_row",
    )
    assert rows[0] == (12.0, "12", "g/l")
    assert rows[1] == (150.0, "150", None)
    assert rows[3] == (180.0, "180000", "/mm3")


def test_bleeding_severe_default_and_event_flags(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["bleeding_events"] += [
        ["TLS-001", "2016-01-20", "intracranial", "", ""],
        ["TLS-001", "2016-01-21", "skin", "", ""],
        ["TLS-001", "2016-01-22", "skin", "4", "no"],
    ]
    set_cell(tables, "adverse_events", 2, "serious", "")
    db = _import(tmp_path, tables)
    severe = _rows(db, "SELECT who_grade, severe FROM bleeding_events ORDER BY source_row")
    assert severe == [(2, False), (3, True), (None, True), (None, False), (4, False)]
    serious = _rows(db, "SELECT serious FROM adverse_events ORDER BY source_row")
    assert serious == [(None,), (True,)]
    assessed = _rows(db, "SELECT course_number, response FROM investigator_assessments")
    assert assessed == [(1, "CR"), (2, "R"), (1, "NR")]


def test_child_rows_take_their_patients_center(valid_db: Path) -> None:
    assert _rows(valid_db, "SELECT DISTINCT center FROM platelet_counts") == [("TLS",)]


def test_children_of_a_rejected_patient_are_held_back_not_reported(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "patients", 3, "sex", "?")
    study = write_study(tmp_path / "cohort", tables)
    report = validate_inputs([study], StudyConfig())
    assert [(p.row, p.column) for p in report.problems] == [(3, "sex")]
    held = {(p.file.split("/")[-1], p.row) for p in report.held_back}
    assert held == {("treatments.csv", 6), ("treatments.csv", 7), ("platelet_counts.csv", 6),
                    ("platelet_counts.csv", 7), ("biomarkers.csv", 3),
                    ("investigator_assessments.csv", 4)}  # fmt: skip
    assert all(
        p.reason == f"patient TLS/TLS-002 was rejected ({study}/TLS/patients.csv:3)"
        for p in report.held_back
    )
    counts = report.count("platelet_counts")
    assert (counts.rows_read, counts.rows_loaded, counts.rows_rejected, counts.rows_held_back) == (
        8,
        6,
        2,
        2,
    )


def test_a_child_row_with_its_own_error_is_a_problem_even_if_its_patient_is_rejected(
    tmp_path: Path,
) -> None:
    tables = valid_tables()
    set_cell(tables, "patients", 3, "sex", "?")
    set_cell(tables, "platelet_counts", 6, "unit", "kg")
    report = validate_inputs([write_study(tmp_path / "c", tables)], StudyConfig())
    assert [(p.file.split("/")[-1], p.row, p.column) for p in report.problems] == [
        ("patients.csv", 3, "sex"),
        ("platelet_counts.csv", 6, "unit"),
    ]
    assert ("platelet_counts.csv", 6) not in {
        (p.file.split("/")[-1], p.row) for p in report.held_back
    }


def test_patient_ids_repeated_across_centers_of_one_source(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["patients"].append(
        ["TLS-001", "BDX", "F", "1990", "2019", "primary", "", "2021-01-01", "", ""]
    )
    study = write_study(tmp_path / "cohort", tables)
    report = validate_inputs([study], StudyConfig())
    ambiguous = [p for p in report.problems if "an ambiguous patient" in p.reason]
    assert len(ambiguous) == 4 + 4 + 1 + 1 + 1 + 2  # every child row of TLS-001 in this source
    assert ambiguous[0].reason == (
        "'TLS-001' is an ambiguous patient: a patient of several centers of this source (BDX, TLS); "
        "give center"
    )
    # with a center column the rows resolve
    tables["platelet_counts"][0].append("center")
    for row in tables["platelet_counts"][1:]:
        row.append("TLS")
    report = validate_inputs([write_study(tmp_path / "again", tables)], StudyConfig())
    assert not [p for p in report.problems if p.file.endswith("platelet_counts.csv")]


@pytest.mark.parametrize(
    ("table", "line", "column", "value", "rejected"),
    [
        # TLS-002: born 1975-06 (month), diagnosed 2016 (year)
        ("platelet_counts", 6, "date", "1975-06-10", False),  # may be after birth
        ("platelet_counts", 6, "date", "1975-05-31", True),  # certainly before birth
        ("patients", 3, "death_date", "2016-01-01", False),  # may be after diagnosis
        ("patients", 3, "death_date", "2015-12-31", True),
        ("patients", 3, "last_followup_date", "2015-12-31", True),
        ("patients", 3, "diagnosis_date", "1975-06", False),  # same month as birth
        ("patients", 3, "diagnosis_date", "1975-05", True),
    ],
)
def test_partial_dates_reject_only_what_is_certainly_wrong(
    tmp_path: Path, table: str, line: int, column: str, value: str, rejected: bool
) -> None:
    tables = valid_tables()
    set_cell(tables, table, line, column, value)
    if table == "patients" and column == "death_date":
        set_cell(tables, "patients", 3, "last_followup_date", value)
        for row in tables["treatments"][1:] + tables["platelet_counts"][1:]:
            if row[0] == "TLS-002":
                row[0] = "TLS-001"
        tables["biomarkers"][2][0] = "TLS-001"
        tables["investigator_assessments"][3][0] = "TLS-001"
    report = validate_inputs([write_study(tmp_path / "c", tables)], StudyConfig())
    found = [(p.row, p.column) for p in report.problems]
    assert ((line, column) in found) is rejected, found


def test_count_on_the_last_followup_day_is_accepted(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "platelet_counts", 3, "date", "2021-06-30")
    assert validate_inputs([write_study(tmp_path / "c", tables)], StudyConfig()).ok


def test_planned_end_after_last_followup_is_allowed(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "treatments", 6, "end_date", "2022-06-30")
    assert validate_inputs([write_study(tmp_path / "c", tables)], StudyConfig()).ok


def test_warning_for_an_exposure_without_end_still_ongoing_at_a_later_course(
    tmp_path: Path,
) -> None:
    tables = valid_tables()
    set_cell(tables, "treatments", 6, "end_date", "")  # eltrombopag from 2017-01-01, no end
    report = validate_inputs([write_study(tmp_path / "c", tables)], StudyConfig())
    assert report.ok
    assert [(w.file.split("/")[-1], w.row, w.column) for w in report.warnings] == [
        ("treatments.csv", 6, "end_date")
    ]
    assert "rituximab course of 2017-09-01" in report.warnings[0].reason
    assert report.warnings[0].relative_file == "TLS/treatments.csv"


def test_rescue_or_single_day_rows_without_end_do_not_warn(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "treatments", 6, "end_date", "")
    set_cell(tables, "treatments", 6, "rescue", "yes")
    assert validate_inputs([write_study(tmp_path / "c", tables)], StudyConfig()).warnings == ()


def test_warning_for_a_course_without_baseline_count(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "platelet_counts", 4, "date", "2018-02-02")  # 31 days before 2018-03-05
    report = validate_inputs([write_study(tmp_path / "c", tables)], StudyConfig())
    assert [(w.row, w.column, w.value) for w in report.warnings] == [
        (5, "start_date", "2018-03-05")
    ]
    # the second infusion of course 1 (7 days later) starts no course: no warning for it
    set_cell(tables, "platelet_counts", 2, "date", "2015-11-01")
    report = validate_inputs([write_study(tmp_path / "d", tables)], StudyConfig())
    assert [w.row for w in report.warnings] == [3, 5]


def test_course_gap_from_the_criteria_overrides(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "treatments", 4, "start_date", "2016-03-20")  # 76 days after the first
    set_cell(tables, "platelet_counts", 3, "date", "2016-04-15")
    study = write_study(tmp_path / "c", tables)
    assert [w.row for w in validate_inputs([study], StudyConfig()).warnings] == [4]
    wide = StudyConfig(criteria_overrides={"course_gap_days": 90})
    assert validate_inputs([study], wide).warnings == ()


def test_primary_itp_with_a_cause_is_a_warning_not_an_error(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "patients", 2, "secondary_cause", "drug")
    report = validate_inputs([write_study(tmp_path / "c", tables)], StudyConfig())
    assert report.ok
    assert [(w.row, w.column) for w in report.warnings] == [(2, "secondary_cause")]
