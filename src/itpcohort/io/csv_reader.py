"""Read one CSV file as text, with the line number where each record starts (header = 1).

Nothing is cast here: every cell stays the text it was, so validation can show it back. The file is
scanned once (SHA-256 for the run registry, encoding check: UTF-8 with or without BOM by default, or
the source's declared encoding, line ends and quotes: at once, or when first needed, by the thread
that copies the file while the store checks the one before) and its header read. The store then reads the
records with DuckDB's CSV reader wherever ``CsvText.line_reader_ok`` says it may, and counts that it
found one record per line (``store/intake.py``); everything else is read here, by Python's ``csv``
module, whose ``line_num`` gives the physical line (``CsvText.batches``): line breaks inside quoted
fields, lone carriage returns, blank lines, declared encodings other than UTF-8, a space before a
quote. Rows with the wrong number of fields are kept and marked so validation rejects them with
their line (``architecture.md``: nothing dropped, line numbers).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from itpcohort.errors import InputError, Problem

LINE = "__line"
ROW_ERROR = "__row_error"
#: optional batch columns: the column a row error is about and its value, for readers that know
#: them (a REDCap export names the export column of a misplaced field); absent means NULL
ROW_ERROR_COLUMN = "__row_error_column"
ROW_ERROR_VALUE = "__row_error_value"
_CHUNK = 1 << 24
_BATCH_ROWS = 65_536
#: the longest cell read (the csv module's default, 128 KiB, would refuse a long free text)
_FIELD_BYTES = (1 << 31) - 1


def column_key(index: int) -> str:
    """Name of the ``index``-th input column in the record batches (names may repeat in files)."""
    return f"c{index}"


@dataclass
class _Scan:
    sha256: str
    last_content_line: int  # the last line holding content (trailing blank lines excluded)
    has_lone_cr: bool
    #: a space before a quote that may open or follow a quoted field (``1, "x"``, ``"a" "b"``):
    #: DuckDB drops it, the csv module keeps it; a quote inside quoted text (``"as ""x"""``) is fine
    has_space_quote: bool
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
    return InputError.of(problem)


def _line_counts(newlines: int, tail: bytes, carriage_returns: int, crlf: int) -> tuple[int, bool]:
    """The last line holding content (trailing blank lines excluded), and whether a lone CR exists."""
    run = len(tail) - len(tail.rstrip(b"\r\n"))
    trailing_newlines = tail[len(tail) - run :].count(b"\n") if run else 0
    last = newlines + 1 if trailing_newlines == 0 else newlines - trailing_newlines + 1
    return last, carriage_returns != crlf


def _scan(path: Path, display: str, relative: str, encoding: str, delimiter: str) -> _Scan:
    """Hash the file and check its encoding, line ends and quotes in one pass.

    Blank lines and line breaks inside quotes are not searched here: DuckDB's reader finds fewer
    records than ``last_content_line`` counts lines, and the store reads the file here instead.
    """
    digest = hashlib.sha256()
    size = 0
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    decoder = codecs.getincrementaldecoder("utf-8")() if utf8 else None
    newlines = carriage_returns = crlf = 0
    has_space_quote = False
    space_quote = re.compile(b'[\r\n"' + re.escape(delimiter.encode()) + b'] +"')
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
            if not has_space_quote and b'"' in chunk:  # from the last byte before spaces
                start = len(previous.rstrip(b" ")) - 1
                carried = previous[start:] if start >= 0 else b"\n" + previous
                has_space_quote = space_quote.search(carried + chunk) is not None
            size += len(chunk)
            previous = chunk
            tail = (tail + chunk[-4096:])[-4096:]
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
    last_content_line, has_lone_cr = _line_counts(newlines, tail, carriage_returns, crlf)
    return _Scan(digest.hexdigest(), last_content_line, has_lone_cr, has_space_quote, decoded)


@dataclass
class CsvText:
    """A CSV file opened for reading as text: its header, dialect and its scan.

    The scan (``_scan``: hash, encoding, line ends, quotes) may be left until it is first needed
    (``open_csv_text``'s ``scan_later``), for a thread that copies the file (``store/loading.py``)
    to run it; ``scanned`` gives what it found and raises its InputError for a file that cannot
    be read.
    ``line_reader_ok``: a reader that numbers records by line (DuckDB's, in ``store/intake.py``)
    may read the file, provided it finds one record per content line (``last_content_line`` minus
    the header's); otherwise ``batches`` reads it exactly.
    """

    path: Path
    display: str
    relative: str
    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    size: int
    #: whether the header is a record of one line (and the first line)
    header_single_line: bool
    #: the scan once run, or the problem it found (``scanned``)
    scan: _Scan | InputError | None = None
    #: table column -> the name problems show for it (empty: the table column's own name)
    shown_columns: dict[str, str] = field(default_factory=dict)

    def scanned(self) -> _Scan:
        """The scan, run on first need (by one thread at a time); raises its InputError."""
        if self.scan is None:
            try:
                self.scan = _scan(
                    self.path, self.display, self.relative, self.encoding, self.delimiter
                )
            except InputError as error:
                self.scan = error
        if isinstance(self.scan, InputError):
            raise self.scan
        return self.scan

    @property
    def sha256(self) -> str:
        """The file's SHA-256 (hex)."""
        return self.scanned().sha256

    @property
    def last_content_line(self) -> int:
        """The last line holding content (trailing blank lines excluded)."""
        return self.scanned().last_content_line

    @property
    def line_reader_ok(self) -> bool:
        """Whether a reader that numbers records by line may read the file (class docstring)."""
        scan = self.scanned()
        return (
            scan.decoded is None
            and self.header_single_line
            and not scan.has_lone_cr
            and not scan.has_space_quote
        )

    def unreadable(self) -> tuple[Problem, ...]:
        """The problems of a file its scan found unreadable (waiting for the scan), else none."""
        try:
            self.scanned()
        except InputError as error:
            return error.problems
        return ()

    def _open_binary(self) -> Any:
        if (decoded := self.scanned().decoded) is not None:
            return io.BytesIO(decoded)
        return self.path.open("rb")

    def batches(self, keep: list[int]) -> Iterator[pa.RecordBatch]:
        """Records as Arrow batches: ``__line`` (int64, the line where the record starts),
        ``__row_error`` (text when the record has the wrong number of fields) and the columns of
        header index ``keep``, named ``c<i>``; records with no content at all are skipped."""
        fields = [pa.field(LINE, pa.int64()), pa.field(ROW_ERROR, pa.string())]
        schema = pa.schema(fields + [pa.field(column_key(i), pa.string()) for i in keep])
        width = len(self.header)
        csv.field_size_limit(max(csv.field_size_limit(), _FIELD_BYTES))
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
                if len(lines) >= _BATCH_ROWS:
                    yield _batch(schema, lines, errors, columns)
                    lines, errors, columns = [], [], [[] for _ in keep]
        except csv.Error as error:
            raise InputError.of(
                Problem(
                    self.display,
                    previous_end + 1,
                    None,
                    None,
                    f"cannot be read as CSV: {error}",
                    relative_file=self.relative,
                )
            ) from None
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
        raise InputError.of(
            Problem(
                display, 1, None, None, f"cannot be read as CSV: {error}", relative_file=relative
            )
        ) from None
    raise InputError.of(Problem.of_file(display, "empty file: no header row", relative))


def open_csv_text(
    path: Path,
    display: str,
    relative: str,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    scan_later: bool = False,
) -> CsvText:
    """Open ``path`` and read its header; raises InputError for an unreadable or empty file.

    The file is scanned (``_scan``) here, or, with ``scan_later`` and a UTF-8 file (another
    encoding is decoded by the scan before its header can be read), when its scan is first
    needed. A file whose header cannot be read is scanned first: an encoding it cannot be read in
    is its problem.
    """
    scan = None
    if not (scan_later and codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")):
        scan = _scan(path, display, relative, encoding, delimiter)
    try:
        decoded = scan.decoded if scan else None
        header, header_line, single_line = _read_header(path, decoded, delimiter, display, relative)
    except InputError:
        if scan is None:  # the encoding's problem first, if it has one
            _scan(path, display, relative, encoding, delimiter)
        raise
    return CsvText(
        path=path,
        display=display,
        relative=relative,
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        header_line=header_line,
        size=path.stat().st_size,
        header_single_line=single_line,
        scan=scan,
    )
