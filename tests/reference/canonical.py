"""Build canonical tables for tests (typed per ``schema.CANONICAL_COLUMNS``) and run the engine.

Test timelines are written as plain dicts of the canonical columns; missing columns are NULL and a
few defaults keep hand-written timelines short (``center`` TLS, ``rescue`` false, drug class from
the drug). ``run_engine`` executes every mart in one in-memory DuckDB through Ibis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import ibis
import pyarrow as pa

from itpcohort.criteria import Criteria
from itpcohort.derive import derive_all
from itpcohort.derive.exposure import ExposureRules, derive_exposure
from itpcohort.schema import CANONICAL_COLUMNS, DRUG_CLASSES

_ARROW = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BOOLEAN": pa.bool_(),
}

DAY0 = dt.date(2020, 1, 1)


def d(days: int) -> dt.date:
    """The date ``days`` after 2020-01-01 (hand-worked timelines count days from there)."""
    return DAY0 + dt.timedelta(days=days)


def arrow_schema(table: str) -> pa.Schema:
    """The canonical table's Arrow schema (with provenance columns)."""
    columns = [*CANONICAL_COLUMNS[table], ("source_file", "VARCHAR"), ("source_row", "INTEGER")]
    return pa.schema([(name, _ARROW[kind]) for name, kind in columns])


def _complete(table: str, row: Mapping[str, Any], index: int) -> dict[str, Any]:
    full = {name: None for name, _ in CANONICAL_COLUMNS[table]}
    full["center"] = "TLS"
    if table == "treatments":
        full["rescue"] = False
        full["drug_class"] = DRUG_CLASSES[row["drug"]]
    if table == "patients":
        full.update(
            sex="F",
            birth_date=dt.date(1970, 1, 1),
            birth_date_precision="day",
            diagnosis_date=dt.date(2015, 1, 1),
            diagnosis_date_precision="day",
            itp_type="primary",
            last_followup_date=dt.date(2022, 1, 1),
        )
    full.update(row)
    full["source_file"] = f"{table}.csv"
    full["source_row"] = index + 2
    return full


def arrow_tables(rows: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, pa.Table]:
    """Arrow tables for every canonical table from dict rows (absent tables are empty)."""
    result = {}
    for table in CANONICAL_COLUMNS:
        completed = [_complete(table, row, i) for i, row in enumerate(rows.get(table, ()))]
        schema = arrow_schema(table)
        result[table] = pa.Table.from_pylist(completed, schema=schema)
    return result


def run_engine(
    rows: Mapping[str, Iterable[Mapping[str, Any]]],
    criteria: Criteria | None = None,
    materialize: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    """Derive every mart with the Ibis engine on DuckDB and return them as lists of dicts.

    With ``materialize`` the reused models are created as temp tables (as a store would); without,
    each mart runs as one self-contained query.
    """
    arrow = arrow_tables(rows)
    con = ibis.duckdb.connect(threads=1)
    tables = {name: con.create_table(name, table) for name, table in arrow.items()}

    def as_temp_table(name: str, expr: ibis.Table) -> ibis.Table:
        return con.create_table(name, expr, temp=True)

    marts = derive_all(tables, criteria or Criteria(), as_temp_table if materialize else None)
    return {name: con.to_pyarrow(expr).to_pylist() for name, expr in marts.items()}


def run_exposure_engine(
    rows: Mapping[str, Iterable[Mapping[str, Any]]],
    rules: ExposureRules,
    criteria: Criteria | None = None,
    materialize: bool = True,
) -> dict[str, list[dict[str, Any]]]:
    """Derive every mart of an exposure protocol on DuckDB, as lists of dicts (as ``run_engine``)."""
    arrow = arrow_tables(rows)
    con = ibis.duckdb.connect(threads=1)
    tables = {name: con.create_table(name, table) for name, table in arrow.items()}

    def as_temp_table(name: str, expr: ibis.Table) -> ibis.Table:
        return con.create_table(name, expr, temp=True)

    marts = derive_exposure(
        tables, rules, criteria or Criteria(), as_temp_table if materialize else None
    )
    return {name: con.to_pyarrow(expr).to_pylist() for name, expr in marts.items()}
