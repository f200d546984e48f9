"""CSV output safe to open in a spreadsheet (``architecture.md``, Privacy).

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) is written with a leading ``'`` so that it is shown as
text and never run as a formula. Numbers are written as numbers: a negative number such as ``-3.5``
is not text a spreadsheet would run, so it is left alone.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

#: the characters that make a spreadsheet read a cell as a formula (``architecture.md``, Privacy)
SPREADSHEET_FORMULA_STARTS = ("=", "+", "-", "@")
#: those, and a tab or carriage return some spreadsheets skip before reading a formula
FORMULA_STARTS = (*SPREADSHEET_FORMULA_STARTS, "\t", "\r")


def neutralise(value: object) -> str:
    """The text of one output cell, neutralised against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], texts: bool = False
) -> int:
    """Write ``header`` and ``rows`` to ``path`` (UTF-8, comma, LF, minimal quoting); return the
    row count. Each cell is ``neutralise``d, unless ``texts``: the rows already hold the
    neutralised texts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([neutralise(h) for h in header])
        for row in rows:
            writer.writerow(row if texts else [neutralise(v) for v in row])
            count += 1
    return count
