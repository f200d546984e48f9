"""Realistic input errors in a synthetic switch cohort (``synth --protocol tpo-ra-switch --messy F``).

The switch generator (``_switch``) builds each center's rows as text. This module gives them the
typed form that the flagship's error machinery (``_messy.inject``) reads (days since 1970-01-01,
indices into the ``schema`` vocabularies, local patient indices) and runs that machinery table by
table, so a switch cohort gets the same kinds of errors under the same rules (one error, one
problem; a corrupted or duplicated patient spares its other rows), listed in the same
``injected_errors.csv``: a TPO-RA under its brand name, a stop reason or an adverse event in French,
impossible, day-first or partial dates, an end date before the start date, text in number columns,
counts typed per mm3, duplicated and unknown patients, required cells left empty...
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from itpcohort import schema
from itpcohort.synth._arrays import NO_DATE, Table
from itpcohort.synth._centers import CenterStyle
from itpcohort.synth._cohort import Chunk
from itpcohort.synth._messy import inject, manifest_lines
from itpcohort.synth._render import CenterText, Columns

Rows = list[dict[str, str]]


@dataclass(frozen=True)
class MessyCenter:
    """One center's columns after injection (rows in writing order) and its manifest lines."""

    columns: dict[str, Columns]
    manifest: str


def text_columns(tables: dict[str, Rows], layout: dict[str, tuple[str, ...]]) -> dict[str, Columns]:
    """The center's rows as text columns, table by table in ``layout``'s columns (empty = null)."""
    return {
        name: {
            column: pa.array([row.get(column) or None for row in tables[name]], pa.string())
            for column in columns
        }
        for name, columns in layout.items()
    }


def _days(values: list[str]) -> np.ndarray:
    parsed = np.array([v or "NaT" for v in values], dtype="datetime64[D]").astype(np.int64)
    return np.where(np.array([not v for v in values], dtype=bool), NO_DATE, parsed)


def _index(values: list[str], names: tuple[str, ...]) -> np.ndarray:
    position = {name: i for i, name in enumerate(names)}
    return np.array([position[v] if v else -1 for v in values], dtype=np.int64)


def _floats(values: list[str]) -> np.ndarray:
    return np.array([float(v) if v else np.nan for v in values], dtype=np.float64)


def _typed(tables: dict[str, Rows]) -> Chunk:
    """The typed tables ``_messy`` reads, with the column names of the flagship's simulation."""
    patients = tables["patients"]
    pidx = {row["patient_id"]: i for i, row in enumerate(patients)}

    def col(name: str, column: str) -> list[str]:
        return [row.get(column, "") for row in tables.get(name, [])]

    def owner(name: str) -> np.ndarray:
        return np.array([pidx[p] for p in col(name, "patient_id")], dtype=np.int64)

    empty: Table = {"pidx": np.zeros(0, dtype=np.int64)}
    return Chunk(
        n=len(patients),
        patients={
            "pidx": np.arange(len(patients), dtype=np.int64),
            "female": np.array([v == "F" for v in col("patients", "sex")], dtype=bool),
            "secondary": np.array(
                [v == "secondary" for v in col("patients", "itp_type")], dtype=bool
            ),
            "cause": _index(col("patients", "secondary_cause"), schema.SECONDARY_CAUSES),
            "birth": _days(col("patients", "birth_date")),
            "diagnosis": _days(col("patients", "diagnosis_date")),
            "last_followup": _days(col("patients", "last_followup_date")),
            "death": _days(col("patients", "death_date")),
        },
        treatments={
            "pidx": owner("treatments"),
            "drug": _index(col("treatments", "drug"), schema.DRUGS),
            "start": _days(col("treatments", "start_date")),
            "end": _days(col("treatments", "end_date")),
            "dose": _floats(col("treatments", "dose")),
            "dose_unit": _index(col("treatments", "dose_unit"), schema.DOSE_UNITS),
            "stop_reason": _index(col("treatments", "stop_reason"), schema.STOP_REASONS),
        },
        platelet_counts={
            "pidx": owner("platelet_counts"),
            "date": _days(col("platelet_counts", "date")),
            "platelets": _floats(col("platelet_counts", "platelets")),
        },
        bleeding_events=empty,
        adverse_events={
            "pidx": owner("adverse_events"),
            "date": _days(col("adverse_events", "onset_date")),
            "event": _index(col("adverse_events", "event"), schema.AE_EVENTS),
            "grade": np.array([int(v) if v else -1 for v in col("adverse_events", "ctcae_grade")]),
        },
        biomarkers=empty,
        investigator_assessments=empty,
    )


def inject_center(
    code: str,
    index: int,
    tables: dict[str, Rows],
    layout: dict[str, tuple[str, ...]],
    rate: float,
    rng: np.random.Generator,
) -> MessyCenter:
    """Put errors in about ``rate`` of the rows of one switch center (module docstring).

    ``tables`` holds the center's rows per table in writing order (patients first, patient ids
    ``CODE-0001``...), ``layout`` the columns written per table. The center writes ISO dates,
    counts in 10^9/L without a unit column and dose units, as ``_switch`` does.
    """
    chunk = _typed(tables)
    width = max(4, len(str(chunk.n)))  # ids CODE-0001: an unknown id has one digit more
    text = CenterText(CenterStyle(code, index), width, 1)
    spared = np.zeros(chunk.n, dtype=bool)
    out: dict[str, Columns] = {}
    lines: list[str] = []
    for name, columns in text_columns(tables, layout).items():
        injected = inject(name, chunk, text, columns, rate, spared, rng)
        written = injected.columns
        if injected.order is not None:
            take = pa.array(injected.order)
            written = {column: values.take(take) for column, values in written.items()}
        out[name] = written
        lines.append(
            manifest_lines(f"{code}/{name}.csv", injected.line + 2, injected.column, injected.kind)
        )
    return MessyCenter(out, "".join(lines))
