"""Hypothesis strategies for exposure protocols and timelines crowding ``protocols.md``'s bounds.

Rules: random agents (TPO-RA, with fostamatinib or rituximab at times) and random
``era_gap_days``/``exposure_effect_days``. Timelines: rows of those agents (and others) with gaps
around the era gap and the effect days, open-ended rows, cross-tapers, same-day starts, stop
reasons, rescue rows of an agent, rituximab and other lines, counts around every threshold,
bleeds and adverse events. Dates respect the importer's coherence (nothing after death, no count
after last follow-up).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from tests.reference.exposure import STOP_REASONS, Rules
from tests.reference.random_timelines import DRUG_CLASS, PLATELETS

DAY0 = dt.date(2020, 1, 1)
AGENT_SETS = (
    ("eltrombopag", "romiplostim", "avatrombopag"),
    ("eltrombopag", "romiplostim"),
    ("romiplostim",),
    ("fostamatinib",),
    ("eltrombopag", "rituximab"),
)
CLASSES = {
    **DRUG_CLASS,
    "avatrombopag": "tpo_ra",
    "fostamatinib": "other_itp",
}
GAPS = (-60, -20, -1, 0, 1, 5, 13, 14, 15, 16, 29, 30, 31, 32, 45, 60, 200)
LENGTHS = (None, None, 0, 1, 10, 29, 30, 31, 60, 120, 200)
OTHER_DRUGS = ("prednisone", "rituximab", "azathioprine", "ivig", "splenectomy", "danazol",
               "eltrombopag", "romiplostim", "platelet_transfusion")  # fmt: skip
COUNT_OFFSETS = (-31, -30, -3, 0, 1, 8, 9, 14, 15, 16, 20, 30, 45, 60, 100, 181)
AE_OFFSETS = (-1, 0, 1, 13, 14, 15, 16, 30)


def _date(day: int) -> dt.date:
    return DAY0 + dt.timedelta(days=day)


@st.composite
def exposure_rules(draw: st.DrawFn) -> Rules:
    return Rules(
        agents=draw(st.sampled_from(AGENT_SETS)),
        era_gap_days=draw(st.sampled_from((0, 14, 30, 60))),
        exposure_effect_days=draw(st.sampled_from((0, 7, 14, 15, 30))),
    )


@st.composite
def exposure_timeline(
    draw: st.DrawFn, center: str, patient_id: str, agents: tuple[str, ...]
) -> dict[str, list[dict[str, Any]]]:
    key = {"center": center, "patient_id": patient_id}
    treatments = []
    anchors = [0]
    day = 0
    for _ in range(draw(st.integers(0, 5))):
        day = max(0, day + draw(st.sampled_from(GAPS)))
        drug = draw(st.sampled_from((*agents, *agents, *OTHER_DRUGS[:3])))
        length = draw(st.sampled_from(LENGTHS))
        treatments.append(
            {
                **key,
                "drug": drug,
                "drug_class": CLASSES[drug],
                "start_date": _date(day),
                "end_date": None if length is None else _date(day + length),
                "dose": None,
                "dose_unit": None,
                "rescue": draw(st.sampled_from((False, False, False, False, True))),
                "stop_reason": draw(st.sampled_from((None, None, *STOP_REASONS))),
            }
        )
        anchors.append(day)
        if length:
            anchors.append(day + length)
    for _ in range(draw(st.integers(0, 2))):
        drug = draw(st.sampled_from(OTHER_DRUGS))
        start = draw(st.sampled_from(anchors)) + draw(st.sampled_from((-10, 0, 5, 20, 40)))
        length = draw(st.sampled_from((None, 0, 10)))
        treatments.append(
            {
                **key,
                "drug": drug,
                "drug_class": CLASSES[drug],
                "start_date": _date(start),
                "end_date": None if length is None else _date(start + length),
                "dose": None,
                "dose_unit": None,
                "rescue": draw(st.sampled_from((False, False, True))),
                "stop_reason": None,
            }
        )
    starts = [(t["start_date"] - DAY0).days for t in treatments] or [0]
    count_days = draw(
        st.lists(
            st.builds(lambda a, o: a + o, st.sampled_from(anchors), st.sampled_from(COUNT_OFFSETS)),
            max_size=8,
        )
    )
    counts = [
        {**key, "date": _date(n), "platelets": draw(st.sampled_from(PLATELETS)), "unit": None}
        for n in count_days
    ]
    # runs of counts every 8 to 15 days from an anchor, mostly high: responses and their losses
    for _ in range(draw(st.integers(0, 3))):
        n = draw(st.sampled_from(anchors)) + draw(st.sampled_from((-2, 0, 1, 3)))
        for _ in range(draw(st.integers(2, 6))):
            n += draw(st.sampled_from((1, 7, 8, 9, 14, 15)))
            value = draw(st.sampled_from((5.0, 20.0, 30.0, 45.0, 60.0, 100.0, 150.0, 400.0)))
            counts.append({**key, "date": _date(n), "platelets": value, "unit": None})
            count_days.append(n)
    bleeds = [
        {
            **key,
            "date": _date(draw(st.sampled_from(anchors)) + draw(st.sampled_from((3, 10, 20)))),
            "site": "skin",
            "who_grade": draw(st.sampled_from((1, 2, 3))),
            "severe": None,
        }
        for _ in range(draw(st.integers(0, 1)))
    ]
    aes = [
        {
            **key,
            "onset_date": _date(draw(st.sampled_from(anchors)) + draw(st.sampled_from(AE_OFFSETS))),
            "event": draw(st.sampled_from(("thrombosis", "hepatotoxicity", "other"))),
            "ctcae_grade": draw(st.sampled_from((None, 2))),
            "serious": None,
            "description": None,
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    last = max([*starts, *count_days, *(b["date"].toordinal() - DAY0.toordinal() for b in bleeds),
                *(a["onset_date"].toordinal() - DAY0.toordinal() for a in aes)])  # fmt: skip
    lfu = last + draw(st.sampled_from((0, 1, 15, 100, 400)))
    death = draw(st.sampled_from((None, None, None, 0, 5)))
    patient = {
        **key,
        "sex": "F",
        "birth_date": dt.date(1960, 3, 1),
        "birth_date_precision": "day",
        "diagnosis_date": _date(draw(st.sampled_from((-1000, -200, -30)))),
        "diagnosis_date_precision": "day",
        "itp_type": "primary",
        "secondary_cause": None,
        "last_followup_date": _date(lfu),
        "death_date": None if death is None else _date(lfu + death),
        "death_cause": None,
    }
    assessments = [
        {
            **key,
            "course_number": k,
            "response": draw(st.sampled_from(("CR", "R", "NR", "NE"))),
            "response_date": None,
            "loss_of_response_date": None,
        }
        for k in range(1, draw(st.integers(0, 2)) + 1)
    ]
    return {
        "patients": [patient],
        "treatments": treatments,
        "platelet_counts": counts,
        "bleeding_events": bleeds,
        "adverse_events": aes,
        "investigator_assessments": assessments,
    }


@st.composite
def exposure_cohort(
    draw: st.DrawFn, agents: tuple[str, ...], max_patients: int = 40
) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for i in range(draw(st.integers(1, max_patients))):
        one = draw(exposure_timeline("TLS" if i % 2 else "BDX", f"P{i:03d}", agents))
        for name, rows in one.items():
            tables.setdefault(name, []).extend(rows)
    return tables
