"""Derivations as Ibis expressions: staging -> intermediate -> marts (``response-criteria.md``).

``derive_all`` builds every model of ``_models.MODELS`` from the canonical tables and returns the
marts as unexecuted Ibis expressions; nothing here executes or imports a backend.

A caller that wants the reused models computed once (a ``CREATE TABLE`` in the store, say) passes
``materialize``: it is called with the name and expression of every model of ``TABLE_MODELS`` (the
marts and every model read by two models or more) and returns the table to use downstream. Without
it every mart is one self-contained expression, and shared models are recomputed per mart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import canonical_schema
from itpcohort.derive._models import MARTS, MODELS, RELEASED_AFTER, TABLE_MODELS, Model
from itpcohort.derive.exposure import (
    EXPOSURE_MARTS,
    ExposureRules,
    derive_exposure,
    exposure_built,
    exposure_released_after,
)
from itpcohort.derived_schema import check_buildable, mart_names
from itpcohort.schema import CANONICAL_COLUMNS, TABLES_BY_NAME

__all__ = [
    "EXPOSURE_MARTS",
    "MARTS",
    "MODELS",
    "RELEASED_AFTER",
    "TABLE_MODELS",
    "ExposureRules",
    "Model",
    "check_buildable",
    "derive_all",
    "derive_exposure",
    "derive_models",
    "exposure_rules",
    "marts_of",
    "released_after",
]

Materialize = Callable[[str, ir.Table], ir.Table]
Release = Callable[[str], None]


def _canonical(tables: Mapping[str, ir.Table], name: str) -> ir.Table:
    """A canonical table as given, or an empty one for an absent optional table ("none recorded")."""
    schema = canonical_schema(name)
    if name not in tables:
        if TABLES_BY_NAME[name].required:
            raise KeyError(f"canonical table '{name}' is required to derive")
        return ibis.memtable(schema.to_pyarrow().empty_table())
    table = tables[name]
    missing = [column for column in schema.names if column not in table.columns]
    if missing:
        raise KeyError(f"canonical table '{name}' lacks the columns {', '.join(missing)}")
    return table.select(*(_typed(table[c], schema[c]).name(c) for c in schema.names))


def _typed(column: ir.Column, kind: dt.DataType) -> ir.Value:
    """``column`` cast to its canonical type, a floating-point NaN read as NULL (missing).

    A table that went through pandas holds NaN for every missing number (integer columns with a
    gap become floating point): cast to an integer, NaN raises on DuckDB and PostgreSQL and is 0
    on Spark (a WHO grade 0 where none was recorded), and as a count NaN compares above every
    number. NaN is never a value of a canonical column.
    """
    if column.type().is_floating():
        column = ibis.ifelse(column.isnan().fill_null(False), ibis.null(column.type()), column)
    return column.cast(kind)


def exposure_rules(criteria: Criteria) -> ExposureRules:
    """The ``ExposureRules`` of ``criteria.courses`` (``protocols.md``, Exposure courses): its
    ``agents``, ``era_gap_days`` and ``exposure_effect_days``, field for field."""
    courses = criteria.courses
    return ExposureRules(courses.agents, courses.era_gap_days, courses.exposure_effect_days)


def _is_exposure(criteria: Criteria) -> bool:
    return criteria.courses.kind == "exposure"


def marts_of(criteria: Criteria) -> tuple[str, ...]:
    """The derived tables of the course kind of ``criteria`` (``MARTS`` for infusion courses,
    ``EXPOSURE_MARTS`` for exposure courses), in the order ``derive_all`` returns them: their
    declarations' (``derived_schema.mart_names``)."""
    return mart_names(criteria.courses.kind)


def released_after(criteria: Criteria) -> dict[str, tuple[str, ...]]:
    """``RELEASED_AFTER`` of the model graph of the course kind of ``criteria``."""
    if _is_exposure(criteria):
        return exposure_released_after(exposure_rules(criteria))
    return RELEASED_AFTER


def derive_models(
    tables: Mapping[str, ir.Table],
    criteria: Criteria,
    materialize: Materialize | None = None,
    release: Release | None = None,
) -> dict[str, ir.Table]:
    """Every model of ``MODELS`` (staging, intermediate and marts) as Ibis expressions, by name.

    ``materialize(name, expression)`` is called for each model of ``TABLE_MODELS`` in dependency
    order and returns the table to read instead of the expression; ``release(name)`` is then
    called for each earlier table model that no model still to build reads (``RELEASED_AFTER``).
    Under an exposure protocol (``criteria.courses.kind == "exposure"``), the models of
    ``exposure.exposure_models`` instead (``protocols.md``, Exposure courses).
    """
    check_buildable(criteria.courses.kind)
    if _is_exposure(criteria):
        return exposure_built(tables, exposure_rules(criteria), criteria, materialize, release)
    keep: Materialize = materialize or (lambda _name, table: table)
    built: dict[str, ir.Table] = {
        name: _canonical(tables, name) for name in CANONICAL_COLUMNS if name != "biomarkers"
    }
    for model in MODELS:
        args: list[object] = [built[name] for name in model.inputs]
        if model.needs_criteria:
            args.append(criteria)
        expression = model.function(*args)
        if model.name not in TABLE_MODELS:
            built[model.name] = expression
            continue
        built[model.name] = keep(model.name, expression)
        if release is not None:
            for name in RELEASED_AFTER.get(model.name, ()):
                release(name)
    return built


def derive_all(
    tables: Mapping[str, ir.Table],
    criteria: Criteria,
    materialize: Materialize | None = None,
    release: Release | None = None,
) -> dict[str, ir.Table]:
    """The derived tables (``MARTS``) from the canonical tables under ``criteria``, unexecuted.

    ``tables`` maps canonical table names (``schema.CANONICAL_COLUMNS``) to Ibis tables; absent
    optional tables mean "none recorded". Returns ``courses``, ``patient_baseline``,
    ``retreatment``, ``ae_by_course``, ``investigator_comparison`` (``response-criteria.md``) and
    ``patient_treatment_events`` (the rescue and new-treatment starts of the swimmer plot); under
    an exposure protocol (``criteria.courses.kind == "exposure"``), ``EXPOSURE_MARTS``
    (``protocols.md``, Exposure courses).
    """
    built = derive_models(tables, criteria, materialize, release)
    return {name: built[name] for name in marts_of(criteria)}
