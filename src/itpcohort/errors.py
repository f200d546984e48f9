"""Errors meant for people: each prints as one clear line and sets the exit status (``architecture.md``).

``InputError`` (exit 1) is invalid input; ``UsageError`` (exit 2) is a wrong command line or a
command whose layer is not built yet. Anything else escaping the CLI is a bug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: the longest value (in characters) put in a message; a longer one is cut and ends with ELLIPSIS
SHOWN_MAX = 60
ELLIPSIS = "\u2026"
#: C0 and C1 control characters, DEL, and the invisible characters that reorder or hide text on a
#: terminal (zero-width, bidirectional overrides and isolates, line and paragraph separators)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def escape_controls(text: str) -> str:
    """``text`` with each control character written as its Python escape (``\\n``, ``\\x1b``,
    ``\\u202e``), so that no ESC or OSC sequence, newline or bidirectional override of an input
    file reaches a terminal or a message raw (``architecture.md``, Errors are for people)."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def cut(text: str, limit: int = SHOWN_MAX) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def shown(value: object, limit: int = SHOWN_MAX) -> str:
    """A value as every message shows it: quoted as written, cut to ``limit`` characters with an
    ellipsis (a 5 MB cell is not printed whole) and its control characters escaped.

    ``shown("aspirinx") == "'aspirinx'"``; ``shown("a\\x1b[2Jb") == "'a\\\\x1b[2Jb'"``.
    """
    return "'" + escape_controls(cut(str(value), limit)) + "'"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in the input, printed as ``file:row: column: reason``.

    ``row`` is the line number in the file (header = 1); ``None`` for a problem of the whole file.
    ``file`` is the path as the user gave it joined with the file (``cohort/TLS/patients.csv``, or
    ``study.xlsx[patients]`` for a sheet); ``relative_file`` is the same path relative to the input
    root (posix), which is how manifests of injected errors name files.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    relative_file: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        """The problem's line: ``file:row: column: reason``, control characters escaped."""
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        column = f" {cut(self.column)}:" if self.column else ""
        return escape_controls(f"{where}:{column} {self.reason}")

    @classmethod
    def of_file(
        cls,
        file: str,
        reason: str,
        relative: str | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> Problem:
        """A problem of the whole file ``file`` (no row), such as a header or source problem."""
        return cls(file, None, column, value, reason, relative_file=relative)


class ItpcohortError(Exception):
    """Base of the errors the CLI turns into a message and an exit status."""

    exit_code = 1

    def __str__(self) -> str:
        """The message, control characters escaped (it may name a file or a value)."""
        return escape_controls(super().__str__())


class InputError(ItpcohortError):
    """Invalid input: the files cannot be imported as they are (exit 1)."""

    exit_code = 1

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    @classmethod
    def of(cls, problem: Problem) -> InputError:
        """The error of one problem: its message is the problem's line."""
        return cls(str(problem), (problem,))


class UsageError(ItpcohortError):
    """Wrong usage of the command line, or a command whose layer is not built yet (exit 2)."""

    exit_code = 2
