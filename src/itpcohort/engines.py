"""The derivation run in place on another engine: DuckDB, PostgreSQL or Spark (``architecture.md``).

``derive/`` builds Ibis expressions and knows no engine; this module is the edge where an engine is
chosen. Given an Ibis backend connection, ``load_canonical`` puts the canonical tables (Arrow) into
it, and ``derive_on`` runs ``derive.derive_models`` there with every model of
``derive.TABLE_MODELS`` materialised once (a temporary table on DuckDB and PostgreSQL, a checkpointed
temporary view on Spark: without it Spark's plan inlines the whole derivation in every mart and
runs out of memory), then returns the marts as Arrow tables of the mart contract (the schema the
expressions declare, so that ``derive.serialize`` writes the same bytes whatever engine ran them).

The DuckDB study database keeps its faster compiled path (``derivation.py``); this one is
for a warehouse whose data may not leave its engine, and for proving that every engine gives the
same rows (``tests/engines``).

Connection details never pass through here as text: a caller connects (``connect_engine`` reads
PostgreSQL's settings from the libpq environment: ``PGHOST``, ``PGPORT``, ``PGUSER``,
``PGDATABASE``, ``PGPASSFILE``/``PGSERVICE``) and hands over the backend.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from itpcohort.criteria import Criteria
from itpcohort.errors import ItpcohortError

#: the engines ``derive_on`` runs on, by the name of their Ibis backend
ENGINES: dict[str, str] = {"duckdb": "duckdb", "postgres": "postgres", "spark": "pyspark"}
#: the prefix of every table or view this module creates on an engine
PREFIX = "_itpc_"

_run_numbers = itertools.count(1)


class EngineError(ItpcohortError):
    """The engine could not be reached or started (one line, exit status 1)."""


def connect_engine(engine: str, **options: Any) -> Any:
    """An Ibis backend of ``engine`` (a key of ``ENGINES``) for ``derive_on``.

    DuckDB runs in memory. PostgreSQL connects with libpq's defaults, so host, port, user,
    database and password come from the environment or a service/password file, never from argv
    (``options`` are libpq's, passed to ``psycopg.connect``: ``host``, ``port``, ``dbname``...). Spark gets a local session
    unless ``options["session"]`` is one: UTC, few shuffle partitions, no UI; and Ibis's in-memory
    tables reach it as Arrow (``_install_pyspark_arrow_tables``).
    """
    import ibis

    if engine == "duckdb":
        from itpcohort.store.connection import _install_ibis_compat

        _install_ibis_compat()
        return ibis.duckdb.connect(**options)
    if engine == "postgres":
        import psycopg

        # libpq fills in whatever ``options`` leaves out from PGHOST, PGPORT, PGUSER, PGDATABASE,
        # PGSERVICE and PGPASSFILE (ibis.postgres.connect would force port 5432)
        return ibis.postgres.from_connection(psycopg.connect(autocommit=True, **options))
    if engine == "spark":
        session = options.get("session") or spark_session()
        _install_pyspark_arrow_tables()
        return ibis.pyspark.connect(session)
    raise ValueError(f"unknown engine '{engine}'; known: {', '.join(ENGINES)}")


def _install_pyspark_arrow_tables() -> None:
    """Make Ibis hand an in-memory table (``create_table(name, pandas_frame)``, ``ibis.memtable``)
    to Spark as Arrow, as ``_Engine.load`` does, instead of as pandas rows.

    Ibis 12 passes the pandas frame to ``createDataFrame`` with its declared schema and
    ``verifySchema=False``; PySpark converts the frame with ``DataFrame.to_records``, which turns a
    nullable integer column holding one missing value (``Int32``: DuckDB's ``.df()`` of
    ``who_grade``) into floats, and Spark stores a float given for an ``int`` column as NULL. Every
    WHO grade of the study was lost that way (``docs/running-at-scale.md``, "The course that
    differed"). Arrow keeps the integers, and reads a NaN of a float column as NULL (missing), so
    that the rows Spark derives from are the rows given (``architecture.md``: one expression runs
    on every engine).
    """
    from ibis.backends.pyspark import Backend

    if getattr(Backend, "_itpcohort_arrow_tables", False):
        return

    def register(self: Any, op: Any) -> None:
        rows = op.data.to_pyarrow(op.schema)  # pandas, Arrow or Polars data, as Arrow
        self._session.createDataFrame(rows).createOrReplaceTempView(op.name)

    Backend._register_in_memory_table = register
    Backend._itpcohort_arrow_tables = True


def spark_session(master: str = "local[2]", driver_memory: str | None = None) -> Any:
    """A local Spark session set up for the derivation: UTC dates, 2 shuffle partitions (the
    tables of one study are small; 200 partitions cost more to schedule than to compute), no UI.

    ``driver_memory``: the JVM heap, by default ``ITPCOHORT_SPARK_DRIVER_MEMORY`` or 2g (the
    canonical tables of 100,000 patients, handed over as Arrow, need more than 2g).
    """
    from pyspark.sql import SparkSession

    if driver_memory is None:
        driver_memory = os.environ.get("ITPCOHORT_SPARK_DRIVER_MEMORY", "2g")

    session = (
        SparkSession.builder.master(master)
        .appName("itpcohort")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


class _Engine:
    """Where one derivation's tables live on a backend: created, read back, freed."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.kind = backend.name
        if self.kind not in ENGINES.values():
            raise ValueError(f"no derivation on the Ibis backend '{self.kind}'")
        self.run = next(_run_numbers)
        self.created: list[str] = []

    def name(self, model: str) -> str:
        return f"{PREFIX}{self.run}_{model}"

    def load(self, name: str, table: pa.Table) -> Any:
        """``table`` as a temporary table (a view on Spark) of ``backend``."""
        target = self.name(name)
        if self.kind == "pyspark":
            frame = self.backend._session.createDataFrame(table)  # Arrow types kept
            frame.localCheckpoint(eager=True).createOrReplaceTempView(target)
            self.created.append(target)
            return self.backend.table(target)
        self.created.append(target)
        return self.backend.create_table(target, table, temp=True)

    def materialize(self, model: str, expression: Any) -> Any:
        """``expression`` computed once into a temporary table (a checkpointed view on Spark)."""
        target = self.name(model)
        self.created.append(target)
        if self.kind == "pyspark":
            # a local checkpoint computes the rows now and cuts the plan there: a cached view
            # keeps its whole lineage, and the plans of the last models (every earlier model
            # inlined in their text) exhaust the driver's memory
            frame = self.backend._session.sql(self.backend.compile(expression))
            frame.localCheckpoint(eager=True).createOrReplaceTempView(target)
            return self.backend.table(target)
        return self.backend.create_table(target, expression, temp=True)

    def release(self, model: str) -> None:
        """Free the materialised ``model`` (no later model reads it)."""
        target = self.name(model)
        if target not in self.created:
            return
        self.created.remove(target)
        self._drop(target)

    def _drop(self, target: str) -> None:
        if self.kind == "pyspark":
            session = self.backend._session
            session.catalog.dropTempView(target)  # Spark frees the unreferenced checkpoint
        elif self.kind == "duckdb":
            self.backend.con.execute(f'DROP TABLE IF EXISTS temp."{target}"')
        else:
            self.backend.raw_sql(f'DROP TABLE IF EXISTS "{target}"').close()

    def close(self) -> None:
        """Drop every table this derivation created."""
        for target in reversed(self.created):
            self._drop(target)
        self.created.clear()


def workspace(backend: Any) -> _Engine:
    """The temporary tables of one reading on ``backend``: ``materialize(name, expression)``
    computes an expression once there, ``close()`` drops everything it created (an OMOP source
    read in place keeps its checked tables this way, ``omop.reader.read_cdm``)."""
    return _Engine(backend)


def load_canonical(backend: Any, tables: Mapping[str, pa.Table]) -> dict[str, Any]:
    """The canonical tables (``schema.CANONICAL_COLUMNS``, Arrow) loaded into ``backend``, as Ibis
    tables by canonical name; they live as long as the connection (temporary tables or views)."""
    engine = _Engine(backend)
    return {name: engine.load(name, table) for name, table in tables.items()}


def derive_on(
    backend: Any, tables: Mapping[str, pa.Table], criteria: Criteria
) -> dict[str, pa.Table]:
    """Every mart of ``derive.derive_all`` under ``criteria`` computed on ``backend`` (an Ibis
    DuckDB, PostgreSQL or PySpark backend) from the canonical ``tables`` (Arrow).

    Each table model (``derive.TABLE_MODELS``) is computed once on the engine and freed when no
    later model reads it (``derive.RELEASED_AFTER``); everything this run created is dropped at the
    end. Returns the marts as Arrow tables with the columns and types their expressions declare.
    """
    from itpcohort.derive import derive_models, marts_of

    engine = _Engine(backend)
    try:
        loaded = {name: engine.load(name, table) for name, table in tables.items()}
        built = derive_models(loaded, criteria, engine.materialize, engine.release)
        return {name: _mart_arrow(backend, built[name]) for name in marts_of(criteria)}
    finally:
        engine.close()


def _mart_arrow(backend: Any, expression: Any) -> pa.Table:
    """The rows of a mart as Arrow, in the column order and types of its Ibis schema."""
    schema = expression.schema().to_pyarrow()
    rows = backend.to_pyarrow(expression)
    return pa.Table.from_arrays([rows.column(f.name).cast(f.type) for f in schema], schema=schema)


def derive_study_on(engine: str, db_path: Path, criteria: Criteria) -> dict[str, pa.Table]:
    """The marts of the study database ``db_path`` derived on ``engine`` (``ENGINES``), under
    ``criteria``; they are also written into the study database, as the DuckDB path does.

    The canonical tables go to the engine as Arrow, only the marts come back. PostgreSQL is
    reached through libpq's environment (``connect_engine``), Spark as a local session.
    """
    from itpcohort.schema import CANONICAL_COLUMNS
    from itpcohort.store import check_stored_study
    from itpcohort.store.connection import _install_ibis_compat

    _install_ibis_compat()
    with duckdb.connect(str(db_path), read_only=True) as con:
        check_stored_study(con, db_path)
        tables = {
            name: con.sql(f'SELECT * FROM main."{name}"').to_arrow_table()
            for name in CANONICAL_COLUMNS
        }
    try:
        backend = connect_engine(engine)
    except Exception as error:  # psycopg's or py4j's: the first line says why
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise EngineError(f"cannot start the derivation on {engine}: {reason}") from error
    try:
        marts = derive_on(backend, tables, criteria)
    finally:
        if engine != "spark":  # the Spark session stays for the rest of the process
            backend.disconnect()
    with duckdb.connect(str(db_path)) as con:
        con.execute("BEGIN TRANSACTION")
        for name, table in marts.items():
            con.register("_mart", table)
            con.execute(f'CREATE OR REPLACE TABLE main."{name}" AS SELECT * FROM _mart')
            con.unregister("_mart")
        con.execute("COMMIT")
    return marts


def derive_in_place(
    backend: Any, tables: Mapping[str, Any], criteria_sets: list[Criteria]
) -> list[dict[str, pa.Table]]:
    """The marts of ``derive.derive_all`` under each of ``criteria_sets``, computed on ``backend``
    from canonical tables that already are Ibis expressions of that backend (an OMOP source read
    in place, ``omop.md``; its checked tables are kept on the engine, so the canonical tables are
    cheap selections of them and are not computed again here). Every table model is materialised
    once per criteria set, as in ``derive_on``; only the marts come back (Arrow).
    """
    from itpcohort.derive import derive_models, marts_of

    results = []
    for criteria in criteria_sets:
        engine = _Engine(backend)
        try:
            built = derive_models(dict(tables), criteria, engine.materialize, engine.release)
            marts = marts_of(criteria)
            results.append({name: _mart_arrow(backend, built[name]) for name in marts})
        finally:
            engine.close()
    return results
