"""A clean synthetic study breaks no rule of ``data-model.md``; a messy one breaks exactly the rules
its manifest lists, one problem per injected error (checked by the plain-Python reference reading
of ``reference.py``, independent of the generator)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from itpcohort import schema
from itpcohort.synth import MANIFEST, SynthSummary, generate_study

from .conftest import MESSY
from .reference import check_study, parse_date, read_study


def _manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / MANIFEST).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_clean_study_breaks_no_rule(clean_study: tuple[Path, SynthSummary]) -> None:
    folder, summary = clean_study
    assert summary.total_rows > 10_000
    assert check_study(folder) == set()
    assert not (folder / MANIFEST).exists()


def test_every_file_has_the_rows_the_summary_counts(clean_study: tuple[Path, SynthSummary]) -> None:
    folder, summary = clean_study
    counted = Counter[str]()
    for center in read_study(folder).values():
        for table, rows in center.tables.items():
            counted[table] += len(rows)
    assert dict(counted) == summary.rows
    assert summary.rows["patients"] == 400


def test_messy_problems_are_exactly_the_manifest(messy_study: tuple[Path, SynthSummary]) -> None:
    folder, summary = messy_study
    manifest = _manifest(folder)
    listed = {(r["file"], int(r["row"]), r["column"]) for r in manifest}
    assert len(listed) == len(manifest) == summary.injected_errors
    assert check_study(folder) == listed


def test_one_error_per_row_and_none_in_rows_of_a_rejected_patient(
    messy_study: tuple[Path, SynthSummary],
) -> None:
    folder, _ = messy_study
    manifest = _manifest(folder)
    per_line = Counter((r["file"], r["row"]) for r in manifest)
    assert max(per_line.values()) == 1
    centers = read_study(folder)
    rejected = set()
    for r in manifest:
        code, table = r["file"].removesuffix(".csv").split("/")
        if table == "patients":
            row = centers[code].tables["patients"][int(r["row"]) - 2]
            rejected.add((code, row.cells["patient_id"]))
    assert rejected
    for r in manifest:
        code, table = r["file"].removesuffix(".csv").split("/")
        if table != "patients":
            row = centers[code].tables[table][int(r["row"]) - 2]
            assert (code, row.cells["patient_id"]) not in rejected


def test_fraction_of_rows_with_an_error_is_about_the_one_asked(
    messy_study: tuple[Path, SynthSummary],
) -> None:
    _, summary = messy_study
    fraction = summary.injected_errors / summary.total_rows
    assert 0.8 * MESSY <= fraction <= 1.2 * MESSY


@pytest.fixture(scope="module")
def very_messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth") / "very_messy"
    generate_study(folder, 300, 8, seed=5, messy=0.3)
    return folder


def test_every_kind_of_error_is_injected_and_really_invalid(very_messy: Path) -> None:
    """Re-read each listed line with the csv module and check that its cell is wrong the way the
    manifest says."""
    manifest = _manifest(very_messy)
    assert {r["kind"] for r in manifest} == {
        "unknown_value",
        "bad_date",
        "undeclared_date_format",
        "partial_date",
        "not_a_number",
        "out_of_range",
        "end_before_start",
        "death_before_diagnosis",
        "after_last_followup",
        "duplicate_patient",
        "unknown_patient",
        "missing_secondary_cause",
        "required_empty",
    }
    centers = read_study(very_messy)
    ids = {
        code: Counter(r.cells["patient_id"] for r in c.tables["patients"])
        for code, c in centers.items()
    }
    followup = {
        (code, r.cells["patient_id"]): r.cells["last_followup_date"]
        for code, c in centers.items()
        for r in c.tables["patients"]
    }
    for entry in manifest:
        code, table_name = entry["file"].removesuffix(".csv").split("/")
        center = centers[code]
        row = center.tables[table_name][int(entry["row"]) - 2]
        assert row.line == int(entry["row"])
        column = schema.TABLES_BY_NAME[table_name].column(entry["column"])
        value = row.cells[entry["column"]]
        fmt = center.date_format
        partial = column.type == schema.ColumnType.PARTIAL_DATE
        kind = entry["kind"]
        if kind == "unknown_value":
            assert value.strip().casefold() not in {v.casefold() for v in column.vocabulary}, value
        elif kind == "bad_date":
            assert value and parse_date(value, fmt, partial) is None, value
        elif kind == "undeclared_date_format":
            assert fmt is None and re.fullmatch(r"\d{2}/\d{2}/\d{4}", value), value
        elif kind == "partial_date":
            assert re.fullmatch(r"\d{4}-\d{2}|\d{2}/\d{4}", value), value
        elif kind == "not_a_number":
            with pytest.raises(ValueError):
                int(value) if column.type == schema.ColumnType.INTEGER else float(value)
        elif kind == "out_of_range":
            assert float(value) > schema.PLATELET_MAX and row.cells.get("unit", "") != "/mm3"
        elif kind == "end_before_start":
            end = parse_date(value, fmt, False)
            start = parse_date(row.cells["start_date"], fmt, False)
            assert end is not None and start is not None and end < start
        elif kind == "death_before_diagnosis":
            death = parse_date(value, fmt, False)
            diagnosis = parse_date(row.cells["diagnosis_date"], fmt, True)
            assert death is not None and diagnosis is not None and death < diagnosis
        elif kind == "after_last_followup":
            last = parse_date(followup[code, row.cells["patient_id"]], fmt, False)
            date = parse_date(value, fmt, False)
            assert date is not None and last is not None and date > last
        elif kind == "duplicate_patient":
            assert ids[code][value] == 2
        elif kind == "unknown_patient":
            assert ids[code][value] == 0
        elif kind == "missing_secondary_cause":
            assert value == "" and row.cells["itp_type"] == "secondary"
        elif kind == "required_empty":
            assert value == "" and column.required
        else:
            pytest.fail(f"unexpected kind {kind}")


def test_both_copies_of_a_duplicated_patient_are_listed(very_messy: Path) -> None:
    manifest = _manifest(very_messy)
    duplicates = [r for r in manifest if r["kind"] == "duplicate_patient"]
    assert duplicates and len(duplicates) % 2 == 0
    by_file: dict[str, list[int]] = {}
    for r in duplicates:
        by_file.setdefault(r["file"], []).append(int(r["row"]))
    for rows in by_file.values():
        rows.sort()
        assert all(b == a + 1 for a, b in zip(rows[::2], rows[1::2], strict=True))


def test_very_messy_problems_are_exactly_the_manifest(very_messy: Path) -> None:
    listed = {(r["file"], int(r["row"]), r["column"]) for r in _manifest(very_messy)}
    assert check_study(very_messy) == listed


def test_messy_changes_only_the_listed_cells(
    clean_study: tuple[Path, SynthSummary], messy_study: tuple[Path, SynthSummary]
) -> None:
    """Same seed with and without errors: the same study, except the listed cells and the second
    copy of each duplicated patient."""
    clean = read_study(clean_study[0])
    messy = read_study(messy_study[0])
    manifest = _manifest(messy_study[0])
    listed = {(r["file"], int(r["row"]), r["column"]) for r in manifest}
    copies = sorted(
        (r["file"], int(r["row"])) for r in manifest if r["kind"] == "duplicate_patient"
    )
    second_copies = set(copies[1::2])  # copies come in adjacent pairs of lines
    changed = set()
    for code, center in messy.items():
        for table, rows in center.tables.items():
            kept = [r for r in rows if (r.file, r.line) not in second_copies]
            originals = clean[code].tables[table]
            assert len(kept) == len(originals)
            for before, after in zip(originals, kept, strict=True):
                for column, value in after.cells.items():
                    if before.cells[column] != value:
                        changed.add((after.file, after.line, column))
    duplicated = {(f, r, "patient_id") for f, r in copies}
    assert changed == listed - duplicated
