"""Find the sources of a study among the inputs given on the command line (``data-model.md``).

An input is a folder of table CSVs (one center or a whole study), a folder of such center folders,
``.xlsx`` workbooks and/or REDCap exports, one ``.xlsx`` workbook, or one REDCap raw records export
(a ``.csv`` file whose header starts with ``record_id`` and has ``redcap_repeat_instrument``; read by
:mod:`itpcohort.io.redcap_reader`). Each center folder, workbook and export is one *source*: child
rows without a ``center`` find their patient among the patients of their own source.

Reading options come from ``study.toml`` (``[sources.KEY]``): KEY is matched against the source's
folder name or workbook name without extension (centers name their folder after their code, e.g.
``TLS``), or ``path`` is matched against the source's folder, workbook or one of its files.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from itpcohort.config import SourceOptions, StudyConfig, load_config
from itpcohort.errors import InputError, Problem, UsageError
from itpcohort.schema import TABLES, TABLES_BY_NAME

TABLE_NAMES = tuple(t.name for t in TABLES)
REQUIRED_TABLES = tuple(t.name for t in TABLES if t.required)


@dataclass(frozen=True)
class TableFile:
    """One table of a source: a CSV file or a workbook sheet."""

    table: str
    path: Path  # the file on disk (the workbook for a sheet)
    display: str  # as printed in problems: the user's input path joined with the file
    relative: str  # the same, relative to the input root (posix)
    sheet: str | None = None


@dataclass(frozen=True)
class Source:
    """One center folder or one workbook, with its declared reading options."""

    index: int
    name: str  # folder name, or workbook name without extension
    kind: str  # "folder", "workbook" or "redcap"
    path: Path
    display: str
    files: tuple[TableFile, ...]
    encoding: str = "utf-8"
    delimiter: str = ","
    date_format: str | None = None


@dataclass(frozen=True)
class Discovery:
    """The sources found, the files ignored (as notes for ``validate``) and file-level problems."""

    sources: tuple[Source, ...]
    notes: tuple[str, ...]
    problems: tuple[Problem, ...]


def _table_csvs(folder: Path) -> dict[str, list[Path]]:
    """Table name -> the CSV files of ``folder`` named after it (matched case-insensitively).

    More than one file for a table (``platelet_counts.csv`` and ``Platelet_Counts.csv``) is a
    problem of the source (``_one_per_table``).
    """
    found: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.suffix.lower() == ".csv":
            stem = entry.stem.strip().lower()
            if stem in TABLES_BY_NAME:
                found.setdefault(stem, []).append(entry)
    return found


def _join(display_root: str, relative: PurePosixPath) -> str:
    if str(relative) in ("", "."):
        return display_root
    return str(PurePosixPath(display_root) / relative) if display_root else str(relative)


def _one_per_table(
    display: str,
    candidates: dict[str, list[str]],
    kind: str,
    place: Callable[[str], tuple[str, str]],
    expected: Callable[[str], tuple[str, str]],
    problems: list[Problem],
) -> list[tuple[str, str]]:
    """(table, file or sheet name) of each table of a source, in data-model order: the first of
    its ``candidates`` (``kind``: files or sheets; ``place``: a name's printed and relative path).

    More than one for a table (``platelet_counts.csv`` and ``Platelet_Counts.csv``) is a problem
    of the source, never one of them silently ignored; so is a required table missing
    (``expected``: what to give and its relative path).
    """
    for table, names in candidates.items():
        if len(names) > 1:
            displays = [place(name)[0] for name in names]
            problems.append(
                Problem.of_file(
                    displays[1],
                    f"{len(displays)} {kind} for the table '{table}' in one source: "
                    f"{' and '.join(displays)}; keep one (merge their rows into it)",
                    place(names[1])[1],
                )
            )
    for table in REQUIRED_TABLES:
        if table not in candidates:
            what, relative = expected(table)
            message = f"required table '{table}' missing: expected {what}"
            problems.append(Problem.of_file(display, message, relative))
    return [(table, candidates[table][0]) for table in TABLE_NAMES if table in candidates]


def _folder_files(
    folder: Path,
    display: str,
    relative: PurePosixPath,
    notes: list[str],
    problems: list[Problem],
) -> tuple[TableFile, ...]:
    candidates = _table_csvs(folder)
    for entry in sorted(folder.iterdir()):
        found = any(entry in paths for paths in candidates.values())
        if entry.is_file() and entry.suffix.lower() == ".csv" and not found:
            notes.append(f"{_join(display, PurePosixPath(entry.name))}: ignored (not a table)")

    def place(name: str) -> tuple[str, str]:
        return _join(display, PurePosixPath(name)), str(relative / name)

    chosen = _one_per_table(
        display,
        {table: [p.name for p in paths] for table, paths in candidates.items()},
        "files",
        place,
        lambda table: (f"a file {table}.csv", str(relative / f"{table}.csv")),
        problems,
    )
    return tuple(TableFile(table, folder / name, *place(name)) for table, name in chosen)


def _workbook_files(
    workbook: Path,
    display: str,
    relative: PurePosixPath,
    notes: list[str],
    problems: list[Problem],
) -> tuple[TableFile, ...]:
    from itpcohort.io.xlsx_reader import sheet_names

    try:
        sheets = sheet_names(workbook)
    except InputError as error:
        problems.extend(Problem.of_file(display, p.reason, str(relative)) for p in error.problems)
        sheets = []
    if not sheets:  # no table, nor a missing one, in a workbook that cannot be read
        return ()
    candidates: dict[str, list[str]] = {}
    for sheet in sheets:
        table = sheet.strip().lower()
        if table in TABLES_BY_NAME:
            candidates.setdefault(table, []).append(sheet)
        else:
            notes.append(f"{display}[{sheet}]: ignored (not a table)")

    def place(sheet: str) -> tuple[str, str]:
        return f"{display}[{sheet}]", f"{relative}[{sheet}]"

    chosen = _one_per_table(
        display,
        candidates,
        "sheets",
        place,
        lambda table: (f"a sheet named {table}", str(relative)),
        problems,
    )
    return tuple(TableFile(table, workbook, *place(sheet), sheet=sheet) for table, sheet in chosen)


def _options(config: StudyConfig, name: str, path: Path) -> SourceOptions:
    """The declared reading options of the source ``name`` at ``path`` (defaults when none)."""
    return config.source_options(name, path) or SourceOptions(name)


def _redcap_tables(path: Path, config: StudyConfig) -> tuple[str, ...] | None:
    """The tables of ``path`` when it is a REDCap export (read with its source's options)."""
    from itpcohort.io.redcap_reader import redcap_export_tables

    options = _options(config, path.stem, path)
    return redcap_export_tables(path, options.encoding, options.delimiter)


def discover_sources(inputs: list[Path], config: StudyConfig) -> Discovery:
    """Find every source (center folder, workbook or REDCap export) of ``inputs``.

    A folder holding at least one table CSV (``patients.csv`` ...) is one source; otherwise each of
    its sub-folders holding table CSVs, each of its ``.xlsx`` workbooks and each of its REDCap
    exports is a source. A missing
    input, an input given twice or a file that is not a workbook is wrong usage (exit 2); a missing
    required table or a folder with no table at all is a file-level problem (exit 1).
    """
    notes: list[str] = []
    problems: list[Problem] = []
    sources: list[Source] = []
    seen: dict[Path, str] = {}

    def add(kind: str, path: Path, display: str, relative: PurePosixPath) -> None:
        resolved = path.resolve()
        if resolved in seen:
            raise UsageError(f"{display}: given twice (also as {seen[resolved]})")
        seen[resolved] = display
        if kind == "folder":
            files = _folder_files(path, display, relative, notes, problems)
        elif kind == "workbook":
            files = _workbook_files(path, display, relative, notes, problems)
        else:  # one REDCap export: a file per table it holds (the reader checks the required ones)
            tables = _redcap_tables(path, config) or ()
            files = tuple(TableFile(table, path, display, str(relative)) for table in tables)
        name = path.name if kind == "folder" else path.stem
        o = _options(config, name, path)
        sources.append(
            Source(
                len(sources),
                name,
                kind,
                path,
                display,
                files,
                o.encoding,
                o.delimiter,
                o.date_format,
            )
        )

    for given in inputs:
        display = str(given)
        if not given.exists():
            raise UsageError(f"{display}: no such file or folder")
        if given.is_file():
            suffix = given.suffix.lower()
            if suffix == ".xlsx":
                add("workbook", given, display, PurePosixPath(given.name))
            elif suffix in (".xls", ".xlsm", ".ods"):
                reason = f"{suffix} files are not read: save the workbook as .xlsx"
                problems.append(Problem.of_file(display, reason, given.name))
            elif suffix == ".csv" and _redcap_tables(given, config) is not None:
                add("redcap", given, display, PurePosixPath(given.name))
            elif suffix == ".csv":
                raise UsageError(
                    f"{display}: give the folder holding the table files, not one CSV file "
                    "(a REDCap export is recognised by its header: record_id first and a "
                    "redcap_repeat_instrument column)"
                )
            else:
                raise UsageError(
                    f"{display}: not an input (expected a study or center folder, or an .xlsx workbook)"
                )
            continue
        if _table_csvs(given):
            add("folder", given, display, PurePosixPath("."))
            continue
        found = False
        for entry in sorted(given.iterdir()):
            kind: str | None = None
            if entry.is_dir() and _table_csvs(entry):
                kind = "folder"
            elif (
                entry.is_file()
                and entry.suffix.lower() == ".xlsx"
                and not entry.name.startswith("~$")
            ):
                kind = "workbook"
            elif (
                entry.is_file()
                and entry.suffix.lower() == ".csv"
                and _redcap_tables(entry, config) is not None
            ):
                kind = "redcap"
            if kind is not None:
                name = PurePosixPath(entry.name)
                add(kind, entry, _join(display, name), name)
                found = True
        if not found:
            reason = "no table found: expected " + ", ".join(f"{t}.csv" for t in REQUIRED_TABLES)
            reason += " (or center folders holding them, .xlsx workbooks or REDCap exports)"
            problems.append(Problem.of_file(display, reason, "."))
    for declared in config.sources:
        if not any(config.source_options(s.name, s.path) == declared for s in sources):
            notes.append(
                f"{config.path or 'study.toml'}: [sources.{declared.key}] matches no input "
                "(its key is matched against center folder and workbook names, its path against "
                "their paths)"
            )
    for source in sources:
        if source.delimiter in ('"', "\r", "\n"):
            reason = f"declared delimiter {source.delimiter!r} cannot separate CSV fields"
            problems.append(Problem.of_file(source.display, reason, value=source.delimiter))
        try:
            codecs.lookup(source.encoding)
        except LookupError:  # load_config checks this already; a hand-built config may not
            reason = f"unknown encoding {source.encoding!r}"
            problems.append(Problem.of_file(source.display, reason, value=source.encoding))
    return Discovery(tuple(sources), tuple(notes), tuple(problems))


def resolve_config(inputs: list[Path], config_path: Path | None) -> StudyConfig:
    """The study configuration: ``--config`` when given, else the ``study.toml`` at the root of an
    input folder, when exactly one input folder holds one.

    Synthetic cohorts ship one (declaring, for example, a day-first center). Two different ones are
    ambiguous: the user must then choose with ``--config``.
    """
    if config_path is not None:
        if not config_path.is_file():
            raise UsageError(f"{config_path}: configuration file not found")
        return load_config(config_path)
    found = sorted({(p / "study.toml").resolve() for p in inputs if (p / "study.toml").is_file()})
    if len(found) > 1:
        raise UsageError(
            "several inputs hold a study.toml ("
            + ", ".join(str(p) for p in found)
            + "): choose one with --config"
        )
    return load_config(found[0]) if found else StudyConfig()
