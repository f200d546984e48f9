"""``protocols.md`` "Data model additions": ``treatments.stop_reason`` and the TPO-RA adverse events
(``hepatotoxicity``, ``bone_marrow_fibrosis``) through import, the CRF workbook, the REDCap
dictionary, the REDCap import and both exports.

A small CSV study (``tests.fixtures.io_study``) gains a ``stop_reason`` column written as centers
write it (mixed case, empty) and the two events; it imports with the values case-folded, an unknown
reason is rejected naming the allowed values, and the study exported as a workbook or a REDCap
import file reimports to the same canonical tables.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.fixtures.io_study import Rows, valid_tables, write_study

from itpcohort.config import load_config
from itpcohort.crf.redcap_dictionary import redcap_fields
from itpcohort.crf.workbook import build_workbook
from itpcohort.schema import CANONICAL_COLUMNS, STOP_REASONS
from itpcohort.store import connect_ibis, execute_to_arrow, import_study

NEW_EVENTS = ("hepatotoxicity", "bone_marrow_fibrosis")


def tables_with_stop_reasons(reasons: dict[int, str]) -> dict[str, Rows]:
    """The valid study with a ``stop_reason`` column (``reasons`` by data line, 2 = first row)
    and one adverse event of each TPO-RA kind."""
    tables = valid_tables()
    treatments = tables["treatments"]
    treatments[0].append("stop_reason")
    for line, row in enumerate(treatments[1:], start=2):
        row.append(reasons.get(line, ""))
    tables["adverse_events"].append(
        ["TLS-002", "2017-03-01", "Hepatotoxicity", "2", "no", "ALT 4 x ULN"]
    )
    tables["adverse_events"].append(
        ["TLS-002", "2017-06-15", "bone_marrow_fibrosis", "", "", "grade 2 reticulin"]
    )
    return tables


def canonical(database: Path) -> dict[str, list[tuple[object, ...]]]:
    backend = connect_ibis(database, read_only=True)
    result = {}
    for name, columns in CANONICAL_COLUMNS.items():
        names = [c for c, _ in columns]
        rows = execute_to_arrow(backend.table(name).select(names)).to_pylist()
        result[name] = sorted(
            (tuple(row[c] for c in names) for row in rows), key=lambda r: [repr(v) for v in r]
        )
    return result


def stop_reasons(database: Path) -> list[tuple[str, str, str | None]]:
    backend = connect_ibis(database, read_only=True)
    rows = execute_to_arrow(
        backend.table("treatments").select("patient_id", "drug", "start_date", "stop_reason")
    ).to_pylist()
    return sorted(
        (r["patient_id"], f"{r['drug']} {r['start_date']}", r["stop_reason"]) for r in rows
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The study with stop reasons on eltrombopag (line 6, ``Inefficacy``) and prednisone
    (line 2, ``remission``), imported; returns its database."""
    root = tmp_path_factory.mktemp("stop_reason")
    write_study(root / "in", tables_with_stop_reasons({6: " Inefficacy ", 2: "remission"}))
    database = root / "run" / "study.duckdb"
    report = import_study([root / "in"], load_config(None), database)
    assert report.ok, report.problems
    return database


def test_stop_reasons_import_case_folded_and_empty_as_null(study: Path) -> None:
    reasons = [r for r in stop_reasons(study) if r[2] is not None]
    assert reasons == [
        ("TLS-001", "prednisone 2015-03-10", "remission"),
        ("TLS-002", "eltrombopag 2017-01-01", "inefficacy"),
    ]
    assert sum(r[2] is None for r in stop_reasons(study)) == 6


def test_tpo_ra_adverse_events_import(study: Path) -> None:
    events = [row[3] for row in canonical(study)["adverse_events"]]
    assert sorted(e for e in events if e in NEW_EVENTS) == sorted(NEW_EVENTS)


def test_unknown_stop_reason_is_rejected_naming_the_vocabulary(tmp_path: Path) -> None:
    write_study(tmp_path / "in", tables_with_stop_reasons({6: "bored"}))
    report = import_study([tmp_path / "in"], load_config(None), tmp_path / "db.duckdb")
    (problem,) = report.problems
    assert (problem.row, problem.column, problem.value) == (6, "stop_reason", "bored")
    assert all(reason in problem.reason for reason in STOP_REASONS)


def test_crf_workbook_has_the_stop_reason_dropdown_in_vocabulary_order() -> None:
    workbook = build_workbook("en")
    sheet = workbook["treatments"]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    letter = "ABCDEFGHIJKLMNOP"[header.index("stop_reason")]
    lists = {
        col[0].value: (col[0].column_letter, [c.value for c in col[1:] if c.value is not None])
        for col in workbook["lists"].iter_cols()
    }
    list_letter, values = lists["treatments.stop_reason"]
    assert tuple(values) == STOP_REASONS
    # the column's dropdown reads exactly that list
    (formula,) = [
        dv.formula1
        for dv in sheet.data_validations.dataValidation
        if str(dv.sqref).startswith(f"{letter}2:")
    ]
    assert formula == f"lists!${list_letter}$2:${list_letter}${1 + len(STOP_REASONS)}"
    assert set(NEW_EVENTS) <= set(lists["adverse_events.event"][1])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_redcap_dictionary_has_the_stop_reason_dropdown(lang: str) -> None:
    fields = {f.name: f for f in redcap_fields(lang)}  # type: ignore[arg-type]
    stop = fields["treatments_stop_reason"]
    assert (stop.form, stop.field_type) == ("treatments", "dropdown")
    codes = [choice.split(",")[0].strip() for choice in stop.choices.split("|")]
    assert codes == list(STOP_REASONS)
    event_codes = [
        c.split(",")[0].strip() for c in fields["adverse_events_event"].choices.split("|")
    ]
    assert set(NEW_EVENTS) <= set(event_codes)


@pytest.mark.parametrize(("format_", "suffix"), [("xlsx", "xlsx"), ("redcap", "csv")])
def test_export_and_reimport_keep_stop_reasons_and_events(
    study: Path, format_: str, suffix: str, tmp_path: Path
) -> None:
    out = tmp_path / f"export.{suffix}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "itpcohort",
            "export",
            str(study),
            "--format",
            format_,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    again = tmp_path / "again.duckdb"
    report = import_study([out], load_config(None), again)
    assert report.rejected == ()
    before, after = canonical(study), canonical(again)
    for name in CANONICAL_COLUMNS:
        assert after[name] == before[name], name
    assert [r[2] for r in stop_reasons(again) if r[2]] == ["remission", "inefficacy"]
