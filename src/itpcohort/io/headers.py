"""Map a file's header to the columns of its table (``data-model.md``, Conventions and Identifiers).

Column names are matched case-insensitively after trimming. A missing required column, a column
named twice, or a column whose name says it holds a direct identifier (name, surname, NIR, SSN,
address, phone, email, in English or French) is a problem of the whole file: the file is refused.
Other unknown columns are ignored and listed once as a note.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from itpcohort.errors import InputError, Problem
from itpcohort.schema import IDENTIFIER_WORDS, Table

_IDENTIFIER_WORDS = frozenset(
    unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in IDENTIFIER_WORDS
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def normalise_column_name(name: str) -> str:
    """A header cell as a column name: BOM and surrounding spaces removed, lower case."""
    return name.replace("\ufeff", "").strip().lower()


def identifier_word(name: str) -> str | None:
    """The identifier word that ``name`` contains as a separate word, or None.

    Words are separated by ``_`` (or any non-alphanumeric character, or a lower-to-upper case
    change as in ``firstName``); accents are folded, so ``prénom`` and ``Téléphone`` match.
    ``drug_detail`` or ``death_cause`` do not match: no word of theirs is an identifier word.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    folded = _CAMEL.sub("_", folded).lower()
    for word in _SEPARATORS.split(folded):
        if word in _IDENTIFIER_WORDS:
            return word
    return None


def identifier_problem(cell: str, display: str, relative: str) -> Problem | None:
    """The problem of a header cell whose name says it holds a direct identifier (or None)."""
    word = identifier_word(normalise_column_name(cell))
    if word is None:
        return None
    return Problem(
        display,
        None,
        cell.strip(),
        cell.strip(),
        f"column looks like a direct identifier ('{word}'): only pseudonymous codes "
        "may be imported; remove this column (the whole file is refused)",
        relative_file=relative,
    )


@dataclass(frozen=True)
class HeaderMap:
    """Which header positions hold which table columns, and which columns are ignored."""

    keep: tuple[int, ...]  # positions in the header of the table's columns
    columns: tuple[str, ...]  # the table column at each kept position
    ignored: tuple[str, ...]  # unknown columns, as written in the header


def _wrong_delimiter(header: list[str], delimiter: str) -> str | None:
    """The delimiter the header seems to use when it reads as one column, else None."""
    cells = [c for c in header if c.strip()]
    if len(cells) != 1:
        return None
    counts = {d: cells[0].count(d) for d in (",", ";", "\t", "|") if d != delimiter}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] >= 2 else None


def map_header(
    table: Table, header: list[str], display: str, relative: str, delimiter: str = ","
) -> HeaderMap:
    """Match ``header`` to ``table``; raise InputError listing every file-level problem.

    A header that reads as one column holding another separator (a French spreadsheet's ``;``
    export read with ``,``) gives one problem naming the separator to declare, not a missing
    column for each table column.
    """
    seen = _wrong_delimiter(header, delimiter)
    if seen is not None:
        problem = Problem(
            display,
            None,
            None,
            header[0][:80],
            f"the header reads as one column: its fields seem separated by {seen!r}, not "
            f"{delimiter!r}; declare the delimiter of this source in study.toml "
            f"([sources.KEY] delimiter = {seen!r})",
            relative_file=relative,
        )
        raise InputError(str(problem), (problem,))
    problems: list[Problem] = []
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        name = normalise_column_name(cell)
        if not name:
            continue
        refused = identifier_problem(cell, display, relative)
        if refused is not None and name not in table.column_names:
            problems.append(refused)
            continue
        if name in positions:
            problems.append(
                Problem(
                    display,
                    None,
                    name,
                    None,
                    f"column '{name}' appears twice in the header",
                    relative_file=relative,
                )
            )
            continue
        if name in table.column_names:
            positions[name] = index
        else:
            ignored.append(cell.strip())
    for column in table.required_columns:
        if column not in positions:
            problems.append(
                Problem(
                    display,
                    None,
                    column,
                    None,
                    f"required column '{column}' missing from the header",
                    relative_file=relative,
                )
            )
    if problems:
        raise InputError(f"{display}: the file is refused", tuple(problems))
    ordered = [c for c in table.column_names if c in positions]
    return HeaderMap(tuple(positions[c] for c in ordered), tuple(ordered), tuple(ignored))
