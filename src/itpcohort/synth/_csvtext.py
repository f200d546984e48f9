"""Stream text columns to a CSV file, a chunk at a time, with whole-array string kernels.

Cells are written as they are (no quotes) unless they hold the delimiter, a quote or a line break;
then they are quoted the RFC 4180 way. A chunk becomes one byte buffer (rows joined in C++ by
pyarrow) and is appended to the file, so memory stays bounded whatever the number of rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def quote_where_needed(cells: pa.Array, delimiter: str) -> pa.Array:
    """Quote the cells holding the delimiter, a quote or a line break (RFC 4180)."""
    needs = pc.match_substring_regex(cells, f'["\\r\\n]|{re.escape(delimiter)}')
    if not pc.any(needs).as_py():
        return cells
    escaped = pc.replace_substring(cells, '"', '""')
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.if_else(needs, quoted, cells)


def join_rows(columns: list[pa.Array], delimiter: str, eol: str) -> memoryview:
    """The rows of ``columns`` as CSV text (cells already quoted), one line per row."""
    lines = pc.binary_join_element_wise(
        *columns, delimiter, null_handling="replace", null_replacement=""
    )
    lines = pc.binary_join_element_wise(lines, "", eol)
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if len(lines) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
    data = lines.buffers()[2]
    assert data is not None
    return memoryview(data)[first:last]


class CsvFile:
    """One output CSV file: header written on open, then chunks of rows appended in order.

    ``rows`` counts the data rows written so far, so the next row's line number (header = 1)
    is ``rows + 2``.
    """

    def __init__(
        self, path: Path, header: list[str], delimiter: str, eol: str, quoted: frozenset[str]
    ) -> None:
        self.path = path
        self.header = header
        self.delimiter = delimiter
        self.eol = eol
        self.quoted = quoted
        self.rows = 0
        self._file: BinaryIO = path.open("wb")
        self._file.write((delimiter.join(header) + eol).encode("utf-8"))

    def write(self, columns: dict[str, pa.Array], also_quote: frozenset[str] = frozenset()) -> None:
        """Append the rows of ``columns`` (every header column must be present)."""
        cells = [
            quote_where_needed(columns[name], self.delimiter)
            if name in self.quoted or name in also_quote
            else columns[name]
            for name in self.header
        ]
        n = len(cells[0]) if cells else 0
        if n:
            self._file.write(join_rows(cells, self.delimiter, self.eol))
        self.rows += n

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
