"""Analysis 6: adverse events per course (``flagship-study.md`` Analysis 6, ``response-criteria.md`` §8).

Events are attributed to courses upstream (``ae_by_course``; ``course_number`` empty =
unattributed). For each course the denominator is the included patients who received that course
(all included patients for courses 1 and 2). A patient counts once per line (``patients with ≥ 1
event``, each event type, grade ≥ 3, serious), whatever the number of events; the number of events
is given too. ``infections`` groups ``infection`` and ``severe_infection``. ``deaths`` counts the
included patients with a ``death_date`` (any cause, any time); adverse events recorded as ``death``
appear, per course, under ``by_event["death"]``. ``by_event`` lists every event of the
vocabulary, the TPO-RA events (``schema.TPO_RA_AE_EVENTS``) only when the study recorded one.
Events that belong to no course (more than ``ae_attribution_days`` after the last infusion) are
counted apart as unattributed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from itpcohort.analysis.estimates import Proportion, proportion
from itpcohort.analysis.population import KEY
from itpcohort.schema import AE_EVENTS, TPO_RA_AE_EVENTS

INFECTION_EVENTS = ("infection", "severe_infection")


@dataclass(frozen=True)
class SafetyCourse:
    """Adverse events of one course (``safety.by_course[]``)."""

    course: int
    patients: int
    n_events: int
    patients_with_event: Proportion
    by_event: dict[str, Proportion]
    infections: Proportion
    grade_3_or_more: Proportion
    serious: Proportion


@dataclass(frozen=True)
class Safety:
    """Adverse events by course, unattributed events and deaths among the included patients."""

    by_course: list[SafetyCourse]
    unattributed_events: int
    unattributed_patients: int
    deaths: Proportion
    note: str | None = None


def _patients_with(events: pd.DataFrame, mask: pd.Series, denominator: int) -> Proportion:
    return proportion(int(events.loc[mask, KEY].drop_duplicates().shape[0]), denominator)


def _patients_by_event(events: pd.DataFrame) -> dict[str, int]:
    """The number of patients with each event of ``events`` (one pass, not one per event)."""
    return events[[*KEY, "event"]].drop_duplicates()["event"].value_counts().to_dict()


def safety(patients: pd.DataFrame, courses: pd.DataFrame, ae_by_course: pd.DataFrame) -> Safety:
    """Safety tables of the included patients (``patients``, ``courses`` of the Population)."""
    events = ae_by_course.merge(patients[KEY], on=KEY, how="inner")
    attributed = events[events["course_number"].notna()].copy()
    recorded = set(ae_by_course["event"])
    listed = [e for e in AE_EVENTS if e not in TPO_RA_AE_EVENTS or e in recorded]
    attributed["course_number"] = attributed["course_number"].astype(int)
    unattributed = events[events["course_number"].isna()]
    by_course = []
    course_numbers = sorted(set(courses["course_number"].astype(int)) | {1, 2})
    for number in course_numbers:
        denominator = int((courses["course_number"] == number).sum())
        of_course = attributed[attributed["course_number"] == number]
        grade = of_course["ctcae_grade"]
        by_event = _patients_by_event(of_course)
        by_course.append(
            SafetyCourse(
                course=number,
                patients=denominator,
                n_events=len(of_course),
                patients_with_event=_patients_with(
                    of_course, pd.Series(True, index=of_course.index), denominator
                ),
                by_event={
                    event: proportion(int(by_event.get(event, 0)), denominator) for event in listed
                },
                infections=_patients_with(
                    of_course, of_course["event"].isin(INFECTION_EVENTS), denominator
                ),
                grade_3_or_more=_patients_with(
                    of_course, grade.ge(3).fillna(False).astype(bool), denominator
                ),
                serious=_patients_with(
                    of_course, of_course["serious"].fillna(False).astype(bool), denominator
                ),
            )
        )
    died = patients["death_date"].notna()
    return Safety(
        by_course=by_course,
        unattributed_events=len(unattributed),
        unattributed_patients=int(unattributed[KEY].drop_duplicates().shape[0]),
        deaths=proportion(int(died.sum()), len(patients)),
        note=None if len(events) else "no adverse event recorded for the included patients",
    )
