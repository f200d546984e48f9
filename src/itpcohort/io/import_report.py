"""What validating or importing a study found: problems, held-back rows, warnings and counts.

``data-model.md``: nothing is lost. For every table, ``rows_loaded + rows_rejected == rows_read``;
rejected rows are those with a problem plus those *held back* because their patient's row was
rejected (listed apart: they are consequences, not input errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from itpcohort.errors import Problem


@dataclass(frozen=True)
class TableCounts:
    """Rows read, loaded and rejected for one table (held-back rows are part of the rejected)."""

    table: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_held_back: int


@dataclass(frozen=True)
class ValidationReport:
    """The result of checking a study's input (``itpcohort validate``).

    ``problems`` are row-level input errors, one per (file, row, column), in file and line order;
    ``held_back`` are rows rejected only because their patient's row was rejected; ``rejected`` is
    both together in file and line order (the entries of ``rejected_rows``); ``warnings`` never
    reject a row; ``notes`` list what was ignored (unknown columns, files, sheets).
    """

    problems: tuple[Problem, ...]
    held_back: tuple[Problem, ...]
    rejected: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    counts: tuple[TableCounts, ...]
    notes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return not self.problems and not self.held_back

    def count(self, table: str) -> TableCounts:
        """The counts of ``table``."""
        for counts in self.counts:
            if counts.table == table:
                return counts
        raise KeyError(table)


@dataclass(frozen=True)
class ImportReport(ValidationReport):
    """The result of an import: the validation report plus where it landed and its run number."""

    db_path: Path | None = None
    run_id: int | None = None
