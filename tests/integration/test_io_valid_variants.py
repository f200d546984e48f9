"""Valid variants of the minimal study are accepted (``data-model.md``, Conventions).

Each variant writes the same study in another accepted form (BOM, CRLF, French booleans, unit
spellings, reordered and extra columns, quoted newlines, blank lines, a declared day-first
latin-1 semicolon source, a workbook with native dates, several inputs) and must validate with
exit 0 and every row read; where line numbers could drift, an error is planted after the tricky
part and must be reported on its physical line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.fixtures.io_study import (
    VALID_COUNTS,
    Rows,
    csv_text,
    set_cell,
    valid_tables,
    write_center,
    write_study,
    write_workbook,
)

from itpcohort.cli import main
from itpcohort.config import StudyConfig
from itpcohort.pipeline import validate_inputs

Tables = dict[str, Rows]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def _reorder(tables: Tables) -> None:
    for table, rows in tables.items():
        order = list(reversed(range(len(rows[0]))))
        tables[table] = [[row[i] for i in order] for row in rows]


def _extra_columns(tables: Tables) -> None:
    for rows in tables.values():
        rows[0].append("comment")
        for row in rows[1:]:
            row.append("free text, with a comma")
    tables["treatments"][0][-1] = "drug_detail"


def _french_booleans(tables: Tables) -> None:
    for line, value in zip(
        range(2, 10), ("non", "NON", " Oui ", "n", "N", "", "OUI", "0"), strict=True
    ):
        set_cell(tables, "treatments", line, "rescue", value)
    set_cell(tables, "bleeding_events", 2, "severe", "true")
    set_cell(tables, "adverse_events", 2, "serious", "1")


def _units(tables: Tables) -> None:
    spellings = ("G/L", "g/l", "x10^9/L", "/uL", "10^3/mm3", "10^9/L", "10^3/uL", " G/L ")
    for line, unit in zip(range(2, 10), spellings, strict=True):
        set_cell(tables, "platelet_counts", line, "unit", unit)
    set_cell(tables, "platelet_counts", 5, "platelets", "180000")  # per uL


def _case_and_spaces(tables: Tables) -> None:
    set_cell(tables, "patients", 2, "sex", " f ")
    set_cell(tables, "patients", 2, "itp_type", "PRIMARY")
    set_cell(tables, "treatments", 3, "drug", "  Rituximab ")
    set_cell(tables, "investigator_assessments", 2, "response", "cr")
    set_cell(tables, "platelet_counts", 2, "platelets", " 12 ")


def _center_in_child_rows(tables: Tables) -> None:
    tables["platelet_counts"][0].append("center")
    for row in tables["platelet_counts"][1:]:
        row.append("TLS")


def _optional_tables_missing(tables: Tables) -> None:
    for table in ("bleeding_events", "adverse_events", "biomarkers", "investigator_assessments"):
        del tables[table]


def _header_only_optional(tables: Tables) -> None:
    tables["biomarkers"] = tables["biomarkers"][:1]


VARIANTS: dict[str, tuple[Callable[[Tables], None], dict[str, object]]] = {
    "utf-8 BOM": (lambda t: None, {"bom": True}),
    "CRLF line ends": (lambda t: None, {"newline": "\r\n"}),
    "BOM and CRLF": (lambda t: None, {"bom": True, "newline": "\r\n"}),
    "French and other booleans": (_french_booleans, {}),
    "platelet unit spellings": (_units, {}),
    "reordered columns": (_reorder, {}),
    "extra columns": (_extra_columns, {}),
    "vocabulary case and spaces": (_case_and_spaces, {}),
    "center given in child rows": (_center_in_child_rows, {}),
    "optional tables missing": (_optional_tables_missing, {}),
    "optional table with header only": (_header_only_optional, {}),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_valid_variant_is_accepted(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, options = VARIANTS[name]
    tables = valid_tables()
    change(tables)
    study = write_study(tmp_path / "cohort", tables, **options)
    code, out, err = _run(["validate", str(study)], capsys)
    assert code == 0, out + err
    report = validate_inputs([study], StudyConfig())
    for table, rows in tables.items():
        assert report.count(table).rows_read == len(rows) - 1
        assert report.count(table).rows_loaded == len(rows) - 1


def test_extra_columns_are_listed_as_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    _extra_columns(tables)
    study = write_study(tmp_path / "cohort", tables)
    code, out, _ = _run(["validate", str(study)], capsys)
    assert code == 0
    assert f"note: {study}/TLS/patients.csv: column(s) ignored: comment" in out
    assert "treatments.csv: column(s) ignored" not in out  # drug_detail is a known column


def test_quoted_newlines_keep_physical_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    set_cell(tables, "adverse_events", 2, "description", 'chills, then "fever"\r\nand rash\nday 2')
    set_cell(tables, "adverse_events", 3, "event", "rash")  # record 3 starts on line 5
    study = write_study(tmp_path / "cohort", tables, newline="\r\n")
    code, _, err = _run(["validate", str(study)], capsys)
    assert code == 1
    assert f"{study}/TLS/adverse_events.csv:5: event: 'rash' is not a known event" in err


def test_blank_lines_keep_physical_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    set_cell(tables, "platelet_counts", 4, "unit", "kg")
    study = write_study(tmp_path / "cohort", tables)
    path = study / "TLS" / "platelet_counts.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines[:2], "\n", ",,,\n", "\n", *lines[2:], "\n", "\n"]))
    code, _, err = _run(["validate", str(study)], capsys)
    assert code == 1
    assert f"{path}:7: unit: 'kg' is not a known unit" in err  # line 4 pushed down by three lines
    report = validate_inputs([study], StudyConfig())
    assert report.count("platelet_counts").rows_read == VALID_COUNTS["platelet_counts"]


def test_declared_day_first_latin1_semicolon_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    for rows in tables.values():
        for row in rows[1:]:
            for i, value in enumerate(row):
                if len(value) == 10 and value[4] == "-" and value[7] == "-":
                    row[i] = f"{value[8:]}/{value[5:7]}/{value[:4]}"
    set_cell(tables, "adverse_events", 2, "description", "fièvre; frissons")
    study = tmp_path / "cohort"
    write_center(study / "TLS", tables, delimiter=";", encoding="latin-1", newline="\r\n")
    (study / "study.toml").write_text(
        '[sources.TLS]\ndate_format = "%d/%m/%Y"\nencoding = "latin-1"\ndelimiter = ";"\n'
    )
    code, out, err = _run(["validate", str(study)], capsys)
    assert code == 0, out + err
    # without the declaration the same files are refused (latin-1 bytes are not UTF-8)
    (study / "study.toml").unlink()
    code, _, err = _run(["validate", str(study)], capsys)
    assert code == 1
    assert "cannot be read as UTF-8" in err


def test_day_first_dates_without_declaration_are_refused_not_guessed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    set_cell(tables, "platelet_counts", 2, "date", "20/12/2015")  # unambiguous, still refused
    set_cell(tables, "platelet_counts", 3, "date", "02/03/2016")  # ambiguous
    study = write_study(tmp_path / "cohort", tables)
    code, _, err = _run(["validate", str(study)], capsys)
    assert code == 1
    file = f"{study}/TLS/platelet_counts.csv"
    assert f"{file}:2: date: '20/12/2015' is not a date: expected YYYY-MM-DD" in err
    assert f"{file}:3: date: '02/03/2016' is an ambiguous date (day-first or month-first?)" in err


def test_workbook_with_native_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workbook = write_workbook(tmp_path / "tls.xlsx")
    code, out, err = _run(["validate", str(workbook)], capsys)
    assert code == 0, out + err


def test_workbook_problems_name_the_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = valid_tables()
    set_cell(tables, "treatments", 4, "drug", "ritux")
    workbook = write_workbook(tmp_path / "tls.xlsx", tables)
    code, _, err = _run(["validate", str(workbook)], capsys)
    assert code == 1
    assert f"{workbook}[treatments]:4: drug: 'ritux' is not a known drug" in err


def test_several_inputs_are_merged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a second center reusing the same patient codes: child rows find their patient in their
    # own source, (center, patient_id) stays unique in the study
    other = valid_tables()
    for row in other["patients"][1:]:
        row[1] = "BDX"
    tls = write_center(tmp_path / "TLS", valid_tables())
    bdx = write_center(tmp_path / "BDX", other)
    workbook = write_workbook(
        tmp_path / "third" / "LYO.xlsx", _renamed_center(valid_tables(), "LYO")
    )
    code, out, err = _run(["validate", str(tls), str(bdx), str(workbook)], capsys)
    assert code == 0, out + err
    report = validate_inputs([tls, bdx, workbook], StudyConfig())
    assert report.count("platelet_counts").rows_loaded == 3 * VALID_COUNTS["platelet_counts"]


def _renamed_center(tables: Tables, center: str) -> Tables:
    for row in tables["patients"][1:]:
        row[1] = center
    return tables


def test_folder_of_center_folders(tmp_path: Path) -> None:
    study = tmp_path / "cohort"
    write_center(study / "TLS", valid_tables())
    write_center(study / "BDX", _renamed_center(valid_tables(), "BDX"))
    (study / "notes.csv").write_text("not,a,table\n")
    report = validate_inputs([study], StudyConfig())
    assert report.ok
    assert report.count("patients").rows_loaded == 6


def test_same_center_twice_is_a_duplicate_of_every_patient(tmp_path: Path) -> None:
    study = tmp_path / "cohort"
    write_center(study / "A", valid_tables())
    write_center(study / "B", valid_tables())
    report = validate_inputs([study], StudyConfig())
    assert {p.column for p in report.problems} == {"patient_id"}
    assert len(report.problems) == 6
    assert report.count("platelet_counts").rows_held_back == 2 * VALID_COUNTS["platelet_counts"]


def test_csv_text_round_trip_of_the_fixture() -> None:
    # the fixture writer quotes what needs quoting: a sanity check of the helper itself
    assert csv_text([["a", "b,c", 'd"e']]) == 'a,"b,c","d""e"\n'


def test_an_unusable_declared_date_format_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path / "cohort")
    (study / "study.toml").write_text('[sources.TLS]\ndate_format = "%d/%m/%Q"\n')
    code, _, err = _run(["validate", str(study)], capsys)
    assert code == 1
    assert "the declared date_format '%d/%m/%Q' of source TLS is not a valid format" in err
