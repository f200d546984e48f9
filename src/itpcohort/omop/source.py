"""An OMOP CDM named on the command line, connected where it lives (``omop.md``, Engines).

Three forms (they follow ``ibis.connect``'s URLs; the shell's ``//`` may be given or not)::

    omop:duckdb:///data/cdm.duckdb?schema=cdm        a DuckDB file, opened read-only
    omop:postgres://reader@host:5432/omop?schema=cdm  a PostgreSQL server
    omop:pyspark:///data/cdm_parquet/                 one Parquet folder per table, local Spark

Query options: ``schema`` (default ``main`` on DuckDB, ``public`` on PostgreSQL), ``mapping`` (a
study's mapping file, ``mapping.toml``'s sections it replaces) and ``name`` (the center name of
persons without a care site; default: the file or database name).

No password is ever read from the URL: a URL holding one is refused before anything is opened.
PostgreSQL takes it, and whatever the URL leaves out, from libpq's environment (``PGPASSWORD``,
``PGPASSFILE`` / ``~/.pgpass``, ``PGSERVICE``, ``PGHOST``...). What is printed of a source
(``display``) never holds a password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from itpcohort.errors import InputError, UsageError
from itpcohort.omop.cdm import CDM_TABLES, READ_COLUMNS

if TYPE_CHECKING:  # Ibis is loaded where a source is read, not to tell a source (``is_omop``)
    import ibis.expr.types as ir

PREFIX = "omop:"
#: the engines of a source, by URL scheme -> the engine name of ``store.engines.ENGINES``
SCHEMES = {"duckdb": "duckdb", "postgres": "postgres", "postgresql": "postgres", "pyspark": "spark"}
#: tables the mapping can do without, and what their absence means
OPTIONAL_TABLES = {
    "death": "no death recorded",
    "care_site": "every patient's center is the source's name",
    "drug_strength": "no dose",
}
#: the Spark temporary views of a Parquet CDM are named PREFIX + table
SPARK_VIEW_PREFIX = "_itpc_omop_"
_IBIS_TYPES = {
    "BIGINT": "int64",
    "INTEGER": "int64",
    "DOUBLE": "float64",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "VARCHAR": "string",
}


def is_omop(text: str | Path) -> bool:
    """True when a command-line input names an OMOP source (``omop:...``)."""
    return str(text).startswith(PREFIX)


@dataclass(frozen=True)
class OmopSource:
    """A parsed ``omop:`` input: its engine, where it is, and its options (no password)."""

    engine: str  # a key of store.engines.ENGINES
    location: str  # the file or folder (DuckDB, Spark), or "" (PostgreSQL)
    schema: str | None
    name: str
    mapping: Path | None = None
    libpq: dict[str, Any] = field(default_factory=dict)  # host, port, user, dbname when given

    @property
    def display(self) -> str:
        """The source as printed in messages, reports and results.json: never a password."""
        query = f"?schema={self.schema}" if self.schema else ""
        if self.engine == "postgres":
            user = f"{self.libpq['user']}@" if "user" in self.libpq else ""
            host = self.libpq.get("host", "")
            port = f":{self.libpq['port']}" if "port" in self.libpq else ""
            return f"omop:postgres://{user}{host}{port}/{self.libpq.get('dbname', '')}{query}"
        scheme = "pyspark" if self.engine == "spark" else "duckdb"
        return f"omop:{scheme}://{self.location}{query}"


def parse_source(text: str | Path) -> OmopSource:
    """The ``OmopSource`` of ``text`` (``omop:<engine>:<where>[?schema=..&mapping=..&name=..]``).

    Wrong usage (exit 2): an unknown engine, a password in the URL, an unknown option.
    """
    raw = str(text)[len(PREFIX) :]
    scheme, _, rest = raw.partition(":")
    if scheme not in SCHEMES:
        raise UsageError(
            f"{PREFIX}{scheme}: unknown OMOP engine; use omop:duckdb:///FILE, "
            "omop:postgres://USER@HOST:PORT/DB or omop:pyspark:///FOLDER"
        )
    where, _, query_text = rest.partition("?")
    query = {k: v[-1] for k, v in parse_qs(query_text, keep_blank_values=True).items()}
    unknown = sorted(set(query) - {"schema", "mapping", "name"})
    if unknown:
        raise UsageError(
            f"{PREFIX}{scheme}: unknown option(s) {', '.join(unknown)} (known: schema, mapping, name)"
        )
    engine = SCHEMES[scheme]
    mapping = Path(query["mapping"]) if query.get("mapping") else None
    schema = query.get("schema") or None
    if engine == "postgres":
        parts = urlsplit("//" + where.lstrip("/"))
        if parts.password is not None:
            raise UsageError(
                "a password in the source URL is refused (it would show in the process list and "
                "the shell history): set PGPASSWORD, or use ~/.pgpass or PGPASSFILE"
            )
        libpq: dict[str, Any] = {}
        if parts.username:
            libpq["user"] = parts.username
        if parts.hostname:
            libpq["host"] = parts.hostname
        try:
            port = parts.port
        except ValueError:
            raise UsageError(f"{PREFIX}{scheme}: the port is not a number") from None
        if port:
            libpq["port"] = port
        database = parts.path.strip("/")
        if database:
            libpq["dbname"] = database
        return OmopSource(
            engine, "", schema, query.get("name") or database or "omop", mapping, libpq
        )
    location = "/" + where.lstrip("/") if where.startswith("/") else where
    if not location:
        raise UsageError(f"{PREFIX}{scheme}: give the file or folder of the CDM")
    name = query.get("name") or Path(location.rstrip("/")).stem or "omop"
    return OmopSource(engine, location, schema, name, mapping)


class CdmError(InputError):
    """The OMOP source cannot be read: unreachable, refused, or missing a table or column."""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].strip() if text else type(error).__name__


def connect_source(source: OmopSource, spark_session: Any = None) -> Any:
    """An Ibis backend on the engine of ``source`` (``omop.md``, Engines).

    DuckDB: an in-memory database with the CDM file attached read-only as ``omop_src``;
    PostgreSQL: libpq with the URL's host, port, user and database, the rest (password included)
    from its environment; Spark: ``spark_session`` or a local one, each table's Parquet folder a
    temporary view. A failure is one line (``CdmError``, exit 1).
    """
    from itpcohort.engines import connect_engine
    from itpcohort.engines import spark_session as new_session

    if source.engine == "duckdb":
        path = Path(source.location)
        if not path.is_file():
            raise CdmError(f"{source.display}: no such DuckDB file")
        backend = connect_engine("duckdb")
        try:
            backend.raw_sql(f"ATTACH '{_quoted(str(path))}' AS omop_src (READ_ONLY)")
        except Exception as error:
            backend.disconnect()
            raise CdmError(
                f"{source.display}: cannot open the DuckDB file ({_first_line(error)})"
            ) from None
        return backend
    if source.engine == "postgres":
        try:
            return connect_engine("postgres", **source.libpq)
        except Exception as error:  # psycopg's OperationalError: unreachable, refused password
            raise CdmError(f"{source.display}: cannot connect ({_first_line(error)})") from None
    folder = Path(source.location)
    if not folder.is_dir():
        raise CdmError(f"{source.display}: no such folder (one Parquet folder per CDM table)")
    try:
        backend = connect_engine("spark", session=spark_session or new_session())
    except Exception as error:
        raise CdmError(f"{source.display}: cannot start Spark ({_first_line(error)})") from None
    session = backend._session
    for table in READ_COLUMNS:
        path = folder / table
        if path.exists():
            session.read.parquet(str(path)).createOrReplaceTempView(SPARK_VIEW_PREFIX + table)
    return backend


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def _raw_table(backend: Any, source: OmopSource, table: str) -> ir.Table | None:
    """The CDM ``table`` of ``source`` as the backend has it, or None when it is not there."""
    try:
        if source.engine == "duckdb":
            return backend.table(table, database=("omop_src", source.schema or "main"))
        if source.engine == "postgres":
            return backend.table(table, database=source.schema or "public")
        if not (Path(source.location) / table).exists():
            return None
        return backend.table(SPARK_VIEW_PREFIX + table)
    except Exception:
        return None


def cdm_tables(backend: Any, source: OmopSource) -> tuple[dict[str, ir.Table], list[str]]:
    """The CDM tables the mapping reads, with lower-case column names cast to the v5.4 types,
    and notes on what was read as empty.

    A missing table or column is refused with one line naming every one missing (``CdmError``).
    ``OPTIONAL_TABLES`` absent, or holding none of their v5.4 columns (an empty table loaded from
    a header-only file, as in Eunomia's DuckDB), are read as empty, with a note. Column names are
    matched case-insensitively (Eunomia's are upper case); a column stored as text where the DDL
    has a number is cast (on DuckDB with ``TRY_CAST``: text that is no number reads as missing).
    """
    missing: list[str] = []
    notes: list[str] = []
    raws: dict[str, ir.Table | None] = {t: _raw_table(backend, source, t) for t in READ_COLUMNS}
    tables: dict[str, ir.Table] = {}
    for table, needed in READ_COLUMNS.items():
        raw = raws[table]
        by_lower = {} if raw is None else {name.lower(): name for name in raw.columns}
        absent = [c for c in needed if c not in by_lower]
        if table in OPTIONAL_TABLES and len(absent) == len(needed):
            notes.append(
                f"{source.display}: table {table} "
                f"{'missing' if raw is None else 'has none of its v5.4 columns'}: read as empty "
                f"({OPTIONAL_TABLES[table]})"
            )
            continue
        if raw is None:
            missing.append(f"table {table}")
            continue
        missing.extend(f"column {table}.{c}" for c in absent)
        if absent:
            continue
        types = {name: kind for name, kind, _ in CDM_TABLES[table]}
        columns = {}
        for column in needed:
            value = raw[by_lower[column]]
            wanted = _IBIS_TYPES[types[column]]
            if str(value.type()).lstrip("!") != wanted:
                value = value.try_cast(wanted) if source.engine == "duckdb" else value.cast(wanted)
            columns[column] = value
        tables[table] = raw.select(**columns)
    if missing:
        where = f"schema {source.schema}" if source.schema else "the CDM"
        raise CdmError(
            f"{source.display}: not an OMOP CDM v5.4 the mapping can read: missing in {where}: "
            + ", ".join(missing)
        )
    for table in OPTIONAL_TABLES:
        if table not in tables:
            tables[table] = _empty(tables["person"], table)
    return tables, notes


def _empty(any_table: ir.Table, table: str) -> ir.Table:
    """An empty ``table`` with its read columns and v5.4 types, on the same backend."""
    import ibis

    types = {name: kind for name, kind, _ in CDM_TABLES[table]}
    nothing = any_table.filter(ibis.literal(False))
    return nothing.select(
        **{c: ibis.null().cast(_IBIS_TYPES[types[c]]) for c in READ_COLUMNS[table]}
    )
