"""Bleeding events, adverse events, biomarkers and investigator assessments of simulated patients.

Bleeds at diagnosis, at lost responses and during failed courses (a fatal intracranial bleed for
some deaths); infusion reactions on infusion days and the later events of rituximab (infections,
hypogammaglobulinemia with a low IgG, late neutropenia, serum sickness...); IgG before courses,
B-cell depletion after them, MAIPA and antinuclear antibodies at diagnosis; the investigator's
response per course, agreeing with the counts in most courses. Nothing is dated after the last
follow-up.
"""

from __future__ import annotations

import numpy as np

from itpcohort.synth._arrays import NO_DATE, Rows, Table, categorical, uniform_days
from itpcohort.synth._timeline import MAX_COURSES, MAX_INFUSIONS, Timeline
from itpcohort.synth._vocab import AE_DESCRIPTIONS, CAUSE, EVENT, RESPONSE, SITE, TEST

_DESCRIPTION = {text: i for i, text in enumerate(AE_DESCRIPTIONS)}

#: events after a course: probability per course, onset window (days after the last infusion),
#: CTCAE grade probabilities (grades 1, 2, ...), descriptions
_LATER_EVENTS = (
    (
        "infection",
        0.12,
        30,
        300,
        (0.0, 0.6, 0.4),
        ("pneumonia", "urinary tract infection", "herpes zoster"),
    ),
    ("severe_infection", 0.03, 30, 300, (0.0, 0.0, 0.7, 0.3), ("pneumonia",)),
    ("neutropenia", 0.015, 30, 180, (0.0, 0.0, 0.6, 0.4), ("late-onset neutropenia",)),
    ("serum_sickness", 0.01, 7, 14, (0.0, 0.6, 0.4), ('reported as "serum sickness-like"',)),
    ("thrombosis", 0.01, 30, 365, (0.0, 0.5, 0.5), ("deep vein thrombosis",)),
    ("hbv_reactivation", 0.002, 60, 365, (0.0, 0.5, 0.5), ()),
    ("other", 0.02, 1, 365, (0.5, 0.5), ()),
)


def simulate_events(rng: np.random.Generator, t: Timeline) -> tuple[Table, Table, Table, Table]:
    """The ``bleeding_events``, ``adverse_events``, ``biomarkers`` and
    ``investigator_assessments`` rows of the timelines ``t``."""
    bleeding = _bleeding(rng, t)
    hypogamma = (
        t.valid & (np.arange(MAX_COURSES)[None, :] >= 1) & (rng.random(t.valid.shape) < 0.05)
    )
    hypogamma_day = t.course_ends + uniform_days(rng, 90, 365, t.valid.shape)
    hypogamma &= hypogamma_day <= t.followup_day[:, None]
    adverse = _adverse(rng, t, hypogamma, hypogamma_day)
    biomarkers = _biomarkers(rng, t, hypogamma, hypogamma_day)
    return bleeding, adverse, biomarkers, _assessments(rng, t)


def _bleeding(rng: np.random.Generator, t: Timeline) -> Table:
    n, K = t.n, MAX_COURSES
    p = np.arange(n)
    pk = np.broadcast_to(p[:, None], (n, K))
    rows = Rows(
        {
            "pidx": (np.int64, 0),
            "date": (np.int64, 0),
            "site": (np.int64, 0),
            "grade": (np.int64, -1),
            "severe": (bool, False),
        }
    )
    mild_sites = np.array(
        [SITE[s] for s in ("skin", "mucosal", "epistaxis", "gingival", "menorrhagia")]
    )
    mild = mild_sites[categorical(rng, (0.45, 0.2, 0.15, 0.1, 0.05), n)]
    menstruating = t.female & (t.age_at_diagnosis < 52)
    mild = np.where((mild == SITE["menorrhagia"]) & ~menstruating, SITE["skin"], mild)
    grade_mild = np.where(rng.random(n) < 0.6, 1, 2)
    at_diagnosis = rng.random(n) < 0.55
    rows.add(at_diagnosis, pidx=p, date=t.diagnosis, site=mild, grade=grade_mild, severe=False)
    # a bleed ends some responses
    serious_sites = np.array(
        [SITE[s] for s in ("gastrointestinal", "epistaxis", "mucosal", "genitourinary", "other")]
    )
    serious = serious_sites[categorical(rng, (0.35, 0.25, 0.2, 0.1, 0.1), (n, K))]
    grade = np.where(rng.random((n, K)) < 0.5, 2, 3)
    rows.add(
        t.lost & (t.loss_kind == 1),
        pidx=pk,
        date=t.loss_day,
        site=serious,
        grade=grade,
        severe=grade >= 3,
    )
    # mild bleeds while a course fails
    day = t.start_day + uniform_days(rng, 30, 150, (n, K))
    during_failure = (
        t.valid
        & ~t.responder
        & (rng.random((n, K)) < 0.25)
        & (day < t.next_start_day - 30)
        & (day <= t.followup_day[:, None])
    )
    rows.add(
        during_failure,
        pidx=pk,
        date=day,
        site=mild[:, None],
        grade=grade_mild[:, None],
        severe=False,
    )
    fatal = t.dies & (t.death_cause == 0)  # death at the last visit (see _timeline)
    rows.add(fatal, pidx=p, date=t.death_day, site=SITE["intracranial"], grade=4, severe=True)
    return rows.build("date")


def _adverse(
    rng: np.random.Generator, t: Timeline, hypogamma: np.ndarray, hypogamma_day: np.ndarray
) -> Table:
    n, K = t.n, MAX_COURSES
    p = np.arange(n)
    pk = np.broadcast_to(p[:, None], (n, K))
    rows = Rows(
        {
            "pidx": (np.int64, 0),
            "date": (np.int64, 0),
            "event": (np.int64, 0),
            "grade": (np.int64, -1),
            "serious": (bool, False),
            "description": (np.int64, -1),
        }
    )
    # infusion reactions on infusion days, mostly at the first infusion
    shape = (n, K, MAX_INFUSIONS)
    first = np.arange(MAX_INFUSIONS)[None, None, :] == 0
    reaction = t.infusion_valid & (rng.random(shape) < np.where(first, 0.12, 0.03))
    grade = categorical(rng, (0.6, 0.35, 0.05), shape) + 1
    rows.add(
        reaction,
        pidx=np.broadcast_to(p[:, None, None], shape),
        date=t.infusion_day,
        event=EVENT["infusion_reaction"],
        grade=grade,
        serious=grade >= 3,
        description=rng.integers(0, 3, shape),  # the first three descriptions: fever, rash...
    )
    rows.add(
        hypogamma,
        pidx=pk,
        date=hypogamma_day,
        event=EVENT["hypogammaglobulinemia"],
        grade=categorical(rng, (0.3, 0.6, 0.1), (n, K)) + 1,
        serious=False,
        description=_DESCRIPTION["IgG 4.2 g/L"],
    )
    for event, probability, low, high, grades, texts in _LATER_EVENTS:
        onset = t.course_ends + uniform_days(rng, low, high, (n, K))
        happens = t.valid & (rng.random((n, K)) < probability) & (onset <= t.followup_day[:, None])
        grade = categorical(rng, grades, (n, K)) + 1
        codes = np.array([_DESCRIPTION[x] for x in texts] or [-1])
        rows.add(
            happens,
            pidx=pk,
            date=onset,
            event=EVENT[event],
            grade=grade,
            serious=(grade >= 3) | (event == "severe_infection"),
            description=codes[rng.integers(0, codes.size, (n, K))],
        )
    reported_death = t.dies & (t.death_later == 0) & (rng.random(n) < 0.6)
    rows.add(
        reported_death,
        pidx=p,
        date=t.death_day,
        event=EVENT["death"],
        grade=5,
        serious=True,
        description=_DESCRIPTION["cause of death"],
    )
    return rows.build("date")


def _biomarkers(
    rng: np.random.Generator, t: Timeline, hypogamma: np.ndarray, hypogamma_day: np.ndarray
) -> Table:
    n, K = t.n, MAX_COURSES
    p = np.arange(n)
    pk = np.broadcast_to(p[:, None], (n, K))
    rows = Rows(
        {
            "pidx": (np.int64, 0),
            "date": (np.int64, 0),
            "test": (np.int64, 0),
            "number": (np.float64, np.nan),
            "positive": (np.int64, -1),
            "unit": (np.int64, -1),  # 0 g/L, 1 cells/uL
        }
    )
    # IgG before a course, lower after several courses
    igg = 9.5 - 0.6 * np.arange(K)[None, :] + 2.5 * rng.standard_normal((n, K))
    rows.add(
        t.valid & (rng.random((n, K)) < 0.5),
        pidx=pk,
        date=t.start_day - uniform_days(rng, 0, 30, (n, K)),
        test=TEST["igg"],
        number=np.round(np.clip(igg, 2.0, 20.0), 1),
        unit=0,
    )
    rows.add(
        hypogamma,
        pidx=pk,
        date=hypogamma_day,
        test=TEST["igg"],
        number=np.round(rng.uniform(2.5, 5.5, (n, K)), 1),
        unit=0,
    )
    # B cells depleted months after a course
    cd19_day = t.start_day + uniform_days(rng, 60, 180, (n, K))
    cd19 = (
        t.valid
        & (rng.random((n, K)) < 0.3)
        & (cd19_day < t.next_start_day)
        & (cd19_day <= t.followup_day[:, None])
    )
    rows.add(
        cd19,
        pidx=pk,
        date=cd19_day,
        test=TEST["cd19"],
        number=np.round(rng.exponential(3.0, (n, K))),
        unit=1,
    )
    # work-up at diagnosis
    maipa = rng.random(n) < 0.25
    rows.add(
        maipa,
        pidx=p,
        date=t.diagnosis + 7,
        test=TEST["maipa_gpiibiiia"],
        positive=rng.random(n) < 0.45,
    )
    ana = rng.random(n) < 0.4
    ana_positive = rng.random(n) < np.where(t.cause == CAUSE["sle"], 0.9, 0.15)
    rows.add(ana, pidx=p, date=t.diagnosis + 7, test=TEST["ana"], positive=ana_positive)
    return rows.build("date")


def _assessments(rng: np.random.Generator, t: Timeline) -> Table:
    """The investigator's response per course: the intended one when counts allow an assessment,
    not evaluable otherwise, and another answer in 7% of courses."""
    n, K = t.n, MAX_COURSES
    pk = np.broadcast_to(np.arange(n)[:, None], (n, K))
    window_end = np.minimum(
        np.minimum(t.start_day + 180, t.next_start_day), t.followup_day[:, None]
    )
    evaluable = (window_end - t.start_day > t.time_to_response + 10) & ~t.no_counts_after_course1[
        :, None
    ]
    recorded = np.where(evaluable, t.response, RESPONSE["NE"])
    disagree = rng.random((n, K)) < 0.07
    recorded = np.where(disagree, categorical(rng, (0.3, 0.3, 0.3, 0.1), (n, K)), recorded)
    response_day = t.start_day + t.time_to_response + uniform_days(rng, 0, 7, (n, K))
    has_response_day = (recorded <= 1) & (response_day <= t.followup_day[:, None])
    lost_after = has_response_day & t.lost & (t.loss_day > response_day)
    rows = Rows(
        {
            "pidx": (np.int64, 0),
            "course": (np.int64, 1),
            "response": (np.int64, 0),
            "response_date": (np.int64, NO_DATE),
            "loss_date": (np.int64, NO_DATE),
        }
    )
    rows.add(
        t.valid,
        pidx=pk,
        course=np.arange(1, K + 1)[None, :],
        response=recorded,
        response_date=np.where(has_response_day, response_day, NO_DATE),
        loss_date=np.where(lost_after, t.loss_day, NO_DATE),
    )
    return rows.build("course")
