"""``itpcohort export``: an imported study written back as a CRF workbook or a REDCap import file.

Reads the canonical tables of a study database through the store's API and turns them back into
the input layout of ``data-model.md`` (the reverse of the import's reading conventions):

- partial dates come back as typed: ``YYYY`` or ``YYYY-MM`` from their precision, full dates as
  dates;
- platelet counts come back as given, with their unit, so that a re-import reproduces the study;
- booleans take the data model's defaults the import applied (``rescue``, ``severe``), so the file
  says explicitly what the study database holds;
- every row of a repeating table carries its ``center``: one file now holds every center, where
  patient codes may repeat.

``--format xlsx`` fills the CRF workbook of :mod:`itpcohort.crf.workbook` (README, dropdowns and
checks included), which imports as it is. ``--format redcap`` writes a REDCap records import file
for the project built from ``itpcohort crf --format redcap``: ``record_id``,
``redcap_repeat_instrument``, ``redcap_repeat_instance`` then every field of the dictionary, one
row for the patient and one per instance of each repeating instrument. Record names are numbers
1..N in (center, patient_id) order, as REDCap's auto-numbering would give; the study code stays in
``patient_id``. Rows are sorted explicitly, so two exports of one database are identical.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from itpcohort.crf.labels import BOOLEAN_WORDS, Language, spelling
from itpcohort.crf.redcap_dictionary import redcap_fields
from itpcohort.crf.workbook import build_workbook, workbook_bytes
from itpcohort.errors import InputError, UsageError
from itpcohort.schema import TABLES, Column, ColumnType, Table
from itpcohort.shared.redcap_names import (
    PATIENTS_INSTRUMENT,
    RECORD_ID,
    REDCAP_RECORD_COLUMNS,
    field_name,
    redcap_columns,
)
from itpcohort.shared.safe_csv import neutralise, write_csv

STUDY_DATABASE = "study.duckdb"
#: data rows an Excel sheet holds (1,048,576 rows minus the header)
EXCEL_MAX_DATA_ROWS = 1_048_575

Row = dict[str, Any]


def study_database(study: Path) -> Path:
    """The database of ``study``: the path itself, or ``study.duckdb`` inside a run's folder."""
    path = study / STUDY_DATABASE if study.is_dir() else study
    if not path.is_file():
        raise InputError(f"{study}: no study database found (expected a {STUDY_DATABASE} file)")
    return path


def _order(table: Table) -> list[str]:
    """Sort keys: center, patient, the table's first required date or number, then provenance."""
    keys = ["center", "patient_id"]
    keys += [
        c.name
        for c in table.columns
        if c.required and c.type in (ColumnType.DATE, ColumnType.INTEGER)
    ][:1]
    return [*keys, "source_file", "source_row"]


def read_canonical(database: Path) -> dict[str, list[Row]]:
    """Every canonical table of ``database`` as rows, sorted by center, patient, date, provenance."""
    from itpcohort.store import check_stored_study, connect_ibis, execute_to_arrow

    try:
        backend = connect_ibis(database, read_only=True)
        check_stored_study(backend.con, database)
        tables = {}
        for table in TABLES:
            expression = backend.table(table.name).order_by(_order(table))
            tables[table.name] = execute_to_arrow(expression).to_pylist()
    except InputError:
        raise
    except Exception as error:  # a file that is not a DuckDB database, or one locked by a writer
        raise InputError(f"{database}: cannot read the study database ({error})") from None
    return tables


def _partial_date(value: dt.date | None, precision: str | None) -> str | None:
    if value is None:
        return None
    if precision == "year":
        return f"{value.year:04d}"
    if precision == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def _platelets_as_given(row: Row) -> float | str | None:
    given = row["platelets_as_given"]
    if given is None:
        return row["platelets"]
    try:
        return float(given)
    except ValueError:
        return str(given)


def input_rows(canonical: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """The canonical tables in the input layout: data-model columns, values as a center types them.

    Values stay typed (dates, numbers, booleans, ``None`` for empty); each writer formats them.
    """
    rows: dict[str, list[Row]] = {}
    for table in TABLES:
        out = []
        for record in canonical[table.name]:
            row: Row = {}
            for column in table.columns:
                value: Any
                if column.type is ColumnType.PARTIAL_DATE:
                    value = _partial_date(record[column.name], record[f"{column.name}_precision"])
                elif (table.name, column.name) == ("platelet_counts", "platelets"):
                    value = _platelets_as_given(record)
                else:
                    value = record[column.name]
                if column.type is ColumnType.VOCAB and isinstance(value, str):
                    value = spelling(value)
                row[column.name] = value
            out.append(row)
        rows[table.name] = out
    return rows


def _cell(column: Column, value: Any, lang: Language) -> Any:
    """A value as written into a workbook cell (booleans as the dropdown's words)."""
    if value is None:
        return None
    if column.type is ColumnType.BOOLEAN:
        yes, no = BOOLEAN_WORDS[lang]
        return yes if value else no
    if isinstance(value, str):
        return neutralise(value)
    return value


def export_xlsx(study: Path, out_file: Path, lang: Language = "en") -> dict[str, int]:
    """Write the study as a filled CRF workbook; return the rows written per table."""
    rows = input_rows(read_canonical(study_database(study)))
    too_big = {name: len(r) for name, r in rows.items() if len(r) > EXCEL_MAX_DATA_ROWS}
    if too_big:
        sizes = ", ".join(f"{name} has {n} rows" for name, n in too_big.items())
        raise UsageError(
            f"the study does not fit in an Excel workbook ({sizes}; a sheet holds "
            f"{EXCEL_MAX_DATA_ROWS}); use --format redcap"
        )
    workbook = build_workbook(lang)
    for table in TABLES:
        sheet = workbook[table.name]
        # dates are datetime.date values, which openpyxl stores as Excel dates shown yyyy-mm-dd
        for row in rows[table.name]:
            sheet.append([_cell(c, row[c.name], lang) for c in table.columns])
    out_file.write_bytes(workbook_bytes(workbook))
    return {name: len(r) for name, r in rows.items()}


def _redcap_value(column: Column, value: Any) -> str:
    """A value as REDCap stores it raw: ISO dates, 1/0 for yes/no, numbers without a useless .0."""
    if value is None:
        return ""
    if column.type is ColumnType.BOOLEAN:
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def redcap_records(rows: dict[str, list[Row]]) -> Iterator[list[str]]:
    """The rows of a REDCap import file, record by record: the patient, then each instance."""
    fields = [f.name for f in redcap_fields() if f.name != RECORD_ID]
    position = {name: index for index, name in enumerate(fields)}
    by_patient: dict[str, dict[tuple[str, str], list[Row]]] = defaultdict(lambda: defaultdict(list))
    for table in TABLES[1:]:
        for row in rows[table.name]:
            by_patient[table.name][(row["center"], row["patient_id"])].append(row)
    patients = next(t for t in TABLES if t.name == PATIENTS_INSTRUMENT)
    for number, patient in enumerate(rows[PATIENTS_INSTRUMENT], start=1):
        record = str(number)
        cells = [""] * len(fields)
        for column in patients.columns:
            cells[position[column.name]] = _redcap_value(column, patient[column.name])
        yield [record, "", "", *cells]
        key = (patient["center"], patient["patient_id"])
        for table in TABLES[1:]:
            for instance, row in enumerate(by_patient[table.name].get(key, []), start=1):
                cells = [""] * len(fields)
                for column in redcap_columns(table):
                    name = field_name(table.name, column.name)
                    cells[position[name]] = _redcap_value(column, row[column.name])
                yield [record, table.name, str(instance), *cells]


def export_redcap(study: Path, out_file: Path) -> dict[str, int]:
    """Write the study as a REDCap records import file; return the rows written per table."""
    rows = input_rows(read_canonical(study_database(study)))
    fields = [f.name for f in redcap_fields() if f.name != RECORD_ID]
    write_csv(out_file, [*REDCAP_RECORD_COLUMNS, *fields], redcap_records(rows))
    return {name: len(r) for name, r in rows.items()}


_SUFFIX = {"xlsx": ".xlsx", "redcap": ".csv"}


def export_study(study: Path, format_: str, out_file: Path) -> list[str]:
    """Implements ``itpcohort export`` (``flagship-study.md``, Command line); returns lines to print.

    Usage errors (exit 2): unknown format, an ``--out`` that is a folder or has the wrong suffix,
    a file that cannot be written. A missing or unreadable study database is an InputError (exit 1).
    """
    if format_ not in _SUFFIX:
        raise UsageError(f"unknown --format {format_!r}; allowed: {', '.join(_SUFFIX)}")
    suffix = _SUFFIX[format_]
    if out_file.is_dir():
        raise UsageError(f"--out {out_file} is a folder; give a file name ending in {suffix}")
    if out_file.suffix.lower() != suffix:
        raise UsageError(f"--out {out_file}: a --format {format_} file must end in {suffix}")
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        if format_ == "xlsx":
            counts = export_xlsx(study, out_file)
        else:
            counts = export_redcap(study, out_file)
    except OSError as error:
        raise UsageError(f"cannot write {out_file}: {error.strerror or error}") from error
    written = ", ".join(f"{name} {n}" for name, n in counts.items())
    return [f"wrote {out_file} (rows: {written})"]
