"""Errors meant for people: each prints as one clear line and sets the exit status (``architecture.md``).

``InputError`` (exit 1) is invalid input; ``UsageError`` (exit 2) is a wrong command line or a
command whose layer is not built yet. Anything else escaping the CLI is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        column = f" {self.column}:" if self.column else ""
        return f"{where}:{column} {self.reason}"


class ItpcohortError(Exception):
    """Base of the errors the CLI turns into a message and an exit status."""

    exit_code = 1


class InputError(ItpcohortError):
    """Invalid input: the files cannot be imported as they are (exit 1)."""

    exit_code = 1

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class UsageError(ItpcohortError):
    """Wrong usage of the command line, or a command whose layer is not built yet (exit 2)."""

    exit_code = 2
