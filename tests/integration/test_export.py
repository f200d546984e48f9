"""`itpcohort export`: a study written back as a workbook re-imports to the same canonical tables;
written as a REDCap import file it fits the project of `itpcohort crf --format redcap`."""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from itpcohort.config import load_config
from itpcohort.crf.redcap_dictionary import write_redcap_dictionary
from itpcohort.schema import CANONICAL_COLUMNS, TABLES
from itpcohort.store import connect_ibis, execute_to_arrow, import_study
from itpcohort.synth import generate_study


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic 3-center study of 40 patients, imported; returns the run folder."""
    root = tmp_path_factory.mktemp("export")
    generate_study(root / "synth", patients=40, centers=3, seed=7)
    config = load_config(root / "synth" / "study.toml")
    report = import_study([root / "synth"], config, root / "run" / "study.duckdb")
    assert report.ok
    return root / "run"


def canonical(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every canonical table without provenance, as sorted tuples."""
    backend = connect_ibis(database, read_only=True)
    tables = {}
    for name, columns in CANONICAL_COLUMNS.items():
        names = [c for c, _ in columns]
        rows = execute_to_arrow(backend.table(name).select(names)).to_pylist()
        tables[name] = sorted(
            (tuple(row[c] for c in names) for row in rows), key=lambda r: [repr(v) for v in r]
        )
    return tables


def test_exported_workbook_reimports_to_the_same_study(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "study.xlsx"
    result = run_cli("export", str(study), "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout

    report = import_study([out], load_config(None), tmp_path / "again" / "study.duckdb")
    assert report.rejected == ()
    before, after = (
        canonical(study / "study.duckdb"),
        canonical(tmp_path / "again" / "study.duckdb"),
    )
    for name in CANONICAL_COLUMNS:
        assert len(after[name]) == len(before[name]), name
        assert after[name] == before[name], name
    assert sum(len(rows) for rows in before.values()) > 400  # a real study, not a trivial one


def test_export_accepts_the_database_file_and_is_deterministic(study: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for out in (first, second):
        result = run_cli(
            "export", str(study / "study.duckdb"), "--format", "xlsx", "--out", str(out)
        )
        assert result.returncode == 0, result.stderr
    assert first.read_bytes() == second.read_bytes()


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def value_problem(field: dict[str, str], value: str) -> str | None:
    """Why ``value`` would not import into ``field`` of the dictionary (None when it would)."""
    kind = field["Field Type"]
    validation = field["Text Validation Type OR Show Slider Number"]
    if kind == "dropdown":
        codes = [
            c.split(",")[0].strip()
            for c in field["Choices, Calculations, OR Slider Labels"].split("|")
        ]
        return None if value in codes else f"{value!r} is not a choice code"
    if kind == "yesno":
        return None if value in ("0", "1") else f"{value!r} is not 0/1"
    if validation == "date_ymd":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return f"{value!r} is not YYYY-MM-DD"
        return None
    if validation in ("integer", "number"):
        pattern = r"-?\d+" if validation == "integer" else r"-?\d+(\.\d+)?"
        if not re.fullmatch(pattern, value):
            return f"{value!r} is not {validation}"
        low, high = field["Text Validation Min"], field["Text Validation Max"]
        if (low and float(value) < float(low)) or (high and float(value) > float(high)):
            # REDCap only warns out of range; platelets per µL with their unit are legitimate
            return (
                None if field["Variable / Field Name"] == "platelet_counts_platelets" else "range"
            )
    return None


def test_redcap_export_fits_the_dictionary(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "records.csv"
    result = run_cli("export", str(study), "--format", "redcap", "--out", str(out))
    assert result.returncode == 0, result.stderr
    dictionary, _ = write_redcap_dictionary(tmp_path / "dictionary.csv", "en")
    dict_header, dict_rows = read_csv(dictionary)
    fields = {row[0]: dict(zip(dict_header, row, strict=True)) for row in dict_rows}
    header, rows = read_csv(out)
    assert header[:3] == ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    assert header[3:] == [name for name in fields if name != "record_id"]

    before = canonical(study / "study.duckdb")
    counts = Counter(row[1] or "patients" for row in rows)
    assert counts == {t.name: len(before[t.name]) for t in TABLES if before[t.name]}

    instances: dict[tuple[str, str], list[int]] = {}
    form_of = {name: field["Form Name"] for name, field in fields.items()}
    for row in rows:
        record, instrument, instance = row[:3]
        assert record.isdigit()
        if instrument:
            instances.setdefault((record, instrument), []).append(int(instance))
        form = instrument or "patients"
        for name, value in zip(header[3:], row[3:], strict=True):
            if form_of[name] != form:
                assert value == "", (name, row[:3])  # a row fills only its instrument's fields
            elif value:
                assert value_problem(fields[name], value) is None, (name, value)
    # instances are numbered 1..n per record and instrument, in order
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in instances.values())
    # records are numbered 1..N, one patient row each
    patients = [row[0] for row in rows if not row[1]]
    assert patients == [str(n) for n in range(1, len(before["patients"]) + 1)]


def test_export_refuses_what_is_not_a_study(tmp_path: Path) -> None:
    missing = run_cli(
        "export", str(tmp_path / "nowhere"), "--format", "xlsx", "--out", str(tmp_path / "x.xlsx")
    )
    assert missing.returncode == 1
    assert "no study database" in missing.stderr
    bogus = tmp_path / "study.duckdb"
    bogus.write_text("not a database")
    unreadable = run_cli(
        "export", str(tmp_path), "--format", "redcap", "--out", str(tmp_path / "x.csv")
    )
    assert unreadable.returncode == 1
    assert "cannot read the study database" in unreadable.stderr
    wrong = run_cli("export", str(tmp_path), "--format", "xlsx", "--out", str(tmp_path / "x.csv"))
    assert wrong.returncode == 2
    for result in (missing, unreadable, wrong):
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "x.csv").exists()
