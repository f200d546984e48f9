"""A corpus of bad inputs: each is refused with exit 1, naming its file, row and column, no traceback.

Every case starts from the minimal valid study (``tests/fixtures/io_study.py``) and breaks one
thing. The command runs in-process through ``itpcohort.cli.main`` (fast); an unexpected
exception would escape ``main`` and fail the test, which is what "no traceback" means here (the
subprocess tests of ``test_io_cli.py`` check the real process output too).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.fixtures.io_study import Rows, set_cell, valid_tables, write_study, write_workbook

from itpcohort.cli import main
from itpcohort.errors import ELLIPSIS

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
    Case(
        "unknown sex", P, 2, "sex", "'X' is not a known sex; allowed: F, M", cell(P, 2, "sex", "X")
    ),
    Case(
        "unknown itp_type",
        P,
        2,
        "itp_type",
        "'idiopathic' is not a known itp type; allowed: primary, secondary",
        cell(P, 2, "itp_type", "idiopathic"),
    ),
    Case(
        "unknown secondary cause",
        P,
        3,
        "secondary_cause",
        "'lupus' is not a known secondary cause; allowed: sle,",
        cell(P, 3, "secondary_cause", "lupus"),
    ),
    Case(
        "impossible birth date",
        P,
        2,
        "birth_date",
        "'1980-13-02' is not a valid date",
        cell(P, 2, "birth_date", "1980-13-02"),
    ),
    Case(
        "ambiguous diagnosis date",
        P,
        2,
        "diagnosis_date",
        "'03/04/2015' is an ambiguous date",
        cell(P, 2, "diagnosis_date", "03/04/2015"),
    ),
    Case(
        "partial date where none allowed",
        P,
        2,
        "last_followup_date",
        "'2021-06' is a partial date, not allowed here",
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
        "'1850-01-01' has an implausible year",
        cell(P, 2, "birth_date", "1850-01-01"),
    ),
    Case(
        "death before diagnosis",
        P,
        4,
        "death_date",
        "'2013-01-01' is before diagnosis_date",
        cell(P, 4, "death_date", "2013-01-01"),
    ),
    Case(
        "diagnosis before birth",
        P,
        2,
        "diagnosis_date",
        "'1970-01-01' is before birth_date",
        cell(P, 2, "diagnosis_date", "1970-01-01"),
    ),
    Case(
        "follow-up before diagnosis",
        P,
        2,
        "last_followup_date",
        "'2014-01-01' is before diagnosis_date",
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
        "'TLS-002' is a duplicate patient TLS/TLS-002",
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
        "'mabthera' is not a known drug; allowed: prednisone",
        cell(T, 3, "drug", "mabthera"),
    ),
    Case(
        "unknown drug (the issue's example)",
        T,
        3,
        "drug",
        "'aspirinx' is not a known drug; allowed: prednisone, prednisolone,",
        cell(T, 3, "drug", "aspirinx"),
    ),
    Case(
        "misspelt drug",
        T,
        3,
        "drug",
        "'Rituximabe' is not a known drug; allowed: prednisone, prednisolone,",
        cell(T, 3, "drug", "Rituximabe"),
    ),
    Case(
        "drug written with a space",
        T,
        3,
        "drug",
        "did you mean 'tranexamic_acid'?",
        cell(T, 3, "drug", "tranexamic acid"),
    ),
    Case(
        "day-first start date",
        T,
        3,
        "start_date",
        "'03/04/2019' is an ambiguous date (day-first or month-first?)",
        cell(T, 3, "start_date", "03/04/2019"),
    ),
    Case(
        "thirtieth of February",
        T,
        3,
        "start_date",
        "'2019-02-30' is not a valid date",
        cell(T, 3, "start_date", "2019-02-30"),
    ),
    Case(
        "count below detection",
        C,
        3,
        "platelets",
        "'<10' is not a number",
        cell(C, 3, "platelets", "<10"),
    ),
    Case(
        "slashed start date",
        T,
        3,
        "start_date",
        "'2016/01/04' is not a date",
        cell(T, 3, "start_date", "2016/01/04"),
    ),
    Case(
        "end before start",
        T,
        2,
        "end_date",
        "'2015-01-01' is before start_date",
        cell(T, 2, "end_date", "2015-01-01"),
    ),
    Case("dose in words", T, 2, "dose", "'sixty' is not a number", cell(T, 2, "dose", "sixty")),
    Case("negative dose", T, 2, "dose", "'-5' is below the minimum 0", cell(T, 2, "dose", "-5")),
    Case(
        "unknown dose unit",
        T,
        3,
        "dose_unit",
        "'mg/m²' is not a known dose unit; allowed: mg, mg/kg, mg/m2, g/kg, ug/kg; "
        "did you mean 'mg/m2'?",
        cell(T, 3, "dose_unit", "mg/m²"),
    ),
    Case(
        "not a boolean",
        T,
        2,
        "rescue",
        "'maybe' is not a yes/no value",
        cell(T, 2, "rescue", "maybe"),
    ),
    Case(
        "unknown patient",
        T,
        5,
        "patient_id",
        "'TLS-999' is an unknown patient",
        cell(T, 5, "patient_id", "TLS-999"),
    ),
    Case(
        "treatment after death",
        T,
        9,
        "start_date",
        "'2021-01-04' is after the patient's death_date",
        cell(T, 9, "start_date", "2021-01-04"),
    ),
    Case(
        "treatment end after death",
        T,
        8,
        "end_date",
        "'2021-01-04' is after the patient's death_date",
        cell(T, 8, "end_date", "2021-01-04"),
    ),
    Case(
        "decimal comma",
        C,
        3,
        "platelets",
        "'12,5' is not a number: use a point as the decimal separator",
        cell(C, 3, "platelets", "12,5"),
    ),
    Case(
        "count per mm3 without unit",
        C,
        3,
        "platelets",
        "'150000' is outside 0..2000",
        cell(C, 3, "platelets", "150000"),
    ),
    Case(
        "negative count",
        C,
        3,
        "platelets",
        "'-3' is outside 0..2000",
        cell(C, 3, "platelets", "-3"),
    ),
    Case(
        "unknown platelet unit",
        C,
        2,
        "unit",
        "'kg' is not a known unit; allowed: 10^9/L, G/L",
        cell(C, 2, "unit", "kg"),
    ),
    Case(
        "count after last follow-up",
        C,
        3,
        "date",
        "'2021-07-15' is after the patient's last_followup_date",
        cell(C, 3, "date", "2021-07-15"),
    ),
    Case(
        "count before birth",
        C,
        2,
        "date",
        "'1979-01-01' is before the patient's birth_date",
        cell(C, 2, "date", "1979-01-01"),
    ),
    Case(
        "partial count date",
        C,
        2,
        "date",
        "'2016-02' is a partial date, not allowed here",
        cell(C, 2, "date", "2016-02"),
    ),
    Case("count without date", C, 2, "date", "required value missing", cell(C, 2, "date", "")),
    Case(
        "unknown bleeding site",
        B,
        2,
        "site",
        "'nose' is not a known site; allowed: skin",
        cell(B, 2, "site", "nose"),
    ),
    Case(
        "WHO grade out of range",
        B,
        2,
        "who_grade",
        "'5' is outside 0..4",
        cell(B, 2, "who_grade", "5"),
    ),
    Case(
        "severe in Spanish",
        B,
        2,
        "severe",
        "'si' is not a yes/no value",
        cell(B, 2, "severe", "si"),
    ),
    Case(
        "unknown adverse event",
        A,
        2,
        "event",
        "'rash' is not a known event; allowed:",
        cell(A, 2, "event", "rash"),
    ),
    Case(
        "fractional CTCAE grade",
        A,
        2,
        "ctcae_grade",
        "'2.5' is not a whole number",
        cell(A, 2, "ctcae_grade", "2.5"),
    ),
    Case(
        "unknown biomarker test",
        M,
        2,
        "test",
        "'cd20' is not a known test; allowed:",
        cell(M, 2, "test", "cd20"),
    ),
    Case(
        "biomarker without value", M, 3, "value", "required value missing", cell(M, 3, "value", "")
    ),
    Case(
        "course number zero",
        IA,
        2,
        "course_number",
        "'0' is below the minimum 1",
        cell(IA, 2, "course_number", "0"),
    ),
    Case(
        "unknown response",
        IA,
        3,
        "response",
        "'PR' is not a known response; allowed: CR, R, NR, NE",
        cell(IA, 3, "response", "PR"),
    ),
    Case(
        "response date in words",
        IA,
        2,
        "response_date",
        "'yesterday' is not a date",
        cell(IA, 2, "response_date", "yesterday"),
    ),
    Case(
        "event after death",
        A,
        3,
        "onset_date",
        "'2021-01-10' is after the patient's death_date",
        cell(A, 3, "onset_date", "2021-01-10"),
    ),
    Case(
        "unknown center/patient pair",
        C,
        2,
        "patient_id",
        "'TLS-001' is an unknown patient: no row for XXX/TLS-001",
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


def _validate_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *cells: tuple[str, int, str, str]
) -> tuple[Path, str, str]:
    """``validate`` the minimal study with ``cells`` (table, line, column, value) changed: it
    must fail (exit 1); the study, standard output and standard error."""
    tables = valid_tables()
    for table, line, column, value in cells:
        set_cell(tables, table, line, column, value)
    study = write_study(tmp_path / "cohort", tables)
    code, out, err = _run(["validate", str(study)], capsys)
    assert code == 1, out + err
    return study, out, err


def test_a_close_vocabulary_value_is_suggested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study, _, err = _validate_cells(
        tmp_path, capsys, (T, 3, "drug", "Rituximabe"), (T, 4, "drug", "aspirinx")
    )
    lines = {line.split(": ")[0]: line for line in err.splitlines()}
    file = f"{study}/TLS/treatments.csv"
    assert lines[f"{file}:3"].endswith("other; did you mean 'rituximab'?")
    assert "did you mean" not in lines[f"{file}:4"]  # nothing close to aspirinx


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
    line = "patient_id: 'TLS-002' is a duplicate patient TLS/TLS-002: also at"
    assert f"{file}:3: {line} {file}:5" in err
    assert f"{file}:5: {line} {file}:3" in err


def _rewrite_parts(path: Path, change: Callable[[dict[str, bytes]], None]) -> None:
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _bad_workbook_xml(path: Path) -> None:
    _rewrite_parts(path, lambda p: p.update({"xl/workbook.xml": b"<workbook><sheets><sheet"}))


def _bad_sheet_xml(path: Path) -> None:
    def change(parts: dict[str, bytes]) -> None:
        parts["xl/worksheets/sheet2.xml"] = parts["xl/worksheets/sheet2.xml"][:-300]

    _rewrite_parts(path, change)


def _missing_sheet_part(path: Path) -> None:
    _rewrite_parts(path, lambda p: p.pop("xl/worksheets/sheet2.xml"))


def _corrupt_deflate_stream(path: Path) -> None:
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as workbook:
        info = workbook.getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    for index in range(start, start + 40):
        data[index] ^= 0x5A
    path.write_bytes(bytes(data))


#: (case, how the workbook is damaged, the start of what the line says in parentheses)
WORKBOOK_DAMAGES: list[tuple[str, Callable[[Path], None], str]] = [
    ("truncated workbook", _truncate, "BadZipFile: File is not a zip file)"),
    ("bad workbook XML", _bad_workbook_xml, "XMLSyntaxError: "),
    ("bad sheet XML", _bad_sheet_xml, "ParseError: "),
    ("missing sheet part", _missing_sheet_part, "the content of sheet 'treatments' is missing)"),
    (
        "corrupted deflate stream",
        _corrupt_deflate_stream,
        "zlib.error: Error -3 while decompressing",
    ),
]


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
        *(
            (
                name,
                lambda s, damage=damage: damage(write_workbook(s / "center.xlsx")),
                "center.xlsx: ",
                f"not a readable .xlsx workbook ({detail}",
            )
            for name, damage, detail in WORKBOOK_DAMAGES
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


def test_a_huge_value_is_shortened_on_the_line_and_kept_whole_in_rejected_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = "rituximab " * 500_000  # a 5 MB cell
    tables = valid_tables()
    set_cell(tables, T, 3, "drug", huge)
    study = write_study(tmp_path / "cohort", tables)
    out = tmp_path / "out"
    code, _, err = _run(["import", str(study), "--out", str(out)], capsys)
    assert code == 0, err
    line = next(
        line for line in err.splitlines() if line.startswith(f"{study}/TLS/treatments.csv:3")
    )
    shortened = "rituximab " * 5 + "rituximab" + ELLIPSIS  # 60 characters
    assert f"drug: '{shortened}' is not a known drug" in line
    assert len(line) < 1_000
    limit = csv.field_size_limit(1 << 24)
    try:
        with (out / "rejected_rows.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    finally:
        csv.field_size_limit(limit)
    assert [(r["row"], r["column"], r["value"].strip()) for r in rows] == [
        ("3", "drug", huge.strip())
    ]
    assert line.endswith(rows[0]["reason"])  # the same wording in the file as on the line


def test_control_characters_of_a_value_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study, out, err = _validate_cells(
        tmp_path,
        capsys,
        (T, 3, "drug", "ritux\x1b]8;;http://x.test\x07imab\x1b[2J\nok"),
        (P, 2, "center", "TLS\x1b[31m"),
    )
    assert "\x1b" not in out + err and "\x07" not in out + err
    file = f"{study}/TLS/treatments.csv"
    assert (
        f"{file}:3: drug: 'ritux\\x1b]8;;http://x.test\\x07imab\\x1b[2J\\nok' is not a known drug"
        in err
    )


def test_a_row_below_the_declared_dimension_of_a_sheet_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    count = list(tables[C][1])
    count[tables[C][0].index("platelets")] = "lots"
    tables[C].append(count)
    rows = len(tables[C])
    path = write_workbook(tmp_path / "TLS.xlsx", tables)
    sheet = f"xl/worksheets/sheet{list(tables).index(C) + 1}.xml"

    def understate(parts: dict[str, bytes]) -> None:
        xml = parts[sheet].decode()
        assert f'<dimension ref="A1:D{rows}"/>' in xml
        parts[sheet] = xml.replace(f'ref="A1:D{rows}"', f'ref="A1:D{rows - 1}"').encode()

    _rewrite_parts(path, understate)
    code, out, err = _run(["validate", str(path)], capsys)
    assert code == 1, out + err  # the row is read, and its problem found
    assert f"{path}[platelet_counts]:{rows}: platelets: 'lots' is not a number" in err, err


def test_an_unknown_column_is_noted_cut_and_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    add_column(T, "note\x1b[2J" + "x" * 100_000, "")(tables)
    study = write_study(tmp_path / "cohort", tables)
    code, out, err = _run(["validate", str(study)], capsys)
    assert code == 0, out + err
    note = next(line for line in out.splitlines() if "column(s) ignored" in line)
    assert note.endswith(": column(s) ignored: note\\x1b[2J" + "x" * 51 + ELLIPSIS)
    assert "\x1b" not in out + err
