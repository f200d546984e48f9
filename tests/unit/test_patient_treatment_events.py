"""Mart ``patient_treatment_events`` on hand-worked timelines (engine and plain-Python reference).

Every expected row was written by reading ``response-criteria.md`` sections 2 and 6, not by running
code. Notation as in ``timeline_builders``: ``d(n)`` is day n from 2020-01-01, the standard course
is rituximab on days 0, 7, 14, 21 (course 1), last follow-up day 731; a gap of more than 60 days
between two administrations starts a new course.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from itpcohort.criteria import Criteria
from itpcohort.derive.serialize import derived_csv_bytes
from tests.reference.canonical import arrow_tables, run_engine
from tests.reference.derivation import derive_reference
from tests.unit.timeline_builders import Rows, d, merge, patient, rtx, standard, tx

CASES: dict[str, tuple[Rows, list[tuple[int, str, int, int]]]] = {}


def case(pid: str, rows: Rows, *expected: tuple[int, str, int, int]) -> None:
    """``expected``: (event day, event, days from course 1, course number) in sort order."""
    CASES[pid] = (rows, list(expected))


# Course 1 on day 0, course 2 on day 200 (rituximab 200, 207).
# - IVIG (always rescue) and a prednisone row flagged rescue, both on day 45: one rescue event.
# - IVIG on day −30 (before course 1): before the swimmer's origin, not listed.
# - Eltrombopag from day 100 (no end: ongoing to last follow-up): new after course 1 -> day 100.
# - Romiplostim from day 150: also new for course 1 but not its first one -> not listed; for
#   course 2 it is ongoing at its start (day 200), so never new for course 2.
# - IVIG on day 200, the course-2 start day: a rescue of course 2, 200 days from course 1.
# - Dexamethasone days 300–310: corticosteroids were not ongoing at day 200 (the day-45
#   prednisone was rescue) -> course 2's first new treatment, day 300.
case(
    "full",
    merge(
        standard("full"),
        rtx("full", 200, 207),
        tx("full", "ivig", 45),
        tx("full", "prednisone", 45, 49, rescue=True),
        tx("full", "ivig", -30),
        tx("full", "eltrombopag", 100),
        tx("full", "romiplostim", 150),
        tx("full", "ivig", 200),
        tx("full", "dexamethasone", 300, 310),
    ),
    (45, "rescue", 45, 1),
    (100, "new_treatment", 100, 1),
    (200, "rescue", 200, 2),
    (300, "new_treatment", 300, 2),
)
# Prednisone taper running over the course-1 start (days −10 to 60) is not new, nor is a
# restart of the same agent on day 90 (the agent was ongoing at the start). No event.
case(
    "taper",
    merge(
        standard("taper"),
        tx("taper", "prednisone", -10, 60),
        tx("taper", "prednisone", 90, 120),
    ),
)
# Eltrombopag from day 250 is the first new treatment of course 1 and of course 2 (day 200):
# one event, in course 2 (the latest course started on or before day 250).
case(
    "shared",
    merge(standard("shared"), rtx("shared", 200), tx("shared", "eltrombopag", 250)),
    (250, "new_treatment", 250, 2),
)
# A rescue and a new treatment on the same day are two events, "new_treatment" sorted first;
# a rescue on the course-1 start day is 0 days from course 1.
case(
    "same_day",
    merge(
        standard("same_day"),
        tx("same_day", "ivig", 0),
        tx("same_day", "platelet_transfusion", 60),
        tx("same_day", "eltrombopag", 60),
    ),
    (0, "rescue", 0, 1),
    (60, "new_treatment", 60, 1),
    (60, "rescue", 60, 1),
)
# A patient without rituximab is in no derived table, events included.
case("no_rtx", merge(patient("no_rtx"), tx("no_rtx", "ivig", 10)))


@pytest.fixture(scope="module", params=["engine", "reference"])
def events(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    rows = merge(*(timeline for timeline, _ in CASES.values()))
    if request.param == "engine":
        return run_engine(rows)["patient_treatment_events"]
    canonical = {name: table.to_pylist() for name, table in arrow_tables(rows).items()}
    return derive_reference(canonical, Criteria())["patient_treatment_events"]


@pytest.mark.parametrize("pid", sorted(CASES))
def test_events_as_worked_by_hand(events: list[dict[str, Any]], pid: str) -> None:
    expected = [
        {
            "center": "TLS",
            "patient_id": pid,
            "event_date": d(day),
            "event": event,
            "days_from_course1": since,
            "course_number": number,
        }
        for day, event, since, number in CASES[pid][1]
    ]
    assert [row for row in events if row["patient_id"] == pid] == expected


def test_engine_rows_come_sorted_and_the_csv_is_the_contract_layout() -> None:
    rows = merge(*(timeline for timeline, _ in CASES.values()))
    arrow = run_engine(rows)["patient_treatment_events"]
    keys = [(r["center"], r["patient_id"], r["event_date"], r["event"]) for r in arrow]
    assert keys == sorted(keys)
    text = derived_csv_bytes("patient_treatment_events", pa.Table.from_pylist(arrow)).decode()
    lines = text.splitlines()
    assert lines[0] == "center,patient_id,event_date,event,days_from_course1,course_number"
    assert "TLS,full,2020-02-15,rescue,45,1" in lines
    assert len(lines) == 1 + sum(len(expected) for _, expected in CASES.values())
