"""Reading a synthetic study's input files back for the messy-run tests: the delimiter of each
center (from study.toml), a file's rows, the rows read per table counted from the files
themselves, and the cells listed in injected_errors.csv."""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from pathlib import Path


def delimiters(study: Path) -> dict[str, str]:
    """The delimiter of each center folder that declares one in study.toml."""
    config = tomllib.loads((study / "study.toml").read_text("utf-8"))
    return {s["path"]: s.get("delimiter", ",") for s in config.get("sources", {}).values()}


def read_rows(path: Path, delimiter: str) -> list[list[str]]:
    """Every row of a CSV file, the header first."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def write_rows(path: Path, rows: list[list[str]], delimiter: str) -> None:
    """Write ``rows`` (the header first) as a CSV file."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\n").writerows(rows)


def injected_cells(study: Path) -> set[tuple[str, int]]:
    """(file, row) of every error listed in the study's injected_errors.csv."""
    with (study / "injected_errors.csv").open(newline="", encoding="utf-8") as handle:
        return {(r["file"], int(r["row"])) for r in csv.DictReader(handle)}


def rows_read(study: Path) -> Counter[str]:
    """Data rows per table, counted from the files (every line after the header is one row)."""
    by_center = delimiters(study)
    counted: Counter[str] = Counter()
    for path in sorted(study.glob("*/*.csv")):
        rows = read_rows(path, by_center.get(path.parent.name, ","))
        counted[path.stem] += sum(1 for row in rows[1:] if any(cell.strip() for cell in row))
    return counted
