"""The course of each simulated patient's disease: diagnosis, rituximab courses, responses and
their losses, follow-up and death, as whole arrays (one row per patient, one column per course).

Timing is drawn first relative to diagnosis, then the whole timeline is placed in the calendar so
that it ends before the data extraction day and the first course falls in the rituximab era.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from itpcohort.synth._arrays import NO_DATE, Table, categorical, lognormal, uniform_days
from itpcohort.synth._vocab import DEATH_CAUSE_P

MAX_COURSES = 4
MAX_INFUSIONS = 4
#: day of data extraction: nothing is dated after it
EXTRACTION_DAY = int(np.datetime64("2025-06-30", "D").astype(np.int64))
_RITUXIMAB_ERA = int(np.datetime64("2002-01-01", "D").astype(np.int64))
_EARLIEST_DIAGNOSIS = int(np.datetime64("1978-01-01", "D").astype(np.int64))
_EARLIEST_BIRTH = int(np.datetime64("1901-01-01", "D").astype(np.int64))
_OLDEST_AT_FIRST_COURSE = 92.0
_NEVER = np.iinfo(np.int64).max // 4  # a day that never comes (no loss, no next course)

#: rituximab regimens simulated: name, dose, unit, number of infusions, days between infusions
REGIMENS = (
    ("375x4", 375.0, "mg/m2", 4, 7),
    ("1000x2", 1000.0, "mg", 2, 14),
    ("low_dose", 100.0, "mg", 4, 7),
    ("other", 500.0, "mg", 2, 14),
)
_REGIMEN_P = (0.55, 0.30, 0.12, 0.03)


@dataclass(frozen=True)
class Timeline:
    """Per-patient arrays (shape ``(n,)``) and per-course arrays (``(n, MAX_COURSES)``; per
    infusion ``(n, MAX_COURSES, MAX_INFUSIONS)``); days are days since 1970-01-01.

    ``response`` is the intended response of each course (0 CR, 1 R, 2 NR); ``lost`` marks the
    responses lost before the last follow-up, on ``loss_day``, by ``loss_kind`` (0 falling counts,
    1 a bleed, 2 a rescue, 3 a new line); ``low_level`` (``(n, MAX_COURSES + 1)``) is the count
    level before each course and after the last.
    """

    n: int
    minor: np.ndarray
    female: np.ndarray
    secondary: np.ndarray
    cause: np.ndarray
    age_at_diagnosis: np.ndarray
    first_course_delay: np.ndarray
    n_courses: np.ndarray
    last: np.ndarray
    valid: np.ndarray
    regimen: np.ndarray
    infusion_valid: np.ndarray
    infusion_day: np.ndarray
    course_ends: np.ndarray
    response: np.ndarray
    responder: np.ndarray
    time_to_response: np.ndarray
    low_level: np.ndarray
    plateau: np.ndarray
    lost: np.ndarray
    loss_kind: np.ndarray
    loss_day: np.ndarray
    start_day: np.ndarray
    next_start_day: np.ndarray
    diagnosis: np.ndarray
    birth: np.ndarray
    followup_day: np.ndarray
    dies: np.ndarray
    death_later: np.ndarray
    death_cause: np.ndarray
    death_day: np.ndarray
    no_counts_after_course1: np.ndarray
    ivig_before: np.ndarray


def simulate_timeline(rng: np.random.Generator, n: int) -> Timeline:
    """Draw the timelines of ``n`` patients (``_cohort`` tells the story)."""
    p = np.arange(n)
    K = MAX_COURSES

    minor = rng.random(n) < 0.04
    female = rng.random(n) < 0.58
    secondary = rng.random(n) < 0.15
    cause = np.where(
        secondary, categorical(rng, (0.3, 0.1, 0.08, 0.15, 0.05, 0.04, 0.05, 0.05, 0.18), n), -1
    )
    n_courses = np.where(
        minor, 1 + (rng.random(n) < 0.3), 1 + categorical(rng, (0.24, 0.46, 0.2, 0.1), n)
    )
    age_at_diagnosis = np.where(
        minor, rng.uniform(2.0, 15.0, n), np.clip(18.0 + rng.gamma(2.0, 12.5, n), 18.0, 90.0)
    )
    first_course_delay = np.where(
        rng.random(n) < 0.12,
        uniform_days(rng, 20, 365, n),
        lognormal(rng, 1500.0, 1.1, n, 60.0, 25 * 365.0).astype(np.int64),
    )
    # children are still children at their first course; nobody is older than 92 at it
    room = np.where(minor, 17.6, _OLDEST_AT_FIRST_COURSE) - age_at_diagnosis
    first_course_delay = np.clip(
        first_course_delay, 20, np.maximum((room * 365.25).astype(np.int64), 20)
    )

    # --- courses: regimen, infusions, response, timing (days after diagnosis) --------------------
    valid = np.arange(K)[None, :] < n_courses[:, None]
    regimen = np.empty((n, K), dtype=np.int64)
    regimen[:, 0] = np.where(minor, 0, categorical(rng, _REGIMEN_P, n))
    for k in range(1, K):
        keep = rng.random(n) < 0.6
        regimen[:, k] = np.where(keep | minor, regimen[:, k - 1], categorical(rng, _REGIMEN_P, n))
    regimen_infusions = np.array([r[3] for r in REGIMENS])
    regimen_spacing = np.array([r[4] for r in REGIMENS])
    n_infusions = regimen_infusions[regimen]
    n_infusions = np.where((regimen == 0) & (rng.random((n, K)) < 0.05), 3, n_infusions)
    spacing = regimen_spacing[regimen][:, :, None] + rng.integers(-1, 2, (n, K, 4))
    spacing[:, :, 0] = 0
    infusion_offset = np.cumsum(spacing, axis=2)  # (n, K, 4) days after the course start
    infusion_valid = (np.arange(4)[None, None, :] < n_infusions[:, :, None]) & valid[:, :, None]
    last_infusion = np.take_along_axis(infusion_offset, (n_infusions - 1)[:, :, None], 2)[:, :, 0]

    response = np.empty((n, K), dtype=np.int64)  # 0 CR, 1 R, 2 NR (intended)
    response[:, 0] = categorical(rng, (0.45, 0.2, 0.35), n)
    for k in range(1, K):
        after_response = categorical(rng, (0.6, 0.2, 0.2), n)
        after_failure = categorical(rng, (0.03, 0.07, 0.9), n)
        response[:, k] = np.where(response[:, k - 1] <= 1, after_response, after_failure)
    responder = response <= 1
    time_to_response = lognormal(rng, 30.0, 0.5, (n, K), 10.0, 120.0).astype(np.int64)
    duration = np.empty((n, K), dtype=np.int64)
    duration[:, 0] = lognormal(rng, 450.0, 1.0, n, 45.0, 4000.0)
    for k in range(1, K):
        fresh = lognormal(rng, 450.0, 1.0, n, 45.0, 4000.0)
        related = np.clip(duration[:, k - 1] * np.exp(0.6 * rng.standard_normal(n)), 45.0, 4000.0)
        duration[:, k] = np.where(responder[:, k - 1], related, fresh)
    # platelet level before each course (index k) and after the last one (index K)
    low_level = np.empty((n, K + 1))
    low_level[:, 0] = lognormal(rng, 15.0, 0.5, n, 3.0, 28.0)
    for k in range(1, K + 1):
        fresh = lognormal(rng, 15.0, 0.5, n, 3.0, 28.0)
        drift = np.clip(low_level[:, k - 1] * np.exp(0.25 * rng.standard_normal(n)), 3.0, 28.0)
        low_level[:, k] = np.where(responder[:, k - 1], fresh, drift)
    cr_plateau = lognormal(rng, 180.0, 0.35, (n, K), 115.0, 500.0)
    r_floor = np.maximum(40.0, 2.6 * low_level[:, :K])
    r_plateau = r_floor + rng.random((n, K)) * (95.0 - r_floor)
    plateau = np.where(response == 0, cr_plateau, r_plateau)

    start = np.zeros((n, K), dtype=np.int64)
    start[:, 0] = first_course_delay
    for k in range(1, K):
        relapse_delay = lognormal(rng, 60.0, 0.7, n, 14.0, 1000.0).astype(np.int64)
        after_response = time_to_response[:, k - 1] + duration[:, k - 1] + relapse_delay
        after_failure = lognormal(rng, 300.0, 0.6, n, 120.0, 3000.0).astype(np.int64)
        gap = np.where(responder[:, k - 1], after_response, after_failure)
        start[:, k] = start[:, k - 1] + np.maximum(gap, last_infusion[:, k - 1] + 90)
    last = n_courses - 1
    last_start = start[p, last]
    last_end = last_start + last_infusion[p, last]
    follow_up = lognormal(rng, 900.0, 0.8, n, 60.0, 6000.0).astype(np.int64)
    no_counts_after_course1 = rng.random(n) < 0.02
    last_followup = np.where(
        no_counts_after_course1,
        last_end,
        last_start + np.maximum(follow_up, last_infusion[p, last]),
    )

    loss = np.where(responder, start + time_to_response + duration, _NEVER)
    lost = responder & valid & (loss <= last_followup[:, None])
    loss_kind = categorical(rng, (0.5, 0.2, 0.2, 0.1), (n, K))  # counts, bleed, rescue, new line
    next_start = np.where(
        np.arange(K)[None, :] < last[:, None],
        np.concatenate([start[:, 1:], np.zeros((n, 1), dtype=np.int64)], axis=1),
        _NEVER,
    )

    # --- calendar: place the whole timeline before the extraction day --------------------------
    age_at_followup = age_at_diagnosis + last_followup / 365.25
    dies = rng.random(n) < 0.015 + 0.08 * (age_at_followup > 72)
    death_later = np.where(rng.random(n) < 0.7, 0, uniform_days(rng, 1, 90, n))
    death_cause = categorical(rng, DEATH_CAUSE_P, n)
    death_later = np.where(death_cause == 0, 0, death_later)  # the fatal bleed is the last visit
    span = last_followup + np.where(dies, death_later, 0)
    latest = EXTRACTION_DAY - span
    earliest = np.maximum(
        np.maximum(latest - 25 * 365, _RITUXIMAB_ERA - first_course_delay), _EARLIEST_DIAGNOSIS
    )
    earliest = np.minimum(earliest, latest)
    diagnosis = earliest + (rng.random(n) * (latest - earliest + 1)).astype(np.int64)
    # the oldest patients of the earliest diagnoses: born in 1901 at the earliest
    birth = np.maximum(diagnosis - (age_at_diagnosis * 365.25).astype(np.int64), _EARLIEST_BIRTH)
    start_day = diagnosis[:, None] + start
    loss_day = diagnosis[:, None] + loss
    next_start_day = diagnosis[:, None] + next_start
    followup_day = diagnosis + last_followup
    death_day = np.where(dies, followup_day + death_later, NO_DATE)
    death_day = np.where(dies, np.minimum(death_day, EXTRACTION_DAY), NO_DATE)
    infusion_day = start_day[:, :, None] + infusion_offset

    course_ends = start_day + last_infusion
    ivig_before = valid & (rng.random((n, K)) < 0.12)
    return Timeline(
        n=n,
        minor=minor,
        female=female,
        secondary=secondary,
        cause=cause,
        age_at_diagnosis=age_at_diagnosis,
        first_course_delay=first_course_delay,
        n_courses=n_courses,
        last=last,
        valid=valid,
        regimen=regimen,
        infusion_valid=infusion_valid,
        infusion_day=infusion_day,
        course_ends=course_ends,
        response=response,
        responder=responder,
        time_to_response=time_to_response,
        low_level=low_level,
        plateau=plateau,
        lost=lost,
        loss_kind=loss_kind,
        loss_day=loss_day,
        start_day=start_day,
        next_start_day=next_start_day,
        diagnosis=diagnosis,
        birth=birth,
        followup_day=followup_day,
        dies=dies,
        death_later=death_later,
        death_cause=death_cause,
        death_day=death_day,
        no_counts_after_course1=no_counts_after_course1,
        ivig_before=ivig_before,
    )


def patients_table(rng: np.random.Generator, t: Timeline) -> Table:
    """The ``patients`` rows: precision 0 = full date, 1 = ``YYYY-MM``, 2 = ``YYYY``."""
    n = t.n
    return {
        "pidx": np.arange(n),
        "female": t.female,
        "birth": t.birth,
        "birth_precision": categorical(rng, (0.94, 0.03, 0.03), n),
        "diagnosis": t.diagnosis,
        # a diagnosis known to the month only, long before rituximab
        "diagnosis_precision": np.where(
            (rng.random(n) < 0.04) & (t.first_course_delay > 400), 1, 0
        ),
        "secondary": t.secondary,
        "cause": t.cause,
        "last_followup": t.followup_day,
        "death": t.death_day,
        "death_cause": np.where(t.dies, t.death_cause, -1),
    }
