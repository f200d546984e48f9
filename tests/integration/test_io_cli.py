"""`itpcohort validate` and `itpcohort import` as a user runs them (subprocess, real exit codes)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.fixtures.io_study import set_cell, valid_tables, write_study

from itpcohort.config import load_config
from itpcohort.schema import TABLES
from itpcohort.synth import generate_study

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_validate_a_valid_study(tmp_path: Path) -> None:
    study = write_study(tmp_path / "cohort")
    result = run_cli("validate", str(study))
    assert result.returncode == 0, result.stderr
    assert "platelet_counts" in result.stdout and "valid: no problem" in result.stdout
    assert result.stderr == ""
    assert not list(tmp_path.rglob("*.duckdb"))  # validate writes no database


def test_validate_prints_each_problem_then_the_summary(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "patients", 2, "sex", "H")
    set_cell(tables, "treatments", 9, "dose", "375 mg")
    study = write_study(tmp_path / "cohort", tables)
    result = run_cli("validate", str(study))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines()[:2] == [
        f"{study}/TLS/patients.csv:2: sex: 'H' is not a known sex; allowed: F, M",
        f"{study}/TLS/treatments.csv:9: dose: '375 mg' is not a number",
    ]
    assert "invalid: 2 problem(s) in 2 row(s)" in result.stderr
    assert "held back (their patient's row was rejected): treatments 4" in result.stdout


def test_validate_usage_errors_exit_2(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("validate")
    assert result.returncode == 2


def test_validate_file_level_problem_exits_1(tmp_path: Path) -> None:
    study = write_study(tmp_path / "cohort")
    path = study / "TLS" / "patients.csv"
    path.write_text(path.read_text().replace("death_cause", "nom_patient"))
    result = run_cli("validate", str(study))
    assert result.returncode == 1
    assert f"{path}: nom_patient: column looks like a direct identifier" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_writes_the_database_and_rejected_rows(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "platelet_counts", 3, "platelets", "=cmd|' /C calc'!A0")
    study = write_study(tmp_path / "cohort", tables)
    out = tmp_path / "out"
    result = run_cli("import", str(study), "--out", str(out))
    assert result.returncode == 0, result.stderr  # rejected rows do not fail an import
    assert "Traceback" not in result.stdout + result.stderr
    reason = "'=cmd|' /C calc'!A0' is not a number"
    assert f"{study}/TLS/platelet_counts.csv:3: platelets: {reason}" in result.stderr
    with (out / "rejected_rows.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["file", "row", "column", "value", "reason"],
        [
            f"{study}/TLS/platelet_counts.csv",
            "3",
            "platelets",
            "'=cmd|' /C calc'!A0",
            reason,
        ],
    ]
    with duckdb.connect(str(out / "study.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM platelet_counts").fetchall() == [(7,)]


def test_import_of_a_clean_study_writes_a_header_only_rejected_rows(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("import", str(write_study(tmp_path / "cohort")), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "rejected_rows.csv").read_text() == "file,row,column,value,reason\n"
    assert "imported into" in result.stdout


def test_import_file_level_problem_exits_1_and_writes_no_database(tmp_path: Path) -> None:
    study = write_study(tmp_path / "cohort")
    (study / "TLS" / "platelet_counts.csv").unlink()
    out = tmp_path / "out"
    result = run_cli("import", str(study), "--out", str(out))
    assert result.returncode == 1
    assert "required table 'platelet_counts' missing" in result.stderr
    assert not (out / "study.duckdb").exists()
    assert "Traceback" not in result.stderr


def _records(path: Path, delimiter: str, encoding: str) -> int:
    """Rows of a CSV file as a person counts them: records with some content after the header."""
    with path.open(newline="", encoding=encoding) as handle:
        records = [r for r in csv.reader(handle, delimiter=delimiter) if any(c.strip() for c in r)]
    return len(records) - 1


def test_messy_synthetic_import_loses_no_row(tmp_path: Path) -> None:
    study = tmp_path / "study"
    generate_study(study, patients=300, centers=4, seed=3, messy=0.03)
    out = tmp_path / "out"
    result = run_cli("import", str(study), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    config = load_config(study / "study.toml")
    read: dict[str, int] = dict.fromkeys((t.name for t in TABLES), 0)
    for center in sorted(p for p in study.iterdir() if p.is_dir()):
        options = config.source_options(center.name, center)
        delimiter = options.delimiter if options else ","
        encoding = options.encoding if options else "utf-8"
        for table in read:
            path = center / f"{table}.csv"
            if path.exists():
                read[table] += _records(
                    path, delimiter, "utf-8-sig" if encoding == "utf-8" else encoding
                )
    with duckdb.connect(str(out / "study.duckdb"), read_only=True) as con:
        for table, n in read.items():
            loaded = con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
            rejected = con.execute(
                "SELECT count(DISTINCT (file, row)) FROM rejected_rows WHERE table_name = ?",
                [table],
            ).fetchall()[0][0]
            assert loaded + rejected == n, table
        assert con.execute("SELECT count(*) FROM rejected_rows").fetchall()[0][0] > 0
    with (out / "rejected_rows.csv").open(newline="", encoding="utf-8") as handle:
        listed = sum(1 for _ in csv.DictReader(handle))
    with duckdb.connect(str(out / "study.duckdb"), read_only=True) as con:
        assert listed == con.execute("SELECT count(*) FROM rejected_rows").fetchall()[0][0]


_KILLED_IMPORT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from itpcohort.config import StudyConfig
    from itpcohort.store import import_study
    from itpcohort.store import loading as pipeline

    original = pipeline.insert_canonical
    calls = []

    def slow_insert(*args, **kwargs):
        inserted = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == 3:  # patients and some treatments are written, not committed
            Path(sys.argv[3]).write_text("writing")
            time.sleep(120)
        return inserted

    pipeline.insert_canonical = slow_insert
    import_study([Path(sys.argv[1])], StudyConfig(), Path(sys.argv[2]))
    """
)


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    names = [*(t.name for t in TABLES), "rejected_rows", "runs"]
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f'SELECT * FROM "{t}"').fetchall() for t in names}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_an_import_killed_midway_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "out" / "study.duckdb"
    assert (
        run_cli("import", str(write_study(tmp_path / "first")), "--out", str(db.parent)).returncode
        == 0
    )
    before = _dump(db)
    tables = valid_tables()
    tables["patients"] = tables["patients"][:2]
    second = write_study(tmp_path / "second", tables)
    marker = tmp_path / "writing"
    process = subprocess.Popen(
        [sys.executable, "-c", _KILLED_IMPORT, str(second), str(db), str(marker)],
        env={**os.environ, "PYTHONPATH": SRC},
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, "the import ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert _dump(db) == before
    assert [p.name for p in db.parent.glob(".study.duckdb.importing-*")]  # what it was building
    # the next import lands, and clears what the killed one left behind
    assert run_cli("import", str(second), "--out", str(db.parent)).returncode == 0
    assert sorted(p.name for p in db.parent.iterdir()) == [
        ".itpcohort-outputs",  # the marker of an output folder (issue 17, item 3)
        "rejected_rows.csv",
        "study.duckdb",
    ]
    assert len(_dump(db)["patients"]) == 1
    assert [r[0] for r in _dump(db)["runs"]] == [1, 2]
