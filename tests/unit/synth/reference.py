"""A small, plain-Python reading of a study folder and a reference check of ``data-model.md``.

Independent of the generator's code: it reads the files with the ``csv`` module as a center's data
manager would describe them (``study.toml`` gives day-first dates and delimiters), and lists the
problems validation must report, as ``(file, row, column)`` with row = line number (header = 1).
A patient whose ``patients`` row has a problem is held back with all their rows, which are then
not checked (the importer's rule the injected errors are built for).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from itpcohort import schema

Problem = tuple[str, int, str]

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_INTEGER = re.compile(r"^-?\d+$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass
class Row:
    """One data row: its file (relative to the study folder), line number and cells by column."""

    file: str
    line: int
    cells: dict[str, str]


@dataclass
class CenterFiles:
    """The rows of one center folder, per table, and how its files are written."""

    code: str
    date_format: str | None
    delimiter: str
    tables: dict[str, list[Row]] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)


def read_study(folder: Path) -> dict[str, CenterFiles]:
    """Every center folder of a study, read as text with the options of ``study.toml``."""
    config = tomllib.loads((folder / "study.toml").read_text(encoding="utf-8"))
    sources = config.get("sources", {})
    centers = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        options = sources.get(sub.name, {})
        center = CenterFiles(sub.name, options.get("date_format"), options.get("delimiter", ","))
        for table in schema.TABLES:
            path = sub / f"{table.name}.csv"
            if not path.exists():
                continue
            raw = path.read_bytes()
            center.raw[table.name] = raw
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.reader(handle, delimiter=center.delimiter)
                header = next(reader)
                center.headers[table.name] = header
                center.tables[table.name] = [
                    Row(
                        f"{sub.name}/{table.name}.csv",
                        i + 2,
                        dict(zip(header, values, strict=True)),
                    )
                    for i, values in enumerate(reader)
                ]
        centers[sub.name] = center
    return centers


def parse_date(text: str, date_format: str | None, partial: bool) -> dt.date | None:
    """The date of a cell (a partial date at the middle of its period), None when invalid."""
    if partial:
        if m := _YEAR_MONTH.match(text):
            try:
                return dt.date(int(m[1]), int(m[2]), 15)
            except ValueError:
                return None
        if m := _YEAR.match(text):
            return dt.date(int(m[1]), 7, 1)
    if date_format is not None:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            return None
    if not _ISO.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _cell_problem(column: schema.Column, text: str, date_format: str | None) -> bool:
    """True when a non-empty cell cannot be read as its column's type."""
    kind = column.type
    if kind in (schema.ColumnType.DATE, schema.ColumnType.PARTIAL_DATE):
        day = parse_date(text, date_format, kind == schema.ColumnType.PARTIAL_DATE)
        return day is None or not 1900 <= day.year <= 2100  # an implausible year is a typo
    if kind == schema.ColumnType.VOCAB:
        allowed = {v.casefold() for v in column.vocabulary}
        return text.strip().casefold() not in allowed
    if kind == schema.ColumnType.BOOLEAN:
        return text.strip().casefold() not in schema.BOOLEAN_SPELLINGS
    if kind in (schema.ColumnType.NUMBER, schema.ColumnType.INTEGER):
        pattern = _NUMBER if kind == schema.ColumnType.NUMBER else _INTEGER
        if not pattern.match(text.strip()):
            return True
        value = float(text)
        low, high = column.minimum, column.maximum
        if column.name == "platelets":
            return False  # range checked after the unit conversion
        return (low is not None and value < low) or (high is not None and value > high)
    return False


def _typed_problems(table: schema.Table, row: Row, date_format: str | None) -> list[Problem]:
    problems = []
    for column in table.columns:
        text = row.cells.get(column.name, "")
        if text.strip() == "":
            if column.required and column.name != "center":
                problems.append((row.file, row.line, column.name))
            continue
        if _cell_problem(column, text, date_format):
            problems.append((row.file, row.line, column.name))
    if table.name == "platelet_counts" and "platelets" not in {p[2] for p in problems}:
        text = row.cells.get("platelets", "").strip()
        unit = row.cells.get("unit", "").strip().casefold()
        if text and (unit == "" or unit in schema.PLATELET_UNITS):
            value = float(text) * schema.PLATELET_UNITS.get(unit or "10^9/l", 1.0)
            if not 0 <= value <= schema.PLATELET_MAX:
                problems.append((row.file, row.line, "platelets"))
    return problems


@dataclass(frozen=True)
class Patient:
    """The dates a patient's other rows are checked against."""

    birth: dt.date
    diagnosis: dt.date
    last_followup: dt.date
    death: dt.date | None


def check_study(folder: Path) -> set[Problem]:
    """Every problem ``data-model.md`` makes validation report for this study folder."""
    problems: set[Problem] = set()
    centers = read_study(folder)
    for center in centers.values():
        fmt = center.date_format
        for table_name in center.tables:
            table = schema.TABLES_BY_NAME[table_name]
            missing = set(table.required_columns) - set(center.headers[table_name])
            if table_name != "patients":
                missing.discard("center")
            assert not missing, f"{center.code}/{table_name}.csv lacks {missing}"
        patients: dict[str, Patient] = {}
        known: set[str] = set()
        rows = center.tables["patients"]
        repeated = Counter(r.cells["patient_id"] for r in rows)
        for row in rows:
            pid = row.cells["patient_id"]
            known.add(pid)
            found = _typed_problems(schema.PATIENTS, row, fmt)
            if repeated[pid] > 1:
                found.append((row.file, row.line, "patient_id"))
            if not found:
                c = row.cells
                birth = parse_date(c["birth_date"], fmt, True)
                diagnosis = parse_date(c["diagnosis_date"], fmt, True)
                followup = parse_date(c["last_followup_date"], fmt, False)
                death = parse_date(c["death_date"], fmt, False) if c["death_date"] else None
                assert birth and diagnosis and followup
                if c["itp_type"].strip().casefold() == "secondary" and not c["secondary_cause"]:
                    found.append((row.file, row.line, "secondary_cause"))
                if diagnosis < birth:
                    found.append((row.file, row.line, "diagnosis_date"))
                if followup < diagnosis or followup < birth:
                    found.append((row.file, row.line, "last_followup_date"))
                if death is not None and (death < diagnosis or death < birth):
                    found.append((row.file, row.line, "death_date"))
                if not found:
                    patients[pid] = Patient(birth, diagnosis, followup, death)
            problems.update(found)
        for table_name, rows in center.tables.items():
            if table_name == "patients":
                continue
            table = schema.TABLES_BY_NAME[table_name]
            for row in rows:
                pid = row.cells["patient_id"]
                if pid not in known:
                    problems.add((row.file, row.line, "patient_id"))
                    continue
                if pid not in patients:
                    continue  # held back with its rejected patients row
                found = _typed_problems(table, row, fmt)
                if not found:
                    found = _coherence(table, row, fmt, patients[pid])
                problems.update(found)
    return problems


def _coherence(table: schema.Table, row: Row, fmt: str | None, patient: Patient) -> list[Problem]:
    found = []
    dates = {
        c.name: parse_date(row.cells[c.name], fmt, False)
        for c in table.columns
        if c.type == schema.ColumnType.DATE and row.cells.get(c.name)
    }
    for name, day in dates.items():
        assert day is not None
        before_birth = day < patient.birth
        after_death = patient.death is not None and day > patient.death
        after_followup = table.name == "platelet_counts" and day > patient.last_followup
        if before_birth or after_death or after_followup:
            found.append((row.file, row.line, name))
    start, end = dates.get("start_date"), dates.get("end_date")
    if start is not None and end is not None and end < start:
        found.append((row.file, row.line, "end_date"))
    return found


def frames(folder: Path) -> dict[str, pd.DataFrame]:
    """Every table of a clean study as one pandas frame over all centers, values typed: dates as
    ``datetime64`` (partial dates at mid-period), platelets in 10^9/L, vocabulary lower-cased
    (responses upper-cased), booleans as bool/None; plus ``center`` and ``line`` columns."""
    out: dict[str, list[dict[str, object]]] = {t.name: [] for t in schema.TABLES}
    for code, center in read_study(folder).items():
        for table_name, rows in center.tables.items():
            table = schema.TABLES_BY_NAME[table_name]
            for row in rows:
                record: dict[str, object] = {"center": code, "line": row.line}
                for column in table.columns:
                    text = row.cells.get(column.name, "").strip()
                    record[column.name] = _typed(column, text, center.date_format)
                record["center"] = code
                if table_name == "platelet_counts":
                    unit = str(record.get("unit") or "10^9/l")
                    record["platelets"] = float(record["platelets"]) * schema.PLATELET_UNITS[unit]  # type: ignore[arg-type]
                out[table_name].append(record)
    result = {}
    for table in schema.TABLES:
        frame = pd.DataFrame(out[table.name], columns=["line", *table.column_names])
        for column in table.columns:
            if column.type in (schema.ColumnType.DATE, schema.ColumnType.PARTIAL_DATE):
                frame[column.name] = pd.to_datetime(frame[column.name])
        result[table.name] = frame
    return result


def _typed(column: schema.Column, text: str, date_format: str | None) -> object:
    if text == "":
        return None
    kind = column.type
    if kind in (schema.ColumnType.DATE, schema.ColumnType.PARTIAL_DATE):
        return parse_date(text, date_format, kind == schema.ColumnType.PARTIAL_DATE)
    if kind == schema.ColumnType.VOCAB:
        return text.upper() if column.name == "response" else text.casefold()
    if kind == schema.ColumnType.BOOLEAN:
        return schema.BOOLEAN_SPELLINGS[text.casefold()]
    if kind == schema.ColumnType.NUMBER:
        return float(text)
    if kind == schema.ColumnType.INTEGER:
        return int(text)
    return text
