"""Read one CSV file as text, with the line number where each record starts (header = line 1).

Nothing is cast here: every cell stays the text it was, so validation can show it back. The fast
path streams Arrow record batches from ``pyarrow.csv`` (quoted fields may hold newlines) and computes
line numbers vectorised: record ordinal + the newlines held inside earlier records' values. Files
that pyarrow would mis-number or refuse (blank lines, lone carriage returns, rows with the wrong
number of fields, a header spanning lines) are read instead by Python's ``csv`` module, whose
``line_num`` gives the physical line; rows with the wrong number of fields are kept and marked so
validation rejects them with their line.

The file is scanned once first: SHA-256 (for the run registry), encoding check (UTF-8 with or
without BOM by default, or the source's declared encoding), blank lines and quotes.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from itpcohort.errors import InputError, Problem

LINE = "__line"
ROW_ERROR = "__row_error"
#: optional batch columns: the column a row error is about and its value, for readers that know
#: them (a REDCap export names the export column of a misplaced field); absent means NULL
ROW_ERROR_COLUMN = "__row_error_column"
ROW_ERROR_VALUE = "__row_error_value"
_CHUNK = 1 << 24
#: bytes pyarrow parses per record batch
BLOCK_BYTES = 1 << 24
_SLOW_BATCH_ROWS = 65_536


def column_key(index: int) -> str:
    """Name of the ``index``-th input column in the record batches (names may repeat in files)."""
    return f"c{index}"


@dataclass
class _Scan:
    sha256: str
    size: int
    last_content_line: int  # the last line holding content (trailing blank lines excluded)
    has_lone_cr: bool
    has_quote: bool
    decoded: bytes | None  # UTF-8 bytes when the file had another declared encoding


def _line_of_offset(path: Path, offset: int) -> int:
    line = 1
    with path.open("rb") as handle:
        remaining = offset
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                break
            line += chunk.count(b"\n")
            remaining -= len(chunk)
    return line


def _encoding_problem(
    display: str, relative: str, encoding: str, line: int, byte: int
) -> InputError:
    problem = Problem(
        display,
        line,
        None,
        f"0x{byte:02x}",
        f"cannot be read as {encoding} (byte 0x{byte:02x} on line {line}): declare the file's "
        'encoding for this source in study.toml ([sources.KEY] encoding = "latin-1", for example)',
        relative_file=relative,
    )
    return InputError(str(problem), (problem,))


def _line_counts(newlines: int, tail: bytes, carriage_returns: int, crlf: int) -> tuple[int, bool]:
    """The last line holding content (trailing blank lines excluded), and whether a lone CR exists."""
    run = len(tail) - len(tail.rstrip(b"\r\n"))
    trailing_newlines = tail[len(tail) - run :].count(b"\n") if run else 0
    last = newlines + 1 if trailing_newlines == 0 else newlines - trailing_newlines + 1
    return last, carriage_returns != crlf


def _scan(path: Path, display: str, relative: str, encoding: str) -> _Scan:
    """Hash the file and check its encoding, line ends and quotes in one pass.

    Blank lines are not searched here (it would cost a pass): the fast reader skips them, so a
    file holding some ends on a line before ``last_content_line`` and is read again exactly.
    """
    digest = hashlib.sha256()
    size = 0
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    decoder = codecs.getincrementaldecoder("utf-8")() if utf8 else None
    newlines = carriage_returns = crlf = 0
    has_quote = False
    previous = b""
    tail = b""
    raw_parts: list[bytes] = []
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if decoder is not None:
                if not chunk.isascii() or decoder.getstate()[0]:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as error:
                        offset = size + error.start
                        raise _encoding_problem(
                            display,
                            relative,
                            "UTF-8",
                            _line_of_offset(path, offset),
                            chunk[error.start],
                        ) from None
            else:
                raw_parts.append(chunk)
            newlines += chunk.count(b"\n")
            if b"\r" in chunk:  # a search stops at the first; most files have none to count
                carriage_returns += chunk.count(b"\r")
                crlf += chunk.count(b"\r\n")
            crlf += previous.endswith(b"\r") and chunk.startswith(b"\n")
            has_quote = has_quote or b'"' in chunk
            size += len(chunk)
            previous = chunk
            tail = (tail + chunk)[-4096:]
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _encoding_problem(
                display, relative, "UTF-8", _line_of_offset(path, size - 1), tail[-1]
            ) from None
    decoded = None
    if not utf8:
        data = b"".join(raw_parts)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise _encoding_problem(display, relative, encoding, line, data[error.start]) from None
        decoded = text.lstrip("\ufeff").encode("utf-8")
        newlines, carriage_returns, crlf = (
            decoded.count(b"\n"),
            decoded.count(b"\r"),
            decoded.count(b"\r\n"),
        )
        tail = decoded[-4096:]
        has_quote = b'"' in decoded
    last_content_line, has_lone_cr = _line_counts(newlines, tail, carriage_returns, crlf)
    return _Scan(digest.hexdigest(), size, last_content_line, has_lone_cr, has_quote, decoded)


@dataclass
class CsvText:
    """A CSV file opened for reading as text: its header, and its records as Arrow batches.

    ``batches()`` yields batches with ``__line`` (int64, the line where the record starts),
    ``__row_error`` (text when the record has the wrong number of fields) and one text column per
    header column, named ``c0``, ``c1``... When the fast reader meets something it would mis-number
    it stops and sets ``fast_failed``; the caller discards what it got and reads ``batches(slow=True)``.
    """

    path: Path
    display: str
    relative: str
    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    sha256: str
    size: int
    fast_possible: bool
    has_quote: bool
    decoded: bytes | None
    last_content_line: int
    fast_failed: bool = field(default=False)
    #: table column -> the name problems show for it (empty: the table column's own name)
    shown_columns: dict[str, str] = field(default_factory=dict)

    def _open_binary(self) -> Any:
        if self.decoded is not None:
            return io.BytesIO(self.decoded)
        return self.path.open("rb")

    def batches(self, keep: list[int], slow: bool = False) -> Iterator[pa.RecordBatch]:
        """Records as batches holding the columns of index ``keep`` (plus line and row error)."""
        if slow or not self.fast_possible:
            yield from self._slow_batches(keep)
        else:
            yield from self._fast_batches(keep)

    def _schema(self, keep: list[int]) -> pa.Schema:
        fields = [pa.field(LINE, pa.int64()), pa.field(ROW_ERROR, pa.string())]
        fields += [pa.field(column_key(i), pa.string()) for i in keep]
        return pa.schema(fields)

    def _fast_batches(self, keep: list[int]) -> Iterator[pa.RecordBatch]:
        names = [column_key(i) for i in range(len(self.header))]
        wanted = names if self.has_quote else [column_key(i) for i in keep]
        invalid = False

        def on_invalid(row: object) -> str:
            nonlocal invalid
            invalid = True
            return "error"

        try:
            reader = pacsv.open_csv(
                self._open_binary(),
                read_options=pacsv.ReadOptions(
                    column_names=names, skip_rows=1, block_size=BLOCK_BYTES, use_threads=True
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    quote_char='"',
                    double_quote=True,
                    newlines_in_values=self.has_quote,
                    ignore_empty_lines=True,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in names},
                    include_columns=wanted,
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    check_utf8=False,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowException, OSError):
            self.fast_failed = True
            return
        schema = self._schema(keep)
        next_line = self.header_line + 1
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, pa.ArrowException, OSError):
                self.fast_failed = True
                return
            n = batch.num_rows
            if n == 0:
                continue
            ordinal = np.arange(n, dtype=np.int64)
            if self.has_quote:
                newlines = np.zeros(n, dtype=np.int64)
                for column in batch.columns:
                    newlines += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
                before = np.cumsum(newlines) - newlines
                lines = next_line + ordinal + before
                next_line = int(lines[-1] + newlines[-1] + 1)
            else:
                lines = next_line + ordinal
                next_line += n
            arrays = [pa.array(lines, pa.int64()), pa.nulls(n, pa.string())]
            arrays += [batch.column(column_key(i)) for i in keep]
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        # blank lines inside the file were skipped: the records then end before the last line
        if invalid or next_line - 1 != self.last_content_line:
            self.fast_failed = True

    def _slow_batches(self, keep: list[int]) -> Iterator[pa.RecordBatch]:
        schema = self._schema(keep)
        width = len(self.header)
        text = io.TextIOWrapper(self._open_binary(), encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=self.delimiter, quotechar='"', doublequote=True)
        lines: list[int] = []
        errors: list[str | None] = []
        columns: list[list[str]] = [[] for _ in keep]
        previous_end = 0
        header_seen = False
        try:
            for record in reader:
                start = previous_end + 1
                previous_end = reader.line_num
                if not record or not any(cell.strip() for cell in record):
                    continue  # a blank line, or spaces and delimiters only: no content, no row
                if not header_seen:
                    header_seen = True
                    continue
                lines.append(start)
                errors.append(
                    None
                    if len(record) == width
                    else f"row has {len(record)} field{'' if len(record) == 1 else 's'}; "
                    f"the header has {width}"
                )
                for slot, index in enumerate(keep):
                    columns[slot].append(record[index] if index < len(record) else "")
                if len(lines) >= _SLOW_BATCH_ROWS:
                    yield _batch(schema, lines, errors, columns)
                    lines, errors, columns = [], [], [[] for _ in keep]
        except csv.Error as error:
            problem = Problem(
                self.display,
                previous_end + 1,
                None,
                None,
                f"cannot be read as CSV: {error}",
                relative_file=self.relative,
            )
            raise InputError(str(problem), (problem,)) from None
        if lines:
            yield _batch(schema, lines, errors, columns)


def _batch(
    schema: pa.Schema, lines: list[int], errors: list[str | None], columns: list[list[str]]
) -> pa.RecordBatch:
    arrays = [pa.array(lines, pa.int64()), pa.array(errors, pa.string())]
    arrays += [pa.array(values, pa.string()) for values in columns]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _read_header(
    path: Path, decoded: bytes | None, delimiter: str, display: str, relative: str
) -> tuple[list[str], int, bool]:
    """The first non-empty record: its cells, its line, and whether it spans one line only."""
    if decoded is not None:
        raw = decoded
    else:
        with path.open("rb") as handle:
            raw = handle.read(1 << 20)
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    previous_end = 0
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if record and any(cell.strip() for cell in record):
                return record, start, start == 1 and previous_end == 1
    except csv.Error as error:
        problem = Problem(
            display, 1, None, None, f"cannot be read as CSV: {error}", relative_file=relative
        )
        raise InputError(str(problem), (problem,)) from None
    problem = Problem(
        display, None, None, None, "empty file: no header row", relative_file=relative
    )
    raise InputError(str(problem), (problem,))


def open_csv_text(
    path: Path, display: str, relative: str, *, encoding: str = "utf-8", delimiter: str = ","
) -> CsvText:
    """Scan ``path`` and read its header; raises InputError for an unreadable or empty file."""
    scan = _scan(path, display, relative, encoding)
    header, header_line, single_line = _read_header(
        path, scan.decoded, delimiter, display, relative
    )
    fast = single_line and not scan.has_lone_cr
    return CsvText(
        path=path,
        display=display,
        relative=relative,
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        header_line=header_line,
        sha256=scan.sha256,
        size=scan.size,
        fast_possible=fast,
        has_quote=scan.has_quote,
        decoded=scan.decoded,
        last_content_line=scan.last_content_line,
    )
