"""A REDCap raw records export as an input (``data-model.md``, REDCap projects).

The hand-written export of ``tests/fixtures/redcap_export.py`` imports with the expected rows; each
bad export is refused by ``validate`` with exit 1, naming the export, its line and the export's
column. Commands run in-process through ``itpcohort.cli.main`` (an unexpected exception would
escape it and fail the test); one runs as a real process to check its output has no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from tests.fixtures.redcap_export import HEADER, Row, count, patient, row, valid_rows, write_export

from itpcohort.cli import main
from itpcohort.config import StudyConfig
from itpcohort.pipeline import validate_inputs
from itpcohort.store import import_study

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def _rows(database: Path, table: str, columns: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"SELECT {columns} FROM main.{table} ORDER BY source_row").fetchall()


# --- a valid export --------------------------------------------------------------------------------


def test_hand_written_export_imports_with_the_expected_rows(tmp_path: Path) -> None:
    export = write_export(tmp_path / "redcap_export.csv")
    database = tmp_path / "run" / "study.duckdb"
    report = import_study([export], StudyConfig(), database)
    assert report.rejected == () and report.warnings == ()
    assert {c.table: (c.rows_read, c.rows_loaded) for c in report.counts} == {
        "patients": (4, 4),
        "treatments": (5, 5),
        "platelet_counts": (6, 6),
        "bleeding_events": (2, 2),
        "adverse_events": (0, 0),
        "biomarkers": (0, 0),
        "investigator_assessments": (0, 0),
    }
    # center as given (TLS agrees with group tls), else the group; the line of each record's row
    assert _rows(
        database, "patients", "center, patient_id, sex, itp_type, death_cause, source_row"
    ) == [
        ("TLS", "TLS-001", "F", "primary", None, 2),
        ("nte", "NTE-001", "M", "secondary", None, 9),
        ("tls", "X-01", "F", "primary", "infection\nsepsis", 13),
        ("NTE", "X-01", "M", "primary", None, 17),
    ]
    # repeating rows take their record's patient (X-01 is a patient of two centers)
    assert _rows(database, "treatments", "center, patient_id, drug, rescue, source_row") == [
        ("TLS", "TLS-001", "prednisone", False, 3),
        ("TLS", "TLS-001", "rituximab", False, 4),
        ("TLS", "TLS-001", "rituximab", False, 5),
        ("nte", "NTE-001", "rituximab", False, 10),
        ("tls", "X-01", "ivig", True, 15),  # yesno 1
    ]
    assert _rows(database, "platelet_counts", "center, patient_id, platelets, source_row") == [
        ("TLS", "TLS-001", 12.0, 6),
        ("TLS", "TLS-001", 150.0, 7),
        ("nte", "NTE-001", 25.0, 11),  # group left empty on a repeating row: its record's
        ("nte", "NTE-001", 90.0, 12),  # 90000 /uL
        ("tls", "X-01", 15.0, 16),
        ("NTE", "X-01", 40.0, 18),
    ]
    assert _rows(database, "bleeding_events", "center, patient_id, site, severe, source_row") == [
        ("TLS", "TLS-001", "epistaxis", False, 8),
        ("NTE", "X-01", "intracranial", True, 19),
    ]
    with duckdb.connect(str(database), read_only=True) as con:
        inputs = con.execute("SELECT inputs FROM main.runs").fetchall()
    assert inputs[0][0].count("redcap_export.csv") == 2  # one entry (file and relative path)


def test_a_folder_of_exports_is_a_study_of_several_sources(tmp_path: Path) -> None:
    """Each export of a folder is a source; a table CSV beside them is not needed."""
    first = valid_rows()
    second = [
        patient(
            "1",
            "lyo",
            patient_id="LYO-001",
            sex="F",
            birth_date="1990-01-01",
            diagnosis_date="2018-01-01",
            itp_type="primary",
            last_followup_date="2020-01-01",
        ),
        count("1", "1", "lyo", "2019-01-01", "30"),
    ]
    write_export(tmp_path / "study" / "a.csv", first)
    write_export(tmp_path / "study" / "b.csv", second)
    report = import_study([tmp_path / "study"], StudyConfig(), tmp_path / "run" / "study.duckdb")
    assert report.rejected == ()
    patients = _rows(
        tmp_path / "run" / "study.duckdb", "patients", "center, patient_id, source_file"
    )
    assert ("lyo", "LYO-001", str(tmp_path / "study" / "b.csv")) in patients
    assert len(patients) == 5


def test_a_csv_file_that_is_not_an_export_is_wrong_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lone = tmp_path / "patients.csv"
    lone.write_text("patient_id,center\nTLS-001,TLS\n", encoding="utf-8")
    code, _, err = _run(["validate", str(lone)], capsys)
    assert code == 2
    assert "give the folder holding the table files" in err


# --- bad exports -------------------------------------------------------------------------------------

Change = Callable[[list[Row]], None]


@dataclass(frozen=True)
class Case:
    """One broken export: the change, and the line, column and reason that must be printed."""

    name: str
    line: int | None  # None: a problem of the whole file
    column: str | None
    reason: str
    change: Change
    header: list[str] | None = None


def setting(index: int, **cells: str) -> Change:
    def change(rows: list[Row]) -> None:
        rows[index].update(cells)

    return change


def appending(new: Row) -> Change:
    return lambda rows: rows.append(new)


def keep(rows: list[Row]) -> None:
    return None


INSTRUMENT, INSTANCE, DAG = (
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
)
# valid_rows() index -> line: 0->2, 1->3, 2->4, 3->5, 4->6, 5->7, 7->9, 14->17, 15->18

CASES = [
    Case(
        "unknown instrument",
        4,
        INSTRUMENT,
        "unknown instrument 'labs'; allowed: treatments, platelet_counts, bleeding_events",
        setting(2, redcap_repeat_instrument="labs"),
    ),
    Case(
        "instance missing",
        7,
        INSTANCE,
        "required value missing: a row of the repeating instrument 'platelet_counts'",
        setting(5, redcap_repeat_instance=""),
    ),
    Case(
        "instance not an integer",
        7,
        INSTANCE,
        "'2b' is not a whole number >= 1",
        setting(5, redcap_repeat_instance="2b"),
    ),
    Case(
        "instance zero",
        7,
        INSTANCE,
        "not a whole number >= 1",
        setting(5, redcap_repeat_instance="0"),
    ),
    Case(
        "instance on a patients row",
        2,
        INSTANCE,
        "instance number on a row without redcap_repeat_instrument",
        setting(0, redcap_repeat_instance="1"),
    ),
    Case(
        "field of another instrument on a repeating row",
        6,
        "treatments_drug",
        "field of the instrument 'treatments' filled on a row of 'platelet_counts'",
        setting(4, treatments_drug="rituximab"),
    ),
    Case(
        "patients field on a repeating row",
        6,
        "center",
        "field of the instrument 'patients' filled on a row of 'platelet_counts'",
        setting(4, center="TLS"),
    ),
    Case(
        "repeating field on the patients row",
        2,
        "platelet_counts_date",
        "field of the repeating instrument 'platelet_counts' filled on a patients row",
        setting(0, platelet_counts_date="2016-01-01"),
    ),
    Case(
        "center disagrees with the group",
        2,
        DAG,
        "data access group 'tls' disagrees with the record's center 'NTE'",
        setting(0, center="NTE"),
    ),
    Case(
        "rows of one record in different groups",
        5,
        DAG,
        "data access group 'nte' differs from the group of record '1' ('tls', line 2)",
        setting(3, redcap_data_access_group="nte"),
    ),
    Case(
        "record without a patients row",
        20,
        "record_id",
        "unknown patient: no row for record 9 in the patients of this source",
        appending(count("9", "1", "tls", "2016-01-01", "50")),
    ),
    Case(
        "duplicate instance",
        6,
        INSTANCE,
        "duplicate instance: record '1' has platelet_counts instance 2 also at {file}:7",
        setting(4, redcap_repeat_instance="2"),
    ),
    Case(
        "duplicate patients row",
        20,
        "record_id",
        "duplicate record '2': another patients row at {file}:9",
        appending(row("2", dag="nte", patient_id="NTE-009")),
    ),
    Case(
        "record name missing",
        7,
        "record_id",
        "required value missing: every row of an export names its record",
        setting(5, record_id=""),
    ),
    # the store's own checks, reported with the export's columns
    Case(
        "not a number",
        7,
        "platelet_counts_platelets",
        "'abc' is not a number",
        setting(5, platelet_counts_platelets="abc"),
    ),
    Case(
        "unknown drug",
        3,
        "treatments_drug",
        "'aspirin' is not a known drug; allowed: prednisone",
        setting(1, treatments_drug="aspirin"),
    ),
    Case(
        "yesno not 1/0",
        3,
        "treatments_rescue",
        "'2' is not a yes/no value",
        setting(1, treatments_rescue="2"),
    ),
    Case(
        "ambiguous date",
        3,
        "treatments_start_date",
        "'03/04/2015' is an ambiguous date",
        setting(1, treatments_start_date="03/04/2015"),
    ),
    Case(
        "count after last follow-up",
        18,
        "platelet_counts_date",
        "'2019-06-01' is after the patient's last_followup_date (2019-01-01)",
        setting(15, platelet_counts_date="2019-06-01"),
    ),
    Case("unknown sex", 2, "sex", "'X' is not a known sex; allowed: F, M", setting(0, sex="X")),
    Case(
        "same patient in two records",
        17,
        "patient_id",
        "'X-01' is a duplicate patient tls/X-01: also at {file}:13",
        setting(14, center="", redcap_data_access_group="tls"),
    ),
    # problems of the whole file
    Case(
        "required field missing",
        None,
        "platelet_counts_date",
        "required field 'platelet_counts_date' of instrument 'platelet_counts' missing",
        keep,
        [c for c in HEADER if c != "platelet_counts_date"],
    ),
    Case(
        "required instrument missing",
        None,
        None,
        "required instrument 'platelet_counts' missing",
        keep,
        [c for c in HEADER if not c.startswith("platelet_counts_")],
    ),
    Case(
        "identifier column",
        None,
        "patient_name",
        "column looks like a direct identifier ('name')",
        keep,
        [*HEADER, "patient_name"],
    ),
    Case(
        "column twice",
        None,
        "treatments_dose",
        "column 'treatments_dose' appears twice",
        keep,
        [*HEADER, "treatments_dose"],
    ),
]


def _broken(case: Case, folder: Path) -> Path:
    rows = valid_rows()
    case.change(rows)
    return write_export(folder / "redcap_export.csv", rows, case.header)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_export_is_refused_naming_line_and_export_column(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _broken(case, tmp_path)
    code, out, err = _run(["validate", str(export)], capsys)
    assert code == 1, out + err
    where = str(export) if case.line is None else f"{export}:{case.line}"
    expected = f"{where}: {case.column}: " if case.column else f"{where}: "
    lines = [line for line in err.splitlines() if line.startswith(expected)]
    assert lines, f"no line starting with {expected!r} in:\n{err}"
    assert case.reason.format(file=export) in lines[0], lines[0]


def test_the_duplicated_rows_are_both_named(tmp_path: Path) -> None:
    rows = valid_rows()
    rows[4]["redcap_repeat_instance"] = "2"
    export = write_export(tmp_path / "redcap_export.csv", rows)
    report = validate_inputs([export], StudyConfig())
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (6, INSTANCE, "2"),
        (7, INSTANCE, "2"),
    ]
    assert f"also at {export}:6" in report.problems[1].reason


def test_a_rejected_patients_row_holds_back_its_records_rows(tmp_path: Path) -> None:
    rows = valid_rows()
    rows[0]["platelet_counts_date"] = "2016-01-01"  # record 1's patients row is rejected
    export = write_export(tmp_path / "redcap_export.csv", rows)
    report = validate_inputs([export], StudyConfig())
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (2, "platelet_counts_date", "2016-01-01")
    ]
    assert [(p.row, p.column) for p in report.held_back] == [
        (line, "record_id") for line in range(3, 9)
    ]
    assert "patient TLS/TLS-001 was rejected" in report.held_back[0].reason
    assert report.count("patients").rows_loaded == 3


def test_an_unknown_instrument_row_is_a_rejected_patients_row(tmp_path: Path) -> None:
    """It names no patient: its record's patients row and other rows still load."""
    rows = valid_rows()
    rows.append(row("1", "labs", "1", "tls", patient_id="TLS-001", center="TLS"))
    export = write_export(tmp_path / "redcap_export.csv", rows)
    report = validate_inputs([export], StudyConfig())
    assert [(p.row, p.column, p.value) for p in report.problems] == [(20, INSTRUMENT, "labs")]
    assert report.held_back == ()
    patients = report.count("patients")
    assert (patients.rows_read, patients.rows_loaded, patients.rows_rejected) == (5, 4, 1)


def test_a_bad_export_stops_run_with_exit_1_and_no_traceback(tmp_path: Path) -> None:
    rows = valid_rows()
    rows[5]["platelet_counts_platelets"] = "abc"
    rows[3]["redcap_data_access_group"] = "nte"
    export = write_export(tmp_path / "redcap_export.csv", rows)
    result = subprocess.run(
        [sys.executable, "-m", "itpcohort", "run", str(export), "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{export}:5: {DAG}: data access group 'nte' differs" in result.stderr
    assert f"{export}:7: platelet_counts_platelets: 'abc' is not a number" in result.stderr
    rejected = (tmp_path / "run" / "rejected_rows.csv").read_text(encoding="utf-8").splitlines()
    assert rejected[1].startswith(f"{export},5,{DAG},nte,")
    assert rejected[2].startswith(f"{export},7,platelet_counts_platelets,abc,")


def test_unknown_and_redcap_own_columns_are_noted_not_read(tmp_path: Path) -> None:
    rows = valid_rows()
    rows[0]["comments"] = "=HYPERLINK()"
    header = [*HEADER, "redcap_event_name", "redcap_survey_identifier", "comments"]
    export = write_export(tmp_path / "redcap_export.csv", rows, header)
    report = validate_inputs([export], StudyConfig())
    assert report.ok
    assert report.notes == (
        f"{export}: column(s) ignored: comments, redcap_event_name, redcap_survey_identifier",
    )
