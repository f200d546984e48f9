"""The only package that talks to DuckDB: connection, transactional import, run registry.

Public surface:

* ``import_study(inputs, config, db_path)`` validates center files and writes the canonical tables,
  ``rejected_rows`` and a ``runs`` row in one transaction (``ImportReport``);
* ``validate_study(inputs, config)`` does the same checks in memory (``ValidationReport``);
* ``connect_ibis(db_path)`` opens the study database for ``derive/`` (Ibis DuckDB backend),
  ``execute_to_arrow(expr)`` runs an expression; ``materialize_temp`` and ``persist_temp_tables``
  run and keep the derivation's tables; ``compile_derivation(criteria)`` compiles the whole
  derivation to DuckDB statements ahead of the data, which ``run_compiled`` executes;
* ``store.engines`` (imported on demand: it needs the ``engines`` extra) runs the same derivation
  on DuckDB, PostgreSQL or Spark (``derive_on``) and brings back only the marts.
"""

from itpcohort.store.connection import (
    connect_ibis,
    drop_temp,
    execute_to_arrow,
    materialize_temp,
    persist_temp_tables,
    resource_settings,
    storage_error_message,
)
from itpcohort.store.derivation import (
    CompiledDerivation,
    compile_derivation,
    run_compiled,
    temp_table,
)
from itpcohort.store.importer import RUNS_COLUMNS, DatabaseError, import_study, validate_study
from itpcohort.store.registry import rows_by_file, study_provenance

__all__ = [
    "RUNS_COLUMNS",
    "CompiledDerivation",
    "DatabaseError",
    "compile_derivation",
    "connect_ibis",
    "drop_temp",
    "execute_to_arrow",
    "import_study",
    "materialize_temp",
    "persist_temp_tables",
    "resource_settings",
    "rows_by_file",
    "run_compiled",
    "storage_error_message",
    "study_provenance",
    "temp_table",
    "validate_study",
]
