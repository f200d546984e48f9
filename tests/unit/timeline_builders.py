"""Tiny builders for hand-written one-patient timelines (canonical rows, day-numbered dates).

``d(n)`` is day n counted from 2020-01-01 (``d(0)`` = 2020-01-01, ``d(60)`` = 2020-03-01, 2020 being
a leap year, ``d(731)`` = 2022-01-01, the default last follow-up). The standard course is four
375 mg/m2 infusions on days 0, 7, 14, 21 with a baseline count of 10 on day −3.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.reference.canonical import d

Rows = dict[str, list[dict[str, Any]]]

__all__ = ["Rows", "bleed", "counts", "d", "merge", "patient", "rtx", "standard", "tx"]


def patient(pid: str, **fields: Any) -> Rows:
    """The patients row (birth 1970-01-01, diagnosis 2015-01-01, last follow-up day 731)."""
    return {"patients": [{"patient_id": pid, **fields}]}


def rtx(pid: str, *days: int, dose: float | None = 375.0, unit: str | None = "mg/m2") -> Rows:
    """Rituximab administrations on the given days."""
    return {
        "treatments": [
            {
                "patient_id": pid,
                "drug": "rituximab",
                "start_date": d(n),
                "dose": dose,
                "dose_unit": unit,
            }
            for n in days
        ]
    }


def counts(pid: str, values: dict[int, float]) -> Rows:
    """Platelet counts (10^9/L, as the canonical table holds them) by day."""
    return {
        "platelet_counts": [
            {"patient_id": pid, "date": d(n), "platelets": v, "platelets_as_given": str(v)}
            for n, v in values.items()
        ]
    }


def tx(pid: str, drug: str, start: int, end: int | None = None, rescue: bool = False) -> Rows:
    """Any other treatment row (no end day = empty ``end_date``)."""
    return {
        "treatments": [
            {
                "patient_id": pid,
                "drug": drug,
                "start_date": d(start),
                "end_date": None if end is None else d(end),
                "rescue": rescue,
            }
        ]
    }


def bleed(
    pid: str,
    day: int,
    grade: int | None,
    site: str = "skin",
    severe: bool | None = ...,  # type: ignore[assignment]
) -> Rows:
    """A bleeding event; ``severe`` defaults as the importer applies it (grade >= 3 or intracranial)."""
    if severe is ...:
        severe = (grade is not None and grade >= 3) or site == "intracranial"
    return {
        "bleeding_events": [
            {"patient_id": pid, "date": d(day), "site": site, "who_grade": grade, "severe": severe}
        ]
    }


def merge(*parts: Rows) -> Rows:
    """Concatenate the rows of several builders, table by table."""
    result: Rows = {}
    for part in parts:
        for table, rows in part.items():
            result.setdefault(table, []).extend(rows)
    return result


def standard(pid: str, values: dict[int, float] | None = None, **patient_fields: Any) -> Rows:
    """Patient + standard course (days 0, 7, 14, 21) + baseline 10 on day −3 + ``values``."""
    return merge(
        patient(pid, **patient_fields),
        rtx(pid, 0, 7, 14, 21),
        counts(pid, {-3: 10.0, **(values or {})}),
    )


def date(text: str) -> dt.date:
    """An ISO date written literally in an expected row."""
    return dt.date.fromisoformat(text)
