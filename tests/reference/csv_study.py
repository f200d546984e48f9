"""The plain-Python side of the derivation checks and benchmark: read a synthetic study's CSV files with the
``csv`` module, type them as the data model says, and run the reference implementation of
``tests/reference/derivation.py`` (per-patient loops) on them.

The loader is deliberately plain and handles what ``itpcohort synth`` writes (study.toml date formats
and delimiters, platelet units, boolean spellings, vocabulary case, partial dates); it is not a
validator. ``courses.csv`` is written with the engine's own serializer so the two can be compared
byte for byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from itpcohort.criteria import Criteria
from itpcohort.derive.serialize import courses_csv_bytes
from itpcohort.schema import (
    BOOLEAN_SPELLINGS,
    CANONICAL_COLUMNS,
    DRUG_CLASSES,
    PLATELET_UNITS,
    TABLES_BY_NAME,
    ColumnType,
)
from tests.reference.derivation import derive_reference


def _date(text: str, day_first: str | None, partial: bool) -> tuple[dt.date | None, str]:
    text = text.strip()
    if not text:
        return None, "day"
    if partial and len(text) == 4:
        return dt.date(int(text), 7, 1), "year"
    if partial and len(text) == 7:
        return dt.date(int(text[:4]), int(text[5:7]), 15), "month"
    if day_first and "/" in text:
        return dt.datetime.strptime(text, day_first).date(), "day"
    return dt.date.fromisoformat(text), "day"


def _rows(path: Path, delimiter: str) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from csv.DictReader(handle, delimiter=delimiter)


def load_study(study: Path) -> dict[str, list[dict[str, Any]]]:
    """Canonical rows of every table of a synthetic study, typed with plain Python."""
    config = (
        tomllib.loads((study / "study.toml").read_text()) if (study / "study.toml").exists() else {}
    )
    sources = config.get("sources", {})
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in CANONICAL_COLUMNS}
    for center_dir in sorted(p for p in study.iterdir() if p.is_dir()):
        options = sources.get(center_dir.name, {})
        delimiter = options.get("delimiter", ",")
        day_first = options.get("date_format")
        for name, table in TABLES_BY_NAME.items():
            path = center_dir / f"{name}.csv"
            if not path.exists():
                continue
            for raw in _rows(path, delimiter):
                row: dict[str, Any] = {"center": raw.get("center") or center_dir.name}
                for column in table.columns:
                    text = (raw.get(column.name) or "").strip()
                    if column.name == "center":
                        continue
                    if column.type in (ColumnType.DATE, ColumnType.PARTIAL_DATE):
                        value, precision = _date(
                            text, day_first, column.type is ColumnType.PARTIAL_DATE
                        )
                        row[column.name] = value
                        if column.type is ColumnType.PARTIAL_DATE:
                            row[f"{column.name}_precision"] = precision if value else None
                    elif column.type is ColumnType.BOOLEAN:
                        row[column.name] = BOOLEAN_SPELLINGS[text.lower()] if text else None
                    elif column.type is ColumnType.NUMBER:
                        row[column.name] = float(text) if text else None
                    elif column.type is ColumnType.INTEGER:
                        row[column.name] = int(text) if text else None
                    elif column.type is ColumnType.VOCAB:
                        value = text.lower() or None
                        row[column.name] = (
                            text.upper() if column.name in ("sex", "response") and text else value
                        )
                    else:
                        row[column.name] = text or None
                if name == "treatments":
                    row["drug_class"] = DRUG_CLASSES[row["drug"]]
                    row["rescue"] = bool(row["rescue"])
                if name == "platelet_counts":
                    factor = PLATELET_UNITS[row["unit"]] if row.get("unit") else 1.0
                    row["platelets"] = row["platelets"] * factor
                if name == "bleeding_events" and row["severe"] is None:
                    grade = row["who_grade"]
                    row["severe"] = (grade is not None and grade >= 3) or row[
                        "site"
                    ] == "intracranial"
                tables[name].append(row)
    return tables


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def reference_courses(study: Path, out: Path, criteria: Criteria | None = None) -> int:
    """Derive with the reference under ``criteria`` (default: the default criteria) and write
    ``out`` as courses.csv; return the number of courses."""
    marts = derive_reference(load_study(study), criteria if criteria is not None else Criteria())
    rows = [{k: _plain(v) for k, v in row.items()} for row in marts["courses"]]
    out.write_bytes(courses_csv_bytes(pa.Table.from_pylist(rows)))
    return len(rows)


if __name__ == "__main__":
    print(reference_courses(Path(sys.argv[1]), Path(sys.argv[2])))
