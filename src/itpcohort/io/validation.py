"""``validate_inputs``: check a study's input without writing a database (``itpcohort validate``)."""

from __future__ import annotations

from pathlib import Path

from itpcohort.config import StudyConfig
from itpcohort.io.import_report import ValidationReport


def validate_inputs(inputs: list[Path], config: StudyConfig) -> ValidationReport:
    """Every row-level problem, held-back row, warning and per-table count of ``inputs``.

    The checks are those of an import (``data-model.md``), run in an in-memory DuckDB database.
    Raises InputError for file-level problems (missing table or column, identifier column, empty
    or unreadable file), which would stop an import.
    """
    from itpcohort.store import validate_study  # store reads files through io: import late

    return validate_study(inputs, config)
