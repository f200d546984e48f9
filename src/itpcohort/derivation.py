"""The derivation compiled to DuckDB statements ahead of its execution (``architecture.md``).

Building the Ibis expressions of every model and compiling them to SQL is pure Python: about a
second whatever the size of the study (loading Ibis and its DuckDB backend, building some 30
models, sqlglot's compilation), all of which used to wait for the import to end. None of it needs
the data: the canonical tables have a fixed schema (``schema.CANONICAL_COLUMNS``). So
``compile_derivation`` builds the statements from unbound tables of that schema, and a caller runs
it while the import loads the data (``derive`` and ``run`` in a forked child, which does not share
the import's interpreter lock); ``run_compiled`` then only executes SQL.

The statements are those Ibis's ``create_table(name, expression, temp=True)`` would run for each
model of ``derive.TABLE_MODELS`` (a ``CREATE TEMP TABLE`` with the expression's schema, then an
``INSERT ... SELECT``), in dependency order, each followed by the ``DROP`` of the tables no later
model reads (``derive.RELEASED_AFTER``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from itpcohort.criteria import Criteria
from itpcohort.store.connection import drop_temp

#: the prefix of the temporary table holding each materialised model
TEMP_PREFIX = "_derive_"


def temp_table(model: str) -> str:
    """The name of the temporary table that holds the materialised ``model``."""
    return f"{TEMP_PREFIX}{model}"


@dataclass(frozen=True)
class CompiledModel:
    """One materialised model: the statements that build it, then the tables freed after it."""

    name: str
    statements: tuple[str, ...]
    released: tuple[str, ...]


@dataclass(frozen=True)
class CompiledDerivation:
    """Every materialised model of the derivation under ``criteria``, as DuckDB statements.

    A derivation made ``sharing`` another holds only the models it builds itself, in tables
    named with its ``prefix``; it reads the ``shared`` models from the other's tables.
    """

    criteria: Criteria
    models: tuple[CompiledModel, ...]
    shared: tuple[str, ...] = ()
    prefix: str = ""

    def table(self, model: str) -> str:
        """The temporary table that holds ``model`` once the derivation has run."""
        return temp_table(model if model in self.shared else self.prefix + model)


def compile_derivation(
    criteria: Criteria, compiled_before: dict[tuple[str, Any], tuple[str, ...]] | None = None
) -> CompiledDerivation:
    """Compile every materialised model of ``derive.derive_models`` under ``criteria`` to SQL.

    The canonical tables are unbound tables of their canonical schema (the study database holds
    each of them, empty when none was recorded); a materialised model is read downstream as the
    unbound temporary table of its own schema. Nothing connects to a database here.

    ``compiled_before``: the statements of the models compiled by earlier calls, by model name
    and Ibis expression (equal expressions compile to the same SQL), added to here: a model
    whose expression another criteria set built already is not compiled again (the sensitivity
    runs of ``flagship-study.md``, 7 change a few models of the primary derivation).
    """
    import ibis
    import sqlglot as sg
    import sqlglot.expressions as sge
    from ibis.backends.duckdb import Backend

    from itpcohort.derive import derive_models, released_after
    from itpcohort.derive._common import canonical_schema
    from itpcohort.schema import CANONICAL_COLUMNS

    compiler = Backend.compiler
    dialect = compiler.dialect
    compiled: list[CompiledModel] = []
    known = {} if compiled_before is None else compiled_before
    releases = released_after(criteria)

    def materialize(name: str, expression: Any) -> Any:
        # as ibis.backends.duckdb.Backend.create_table(name, expression, temp=True) builds them
        schema = expression.schema()
        key = (name, expression.op())
        statements = known.get(key)
        if statements is None:
            table = sg.table(temp_table(name), catalog="temp", db="main", quoted=True)
            create = sge.Create(
                kind="TABLE",
                this=sge.Schema(this=table, expressions=schema.to_sqlglot_column_defs(dialect)),
                properties=sge.Properties(expressions=[sge.TemporaryProperty()]),
            )
            columns = [sge.to_identifier(column, quoted=True) for column in expression.columns]
            insert = sge.insert(compiler.to_sqlglot(expression), into=table, columns=columns)
            statements = known[key] = (create.sql(dialect), insert.sql(dialect))
        released = tuple(releases.get(name, ()))
        compiled.append(CompiledModel(name, statements, released))
        return ibis.table(schema, name=temp_table(name))

    canonical = {name: ibis.table(canonical_schema(name), name=name) for name in CANONICAL_COLUMNS}
    derive_models(canonical, criteria, materialize)
    return CompiledDerivation(criteria, tuple(compiled))


def run_compiled(
    backend: Any,
    compiled: CompiledDerivation,
    on_model: Callable[[str, float], None] | None = None,
    kept: Collection[str] = (),
) -> None:
    """Execute ``compiled`` on the Ibis DuckDB ``backend`` (``connect_ibis``): every materialised
    model becomes its temporary table.

    ``on_model(name, seconds)`` is told how long each model took to build. ``kept``: models
    whose tables stay when the schedule would free them (those derivations made ``sharing``
    ``compiled`` read, ``read_by``).
    """
    for model in compiled.models:
        started = time.perf_counter()
        for statement in model.statements:
            backend.con.execute(statement).fetchall()
        if on_model is not None:
            on_model(model.name, time.perf_counter() - started)
        for name in model.released:
            if name not in kept:
                drop_temp(backend, compiled.table(name))


def sharing(
    base: CompiledDerivation, varied: CompiledDerivation, prefix: str
) -> CompiledDerivation:
    """``varied`` made to read from ``base``'s tables every model whose statements are the same
    as ``base``'s and read only such models (the same SQL over the same inputs gives the same
    table): a sensitivity run (``flagship-study.md``, 7) builds only what its criteria change.

    Its other models are built in tables named with ``prefix``; their statements are
    ``varied``'s with those tables renamed (identifiers are quoted, so a name is replaced
    whole). ``base`` is a derivation compiled on its own (``compile_derivation``).
    """
    same = {m.name: m.statements for m in base.models}
    names = [m.name for m in varied.models]
    shared: list[str] = []
    for model in varied.models:
        reads = _reads(model, [name for name in names if name != model.name])
        if same.get(model.name) == model.statements and reads <= set(shared):
            shared.append(model.name)
    own = [name for name in names if name not in shared]

    def renamed(statement: str) -> str:
        for name in own:
            statement = statement.replace(f'"{temp_table(name)}"', f'"{temp_table(prefix + name)}"')
        return statement

    models = tuple(
        CompiledModel(
            m.name,
            tuple(renamed(statement) for statement in m.statements),
            tuple(name for name in m.released if name in own),
        )
        for m in varied.models
        if m.name in own
    )
    return CompiledDerivation(varied.criteria, models, tuple(shared), prefix)


def read_by(runs: Collection[CompiledDerivation]) -> set[str]:
    """The models another derivation shares with ``runs`` (made ``sharing`` it) that one of their
    own models reads: their tables must outlive that derivation's schedule of frees."""
    return {name for run in runs for model in run.models for name in _reads(model, run.shared)}


def _reads(model: CompiledModel, names: Collection[str]) -> set[str]:
    """The models among ``names`` whose table ``model``'s statement selects from (table names are
    quoted identifiers, so one is found whole)."""
    return {name for name in names if f'"{temp_table(name)}"' in model.statements[-1]}


def compile_warnings(criteria: Criteria) -> str:
    """The DuckDB SQL of ``derive.warnings.import_warnings`` under ``criteria``, over the canonical
    tables of a study database (with their ``source_file``/``source_row``), for the import's
    report (``data-model.md``, Warnings). Nothing connects to a database here.
    """
    import ibis
    from ibis.backends.duckdb import Backend

    from itpcohort.derive._common import canonical_schema
    from itpcohort.derive.warnings import import_warnings

    provenance = {"source_file": "string", "source_row": "int64"}
    tables = {
        name: ibis.table({**canonical_schema(name), **provenance}, name=name)
        for name in ("patients", "treatments", "platelet_counts")
    }
    compiler = Backend.compiler
    return str(compiler.to_sqlglot(import_warnings(tables, criteria)).sql(compiler.dialect))
