"""Map a file's header to the columns of its table (``data-model.md``, Conventions and Identifiers).

Column names are matched case-insensitively after trimming. A missing required column, a column
named twice, or a column whose name says it holds a direct identifier (name, surname, NIR, SSN,
address, phone, email, in English or French) is a problem of the whole file: the file is refused.
Other unknown columns are ignored and listed once as a note.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from itpcohort.errors import InputError, Problem, shown
from itpcohort.schema import IDENTIFIER_WORDS, Table

_IDENTIFIER_WORDS = frozenset(
    unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in IDENTIFIER_WORDS
)
#: words that are identifiers only together (``numero_securite_sociale``, ``social security``)
_IDENTIFIER_PHRASES = (("securite", "sociale"), ("social", "security"))
#: words that qualify an identifier word inside a compound (``fullname``, ``emailaddress``,
#: ``phonenumber``, ``nirpatient``); a compound of these alone (``patientnumber``) is not one, nor
#: is a compound with any other part (``username``, ``nominal``, ``telemetry``, ``mailing``)
_QUALIFIERS = frozenset(
    (
        "patient",
        "patients",
        "full",
        "first",
        "last",
        "middle",
        "family",
        "given",
        "maiden",
        "birth",
        "home",
        "postal",
        "street",
        "contact",
        "e",
        "cell",
        "number",
        "num",
        "no",
        "numero",
        "de",
        "du",
        "d",
        "naissance",
        "jeune",
        "fille",
        "usage",
        "marital",
        "epouse",
        "famille",
        "domicile",
        "fixe",
        "perso",
        "personal",
        "securite",
        "sociale",
        "social",
        "security",
    )
)
_PARTS = _IDENTIFIER_WORDS | _QUALIFIERS
_LONGEST_PART = max(map(len, _PARTS))
_COMPOUND_MAX = 4 * _LONGEST_PART
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def normalise_column_name(name: str) -> str:
    """A header cell as a column name: BOM and surrounding spaces removed, lower case."""
    return name.replace("\ufeff", "").strip().lower()


def _compound_parts(word: str) -> list[str] | None:
    """``word`` cut into known parts (identifier words and qualifiers), or None when it cannot be.

    The cut with the fewest parts wins (``emailaddress`` is ``email`` + ``address``). A word
    longer than ``_COMPOUND_MAX`` characters is no compound of these (and is not cut: a header
    cell may hold megabytes).
    """
    if len(word) > _COMPOUND_MAX:
        return None
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - _LONGEST_PART), end):
            before = best[start]
            part = word[start:end]
            if before is not None and part in _PARTS:
                candidate = [*before, part]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(word)]


def _phrase(words: list[str]) -> str | None:
    pairs = set(itertools.pairwise(words))
    return next((f"{a} {b}" for a, b in _IDENTIFIER_PHRASES if (a, b) in pairs), None)


def identifier_word(name: str) -> str | None:
    """The identifier word that ``name`` contains as a word or a part of a compound, or None.

    Words are separated by ``_`` (or any non-alphanumeric character, or a case change as in
    ``firstName`` or ``NIRPatient``); accents are folded, so ``prénom`` and ``Téléphone`` match.
    A word made only of identifier words and their usual qualifiers is cut into them
    (``fullname``, ``emailaddress``, ``PhoneNumber``); ``securite sociale`` and ``social
    security`` are identifiers as a pair of words. ``drug_detail``, ``death_cause``,
    ``username`` or ``nominal`` do not match: no word of theirs is, or is made of, identifier
    words (``data-model.md``, Identifiers).
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    folded = _CAMEL.sub("_", folded.strip()).lower()
    words = [w for w in _SEPARATORS.split(folded) if w]
    parts: list[str] = []
    for word in words:
        if word in _IDENTIFIER_WORDS:
            return word
        parts.extend(_compound_parts(word) or [word])
    return _phrase(parts) or next((p for p in parts if p in _IDENTIFIER_WORDS), None)


def identifier_problem(cell: str, display: str, relative: str) -> Problem | None:
    """The problem of a header cell whose name says it holds a direct identifier (or None)."""
    word = identifier_word(cell)
    if word is None:
        return None
    return Problem.of_file(
        display,
        f"column looks like a direct identifier ('{word}'): only pseudonymous codes "
        "may be imported; remove this column (the whole file is refused)",
        relative,
        column=cell.strip(),
        value=cell.strip(),
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
        problem = Problem.of_file(
            display,
            f"the header reads as one column: its fields seem separated by {seen!r}, not "
            f"{delimiter!r}; declare the delimiter of this source in study.toml "
            f"([sources.KEY] delimiter = {seen!r})",
            relative,
            value=header[0][:80],
        )
        raise InputError.of(problem)
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
            reason = f"column {shown(name)} appears twice in the header"
            problems.append(Problem.of_file(display, reason, relative, name))
            continue
        if name in table.column_names:
            positions[name] = index
        else:
            ignored.append(cell.strip())
    for column in table.required_columns:
        if column not in positions:
            reason = f"required column '{column}' missing from the header"
            problems.append(Problem.of_file(display, reason, relative, column))
    if problems:
        raise InputError(f"{display}: the file is refused", tuple(problems))
    ordered = [c for c in table.column_names if c in positions]
    return HeaderMap(tuple(positions[c] for c in ordered), tuple(ordered), tuple(ignored))
