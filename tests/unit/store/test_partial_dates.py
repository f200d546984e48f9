"""Partial dates are stored at the middle of their period (data-model.md, response-criteria.md 2):
``YYYY-MM`` → the 15th, ``YYYY`` → 1 July, in leap years too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from itpcohort.config import StudyConfig
from itpcohort.store import import_study

PATIENTS = (
    "patient_id,center,sex,birth_date,diagnosis_date,itp_type,last_followup_date\n"
    "P1,TLS,F,{birth},{diagnosis},primary,2020-01-01\n"
)


@pytest.mark.parametrize(
    ("birth", "diagnosis", "expected_birth", "expected_diagnosis", "precision"),
    [
        ("1932", "2010-02", dt.date(1932, 7, 1), dt.date(2010, 2, 15), "year"),  # leap year
        ("1931", "2012-02", dt.date(1931, 7, 1), dt.date(2012, 2, 15), "year"),
        ("1980-02", "2012", dt.date(1980, 2, 15), dt.date(2012, 7, 1), "month"),
        ("1980-02-29", "2012-12-31", dt.date(1980, 2, 29), dt.date(2012, 12, 31), "day"),
    ],
)
def test_partial_dates_at_mid_period(
    tmp_path: Path,
    birth: str,
    diagnosis: str,
    expected_birth: dt.date,
    expected_diagnosis: dt.date,
    precision: str,
) -> None:
    study = tmp_path / "study"
    study.mkdir()
    (study / "patients.csv").write_text(PATIENTS.format(birth=birth, diagnosis=diagnosis))
    (study / "treatments.csv").write_text("patient_id,drug,start_date\nP1,rituximab,2015-03-01\n")
    (study / "platelet_counts.csv").write_text("patient_id,date,platelets\nP1,2015-03-01,12\n")
    report = import_study([study], StudyConfig(), tmp_path / "study.duckdb")
    assert report.ok
    with duckdb.connect(str(tmp_path / "study.duckdb"), read_only=True) as con:
        row = con.execute(
            "SELECT birth_date, diagnosis_date, birth_date_precision FROM patients"
        ).fetchone()
    assert row == (expected_birth, expected_diagnosis, precision)
