"""Read a REDCap raw records export as the text rows of the data model's tables (``data-model.md``,
REDCap projects).

The project is the one ``itpcohort crf --format redcap`` builds (:mod:`itpcohort.crf.redcap_dictionary`):
``record_id`` first; the non-repeating instrument ``patients`` holds the ``patients`` columns under
their own names; every other table is a repeating instrument of the same name whose fields are
``<instrument>_<column>``. The export is recognised by its header: first column ``record_id`` and a
``redcap_repeat_instrument`` column.

The export is read once (by :mod:`itpcohort.io.csv_reader`, so line numbers are the physical lines of
the file, header = 1) and split into one :class:`RedcapTableText` per table, which the store streams
like a CSV file or a sheet: same checks, same messages. Only the record structure is checked here:

- a row's table is its ``redcap_repeat_instrument`` (empty: ``patients``); a repeating row needs a
  whole instance number >= 1, a patients row none; ``(record, instrument, instance)`` is unique;
- a row fills the fields of its own instrument only (``*_complete`` columns are ignored);
- ``patient_id`` and ``center`` of a repeating row come from its record's patients row; when that
  row's ``center`` is empty, the record's data access group is the center;
- the rows of a record are in one data access group, which agrees with the record's ``center``.

A row breaking one of these rules is rejected (``row_error``) naming the export's column, like a
CSV row with the wrong number of fields; everything else (vocabularies, dates, duplicates,
coherence, unknown patients) is checked by the store. Problems name the export's columns
(``platelet_counts_platelets``; ``record_id`` for the patient of a repeating row).

Choices where the spec is silent:

- A row of an unknown instrument belongs to no table: it is counted as a rejected ``patients`` row
  (the one instrument every record has), its cells left out so that it names no patient.
- Repeating rows of a record without a usable patients row (none, or one without ``patient_id`` or
  center) name their patient ``record <record_id>``: they are rejected as rows of an unknown patient,
  never attached to a patient of the same code in another center.
- ``center`` and the data access group are compared ignoring case (REDCap's unique group names are
  lower case: group ``tls`` is center ``TLS``); a center taken from the group is the group's unique
  name as exported. Two rows of one record must carry the same group name.
- A repeating row's data access group may be empty (it then takes its record's).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from itpcohort.errors import InputError, Problem, cut, shown
from itpcohort.io.csv_reader import (
    LINE,
    ROW_ERROR,
    ROW_ERROR_COLUMN,
    ROW_ERROR_VALUE,
    CsvText,
    column_key,
    open_csv_text,
)
from itpcohort.io.headers import identifier_problem, normalise_column_name
from itpcohort.schema import TABLES, TABLES_BY_NAME
from itpcohort.shared.redcap_names import (
    PATIENTS_INSTRUMENT,
    RECORD_LEVEL_COLUMNS,
    REDCAP_RECORD_COLUMNS,
    field_name,
    redcap_columns,
)

RECORD, INSTRUMENT, INSTANCE = REDCAP_RECORD_COLUMNS
DAG = "redcap_data_access_group"
COMPLETE_SUFFIX = "_complete"
#: REDCap's own columns start with this (never a field of the dictionary)
REDCAP_PREFIX = "redcap_"
#: every repeating instrument of the dictionary, in data-model order
REPEATING = tuple(t.name for t in TABLES if t.name != PATIENTS_INSTRUMENT)
#: REDCap field name -> (table, column), from the dictionary
FIELDS: dict[str, tuple[str, str]] = {
    field_name(t.name, c.name): (t.name, c.name) for t in TABLES for c in redcap_columns(t)
}
_BATCH_ROWS = 65_536
_HEADER_BYTES = 1 << 20


def read_header(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> list[str]:
    """The first non-empty record of a CSV file (cells as written), or ``[]``."""
    with path.open("rb") as handle:
        raw = handle.read(_HEADER_BYTES)
    text = raw.decode(encoding, errors="replace").lstrip("\ufeff")
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(cell.strip() for cell in record):
                return record
    except csv.Error:
        return []
    return []


@dataclass(frozen=True)
class ExportLayout:
    """An export's header matched to the dictionary."""

    written: tuple[str, ...]  # every header cell as written (trimmed)
    position: dict[str, int]  # normalised name -> its first position
    tables: tuple[str, ...]  # tables with at least one field in the header, data-model order
    ignored: tuple[str, ...]  # unknown columns, as written
    system: tuple[str, ...]  # REDCap's own columns that are not read (redcap_event_name ...)
    twice: tuple[str, ...]  # names found twice

    def field_positions(self, table: str) -> list[int]:
        """Header positions of the fields of ``table`` present, in header order."""
        return sorted(
            i for name, i in self.position.items() if FIELDS.get(name, ("", ""))[0] == table
        )


def export_layout(header: list[str]) -> ExportLayout:
    """Match ``header`` to the dictionary: which tables it holds, which columns it ignores."""
    names = tuple(normalise_column_name(cell) for cell in header)
    written = tuple(cell.replace("\ufeff", "").strip() for cell in header)
    position: dict[str, int] = {}
    twice: list[str] = []
    ignored: list[str] = []
    system: list[str] = []
    instruments = {PATIENTS_INSTRUMENT, *REPEATING}
    for index, name in enumerate(names):
        if not name:
            continue
        if name in position:
            twice.append(name)
            continue
        position[name] = index
        read = name in (*REDCAP_RECORD_COLUMNS, DAG) or name in FIELDS
        complete = name.endswith(COMPLETE_SUFFIX) and name[: -len(COMPLETE_SUFFIX)] in instruments
        if read or complete:
            continue
        (system if name.startswith(REDCAP_PREFIX) else ignored).append(written[index])
    present = {FIELDS[name][0] for name in position if name in FIELDS}
    tables = tuple(t.name for t in TABLES if t.name in present)
    return ExportLayout(written, position, tables, tuple(ignored), tuple(system), tuple(twice))


def redcap_export_tables(
    path: Path, encoding: str = "utf-8", delimiter: str = ","
) -> tuple[str, ...] | None:
    """The tables a REDCap export holds (those with a field in its header); None when ``path`` is
    not a REDCap export (its header: ``record_id`` first and a ``redcap_repeat_instrument``
    column)."""
    header = read_header(path, encoding, delimiter)
    names = [normalise_column_name(cell) for cell in header]
    if not names or names[0] != RECORD or INSTRUMENT not in names:
        return None
    return export_layout(header).tables


@dataclass
class RedcapTableText:
    """The rows of one table of a REDCap export, read like a CSV file (``store.intake.TextFile``).

    ``header`` holds the table's columns present (``patient_id`` and ``center`` always, from the
    record).
    """

    header: list[str]
    sha256: str
    size: int
    rows: pa.Table  # __line, __row_error, __row_error_column, __row_error_value, c<i> per column
    shown_columns: dict[str, str] = field(default_factory=dict)

    def batches(self, keep: list[int]) -> Iterator[pa.RecordBatch]:
        """Rows as batches holding the columns of header position ``keep``, in line order."""
        names = [LINE, ROW_ERROR, ROW_ERROR_COLUMN, ROW_ERROR_VALUE] + [column_key(i) for i in keep]
        yield from self.rows.select(names).to_batches(max_chunksize=_BATCH_ROWS)


@dataclass
class RedcapExport:
    """A REDCap export split into the text rows of each table it holds, and what it ignored."""

    tables: dict[str, RedcapTableText]
    notes: tuple[str, ...] = ()


def _problem(text: CsvText, column: str | None, reason: str) -> Problem:
    return Problem(text.display, None, column, None, reason, relative_file=text.relative)


def _header_problems(text: CsvText, layout: ExportLayout) -> list[Problem]:
    """File-level problems: a column twice, a required instrument, field or the instance column
    missing."""
    problems = [
        _problem(text, name, f"column {shown(name)} appears twice in the header")
        for name in layout.twice
    ]
    for cell in layout.ignored:
        refused = identifier_problem(cell, text.display, text.relative)
        if refused is not None:
            problems.append(refused)
    for table in TABLES:
        if table.required and table.name not in layout.tables:
            fields = ", ".join(field_name(table.name, c.name) for c in redcap_columns(table))
            missing = f"none of its fields ({fields}) is in the header"
            problems.append(
                _problem(text, None, f"required instrument '{table.name}' missing: {missing}")
            )
    if INSTANCE not in layout.position:
        problems.append(
            _problem(text, INSTANCE, f"required column '{INSTANCE}' missing from the header")
        )
    for table_name in layout.tables:
        table = TABLES_BY_NAME[table_name]
        for column in table.required_columns:
            if table_name != PATIENTS_INSTRUMENT and column in RECORD_LEVEL_COLUMNS:
                continue
            name = field_name(table_name, column)
            if name in layout.position or (name == "center" and DAG in layout.position):
                continue
            also = f" (nor a {DAG} column)" if name == "center" else ""
            reason = f"required field '{name}' of instrument '{table_name}' missing from the header"
            problems.append(_problem(text, name, reason + also))
    return problems


def _read_all(text: CsvText) -> pa.Table:
    """Every record of the export, every column as text, with its line and row error."""
    keep = list(range(len(text.header)))
    batches = list(text.batches(keep))
    schema = pa.schema(
        [pa.field(LINE, pa.int64()), pa.field(ROW_ERROR, pa.string())]
        + [pa.field(column_key(i), pa.string()) for i in keep]
    )
    return pa.Table.from_batches(batches, schema=schema)


def _stripped(data: pa.Table, layout: ExportLayout, name: str) -> list[str]:
    if name not in layout.position:
        return [""] * data.num_rows
    column = pc.utf8_trim_whitespace(data.column(column_key(layout.position[name])))
    return [v or "" for v in column.to_pylist()]


def _first_filled(data: pa.Table, positions: list[int]) -> list[int | None]:
    """Per row, the header position of the first non-empty cell among ``positions`` (or None)."""
    first = pa.nulls(data.num_rows, pa.int64())
    for index in reversed(positions):
        cells = pc.utf8_trim_whitespace(data.column(column_key(index)))
        filled = pc.greater(pc.utf8_length(cells), 0)
        first = pc.if_else(filled, pa.scalar(index, pa.int64()), first)
    return first.to_pylist()


def _instance_number(value: str) -> int | None:
    """A repeat instance as a whole number >= 1 (None for anything else)."""
    return int(value) if value.isdigit() and value.isascii() and int(value) >= 1 else None


@dataclass
class _RowError:
    column: str | None
    value: str | None
    reason: str


@dataclass
class _TableRows:
    """What the split gives one table: export rows, their errors, the record-level cells."""

    indexes: list[int] = field(default_factory=list)
    errors: list[_RowError | None] = field(default_factory=list)
    patient_id: list[str] = field(default_factory=list)
    center: list[str] = field(default_factory=list)
    blank: list[bool] = field(default_factory=list)  # cells left out (not a row of this table)


class _Split:
    """Route each export row to its table and check the record structure (module docstring)."""

    def __init__(self, text: CsvText, layout: ExportLayout, data: pa.Table) -> None:
        self.text, self.layout, self.data = text, layout, data
        n = data.num_rows
        self.lines: list[int] = data.column(LINE).to_pylist()
        self.ragged: list[str | None] = data.column(ROW_ERROR).to_pylist()
        self.record = _stripped(data, layout, RECORD)
        self.instrument_given = _stripped(data, layout, INSTRUMENT)
        self.instrument = [v.lower() for v in self.instrument_given]
        self.instance = _stripped(data, layout, INSTANCE)
        self.dag = _stripped(data, layout, DAG)
        self.patient_id = _stripped(data, layout, "patient_id")
        self.center = _stripped(data, layout, "center")
        self.filled = {t: _first_filled(data, layout.field_positions(t)) for t in layout.tables}
        self.repeating = tuple(t for t in layout.tables if t != PATIENTS_INSTRUMENT)
        self.rows_of: dict[str, list[int]] = defaultdict(list)
        self.patients_of: dict[str, list[int]] = defaultdict(list)
        for i in range(n):
            if self.record[i]:
                self.rows_of[self.record[i]].append(i)
                if not self.instrument[i]:
                    self.patients_of[self.record[i]].append(i)
        self.codes = {self.patient_id[i] for rows in self.patients_of.values() for i in rows}
        self.groups = {record: self._find_group(record) for record in self.rows_of}
        self.patients = {record: self._record_patient(record) for record in set(self.record)}
        self.numbers = [_instance_number(value) for value in self.instance]
        self.row_keys = [self._key(i) for i in range(n)]
        self.keys: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for i, key in enumerate(self.row_keys):
            if key is not None:
                self.keys[key].append(i)

    # --- what a record says about itself ---------------------------------------------------------

    def _key(self, i: int) -> tuple[str, str, str] | None:
        """(record, instrument, instance) of a well-formed row, for the duplicate check."""
        record, instrument = self.record[i], self.instrument[i]
        if not record or self.ragged[i] is not None:
            return None
        if not instrument:
            return (record, "", "") if not self.instance[i] else None
        number = self.numbers[i]
        if instrument not in self.repeating or number is None:
            return None
        return (record, instrument, str(number))

    def _find_group(self, record: str) -> tuple[str, int] | None:
        """The record's data access group and the row giving it: its patients row's, else its
        first row's that has one."""
        for rows in (self.patients_of.get(record, []), self.rows_of[record]):
            for i in rows:
                if self.dag[i]:
                    return self.dag[i], i
        return None

    def record_center(self, i: int) -> str:
        """The center of the patients row ``i``: its ``center``, else its record's group."""
        if self.center[i]:
            return self.center[i]
        group = self.groups.get(self.record[i])
        return group[0] if group else ""

    def _record_patient(self, record: str) -> tuple[str, str]:
        """(patient_id, center) of the repeating rows of ``record``: those of its first patients
        row, or a code that names no patient when the record has no usable patients row."""
        rows = self.patients_of.get(record, [])
        if rows:
            first = rows[0]
            code, center = self.patient_id[first], self.record_center(first)
            if code and center:
                return code, center
        marker = f"record {record}"
        while marker in self.codes:  # never the code of a real patient of this export
            marker = f"REDCap {marker}"
        return marker, ""

    # --- row rules ---------------------------------------------------------------------------------

    def _stray(self, i: int, table: str) -> _RowError | None:
        """A filled field of another instrument than the row's."""
        found = [
            (index, other)
            for other, first in self.filled.items()
            if other != table and (index := first[i]) is not None
        ]
        if not found:
            return None
        index, other = min(found)
        if table == PATIENTS_INSTRUMENT:
            reason = (
                f"field of the repeating instrument '{other}' filled on a patients row "
                f"(its {INSTRUMENT} is empty): a row holds the fields of its own instrument only"
            )
        else:
            reason = (
                f"field of the instrument '{other}' filled on a row of '{table}': a row holds "
                "the fields of its own instrument only"
            )
        value = self.data.column(column_key(index))[i].as_py()
        return _RowError(self.layout.written[index], str(value or "").strip(), reason)

    def _duplicate(self, i: int) -> _RowError | None:
        key = self.row_keys[i]
        if key is None or len(self.keys[key]) < 2:
            return None
        others = ", ".join(f"{self.text.display}:{self.lines[j]}" for j in self.keys[key] if j != i)
        record, instrument, number = key
        if not instrument:
            return _RowError(
                RECORD,
                record,
                f"duplicate record {shown(record)}: another patients row at {others}",
            )
        return _RowError(
            INSTANCE,
            number,
            f"duplicate instance: record {shown(record)} has {instrument} instance {number} "
            f"also at {others}",
        )

    def _group(self, i: int) -> _RowError | None:
        group = self.groups.get(self.record[i])
        if group is None:
            return None
        name, giver = group
        if self.dag[i] and self.dag[i] != name:
            return _RowError(
                DAG,
                self.dag[i],
                f"data access group {shown(self.dag[i])} differs from the group of record "
                f"{shown(self.record[i])} ({shown(name)}, line {self.lines[giver]}): the rows of a "
                "record are in one group",
            )
        if not self.instrument[i] and self.center[i] and self.center[i].lower() != name.lower():
            return _RowError(
                DAG,
                name,
                f"data access group {shown(name)} disagrees with the record's center "
                f"{shown(self.center[i])} (leave center empty to take the group's)",
            )
        return None

    def row_error(self, i: int, table: str | None) -> _RowError | None:
        """Why row ``i`` (of ``table``; None: an unknown instrument) breaks the record structure."""
        if self.ragged[i] is not None:
            return _RowError(None, None, self.ragged[i] or "")
        if not self.record[i]:
            return _RowError(
                RECORD, None, "required value missing: every row of an export names its record"
            )
        instrument = self.instrument[i]
        if table is None:
            return self._unknown_instrument(i)
        if table == PATIENTS_INSTRUMENT and self.instance[i]:
            return _RowError(
                INSTANCE,
                self.instance[i],
                f"instance number on a row without {INSTRUMENT}: patients does not repeat "
                "(repeating events are not read)",
            )
        if table != PATIENTS_INSTRUMENT and not self.instance[i]:
            return _RowError(
                INSTANCE,
                None,
                f"required value missing: a row of the repeating instrument '{instrument}' "
                "needs its instance number",
            )
        if table != PATIENTS_INSTRUMENT and self.numbers[i] is None:
            return _RowError(
                INSTANCE,
                self.instance[i],
                f"{shown(self.instance[i])} is not a whole number >= 1 (the instance number)",
            )
        return self._duplicate(i) or self._stray(i, table) or self._group(i)

    def _unknown_instrument(self, i: int) -> _RowError:
        instrument = self.instrument_given[i]
        if instrument.lower() in REPEATING:
            reason = f"instrument {shown(instrument)} has none of its fields in the header"
        else:
            allowed = ", ".join(self.repeating)
            reason = (
                f"unknown instrument {shown(instrument)}; allowed: {allowed} "
                "(empty for the patients row)"
            )
        return _RowError(INSTRUMENT, instrument, reason)

    def split(self) -> dict[str, _TableRows]:
        """Every row routed to its table, with its error and record-level cells."""
        out = {t: _TableRows() for t in self.layout.tables}
        for i in range(self.data.num_rows):
            instrument = self.instrument[i]
            table = instrument if instrument in self.repeating else None
            if not instrument:
                table = PATIENTS_INSTRUMENT
                code, center = self.patient_id[i], self.record_center(i)
            elif table is None:
                code, center = "", ""
            else:
                code, center = self.patients[self.record[i]]
            rows = out[table or PATIENTS_INSTRUMENT]
            rows.indexes.append(i)
            rows.errors.append(self.row_error(i, table))
            rows.blank.append(table is None)
            rows.patient_id.append(code)
            rows.center.append(center)
        return out


def _table_text(
    text: CsvText, layout: ExportLayout, data: pa.Table, table_name: str, rows: _TableRows
) -> RedcapTableText:
    """The rows of one table as text columns named after the table's columns."""
    table = TABLES_BY_NAME[table_name]
    patients = table_name == PATIENTS_INSTRUMENT
    position = layout.position
    header: list[str] = []
    arrays: list[pa.Array] = []
    shown: dict[str, str] = {}
    indexes = pa.array(rows.indexes, pa.int64())
    blank = pa.array(rows.blank, pa.bool_())
    for column in table.columns:
        name = field_name(table_name, column.name)
        if column.name == "patient_id" or (column.name == "center" and not patients):
            values = rows.patient_id if column.name == "patient_id" else rows.center
            array = pa.array(values, pa.string())
            if not patients:
                shown[column.name] = RECORD if column.name == "patient_id" else DAG
        elif patients and column.name == "center" and (name in position or DAG in position):
            array = pa.array(rows.center, pa.string())
        elif name in position:
            taken = data.column(column_key(position[name])).take(indexes)
            array = pc.if_else(blank, "", taken) if patients else taken
            if not patients:
                shown[column.name] = layout.written[position[name]]
        else:
            continue
        header.append(column.name)
        arrays.append(array)
    fixed = [data.column(LINE).take(indexes)] + [
        pa.array([getattr(e, part) if e else None for e in rows.errors], pa.string())
        for part in ("reason", "column", "value")
    ]
    names = [LINE, ROW_ERROR, ROW_ERROR_COLUMN, ROW_ERROR_VALUE]
    names += [column_key(i) for i in range(len(arrays))]
    return RedcapTableText(
        header=header,
        sha256=text.sha256,
        size=text.size,
        rows=pa.Table.from_arrays(fixed + arrays, names=names),
        shown_columns=shown,
    )


def open_redcap_export(
    path: Path, display: str, relative: str, *, encoding: str = "utf-8", delimiter: str = ","
) -> RedcapExport:
    """Read the REDCap export ``path`` and split it into the text rows of each table it holds.

    Raises InputError for problems of the whole file (unreadable, a column twice, a column that
    looks like a direct identifier, a required instrument, field or the instance column missing);
    a row breaking the record structure is rejected with its line and the export's column (module
    docstring). Unknown columns and REDCap's own columns not read are listed in ``notes``.
    """
    text = open_csv_text(path, display, relative, encoding=encoding, delimiter=delimiter)
    layout = export_layout(text.header)
    problems = _header_problems(text, layout)
    if problems:
        raise InputError(f"{display}: the REDCap export is refused", tuple(problems))
    data = _read_all(text)
    split = _Split(text, layout, data).split()
    ignored = layout.ignored + layout.system
    listed = ", ".join(cut(name) for name in ignored)
    notes = (f"{display}: column(s) ignored: {listed}",) if ignored else ()
    return RedcapExport(
        {name: _table_text(text, layout, data, name, split[name]) for name in layout.tables},
        notes,
    )
