"""``itpcohort derive --engine postgres|spark`` writes the same ``derived/*.csv`` as DuckDB.

In process, so that Spark's session (``getOrCreate``) and the PostgreSQL server of this test run
are reused; PostgreSQL is reached through libpq's environment only, as a user would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from itpcohort.cli import main
from itpcohort.synth import generate_study
from tests.engines.servers import PostgresServer

pytestmark = pytest.mark.engines


def _derive(study: Path, out: Path, *options: str) -> None:
    try:
        main(["derive", str(study), "--out", str(out), *options])
    except SystemExit as stop:
        assert stop.code in (0, None)


def test_derive_on_postgres_and_spark_writes_the_duckdb_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server_address: PostgresServer,
    spark_backend: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = tmp_path / "study"
    generate_study(study, patients=60, centers=2, seed=41)
    server = postgres_server_address
    monkeypatch.setenv("PGHOST", server.host)
    monkeypatch.setenv("PGPORT", str(server.port))
    monkeypatch.setenv("PGUSER", server.user)
    monkeypatch.setenv("PGDATABASE", server.database)
    _derive(study, tmp_path / "duckdb")
    _derive(study, tmp_path / "postgres", "--engine", "postgres")
    _derive(study, tmp_path / "spark", "--engine", "spark")
    printed = capsys.readouterr().out
    assert "on postgres" in printed or "derived" in printed
    expected = sorted((tmp_path / "duckdb" / "derived").iterdir())
    assert len(expected) >= 5
    for engine in ("postgres", "spark"):
        folder = tmp_path / engine / "derived"
        assert sorted(p.name for p in folder.iterdir()) == [p.name for p in expected]
        for path in expected:
            assert (folder / path.name).read_bytes() == path.read_bytes(), (engine, path.name)


def test_an_unreachable_server_is_one_line_and_no_derived_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    study = tmp_path / "study"
    generate_study(study, patients=5, centers=1, seed=3)
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", "1")  # nothing listens there
    monkeypatch.setenv("PGUSER", "nobody")
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "5")
    with pytest.raises(SystemExit) as stop:
        main(["derive", str(study), "--out", str(tmp_path / "out"), "--engine", "postgres"])
    assert stop.value.code == 1
    printed = capsys.readouterr().err
    assert "cannot start the derivation on postgres" in printed
    assert "Traceback" not in printed
    assert not (tmp_path / "out" / "derived").exists()
