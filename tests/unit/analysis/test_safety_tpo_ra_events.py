"""The TPO-RA adverse events (``protocols.md`` Data model additions) in the safety tables: listed
per course when a study recorded one, absent otherwise (a flagship study reports as before)."""

from __future__ import annotations

import pandas as pd

from itpcohort.analysis.safety import safety
from itpcohort.schema import AE_EVENTS, TPO_RA_AE_EVENTS


def _tables(events: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    patients = pd.DataFrame(
        {"center": ["TLS", "TLS"], "patient_id": ["P1", "P2"], "death_date": [None, None]}
    )
    courses = pd.DataFrame(
        {
            "center": ["TLS"] * 4,
            "patient_id": ["P1", "P1", "P2", "P2"],
            "course_number": [1, 2, 1, 2],
        }
    )
    ae = pd.DataFrame(
        {
            "center": ["TLS"] * len(events),
            "patient_id": ["P1"] * len(events),
            "event": events,
            "ctcae_grade": [2] * len(events),
            "serious": [False] * len(events),
            "course_number": [1] * len(events),
        }
    )
    return patients, courses, ae


def test_tpo_ra_events_are_not_listed_when_none_was_recorded() -> None:
    result = safety(*_tables(["thrombosis"]))
    for course in result.by_course:
        assert list(course.by_event) == [e for e in AE_EVENTS if e not in TPO_RA_AE_EVENTS]


def test_a_recorded_tpo_ra_event_is_listed_for_every_course() -> None:
    result = safety(*_tables(["hepatotoxicity", "thrombosis"]))
    course1, course2 = result.by_course
    assert "bone_marrow_fibrosis" not in course1.by_event
    assert (
        course1.by_event["hepatotoxicity"].n,
        course1.by_event["hepatotoxicity"].denominator,
    ) == (1, 2)
    assert course2.by_event["hepatotoxicity"].n == 0
    assert list(course1.by_event) == [e for e in AE_EVENTS if e != "bone_marrow_fibrosis"]
