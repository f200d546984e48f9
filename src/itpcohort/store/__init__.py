"""The only package that talks to DuckDB: connection, transactional import, run registry.

Public surface:

* ``import_study(inputs, config, db_path)`` validates center files and writes the canonical tables,
  ``rejected_rows`` and a ``runs`` row in one transaction (``ImportReport``);
* ``validate_study(inputs, config)`` does the same checks in memory (``ValidationReport``);
* ``check_stored_study(con, db_path)`` refuses, in one line, a stored study that lacks a canonical
  table or column (one imported by an earlier version);
* ``connect_ibis(db_path)`` opens the study database for ``derive/`` (Ibis DuckDB backend),
  ``connect_sql(db_path)`` for running compiled SQL only,
  ``execute_to_arrow(expr)`` runs an expression; ``materialize_temp`` and ``persist_temp_tables``
  run and keep the derivation's tables.

Compiling and running the derivation on the store (``itpcohort.derivation``) and on other engines
(``itpcohort.engines``) sit above ``derive/``: this package never imports the layers after it.
"""

from itpcohort.store.connection import (
    connect_ibis,
    connect_sql,
    drop_temp,
    execute_to_arrow,
    materialize_temp,
    persist_temp_tables,
    storage_error_message,
)
from itpcohort.store.importer import RUNS_COLUMNS, import_study, validate_study
from itpcohort.store.registry import rows_by_file, study_provenance
from itpcohort.store.stored import check_stored_study

__all__ = [
    "RUNS_COLUMNS",
    "check_stored_study",
    "connect_ibis",
    "connect_sql",
    "drop_temp",
    "execute_to_arrow",
    "import_study",
    "materialize_temp",
    "persist_temp_tables",
    "rows_by_file",
    "storage_error_message",
    "study_provenance",
    "validate_study",
]
