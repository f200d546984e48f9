"""Small expression helpers shared by the models (dates, keys, portable null-safe minimum).

Everything here builds Ibis expressions; nothing executes.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.derived_schema import Mart
from itpcohort.schema import CANONICAL_COLUMNS

#: the patient's identity in the data (``data-model.md``: ``(center, patient_id)`` is unique)
PATIENT_ID: tuple[str, str] = ("center", "patient_id")
#: the key every derivation partitions and joins on: a 32-bit integer given to each patient by
#: ``stg_patients`` (sorting and hashing one integer is about twice as fast as two strings, and
#: 32 bits keep the 30-million-row count tables of a million patients narrower than 64 would);
#: the marts carry ``center`` and ``patient_id`` again. ``course_number`` is 32-bit too inside
#: the derivation, and 64-bit in the marts
PATIENT_KEY: tuple[str] = ("patient_key",)
#: the course key of every per-course table
COURSE_KEY: tuple[str, str] = ("patient_key", "course_number")
#: days per year and per month for ages and ITP phase (``response-criteria.md`` section 2)
DAYS_PER_YEAR = 365.25
#: tolerance of comparisons whose right side is a product of decimals (``r_fold`` × baseline,
#: ``similar_duration_ratio`` × duration): 0.7 × 10 is 7.000000000000001 in binary floating point,
#: and a count or duration equal to the product in decimal must count as "at least" it
PRODUCT_TOLERANCE = 1e-9

_DUCKDB_TO_IBIS = {
    "VARCHAR": "string",
    "DATE": "date",
    "DOUBLE": "float64",
    "INTEGER": "int32",
    "BOOLEAN": "boolean",
}


def canonical_schema(table: str) -> ibis.Schema:
    """The Ibis schema of a canonical table (``schema.CANONICAL_COLUMNS``), without provenance."""
    return ibis.schema({name: _DUCKDB_TO_IBIS[kind] for name, kind in CANONICAL_COLUMNS[table]})


def days_between(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    """Whole days from ``earlier`` to ``later`` (negative when ``later`` comes first)."""
    return later.delta(earlier, unit="day")


def day_number(date: ir.DateValue) -> ir.IntegerValue:
    """Days since 1970-01-01: an integer order key, so that RANGE frames can say "1 PRECEDING"."""
    return date.delta(ibis.date(1970, 1, 1), unit="day")


def plus_days(date: ir.DateValue, days: int) -> ir.DateValue:
    """``date`` moved by ``days`` days (a literal from the criteria set)."""
    return date + ibis.interval(days=days)


def earliest(*dates: ir.DateValue) -> ir.DateValue:
    """The earliest non-null date (NULL when all are NULL).

    Written with a sentinel rather than a backend's LEAST, whose NULL handling differs between
    backends (DuckDB and PostgreSQL skip NULLs, BigQuery returns NULL).
    """
    far = ibis.date(9999, 12, 31)
    return ibis.least(*(date.fill_null(far) for date in dates)).nullif(far)


def completed_years(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    """Completed years between two dates: floor(days / 365.25) (section 2)."""
    return (days_between(later, earlier) / DAYS_PER_YEAR).floor().cast("int64")


def as_int(expr: ir.Value) -> ir.IntegerValue:
    """1 when ``expr`` is true, 0 when it is false or NULL (for counting with ``sum``)."""
    return ibis.ifelse(expr.fill_null(False), 1, 0)


def join_on(
    left: ir.Table, right: ir.Table, keys: tuple[str, ...] | list[str], how: str = "left"
) -> ir.Table:
    """``left`` joined to ``right`` on equal ``keys``, keeping ``left``'s key columns only.

    Every other column keeps its name (the models never join tables sharing a non-key column).
    """
    joined = left.join(right, [left[k] == right[k] for k in keys], how=how)
    return joined.select(
        *(left[c] for c in left.columns), *(right[c] for c in right.columns if c not in keys)
    )


def as_declared(table: ir.Table, mart: Mart) -> ir.Table:
    """``table`` as its mart is declared (``derived_schema``): the declared columns in order, cast
    to their types, rows sorted by the declared keys."""
    return table.select(
        *(table[name].cast(kind).name(name) for name, kind in mart.columns)
    ).order_by(list(mart.sort_by))
