"""The import lands whole or not at all, is repeatable and registered; the Ibis access other layers use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from itpcohort.config import StudyConfig
from itpcohort.errors import InputError
from itpcohort.schema import CANONICAL_COLUMNS
from itpcohort.store import (
    connect_ibis,
    execute_to_arrow,
    import_study,
    materialize_temp,
    persist_temp_tables,
)
from itpcohort.store import loading as pipeline_module
from tests.fixtures.io_study import VALID_COUNTS, set_cell, valid_tables, write_study

TABLES = [*CANONICAL_COLUMNS, "rejected_rows"]


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f'SELECT * FROM "{t}"').fetchall() for t in TABLES}


def _runs(db: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT run_id, command, inputs, criteria, counts FROM runs").fetchall()


def test_importing_the_same_files_twice_gives_the_same_database(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "platelet_counts", 3, "unit", "kg")  # one rejected row as well
    study = write_study(tmp_path / "cohort", tables)
    db = tmp_path / "out" / "study.duckdb"
    first = import_study([study], StudyConfig(), db)
    before = _dump(db)
    second = import_study([study], StudyConfig(), db, command="run", criteria={"confirm_days": 7})
    assert _dump(db) == before
    assert len(before["rejected_rows"]) == 1
    assert (first.run_id, second.run_id) == (1, 2)
    runs = _runs(db)
    assert [r[1] for r in runs] == ["import", "run"]
    assert runs[0][2] == runs[1][2]  # same inputs, same hashes
    assert json.loads(runs[1][3]) == {"confirm_days": 7}
    assert json.loads(runs[0][4])["platelet_counts"]["rows_rejected"] == 1


def test_the_run_registry_records_each_input_file_hash(tmp_path: Path) -> None:
    import hashlib

    study = write_study(tmp_path / "cohort")
    db = tmp_path / "study.duckdb"
    import_study([study], StudyConfig(), db)
    inputs = json.loads(_runs(db)[0][2])
    assert [i["relative"] for i in inputs][:3] == [
        "TLS/patients.csv",
        "TLS/treatments.csv",
        "TLS/platelet_counts.csv",
    ]
    for entry in inputs:
        data = (study / entry["relative"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)


def test_a_failure_midway_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "study.duckdb"
    import_study([write_study(tmp_path / "first")], StudyConfig(), db)
    before = _dump(db)
    runs_before = _runs(db)

    tables = valid_tables()
    tables["patients"] = tables["patients"][:2]  # a different study: one patient
    second = write_study(tmp_path / "second", tables)
    original = pipeline_module.insert_canonical
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> int:
        inserted = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 3:  # after patients and some treatments were written
            raise RuntimeError("disk full (simulated)")
        return inserted

    monkeypatch.setattr(pipeline_module, "insert_canonical", failing)
    with pytest.raises(RuntimeError, match="simulated"):
        import_study([second], StudyConfig(), db)
    assert _dump(db) == before
    assert _runs(db) == runs_before


def test_a_file_level_problem_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "out" / "study.duckdb"
    study = write_study(tmp_path / "cohort")
    (study / "TLS" / "treatments.csv").write_text("patient_id,nom,drug,start_date\n")
    with pytest.raises(InputError):
        import_study([study], StudyConfig(), db)
    assert not db.exists()
    assert list((tmp_path / "out").iterdir()) == []  # no spill folder left either


def test_loaded_plus_rejected_equals_read_per_table(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "patients", 3, "sex", "?")
    set_cell(tables, "treatments", 2, "drug", "?")
    set_cell(tables, "bleeding_events", 3, "site", "?")
    report = import_study(
        [write_study(tmp_path / "c", tables)], StudyConfig(), tmp_path / "s.duckdb"
    )
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        for counts in report.counts:
            loaded = con.execute(f'SELECT count(*) FROM "{counts.table}"').fetchall()[0][0]
            rejected = con.execute(
                "SELECT count(DISTINCT (file, row)) FROM rejected_rows WHERE table_name = ?",
                [counts.table],
            ).fetchall()[0][0]
            assert loaded == counts.rows_loaded
            assert rejected == counts.rows_rejected
            assert loaded + rejected == counts.rows_read == VALID_COUNTS[counts.table]


def test_ibis_access_to_the_study_database(tmp_path: Path) -> None:
    db = tmp_path / "study.duckdb"
    import_study([write_study(tmp_path / "c")], StudyConfig(), db)
    backend = connect_ibis(db)
    counts = backend.table("platelet_counts")
    expr = counts.group_by("patient_id").aggregate(n=counts.count()).order_by("patient_id")
    result = execute_to_arrow(expr)
    assert result.to_pylist() == [
        {"patient_id": "TLS-001", "n": 4},
        {"patient_id": "TLS-002", "n": 2},
        {"patient_id": "TLS-003", "n": 2},
    ]
    firsts = counts.group_by("patient_id").aggregate(first=counts.date.min())
    materialize_temp(backend, "_firsts", firsts.filter(firsts.patient_id == "TLS-001"))
    persist_temp_tables(backend, {"courses": "_firsts"})
    materialize_temp(backend, "_seconds", firsts.filter(firsts.patient_id == "TLS-002"))
    persist_temp_tables(backend, {"courses": "_seconds"})  # replaces the table
    backend.disconnect()
    persisted = execute_to_arrow(connect_ibis(db).table("courses"))
    assert persisted.column("patient_id").to_pylist() == ["TLS-002"]


def test_small_files_checked_together_give_what_file_by_file_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table's small files are checked in one statement (``loading.COMBINED_BYTES``): the
    canonical tables, the rejected rows with their problems and line numbers, and the counts
    are those of checking each file alone, on a messy multicentre study (files with and without
    a center column, dates in several formats, rejected and held-back rows)."""
    from itpcohort.io import resolve_config
    from itpcohort.synth import generate_study

    study = tmp_path / "study"
    generate_study(study, patients=240, centers=4, seed=5, messy=0.05)
    config = resolve_config([study], None)
    together = import_study([study], config, tmp_path / "together" / "study.duckdb")
    monkeypatch.setattr(pipeline_module, "COMBINED_BYTES", 0)  # every file alone
    alone = import_study([study], config, tmp_path / "alone" / "study.duckdb")
    assert together.rejected and together.rejected == alone.rejected
    assert together.counts == alone.counts
    assert together.warnings == alone.warnings
    assert _dump(tmp_path / "together" / "study.duckdb") == _dump(
        tmp_path / "alone" / "study.duckdb"
    )
