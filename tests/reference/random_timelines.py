"""Hypothesis strategies for random patient timelines that crowd the boundaries of the criteria.

Days are drawn from small sets around every boundary of ``response-criteria.md`` (gaps of 60/61,
7/8 days, window day 180/181, rescue exclusion ends, ...) and platelet values around every
threshold (30, 100, twice a baseline), so that a few hundred random patients exercise most rules.
Timelines respect the date coherence the importer enforces (no count after last follow-up, nothing
after death).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from itpcohort.criteria import Criteria

DAY0 = dt.date(2020, 1, 1)

PLATELETS = (0.0, 5.0, 10.0, 14.5, 15.0, 15.5, 20.0, 25.0, 29.5, 30.0, 30.5, 31.0, 40.0, 50.0,
             60.0, 61.0, 99.5, 100.0, 100.5, 150.0, 400.0)  # fmt: skip
INFUSION_GAPS = (0, 1, 6, 7, 13, 14, 30, 59, 60, 61)
COURSE_GAPS = (58, 60, 61, 62, 90, 150, 179, 180, 181, 182, 200, 365, 400)
COUNT_OFFSETS = (-40, -31, -30, -1, 0, 1, 2, 7, 8, 9, 15, 16, 23, 28, 29, 30, 45, 60, 90, 120,
                 179, 180, 181, 200, 300)  # fmt: skip
DOSES = (None, 100.0, 90.0, 110.0, 111.0, 89.0, 375.0, 337.5, 412.5, 413.0, 337.0, 500.0,
         1000.0, 900.0, 1100.0, 1101.0, 899.0)  # fmt: skip
DOSE_UNITS = (None, "mg", "mg/m2", "mg/kg")
OTHER_DRUGS = ("prednisone", "dexamethasone", "methylprednisolone", "eltrombopag", "romiplostim",
               "azathioprine", "vincristine", "cyclophosphamide", "splenectomy", "ivig", "anti_d",
               "platelet_transfusion", "tranexamic_acid", "danazol", "other")  # fmt: skip
DRUG_CLASS = {
    "prednisone": "corticosteroids",
    "dexamethasone": "corticosteroids",
    "methylprednisolone": "corticosteroids",
    "eltrombopag": "tpo_ra",
    "romiplostim": "tpo_ra",
    "azathioprine": "immunosuppressant",
    "vincristine": "other_itp",
    "cyclophosphamide": "immunosuppressant",
    "splenectomy": "splenectomy",
    "ivig": "ivig",
    "anti_d": "ivig",
    "platelet_transfusion": "supportive",
    "tranexamic_acid": "supportive",
    "danazol": "other_itp",
    "other": "other",
    "rituximab": "anti_cd20",
}
AE_EVENTS = ("infusion_reaction", "infection", "neutropenia", "other")


def _date(day: int) -> dt.date:
    return DAY0 + dt.timedelta(days=day)


@st.composite
def patient_timeline(
    draw: st.DrawFn, center: str, patient_id: str
) -> dict[str, list[dict[str, Any]]]:
    """One patient's canonical rows: rituximab courses, counts, other treatments, bleeds, AEs."""
    key = {"center": center, "patient_id": patient_id}
    n_courses = draw(st.integers(0, 3))
    infusion_days: list[int] = []
    day = 0
    for k in range(n_courses):
        if k:
            day += draw(st.sampled_from(COURSE_GAPS))
        for i in range(draw(st.integers(1, 4))):
            if i:
                day += draw(st.sampled_from(INFUSION_GAPS))
            infusion_days.append(day)
    last_event = max(infusion_days, default=0)
    treatments = [
        {
            **key,
            "drug": "rituximab",
            "drug_class": "anti_cd20",
            "start_date": _date(d),
            "end_date": None,
            "dose": draw(st.sampled_from(DOSES)),
            "dose_unit": draw(st.sampled_from(DOSE_UNITS)),
            "rescue": draw(st.sampled_from((False, False, False, True))),
        }
        for d in infusion_days
    ]
    # counts: around course starts and spread after them
    anchor_days = infusion_days or [0]
    count_days = draw(
        st.lists(
            st.builds(
                lambda a, off: a + off,
                st.sampled_from(anchor_days),
                st.sampled_from(COUNT_OFFSETS),
            ),
            max_size=18,
        )
    )
    counts = [
        {**key, "date": _date(d), "platelets": draw(st.sampled_from(PLATELETS)), "unit": None}
        for d in count_days
    ]
    last_event = max([last_event, *count_days])
    others = []
    for _ in range(draw(st.integers(0, 4))):
        drug = draw(st.sampled_from(OTHER_DRUGS))
        start = draw(st.sampled_from(anchor_days)) + draw(
            st.sampled_from((-200, -30, -29, -1, 0, 1, 5, 10, 20, 30, 60, 100, 181))
        )
        length = draw(st.sampled_from((None, None, 0, 1, 5, 20, 60)))
        others.append(
            {
                **key,
                "drug": drug,
                "drug_class": DRUG_CLASS[drug],
                "start_date": _date(start),
                "end_date": None if length is None else _date(start + length),
                "dose": None,
                "dose_unit": None,
                "rescue": draw(st.sampled_from((False, False, True))),
            }
        )
        last_event = max(last_event, start)
    bleeds = []
    for _ in range(draw(st.integers(0, 2))):
        d = draw(st.sampled_from(anchor_days)) + draw(
            st.sampled_from((-5, 0, 3, 8, 10, 16, 25, 40, 90))
        )
        grade = draw(st.sampled_from((None, 0, 1, 2, 3, 4)))
        site = draw(st.sampled_from(("skin", "epistaxis", "intracranial")))
        severe = draw(st.sampled_from((None, None, True, False)))
        bleeds.append({**key, "date": _date(d), "site": site, "who_grade": grade, "severe": severe})
        last_event = max(last_event, d)
    aes = []
    for _ in range(draw(st.integers(0, 2))):
        d = draw(st.sampled_from(anchor_days)) + draw(
            st.sampled_from((-1, 0, 1, 2, 30, 365, 366, 400))
        )
        aes.append(
            {
                **key,
                "onset_date": _date(d),
                "event": draw(st.sampled_from(AE_EVENTS)),
                "ctcae_grade": draw(st.sampled_from((None, 1, 3))),
                "serious": draw(st.sampled_from((None, True, False))),
                "description": None,
            }
        )
        last_event = max(last_event, d)
    lfu = last_event + draw(st.sampled_from((0, 0, 1, 30, 365)))
    death = draw(st.sampled_from((None, None, None, "at_lfu", "before_lfu", "after_lfu")))
    death_day = {
        None: None,
        "at_lfu": lfu,
        "before_lfu": max(last_event, lfu - 10),
        "after_lfu": lfu + 20,
    }[death]
    birth = draw(st.sampled_from((dt.date(1950, 7, 1), dt.date(1980, 2, 29), dt.date(2002, 1, 15))))
    diagnosis_offset = draw(st.sampled_from((-1000, -366, -365, -92, -91, -10, 0)))
    patient = {
        **key,
        "sex": draw(st.sampled_from(("F", "M"))),
        "birth_date": birth,
        "birth_date_precision": "day",
        "diagnosis_date": _date(diagnosis_offset),
        "diagnosis_date_precision": "day",
        "itp_type": "primary",
        "secondary_cause": None,
        "last_followup_date": _date(lfu),
        "death_date": None if death_day is None else _date(death_day),
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
        for k in range(1, draw(st.integers(0, n_courses + 1)) + 1)
    ]
    return {
        "patients": [patient],
        "treatments": treatments + others,
        "platelet_counts": counts,
        "bleeding_events": bleeds,
        "adverse_events": aes,
        "investigator_assessments": assessments,
    }


@st.composite
def cohort(
    draw: st.DrawFn, min_patients: int = 1, max_patients: int = 40
) -> dict[str, list[dict[str, Any]]]:
    """Several random patients in two centers, merged into canonical tables."""
    n = draw(st.integers(min_patients, max_patients))
    tables: dict[str, list[dict[str, Any]]] = {}
    for i in range(n):
        center = "TLS" if i % 2 else "BDX"
        one = draw(patient_timeline(center, f"P{i:03d}"))
        for name, rows in one.items():
            tables.setdefault(name, []).extend(rows)
    return tables


@st.composite
def criteria_sets(draw: st.DrawFn) -> Criteria:
    """The default criteria or a random set of overrides in their allowed ranges."""
    overrides: dict[str, Any] = {}
    if draw(st.booleans()):
        options: dict[str, st.SearchStrategy[Any]] = {
            "course_gap_days": st.sampled_from((30, 60, 90)),
            "dose_tolerance_pct": st.sampled_from((0, 5, 10, 20)),
            "baseline_days": st.sampled_from((0, 7, 30, 60)),
            "response_window_days": st.sampled_from((30, 90, 180, 365)),
            "rescue_exclusion_days": st.sampled_from((0, 14, 28)),
            "cr_threshold": st.sampled_from((100.0, 150.0)),
            "r_threshold": st.sampled_from((20.0, 30.0, 50.0)),
            "r_fold": st.sampled_from((1.0, 1.5, 2.0, 3.0)),
            "confirm_days": st.sampled_from((0, 7, 14, 28)),
            "bleeding_min_grade": st.sampled_from((0, 1, 2, 3)),
            "loss_confirm_days": st.sampled_from((0, 1, 7)),
            "similar_duration_ratio": st.sampled_from((0.5, 0.7, 0.75, 1.0)),
            "ae_attribution_days": st.sampled_from((30, 365)),
            "infusion_reaction_days": st.sampled_from((0, 1, 2)),
            "persistent_from_months": st.sampled_from((3, 6)),
            "chronic_after_months": st.sampled_from((12, 24)),
        }
        chosen = draw(st.lists(st.sampled_from(sorted(options)), max_size=6, unique=True))
        overrides = {name: draw(options[name]) for name in chosen}
    return Criteria().with_overrides(**overrides)
