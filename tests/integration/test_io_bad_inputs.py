"""A corpus of bad inputs: each is refused with exit 1, naming its file, row and column, no traceback.

Every case starts from the minimal valid study (``tests/fixtures/io_study.py``) and breaks one
thing. The command runs in-process through ``itpcohort.cli.main`` (fast); an unexpected
exception would escape ``main`` and fail the test, which is what "no traceback" means here (the
subprocess tests of ``test_io_cli.py`` check the real process output too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.fixtures.io_study import Rows, set_cell, valid_tables, write_study, write_workbook

from itpcohort.cli import main

Tables = dict[str, Rows]


@dataclass(frozen=True)
class Case:
    """One broken input: how to break it, and the problem that must be printed."""

    name: str
    table: str  # file reported: <table>.csv
    row: int | None  # line reported (None: a problem of the whole file)
    column: str | None
    reason: str  # a part of the printed reason
    breaks: Callable[[Tables], None]


def cell(table: str, line: int, column: str, value: str) -> Callable[[Tables], None]:
    return lambda tables: set_cell(tables, table, line, column, value)


def append_row(table: str, row: list[str]) -> Callable[[Tables], None]:
    return lambda tables: tables[table].append(row)


def add_column(table: str, name: str, value: str) -> Callable[[Tables], None]:
    def change(tables: Tables) -> None:
        tables[table][0].append(name)
        for row in tables[table][1:]:
            row.append(value)

    return change


def drop_column(table: str, name: str) -> Callable[[Tables], None]:
    def change(tables: Tables) -> None:
        index = tables[table][0].index(name)
        for row in tables[table]:
            del row[index]

    return change


def rename_column(table: str, old: str, new: str) -> Callable[[Tables], None]:
    def change(tables: Tables) -> None:
        header = tables[table][0]
        header[header.index(old)] = new

    return change


P, T, C = "patients", "treatments", "platelet_counts"
B, A, M, IA = "bleeding_events", "adverse_events", "biomarkers", "investigator_assessments"

CASES = [
    Case("unknown sex", P, 2, "sex", "allowed: F, M", cell(P, 2, "sex", "X")),
    Case(
        "unknown itp_type",
        P,
        2,
        "itp_type",
        "allowed: primary, secondary",
        cell(P, 2, "itp_type", "idiopathic"),
    ),
    Case(
        "unknown secondary cause",
        P,
        3,
        "secondary_cause",
        "unknown value",
        cell(P, 3, "secondary_cause", "lupus"),
    ),
    Case(
        "impossible birth date",
        P,
        2,
        "birth_date",
        "not a valid date",
        cell(P, 2, "birth_date", "1980-13-02"),
    ),
    Case(
        "ambiguous diagnosis date",
        P,
        2,
        "diagnosis_date",
        "ambiguous date",
        cell(P, 2, "diagnosis_date", "03/04/2015"),
    ),
    Case(
        "partial date where none allowed",
        P,
        2,
        "last_followup_date",
        "partial date not allowed",
        cell(P, 2, "last_followup_date", "2021-06"),
    ),
    Case(
        "required date empty",
        P,
        2,
        "last_followup_date",
        "required value missing",
        cell(P, 2, "last_followup_date", ""),
    ),
    Case(
        "implausible year",
        P,
        2,
        "birth_date",
        "implausible year",
        cell(P, 2, "birth_date", "1850-01-01"),
    ),
    Case(
        "death before diagnosis",
        P,
        4,
        "death_date",
        "before diagnosis_date",
        cell(P, 4, "death_date", "2013-01-01"),
    ),
    Case(
        "diagnosis before birth",
        P,
        2,
        "diagnosis_date",
        "before birth_date",
        cell(P, 2, "diagnosis_date", "1970-01-01"),
    ),
    Case(
        "follow-up before diagnosis",
        P,
        2,
        "last_followup_date",
        "before diagnosis_date",
        cell(P, 2, "last_followup_date", "2014-01-01"),
    ),
    Case(
        "secondary ITP without cause",
        P,
        3,
        "secondary_cause",
        "required for a secondary ITP",
        cell(P, 3, "secondary_cause", ""),
    ),
    Case(
        "duplicate patient",
        P,
        5,
        "patient_id",
        "duplicate patient TLS/TLS-002",
        append_row(P, ["TLS-002", "TLS", "M", "1975", "2016", "primary", "", "2021-06-30", "", ""]),
    ),
    Case(
        "patient without center", P, 2, "center", "required value missing", cell(P, 2, "center", "")
    ),
    Case(
        "brand name for a drug",
        T,
        3,
        "drug",
        "unknown value; allowed: prednisone",
        cell(T, 3, "drug", "mabthera"),
    ),
    Case(
        "slashed start date",
        T,
        3,
        "start_date",
        "not a date",
        cell(T, 3, "start_date", "2016/01/04"),
    ),
    Case(
        "end before start",
        T,
        2,
        "end_date",
        "before start_date",
        cell(T, 2, "end_date", "2015-01-01"),
    ),
    Case("dose in words", T, 2, "dose", "not a number", cell(T, 2, "dose", "sixty")),
    Case("negative dose", T, 2, "dose", "below the minimum 0", cell(T, 2, "dose", "-5")),
    Case(
        "unknown dose unit",
        T,
        3,
        "dose_unit",
        "allowed: mg, mg/kg",
        cell(T, 3, "dose_unit", "mg/m²"),
    ),
    Case("not a boolean", T, 2, "rescue", "not a yes/no value", cell(T, 2, "rescue", "maybe")),
    Case(
        "unknown patient",
        T,
        5,
        "patient_id",
        "unknown patient",
        cell(T, 5, "patient_id", "TLS-999"),
    ),
    Case(
        "treatment after death",
        T,
        9,
        "start_date",
        "after the patient's death_date",
        cell(T, 9, "start_date", "2021-01-04"),
    ),
    Case(
        "treatment end after death",
        T,
        8,
        "end_date",
        "after the patient's death_date",
        cell(T, 8, "end_date", "2021-01-04"),
    ),
    Case("decimal comma", C, 3, "platelets", "decimal separator", cell(C, 3, "platelets", "12,5")),
    Case(
        "count per mm3 without unit",
        C,
        3,
        "platelets",
        "outside 0..2000",
        cell(C, 3, "platelets", "150000"),
    ),
    Case("negative count", C, 3, "platelets", "outside 0..2000", cell(C, 3, "platelets", "-3")),
    Case("unknown platelet unit", C, 2, "unit", "allowed: 10^9/L, G/L", cell(C, 2, "unit", "kg")),
    Case(
        "count after last follow-up",
        C,
        3,
        "date",
        "after the patient's last_followup_date",
        cell(C, 3, "date", "2021-07-15"),
    ),
    Case(
        "count before birth",
        C,
        2,
        "date",
        "before the patient's birth_date",
        cell(C, 2, "date", "1979-01-01"),
    ),
    Case(
        "partial count date",
        C,
        2,
        "date",
        "partial date not allowed",
        cell(C, 2, "date", "2016-02"),
    ),
    Case("count without date", C, 2, "date", "required value missing", cell(C, 2, "date", "")),
    Case("unknown bleeding site", B, 2, "site", "unknown value", cell(B, 2, "site", "nose")),
    Case("WHO grade out of range", B, 2, "who_grade", "outside 0..4", cell(B, 2, "who_grade", "5")),
    Case("severe in Spanish", B, 2, "severe", "not a yes/no value", cell(B, 2, "severe", "si")),
    Case("unknown adverse event", A, 2, "event", "unknown value", cell(A, 2, "event", "rash")),
    Case(
        "fractional CTCAE grade",
        A,
        2,
        "ctcae_grade",
        "not a whole number",
        cell(A, 2, "ctcae_grade", "2.5"),
    ),
    Case("unknown biomarker test", M, 2, "test", "unknown value", cell(M, 2, "test", "cd20")),
    Case(
        "biomarker without value", M, 3, "value", "required value missing", cell(M, 3, "value", "")
    ),
    Case(
        "course number zero",
        IA,
        2,
        "course_number",
        "below the minimum 1",
        cell(IA, 2, "course_number", "0"),
    ),
    Case(
        "unknown response",
        IA,
        3,
        "response",
        "allowed: CR, R, NR, NE",
        cell(IA, 3, "response", "PR"),
    ),
    Case(
        "response date in words",
        IA,
        2,
        "response_date",
        "not a date",
        cell(IA, 2, "response_date", "yesterday"),
    ),
    Case(
        "event after death",
        A,
        3,
        "onset_date",
        "after the patient's death_date",
        cell(A, 3, "onset_date", "2021-01-10"),
    ),
    Case(
        "unknown center/patient pair",
        C,
        2,
        "patient_id",
        "no row for XXX/TLS-001",
        add_column(C, "center", "XXX"),
    ),
    # problems of the whole file: the file is refused
    Case(
        "identifier column (French)",
        P,
        None,
        "nom",
        "direct identifier",
        add_column(P, "nom", "Dupont"),
    ),
    Case(
        "identifier column (accents)",
        T,
        None,
        "Téléphone",
        "direct identifier",
        add_column(T, "Téléphone", "0600000000"),
    ),
    Case(
        "identifier column (compound)",
        C,
        None,
        "patient_email",
        "direct identifier",
        add_column(C, "patient_email", "a@b.c"),
    ),
    Case(
        "identifier column (NomPatient)",
        P,
        None,
        "NomPatient",
        "direct identifier",
        add_column(P, "NomPatient", "Dupont"),
    ),
    Case(
        "identifier column (patientName)",
        P,
        None,
        "patientName",
        "direct identifier",
        add_column(P, "patientName", "Jean Dupont"),
    ),
    Case(
        "identifier column (PatientEmail)",
        T,
        None,
        "PatientEmail",
        "direct identifier",
        add_column(T, "PatientEmail", "a@b.c"),
    ),
    Case(
        "identifier column (PhoneNumber)",
        C,
        None,
        "PhoneNumber",
        "direct identifier",
        add_column(C, "PhoneNumber", "0600000000"),
    ),
    Case(
        "identifier column (emailaddress)",
        C,
        None,
        "emailaddress",
        "direct identifier",
        add_column(C, "emailaddress", "a@b.c"),
    ),
    Case(
        "identifier column (fullname)",
        P,
        None,
        "fullname",
        "direct identifier",
        add_column(P, "fullname", "Jean Dupont"),
    ),
    Case(
        "identifier column (numero_securite_sociale)",
        P,
        None,
        "numero_securite_sociale",
        "direct identifier",
        add_column(P, "numero_securite_sociale", "180017512345678"),
    ),
    Case(
        "missing required column",
        T,
        None,
        "drug",
        "required column 'drug' missing",
        drop_column(T, "drug"),
    ),
    Case("column named twice", C, None, "date", "appears twice", rename_column(C, "unit", "date")),
]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_naming_file_row_and_column(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    case.breaks(tables)
    study = write_study(tmp_path / "cohort", tables)
    code, out, err = _run(["validate", str(study)], capsys)
    assert code == 1, out + err
    file = f"{study}/TLS/{case.table}.csv"
    where = file if case.row is None else f"{file}:{case.row}"
    expected = f"{where}: {case.column}: "
    lines = [line for line in err.splitlines() if line.startswith(expected)]
    assert lines, f"no line starting with {expected!r} in:\n{err}"
    assert case.reason in lines[0], lines[0]


def test_the_corpus_has_at_least_thirty_distinct_cases() -> None:
    assert len({c.name for c in CASES}) == len(CASES) >= 30


def test_duplicate_patient_names_both_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    tables[P].append(list(tables[P][2]))
    study = write_study(tmp_path / "cohort", tables)
    code, _, err = _run(["validate", str(study)], capsys)
    assert code == 1
    file = f"{study}/TLS/patients.csv"
    assert f"{file}:3: patient_id: duplicate patient TLS/TLS-002: also at {file}:5" in err
    assert f"{file}:5: patient_id: duplicate patient TLS/TLS-002: also at {file}:3" in err


@pytest.mark.parametrize(
    ("name", "write", "where", "reason"),
    [
        (
            "missing required file",
            lambda s: (s / "TLS" / "treatments.csv").unlink(),
            "TLS",
            "required table 'treatments' missing",
        ),
        (
            "empty file",
            lambda s: (s / "TLS" / "patients.csv").write_bytes(b""),
            "TLS/patients.csv",
            "empty file",
        ),
        (
            "header-less blank file",
            lambda s: (s / "TLS" / "patients.csv").write_bytes(b"\r\n \r\n"),
            "TLS/patients.csv",
            "empty file",
        ),
        (
            "bad encoding",
            lambda s: (s / "TLS" / "adverse_events.csv").write_bytes(
                (s / "TLS" / "adverse_events.csv").read_bytes().replace(b"chills", b"fi\xe8vre")
            ),
            "TLS/adverse_events.csv:2",
            "cannot be read as UTF-8",
        ),
        (
            "old Excel workbook",
            lambda s: (s / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0"),
            "old.xls",
            "save the workbook as .xlsx",
        ),
        (
            "damaged workbook",
            lambda s: (s / "center.xlsx").write_bytes(b"PK\x03\x04 not a zip"),
            "center.xlsx",
            "not a readable .xlsx workbook",
        ),
    ],
)
def test_file_level_problem_stops_with_exit_1(
    name: str,
    write: Callable[[Path], object],
    where: str,
    reason: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = write_study(tmp_path / "cohort")
    write(study)
    inputs = [str(study)] if name != "old Excel workbook" else [str(study), str(study / "old.xls")]
    code, out, err = _run(["validate", *inputs], capsys)
    assert code == 1, out + err
    assert any(
        line.startswith(f"{study}/{where}") and reason in line for line in err.splitlines()
    ), err


def test_two_files_for_one_table_are_refused_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path / "cohort")
    center = study / "TLS"
    (center / "Platelet_Counts.csv").write_text(
        "patient_id,date,platelets\nTLS-001,2016-02-01,35\n", encoding="utf-8"
    )
    code, out, err = _run(["validate", str(study)], capsys)
    assert code == 1, out + err
    first, second = center / "Platelet_Counts.csv", center / "platelet_counts.csv"
    assert (
        f"{second}: 2 files for the table 'platelet_counts' in one source: {first} and {second}; "
        "keep one" in err
    ), err
    assert "ignored (not a table)" not in out + err


def test_two_sheets_for_one_table_are_refused_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    path = write_workbook(tmp_path / "TLS.xlsx")
    workbook = openpyxl.load_workbook(path)
    extra = workbook.create_sheet("Platelet_Counts ")
    extra.append(["patient_id", "date", "platelets"])
    extra.append(["TLS-001", "2016-02-01", 35])
    workbook.save(path)
    code, out, err = _run(["validate", str(path)], capsys)
    assert code == 1, out + err
    assert (
        f"{path}[Platelet_Counts ]: 2 sheets for the table 'platelet_counts' in one source: "
        f"{path}[platelet_counts] and {path}[Platelet_Counts ]; keep one" in err
    ), err
