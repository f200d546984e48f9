"""An OMOP CDM read in place on PostgreSQL and on Spark gives the derived tables of the same CDM
on DuckDB, byte for byte, and the courses of the CSV input (``omop.md``).

PostgreSQL: the CDM is loaded into schema ``cdm`` of this test run's server, read by a role that
must give a password (scram-sha-256): a wrong one is one line and exit 1; the right one comes from
a ``.pgpass`` file (PGPASSFILE), never argv, and is found in no output. Spark: the export's Parquet
folders, on the session of this test run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from itpcohort.cli import main
from tests.engines.omop_cases import Exported, cli, compare_courses, export_study
from tests.engines.servers import PostgresServer

pytestmark = pytest.mark.engines

READER = "itpc_reader"
PASSWORD = "correct-horse-7-battery"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_study(tmp_path_factory.mktemp("omop_engines"))


@pytest.fixture(scope="module")
def from_duckdb(exported: Exported) -> Path:
    """The derivation of the CDM read in place on DuckDB."""
    out = exported.cdm.parent / "omop_duckdb"
    cli("derive", f"omop:duckdb://{exported.cdm / 'cdm.duckdb'}?schema=cdm", "--out", out)
    return out


def _same_derived_files(expected: Path, got: Path) -> None:
    names = sorted(p.name for p in (expected / "derived").iterdir())
    assert sorted(p.name for p in (got / "derived").iterdir()) == names
    for name in names:
        assert (got / "derived" / name).read_bytes() == (
            expected / "derived" / name
        ).read_bytes(), name


def _load_into_postgres(backend: Any, cdm: Path) -> None:
    """The CDM's tables into schema cdm, readable by READER (who needs a password)."""
    backend.raw_sql("DROP SCHEMA IF EXISTS cdm CASCADE").close()
    backend.raw_sql("CREATE SCHEMA cdm").close()
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{cdm / 'cdm.duckdb'}' AS src (READ_ONLY)")
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src'"
            ).fetchall()
        ]
        for table in tables:
            backend.create_table(
                table, con.sql(f"SELECT * FROM src.cdm.{table}").to_arrow_table(), database="cdm"
            )
    hba = backend.raw_sql("SHOW hba_file").fetchone()[0]
    rule = f"host all {READER} 127.0.0.1/32 scram-sha-256\n"
    text = Path(hba).read_text()
    if rule not in text:
        Path(hba).write_text(rule + text)  # before the trust rules: this role gives a password
    backend.raw_sql(f"DROP ROLE IF EXISTS {READER}").close()
    backend.raw_sql(f"CREATE ROLE {READER} LOGIN PASSWORD '{PASSWORD}'").close()
    backend.raw_sql(f"GRANT USAGE ON SCHEMA cdm TO {READER}").close()
    backend.raw_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA cdm TO {READER}").close()
    backend.raw_sql("SELECT pg_reload_conf()").close()


def test_omop_on_postgres_in_place_with_a_password_from_pgpass(
    exported: Exported,
    from_duckdb: Path,
    postgres_server_address: PostgresServer,
    postgres_backend: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    server = postgres_server_address
    _load_into_postgres(postgres_backend, exported.cdm)
    url = f"omop:postgres://{READER}@{server.host}:{server.port}/{server.database}?schema=cdm"
    for name in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE"):
        monkeypatch.delenv(name, raising=False)

    monkeypatch.setenv("PGPASSWORD", "a-wrong-password")
    with pytest.raises(SystemExit) as stop:
        main(["run", url, "--out", str(tmp_path / "refused")])
    assert stop.value.code == 1
    printed = capsys.readouterr()
    assert f"{url}: cannot connect" in printed.err
    assert "password authentication failed" in printed.err
    assert printed.err.count("error:") == 1 and "Traceback" not in printed.err
    assert "a-wrong-password" not in printed.err + printed.out
    assert not (tmp_path / "refused").exists()

    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{server.host}:{server.port}:{server.database}:{READER}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    cli("run", url, "--out", tmp_path / "run")
    printed = capsys.readouterr()
    results = (tmp_path / "run" / "results.json").read_text()
    assert '"engine": "postgres"' in results
    html = (tmp_path / "run" / "report.html").read_text()
    assert "no rescue flag in OMOP" in html  # what OMOP could not carry (data quality)
    assert "D69.3" in html and "777-3" in html  # the mapping (reproducibility)
    assert "measurement" in html  # rows read, loaded and rejected per OMOP table
    _same_derived_files(from_duckdb, tmp_path / "run")
    counts = compare_courses(exported, tmp_path / "run")
    assert counts["whole"] >= 5, counts
    outputs = [printed.out, printed.err] + [
        p.read_text(errors="replace")
        for p in (tmp_path / "run").rglob("*")
        if p.suffix in (".json", ".html", ".csv")
    ]
    assert not any(PASSWORD in text for text in outputs)


def test_omop_on_spark_in_place_from_parquet_folders(
    exported: Exported, from_duckdb: Path, spark_backend: Any, tmp_path: Path
) -> None:
    cli("derive", f"omop:pyspark://{exported.cdm / 'parquet'}/", "--out", tmp_path / "spark")
    _same_derived_files(from_duckdb, tmp_path / "spark")
    counts = compare_courses(exported, tmp_path / "spark")
    assert counts["whole"] >= 5, counts
