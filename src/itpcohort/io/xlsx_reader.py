"""Read the sheets of an ``.xlsx`` workbook as text, with each row's sheet row number (header = 1).

One sheet per table, named like the table (``data-model.md``). Cells become the text a CSV would
hold: native Excel dates become ISO ``YYYY-MM-DD`` (their time of day, if any, is dropped: the data
model has dates only), whole numbers lose their ``.0``, booleans become ``true``/``false``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from itpcohort.errors import InputError, Problem, shown
from itpcohort.io.csv_reader import LINE, ROW_ERROR, column_key

_BATCH_ROWS = 65_536


def _unreadable(path: Path, error: Exception | str) -> InputError:
    if isinstance(error, str):
        detail = error
    else:
        kind = type(error).__name__
        if kind == "error":  # zlib.error, struct.error: the module says what failed
            kind = f"{type(error).__module__}.{kind}"
        detail = f"{kind}: {error}"
    problem = Problem(str(path), None, None, None, f"not a readable .xlsx workbook ({detail})")
    return InputError.of(problem)


def _open(path: Path) -> Any:
    """The workbook ``path`` opened read-only; InputError naming the file when it is damaged.

    A damaged workbook fails in many ways inside openpyxl (``BadZipFile`` for a truncated file,
    ``zlib.error`` for a corrupted part, ``XMLSyntaxError`` or ``ParseError`` for bad XML,
    ``KeyError`` for a missing part...): each is one problem of the file, never a traceback. A
    sheet listed by the workbook whose part is missing (which openpyxl skips without a word) is
    one too, rather than a "missing table" later.
    """
    from openpyxl.reader.excel import ExcelReader

    try:
        reader = ExcelReader(path, read_only=True, data_only=True)
        reader.read()
        missing = [
            sheet.name
            for sheet, rel in reader.parser.find_sheets()
            if rel.target not in reader.valid_files
        ]
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook
        raise _unreadable(path, error) from None
    if missing:
        reader.wb.close()
        raise _unreadable(path, f"the content of sheet {shown(missing[0])} is missing")
    return reader.wb


def sheet_names(path: Path) -> list[str]:
    """The sheet names of the workbook ``path`` (InputError when it cannot be opened)."""
    workbook = _open(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """The text of one cell value as a CSV would hold it (Excel dates as ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (for the run registry)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class SheetText:
    """One sheet opened for reading as text: its header and its rows as Arrow batches.

    Same batch layout as ``CsvText``: ``__line`` (sheet row number), ``__row_error`` (always
    null: a sheet cannot have a ragged row) and ``c0``, ``c1``... per header column.
    """

    path: Path
    sheet: str
    header: list[str]
    header_line: int
    sha256: str
    size: int
    #: table column -> the name problems show for it (empty: the table column's own name)
    shown_columns: dict[str, str] = field(default_factory=dict)

    def batches(self, keep: list[int]) -> Iterator[pa.RecordBatch]:
        """Rows after the header as batches holding the columns of index ``keep``."""
        fields = [pa.field(LINE, pa.int64()), pa.field(ROW_ERROR, pa.string())]
        fields += [pa.field(column_key(i), pa.string()) for i in keep]
        schema = pa.schema(fields)
        lines: list[int] = []
        columns: list[list[str]] = [[] for _ in keep]
        workbook = _open(self.path)
        try:
            for number, row in _numbered_rows(workbook[self.sheet]):
                if number <= self.header_line:
                    continue
                texts = [cell_text(v) for v in row]
                if not any(t.strip() for t in texts):
                    continue
                lines.append(number)
                for slot, index in enumerate(keep):
                    columns[slot].append(texts[index] if index < len(texts) else "")
                if len(lines) >= _BATCH_ROWS:
                    yield _batch(schema, lines, columns)
                    lines, columns = [], [[] for _ in keep]
        except Exception as error:  # openpyxl raises many kinds on a damaged sheet
            raise _unreadable(self.path, error) from None
        finally:
            workbook.close()
        if lines:
            yield _batch(schema, lines, columns)


def _batch(schema: pa.Schema, lines: list[int], columns: list[list[str]]) -> pa.RecordBatch:
    arrays = [pa.array(lines, pa.int64()), pa.nulls(len(lines), pa.string())]
    arrays += [pa.array(values, pa.string()) for values in columns]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _numbered_rows(sheet: Any) -> Iterator[tuple[int, list[object]]]:
    """Each row with its sheet row number (empty rows are yielded by openpyxl as EmptyCells).

    Every row and cell of the sheet's XML is read: the ``<dimension>`` a workbook declares is not
    trusted (read-only openpyxl stops at it, and a writer may understate it: a row below it would
    be lost without a word).
    """
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    number = 0
    for row in sheet.iter_rows():
        real = next((c.row for c in row if getattr(c, "row", None) is not None), None)
        number = real if real is not None else number + 1
        yield number, [c.value for c in row]


def open_sheet_text(path: Path, sheet: str, display: str, relative: str) -> SheetText:
    """Open one sheet and read its header (the first non-empty row); InputError when empty."""
    workbook = _open(path)
    try:
        for number, row in _numbered_rows(workbook[sheet]):
            texts = [cell_text(v) for v in row]
            if any(t.strip() for t in texts):
                while texts and not texts[-1].strip():
                    texts.pop()
                sha256, size = file_sha256(path), path.stat().st_size
                return SheetText(path, sheet, texts, number, sha256, size)
    except Exception as error:  # openpyxl raises many kinds on a damaged sheet
        raise _unreadable(path, error) from None
    finally:
        workbook.close()
    raise InputError.of(Problem.of_file(display, "empty sheet: no header row", relative))
