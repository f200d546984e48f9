"""Finding sources among the inputs, their declared options, and the study.toml of an input."""

from __future__ import annotations

from pathlib import Path

import pytest

from itpcohort.config import StudyConfig, load_config
from itpcohort.errors import InputError, UsageError
from itpcohort.io.sources import discover_sources, resolve_config
from tests.fixtures.io_study import valid_tables, write_center, write_workbook


def test_a_center_folder_is_one_source(tmp_path: Path) -> None:
    folder = write_center(tmp_path / "TLS", valid_tables())
    found = discover_sources([folder], StudyConfig())
    assert [s.name for s in found.sources] == ["TLS"]
    assert [f.table for f in found.sources[0].files][:3] == [
        "patients",
        "treatments",
        "platelet_counts",
    ]
    assert found.sources[0].files[0].display == f"{folder}/patients.csv"
    assert found.sources[0].files[0].relative == "patients.csv"


def test_a_study_folder_holds_center_folders_and_workbooks(tmp_path: Path) -> None:
    write_center(tmp_path / "study" / "TLS", valid_tables())
    write_workbook(tmp_path / "study" / "BDX.xlsx")
    (tmp_path / "study" / "docs").mkdir()
    (tmp_path / "study" / "injected_errors.csv").write_text("file,row,column,kind\n")
    found = discover_sources([tmp_path / "study"], StudyConfig())
    assert [(s.name, s.kind) for s in found.sources] == [("BDX", "workbook"), ("TLS", "folder")]
    assert found.sources[0].files[0].display == f"{tmp_path}/study/BDX.xlsx[patients]"
    assert found.sources[0].files[0].relative == "BDX.xlsx[patients]"
    assert found.sources[1].files[0].relative == "TLS/patients.csv"
    assert found.problems == ()


def test_unknown_files_and_sheets_are_noted(tmp_path: Path) -> None:
    folder = write_center(tmp_path / "TLS", valid_tables())
    (folder / "notes.csv").write_text("x\n")
    found = discover_sources([folder], StudyConfig())
    assert found.notes == (f"{folder}/notes.csv: ignored (not a table)",)


def test_missing_required_table(tmp_path: Path) -> None:
    tables = valid_tables()
    del tables["platelet_counts"]
    folder = write_center(tmp_path / "TLS", tables)
    found = discover_sources([folder], StudyConfig())
    assert [p.reason for p in found.problems] == [
        "required table 'platelet_counts' missing: expected a file platelet_counts.csv"
    ]


def test_folder_without_any_table(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    found = discover_sources([tmp_path / "empty"], StudyConfig())
    assert "no table found" in found.problems[0].reason


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nowhere", "no such file or folder"),
        (lambda p: write_center(p / "TLS", valid_tables()) / "patients.csv", "give the folder"),
        (lambda p: (p / "x.txt", (p / "x.txt").write_text(""))[0], "not an input"),
    ],
)
def test_wrong_inputs_are_usage_errors(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(UsageError, match=message):
        discover_sources([path], StudyConfig())


def test_the_same_input_given_twice_is_a_usage_error(tmp_path: Path) -> None:
    folder = write_center(tmp_path / "TLS", valid_tables())
    with pytest.raises(UsageError, match="given twice"):
        discover_sources([folder, tmp_path / "." / "TLS"], StudyConfig())


def test_source_options_by_folder_name_or_path(tmp_path: Path) -> None:
    write_center(tmp_path / "study" / "TLS", valid_tables())
    write_center(tmp_path / "study" / "BDX", valid_tables())
    toml = tmp_path / "study" / "study.toml"
    toml.write_text(
        '[sources.TLS]\ndate_format = "%d/%m/%Y"\n\n[sources.bordeaux]\npath = "BDX"\ndelimiter = ";"\n'
    )
    found = discover_sources([tmp_path / "study"], load_config(toml))
    by_name = {s.name: s for s in found.sources}
    assert by_name["TLS"].date_format == "%d/%m/%Y"
    assert by_name["TLS"].delimiter == ","
    assert by_name["BDX"].delimiter == ";"
    assert by_name["BDX"].date_format is None


def test_study_toml_at_the_input_root_is_used_unless_config_is_given(tmp_path: Path) -> None:
    study = tmp_path / "study"
    write_center(study / "TLS", valid_tables())
    assert resolve_config([study], None) == StudyConfig()
    (study / "study.toml").write_text('[study]\ntitle = "From the folder"\n')
    assert resolve_config([study], None).title == "From the folder"
    other = tmp_path / "other.toml"
    other.write_text('[study]\ntitle = "Given"\n')
    assert resolve_config([study], other).title == "Given"
    with pytest.raises(UsageError, match="configuration file not found"):
        resolve_config([study], tmp_path / "missing.toml")


def test_a_study_toml_with_unknown_keys_is_refused(tmp_path: Path) -> None:
    study = tmp_path / "study"
    write_center(study / "TLS", valid_tables())
    (study / "study.toml").write_text('[sources.TLS]\ndate_fromat = "%d/%m/%Y"\n')
    with pytest.raises(InputError) as error:
        resolve_config([study], None)
    assert "unknown key 'date_fromat'" in error.value.problems[0].reason


def test_two_inputs_with_different_study_toml_must_choose(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_center(tmp_path / name / "TLS", valid_tables())
        (tmp_path / name / "study.toml").write_text(f'[study]\ntitle = "{name}"\n')
    with pytest.raises(UsageError, match="--config"):
        resolve_config([tmp_path / "a", tmp_path / "b"], None)


def test_a_declared_source_that_matches_no_input_is_noted(tmp_path: Path) -> None:
    write_center(tmp_path / "study" / "TLS", valid_tables())
    toml = tmp_path / "study" / "study.toml"
    toml.write_text('[sources.TOULOUSE]\ndate_format = "%d/%m/%Y"\n')
    found = discover_sources([tmp_path / "study"], load_config(toml))
    assert found.notes == (
        f"{toml}: [sources.TOULOUSE] matches no input (its key is matched against center folder "
        "and workbook names, its path against their paths)",
    )


def test_a_quote_declared_as_delimiter_is_refused(tmp_path: Path) -> None:
    write_center(tmp_path / "study" / "TLS", valid_tables())
    toml = tmp_path / "study" / "study.toml"
    toml.write_text("[sources.TLS]\ndelimiter = '\"'\n")
    found = discover_sources([tmp_path / "study"], load_config(toml))
    assert [p.reason for p in found.problems] == [
        "declared delimiter '\"' cannot separate CSV fields"
    ]


def test_a_redcap_export_is_a_source_of_the_tables_it_holds(tmp_path: Path) -> None:
    from tests.fixtures.redcap_export import write_export

    export = write_export(tmp_path / "study" / "records.csv")
    write_workbook(tmp_path / "study" / "BDX.xlsx")
    alone = discover_sources([export], StudyConfig())
    in_folder = discover_sources([tmp_path / "study"], StudyConfig())
    assert [(s.name, s.kind) for s in alone.sources] == [("records", "redcap")]
    assert [(s.name, s.kind) for s in in_folder.sources] == [
        ("BDX", "workbook"),
        ("records", "redcap"),
    ]
    files = alone.sources[0].files
    # only the instruments with fields in the header; every table is the export itself
    assert [f.table for f in files] == [
        "patients",
        "treatments",
        "platelet_counts",
        "bleeding_events",
    ]
    assert {(f.display, f.relative, f.sheet) for f in files} == {(str(export), "records.csv", None)}


def test_a_redcap_export_is_read_with_its_declared_delimiter(tmp_path: Path) -> None:
    from tests.fixtures.redcap_export import write_export

    export = write_export(tmp_path / "records.csv")
    export.write_text(export.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    with pytest.raises(UsageError, match="record_id first"):
        discover_sources([export], StudyConfig())
    (tmp_path / "study.toml").write_text('[sources.records]\ndelimiter = ";"\n', encoding="utf-8")
    found = discover_sources([export], load_config(tmp_path / "study.toml"))
    assert [(s.kind, s.delimiter) for s in found.sources] == [("redcap", ";")]
