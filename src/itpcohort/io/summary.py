"""What ``validate`` and ``import`` print, and the ``rejected_rows.csv`` they write.

Problems are printed one per line as ``file:row: column: reason`` on standard error, so that a line
starting with a file path is always an input error; held-back rows, warnings and notes are printed
after them, each line starting with a word (``held back``, ``warning``, ``note``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from itpcohort.errors import escape_controls
from itpcohort.io.import_report import ImportReport, ValidationReport
from itpcohort.schema import TABLES_BY_NAME
from itpcohort.shared.safe_csv import write_csv

#: how many held-back rows ``validate`` shows (they are all in rejected_rows on import)
HELD_BACK_SHOWN = 5
#: how many problems and warnings ``import`` prints (every problem is in rejected_rows.csv;
#: ``validate`` lists every warning)
IMPORT_PROBLEMS_SHOWN = 50
IMPORT_WARNINGS_SHOWN = 20
REJECTED_ROWS_HEADER = ("file", "row", "column", "value", "reason")


def _write_lines(console: Console, lines: Iterable[str]) -> None:
    """Write plain lines at once (a rich print per line is slow for 100,000 warnings)."""
    text = "".join(f"{line}\n" for line in lines)
    if text:
        console.file.write(text)
        console.file.flush()


def _summary_table(report: ValidationReport, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("table")
    for name in ("read", "loaded", "rejected", "of which held back"):
        table.add_column(name, justify="right")
    for counts in report.counts:
        if counts.rows_read == 0 and not TABLES_BY_NAME[counts.table].required:
            continue
        table.add_row(
            counts.table,
            f"{counts.rows_read:,}",
            f"{counts.rows_loaded:,}",
            f"{counts.rows_rejected:,}",
            f"{counts.rows_held_back:,}",
        )
    return table


def _print_held_back(report: ValidationReport, out: Console) -> None:
    if not report.held_back:
        return
    out.print(
        "held back (their patient's row was rejected): "
        + ", ".join(f"{c.table} {c.rows_held_back:,}" for c in report.counts if c.rows_held_back),
        soft_wrap=True,
        markup=False,
        highlight=False,
    )
    for problem in report.held_back[:HELD_BACK_SHOWN]:
        out.print(
            escape_controls(f"held back  {problem.file}:{problem.row}  {problem.reason}"),
            soft_wrap=True,
            markup=False,
        )
    if len(report.held_back) > HELD_BACK_SHOWN:
        out.print(
            f"held back  ... and {len(report.held_back) - HELD_BACK_SHOWN:,} more", markup=False
        )


def _print_warnings_and_notes(
    report: ValidationReport, out: Console, limit: int | None = None
) -> None:
    shown = report.warnings[:limit]
    _write_lines(out, (f"warning: {warning}" for warning in shown))
    if len(shown) < len(report.warnings):
        out.print(
            f"warning: ... and {len(report.warnings) - len(shown):,} more "
            "(`itpcohort validate` lists them all)",
            markup=False,
        )
    _write_lines(out, (escape_controls(f"note: {note}") for note in report.notes))


def print_validation(report: ValidationReport, out: Console, err: Console) -> None:
    """Every problem (stderr), then the summary table, held-back rows, warnings and notes (stdout)."""
    _write_lines(err, map(str, report.problems))
    out.print(_summary_table(report, "rows per table"))
    _print_held_back(report, out)
    _print_warnings_and_notes(report, out)
    if report.ok:
        out.print(f"valid: no problem ({len(report.warnings):,} warning(s))", markup=False)
    else:
        rows = sum(c.rows_rejected - c.rows_held_back for c in report.counts)
        err.print(
            f"invalid: {len(report.problems):,} problem(s) in {rows:,} row(s)",
            markup=False,
            highlight=False,
        )


def print_import(report: ImportReport, out_dir: Path, out: Console, err: Console) -> None:
    """The first problems (stderr), then the summary table, warnings and where the files went."""
    _write_lines(err, map(str, report.problems[:IMPORT_PROBLEMS_SHOWN]))
    if len(report.problems) > IMPORT_PROBLEMS_SHOWN:
        err.print(
            f"... and {len(report.problems) - IMPORT_PROBLEMS_SHOWN:,} more problems in "
            f"{out_dir / 'rejected_rows.csv'}",
            markup=False,
            highlight=False,
        )
    out.print(_summary_table(report, "rows per table"))
    _print_held_back(report, out)
    _print_warnings_and_notes(report, out, IMPORT_WARNINGS_SHOWN)
    rejected = sum(c.rows_rejected for c in report.counts)
    out.print(
        f"imported into {out_dir / 'study.duckdb'} (run {report.run_id}); "
        f"{rejected:,} rejected row(s) listed in {out_dir / 'rejected_rows.csv'}",
        soft_wrap=True,
        markup=False,
    )


def write_rejected_rows(path: Path, report: ValidationReport) -> int:
    """Write ``rejected_rows.csv`` (``file,row,column,value,reason``; header only when none)."""
    return write_csv(
        path,
        REJECTED_ROWS_HEADER,
        ((p.file, p.row, p.column, p.value, p.reason) for p in report.rejected),
    )
