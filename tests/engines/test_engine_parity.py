"""The same derivation on DuckDB, PostgreSQL and Spark gives byte-identical ``derived/*.csv``.

Issue 20, part 1. Two batches run on every engine (``store.engines.derive_on``) and through the
DuckDB study database's compiled path (``pipeline.derive_marts``), each written by the same CSV
writer: every hand-worked timeline of ``tests/unit/test_hand_worked_timelines.py`` plus synthetic
studies of three seeds (centers renamed per seed, so that the patients stay apart) under the
default criteria; and the override timelines under their criteria. One derivation per batch and
engine: Spark and PostgreSQL start once per test run (``conftest.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from itpcohort.criteria import Criteria
from itpcohort.derive import MARTS
from itpcohort.derive._common import canonical_schema
from itpcohort.engines import ENGINES, derive_on
from itpcohort.io import resolve_config
from itpcohort.pipeline import DerivedRun, derive_marts, write_derived_csvs
from itpcohort.schema import CANONICAL_COLUMNS
from itpcohort.store import import_study
from itpcohort.synth import generate_study
from tests.reference.canonical import arrow_tables
from tests.unit.test_hand_worked_timelines import CASES, OVERRIDDEN, OVERRIDE_CASES, _batch

pytestmark = pytest.mark.engines

#: seeds and size of the synthetic studies of the default batch
SEEDS = (5, 11, 23)
PATIENTS = 120


def _canonical_only(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The canonical columns of every table, in their canonical Arrow types."""
    result = {}
    for name in CANONICAL_COLUMNS:
        schema = canonical_schema(name).to_pyarrow()
        result[name] = tables[name].select(schema.names).cast(schema)
    return result


def _synthetic(folder: Path, seed: int) -> dict[str, pa.Table]:
    """The canonical tables of a synthetic study imported as ``itpcohort`` imports it, centers
    renamed ``S<seed>-<center>``."""
    generate_study(folder / "in", patients=PATIENTS, centers=2, seed=seed)
    database = folder / "study.duckdb"
    import_study([folder / "in"], resolve_config([folder / "in"], None), database)
    with duckdb.connect(str(database), read_only=True) as con:
        tables = {
            n: con.sql(f'SELECT * FROM main."{n}"').to_arrow_table() for n in CANONICAL_COLUMNS
        }
    renamed = {}
    for name, table in _canonical_only(tables).items():
        center = pc.binary_join_element_wise(f"S{seed}", table.column("center"), "-")
        renamed[name] = table.set_column(table.schema.get_field_index("center"), "center", center)
    return renamed


def _concat(*studies: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return {n: pa.concat_tables([study[n] for study in studies]) for n in CANONICAL_COLUMNS}


def _compiled_duckdb(folder: Path, tables: dict[str, pa.Table], criteria: Criteria) -> DerivedRun:
    """The marts of the study database's own path: compiled DuckDB statements on a file."""
    database = folder / "study.duckdb"
    with duckdb.connect(str(database)) as con:
        for name, table in tables.items():
            con.register("incoming", table)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
            con.unregister("incoming")
    return derive_marts(database, criteria, csv_dir=folder)


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, Any], Criteria]]:
    """The two batches: canonical tables and criteria."""
    root = tmp_path_factory.mktemp("synthetic")
    timelines = _canonical_only(arrow_tables(_batch(CASES)))
    synthetic = [_synthetic(root / str(seed), seed) for seed in SEEDS]
    return {
        "default": (_concat(timelines, *synthetic), Criteria()),
        "overridden": (_canonical_only(arrow_tables(_batch(OVERRIDE_CASES))), OVERRIDDEN),
    }


@pytest.fixture(scope="module")
def derived(
    batches: dict[str, tuple[dict[str, Any], Criteria]],
    engine_backends: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, tuple[DerivedRun, Path]]]:
    """Per batch, per engine (and ``compiled``): the derivation and the folder of its CSV files."""
    result: dict[str, dict[str, tuple[DerivedRun, Path]]] = {}
    for label, (tables, criteria) in batches.items():
        runs = {}
        folder = tmp_path_factory.mktemp(f"{label}-compiled")
        runs["compiled"] = (_compiled_duckdb(folder, tables, criteria), folder)
        for engine, backend in engine_backends.items():
            folder = tmp_path_factory.mktemp(f"{label}-{engine}")
            run = DerivedRun(criteria, derive_on(backend, tables, criteria))
            write_derived_csvs(run, folder)
            runs[engine] = (run, folder)
        result[label] = runs
    return result


@pytest.mark.parametrize("label", ["default", "overridden"])
@pytest.mark.parametrize("engine", list(ENGINES))
def test_derived_csv_files_are_byte_identical_to_the_compiled_duckdb_path(
    derived: dict[str, dict[str, tuple[DerivedRun, Path]]], label: str, engine: str
) -> None:
    _, expected_folder = derived[label]["compiled"]
    _, folder = derived[label][engine]
    expected = sorted(p.name for p in (expected_folder / "derived").iterdir())
    assert sorted(p.name for p in (folder / "derived").iterdir()) == expected
    assert len(expected) >= len(MARTS) - 1
    for name in expected:
        want = (expected_folder / "derived" / name).read_bytes()
        got = (folder / "derived" / name).read_bytes()
        if got != want:
            differing = [
                (w, g)
                for w, g in zip(want.decode().splitlines(), got.decode().splitlines(), strict=False)
                if w != g
            ]
            pytest.fail(f"{engine} {name}: {len(differing)} line(s) differ, first {differing[:3]}")


def test_the_default_batch_holds_every_kind_of_row(
    derived: dict[str, dict[str, tuple[DerivedRun, Path]]],
) -> None:
    run, _ = derived["default"]["spark"]
    courses = run.marts["courses"]
    assert courses.num_rows > 3 * PATIENTS
    responses = set(courses.column("response").to_pylist())
    assert {"CR", "R", "NR", "NE"} <= responses
    assert pc.sum(pc.is_valid(courses.column("duration_days"))).as_py() > 50
    for name in MARTS:
        assert run.marts[name].num_rows > 0, name


@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_hand_worked_courses_on_every_engine(
    derived: dict[str, dict[str, tuple[DerivedRun, Path]]], engine: str
) -> None:
    """The hand-worked expectations hold on the engine itself, not only equal DuckDB's rows."""
    for label, cases in (("default", CASES), ("overridden", OVERRIDE_CASES)):
        rows = derived[label][engine][0].marts["courses"].to_pylist()
        for pid, (_, expected) in cases.items():
            if not expected:  # the unit tests check these patients' other tables
                continue
            got = sorted(
                (r for r in rows if r["center"] == "TLS" and r["patient_id"] == pid),
                key=lambda r: r["course_number"],
            )
            assert got == expected, (engine, pid)
