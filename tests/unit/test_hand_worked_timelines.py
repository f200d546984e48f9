"""Hand-worked one-patient timelines on every boundary of ``response-criteria.md``.

Every expected row was written by reading the spec, not by running code; the comment above each
case gives the reasoning. All timelines run through the Ibis engine in one batch (and through the
plain-Python reference), and each case checks its patient's rows in both.

Notation (see ``timeline_builders``): ``d(n)`` is day n from 2020-01-01; the standard course is
375 mg/m2 on days 0, 7, 14, 21 with a baseline count of 10 on day −3; the patient is born
1970-01-01 (49 at day 0, 50 from day 1, since 50 × 365.25 = 18262.5 days and day 0 is day 18262),
diagnosed 2015-01-01 (chronic) and last seen on day 731 (2022-01-01).
"""

from __future__ import annotations

from typing import Any

import pytest

from itpcohort.criteria import Criteria
from tests.reference.canonical import arrow_tables, run_engine
from tests.reference.derivation import derive_reference
from tests.unit.timeline_builders import (
    Rows,
    bleed,
    counts,
    d,
    date,
    merge,
    patient,
    rtx,
    standard,
    tx,
)

BASE: dict[str, Any] = {
    "center": "TLS",
    "patient_id": None,
    "course_number": 1,
    "start_date": d(0),
    "end_date": d(21),
    "n_infusions": 4,
    "regimen": "375x4",
    "age_at_course": 49,
    "itp_phase": "chronic",
    "prior_lines": 0,
    "splenectomy_before": False,
    "baseline_platelets": 10.0,
    "response": "NE",
    "response_date": None,
    "time_to_response_days": None,
    "duration_days": None,
    "duration_censored": None,
    "cr_duration_days": None,
    "cr_duration_censored": None,
    "flags": "",
}


def course(pid: str, **changes: Any) -> dict[str, Any]:
    """The expected ``courses`` row: the standard row with the hand-worked changes."""
    unknown = set(changes) - set(BASE)
    assert not unknown, unknown
    return {**BASE, "patient_id": pid, **changes}


CASES: dict[str, tuple[Rows, list[dict[str, Any]]]] = {}


def case(pid: str, rows: Rows, *expected: dict[str, Any]) -> None:
    CASES[pid] = (rows, list(expected))


# --- section 1: courses and regimens --------------------------------------------------------
# Administrations 60 days apart: "at most course_gap_days" -> one course of 2 doses (not 375x4).
case(
    "gap_60",
    merge(patient("gap_60"), rtx("gap_60", 0, 60), counts("gap_60", {-3: 10.0})),
    course("gap_60", end_date=d(60), n_infusions=2, regimen="other"),
)
# 61 days apart: a new course. Course 1's window ends on day 61 (< 180): cut by the next course.
# Course 2 (day 61): last count day −3 is older than 30 days -> no baseline; age 50.
case(
    "gap_61",
    merge(patient("gap_61"), rtx("gap_61", 0, 61), counts("gap_61", {-3: 10.0})),
    course(
        "gap_61", end_date=d(0), n_infusions=1, regimen="other", flags="window_cut_by_next_course"
    ),
    course(
        "gap_61",
        course_number=2,
        start_date=d(61),
        end_date=d(61),
        n_infusions=1,
        regimen="other",
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline",
    ),
)
# Two rows on day 0 (gap 0) + days 7, 14: one course of four 375 mg/m2 doses.
case(
    "same_day_doses",
    merge(
        patient("same_day_doses"),
        rtx("same_day_doses", 0, 0, 7, 14),
        counts("same_day_doses", {-3: 10.0}),
    ),
    course("same_day_doses", end_date=d(14)),
)
# Only a same-day pair, of different doses (found by the property test: a ROWS-framed running sum
# split such a pair into a course 0 and a course 1 depending on row order): one course of 2.
case(
    "same_day_pair",
    merge(
        patient("same_day_pair"),
        rtx("same_day_pair", 0, dose=900.0, unit="mg"),
        rtx("same_day_pair", 0, dose=375.0, unit=None),
        rtx("same_day_pair", 0, dose=100.0, unit="mg"),
        counts("same_day_pair", {-3: 10.0}),
    ),
    course("same_day_pair", end_date=d(0), n_infusions=3, regimen="other"),
)


def doses(pid: str, values: list[float | None], unit: str | None, days: list[int]) -> Rows:
    return merge(
        *(rtx(pid, n, dose=v, unit=unit) for n, v in zip(days, values, strict=True)),
        counts(pid, {-3: 10.0}),
        patient(pid),
    )


# 337.5 and 412.5 are 375 ± 10 % exactly: inclusive -> 375x4.
case(
    "dose_375_bounds",
    doses("dose_375_bounds", [337.5, 412.5, 375.0, 375.0], "mg/m2", [0, 7, 14, 21]),
    course("dose_375_bounds"),
)
# 413 is outside 375 ± 10 % -> other.
case(
    "dose_375_outside",
    doses("dose_375_outside", [413.0, 375.0, 375.0, 375.0], "mg/m2", [0, 7, 14, 21]),
    course("dose_375_outside", regimen="other"),
)
# 1100 and 900 mg with an empty unit (read as mg when compared with 1000x2) -> 1000x2.
case(
    "dose_1000_no_unit",
    doses("dose_1000_no_unit", [1100.0, 900.0], None, [0, 14]),
    course("dose_1000_no_unit", end_date=d(14), n_infusions=2, regimen="1000x2"),
)
# 1000 mg/m2: the unit decides -> other.
case(
    "dose_1000_per_m2",
    doses("dose_1000_per_m2", [1000.0, 1000.0], "mg/m2", [0, 14]),
    course("dose_1000_per_m2", end_date=d(14), n_infusions=2, regimen="other"),
)
# 110, 90, 100 mg: every dose 100 mg ± 10 %, any count -> low_dose.
case(
    "dose_low",
    doses("dose_low", [110.0, 90.0, 100.0], "mg", [0, 7, 14]),
    course("dose_low", end_date=d(14), n_infusions=3, regimen="low_dose"),
)
# 375 recorded as flat mg -> other.
case(
    "dose_375_as_mg",
    doses("dose_375_as_mg", [375.0, 375.0, 375.0, 375.0], "mg", [0, 7, 14, 21]),
    course("dose_375_as_mg", regimen="other"),
)
# One missing dose is checked first -> unknown.
case(
    "dose_missing",
    doses("dose_missing", [375.0, 375.0, None, 375.0], "mg/m2", [0, 7, 14, 21]),
    course("dose_missing", regimen="unknown"),
)

# --- section 2: ages, phase, lines ------------------------------------------------------------
# Birth "1970" stored at 1 July. Day 181 = 2020-06-30: 18262 days < 18262.5 -> 49. Day 182 -> 50.
for pid, day, age in (("age_partial_49", 181, 49), ("age_partial_50", 182, 50)):
    case(
        pid,
        merge(
            patient(pid, birth_date=date("1970-07-01"), birth_date_precision="year"),
            rtx(pid, day),
            counts(pid, {day - 3: 10.0}),
        ),
        course(
            pid,
            start_date=d(day),
            end_date=d(day),
            n_infusions=1,
            regimen="other",
            age_at_course=age,
        ),
    )
# Diagnosis 91 days before: 91 < 3 × 30.4375 = 91.3125 -> newly diagnosed; 92 -> persistent;
# 365 <= 365.25 -> persistent; 366 -> chronic.
for pid, before, phase in (
    ("phase_91", 91, "newly_diagnosed"),
    ("phase_92", 92, "persistent"),
    ("phase_365", 365, "persistent"),
    ("phase_366", 366, "chronic"),
):
    case(pid, standard(pid, diagnosis_date=d(-before)), course(pid, itp_phase=phase))
# Diagnosis given as "2019" is stored at 2019-07-01: 184 days before 2020-01-01, between 91.3125
# and 365.25 -> persistent.
case(
    "phase_partial_diagnosis",
    standard(
        "phase_partial_diagnosis",
        diagnosis_date=date("2019-07-01"),
        diagnosis_date_precision="year",
    ),
    course("phase_partial_diagnosis", itp_phase="persistent"),
)
# Lines before day 0: prednisone + dexamethasone (one agent), eltrombopag, romiplostim, two `other`
# rows (one agent), splenectomy -> 5. Never lines: ivig, platelet transfusion, a rescue
# azathioprine (days −60..−50), and danazol started on day 0 (not before). Rescue exclusions
# (28 days after each rescue ends) all end by day −7, before the window.
case(
    "prior_lines",
    merge(
        standard("prior_lines"),
        tx("prior_lines", "prednisone", -300, -200),
        tx("prior_lines", "dexamethasone", -100, -90),
        tx("prior_lines", "eltrombopag", -80, -10),
        tx("prior_lines", "romiplostim", -60, -50),
        tx("prior_lines", "ivig", -40),
        tx("prior_lines", "platelet_transfusion", -35),
        tx("prior_lines", "azathioprine", -60, -50, rescue=True),
        tx("prior_lines", "other", -25, -24),
        tx("prior_lines", "other", -23, -22),
        tx("prior_lines", "splenectomy", -15),
        tx("prior_lines", "danazol", 0),
    ),
    course("prior_lines", prior_lines=5, splenectomy_before=True),
)
# A splenectomy on the course start day is not "before" (and not after: not a new treatment).
case(
    "splenectomy_day_0",
    merge(standard("splenectomy_day_0"), tx("splenectomy_day_0", "splenectomy", 0)),
    course("splenectomy_day_0"),
)

# --- section 3: baseline ------------------------------------------------------------------------
# Day −30 is in [start − 30, start].
case(
    "baseline_day_minus_30",
    merge(
        patient("baseline_day_minus_30"),
        rtx("baseline_day_minus_30", 0, 7, 14, 21),
        counts("baseline_day_minus_30", {-30: 20.0}),
    ),
    course("baseline_day_minus_30", baseline_platelets=20.0),
)
# Day −31 is not: no baseline, the 2x rule is dropped, so 35 and 40 (>= 30) confirm R over days
# 10-20 (10 > 7 days). No loss: censored at day 731 -> 721 days.
case(
    "baseline_day_minus_31",
    merge(
        patient("baseline_day_minus_31"),
        rtx("baseline_day_minus_31", 0, 7, 14, 21),
        counts("baseline_day_minus_31", {-31: 20.0, 10: 35.0, 20: 40.0}),
    ),
    course(
        "baseline_day_minus_31",
        baseline_platelets=None,
        response="R",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=721,
        duration_censored=True,
        flags="no_baseline",
    ),
)
# A count on the start day is pre-infusion and is the last one: baseline 10, not the 50 of day −5.
case(
    "baseline_start_day",
    merge(
        patient("baseline_start_day"),
        rtx("baseline_start_day", 0, 7, 14, 21),
        counts("baseline_start_day", {-5: 50.0, 0: 10.0}),
    ),
    course("baseline_start_day", baseline_platelets=10.0),
)
# Two counts on day −2 (12, and 8 given as 8000 /uL, converted at import) -> their minimum, 8.
case(
    "baseline_same_day_converted",
    merge(
        patient("baseline_same_day_converted"),
        rtx("baseline_same_day_converted", 0, 7, 14, 21),
        {
            "platelet_counts": [
                {
                    "patient_id": "baseline_same_day_converted",
                    "date": d(-2),
                    "platelets": 12.0,
                    "platelets_as_given": "12",
                },
                {
                    "patient_id": "baseline_same_day_converted",
                    "date": d(-2),
                    "platelets": 8.0,
                    "platelets_as_given": "8000",
                    "unit": "/ul",
                },
            ]
        },
    ),
    course("baseline_same_day_converted", baseline_platelets=8.0),
)
# A transfusion on day −3 does not stop the day −2 count being the baseline (rescue exclusion is
# for qualification only); its exclusion (days −3..25) reaches into the window -> rescue_in_window.
case(
    "baseline_in_rescue_exclusion",
    merge(
        patient("baseline_in_rescue_exclusion"),
        rtx("baseline_in_rescue_exclusion", 0, 7, 14, 21),
        counts("baseline_in_rescue_exclusion", {-2: 25.0}),
        tx("baseline_in_rescue_exclusion", "platelet_transfusion", -3),
    ),
    course("baseline_in_rescue_exclusion", baseline_platelets=25.0, flags="rescue_in_window"),
)

# --- section 5: levels and confirmation -----------------------------------------------------
# 120 and 130 seven days apart: not "more than 7" -> two usable counts, nothing confirmed -> NR.
case("confirm_7", standard("confirm_7", {10: 120.0, 17: 130.0}), course("confirm_7", response="NR"))
CR_FROM_10 = {
    "response": "CR",
    "response_date": d(10),
    "time_to_response_days": 10,
    "duration_days": 721,
    "duration_censored": True,
    "cr_duration_days": 721,
    "cr_duration_censored": True,
}
# Eight days apart: CR from day 10; nothing ends it: censored at day 731 (721 days).
case("confirm_8", standard("confirm_8", {10: 120.0, 18: 130.0}), course("confirm_8", **CR_FROM_10))
# Exactly 100 twice, 8 days apart: >= 100 -> CR.
case(
    "cr_exactly_100",
    standard("cr_exactly_100", {10: 100.0, 18: 100.0}),
    course("cr_exactly_100", **CR_FROM_10),
)
R_FROM_10 = {
    "response": "R",
    "response_date": d(10),
    "time_to_response_days": 10,
    "duration_days": 721,
    "duration_censored": True,
}
# Baseline 15: 30 is >= 30 and >= 2 x 15 -> R (CR columns empty for an R course).
case(
    "r_exactly_30_and_2x",
    merge(
        patient("r_exactly_30_and_2x"),
        rtx("r_exactly_30_and_2x", 0, 7, 14, 21),
        counts("r_exactly_30_and_2x", {-3: 15.0, 10: 30.0, 18: 30.0}),
    ),
    course("r_exactly_30_and_2x", baseline_platelets=15.0, **R_FROM_10),
)
# Baseline 15.5: 30 < 31 = 2 x baseline -> not R -> NR.
case(
    "r_below_2x",
    merge(
        patient("r_below_2x"),
        rtx("r_below_2x", 0, 7, 14, 21),
        counts("r_below_2x", {-3: 15.5, 10: 30.0, 18: 30.0}),
    ),
    course("r_below_2x", baseline_platelets=15.5, response="NR"),
)
# No baseline and 29.5 < 30 -> NR.
case(
    "r_29_5_no_baseline",
    merge(
        patient("r_29_5_no_baseline"),
        rtx("r_29_5_no_baseline", 0, 7, 14, 21),
        counts("r_29_5_no_baseline", {10: 29.5, 18: 29.5}),
    ),
    course("r_29_5_no_baseline", baseline_platelets=None, response="NR", flags="no_baseline"),
)
# 99.5 (>= 30, >= 20) but < 100 -> R, not CR.
case("r_99_5", standard("r_99_5", {10: 99.5, 18: 99.5}), course("r_99_5", **R_FROM_10))

# --- section 5: bleeding and rescue inside runs -------------------------------------------------
CR_10_20 = {10: 150.0, 20: 150.0}
# WHO grade 1 on day 15 (< 2, not severe) does not void the run 10-20.
case(
    "bleed_grade_1",
    merge(standard("bleed_grade_1", CR_10_20), bleed("bleed_grade_1", 15, 1)),
    course("bleed_grade_1", **CR_FROM_10),
)
# Grade 2 on day 15 voids the only run -> NR (two usable counts).
case(
    "bleed_grade_2",
    merge(standard("bleed_grade_2", CR_10_20), bleed("bleed_grade_2", 15, 2)),
    course("bleed_grade_2", response="NR"),
)
# Intracranial with no grade and `severe` not recorded: the data-model default makes it severe.
case(
    "bleed_intracranial",
    merge(
        standard("bleed_intracranial", CR_10_20),
        bleed("bleed_intracranial", 15, None, "intracranial", severe=None),
    ),
    course("bleed_intracranial", response="NR"),
)
# The spec's example: counts on days 20, 30, 40 with a bleed on day 25: run 30-40 confirms. The
# bleed precedes the response, so it is no loss: censored at 731 -> 701 days.
case(
    "bleed_day_25_example",
    merge(
        standard("bleed_day_25_example", {20: 150.0, 30: 150.0, 40: 150.0}),
        bleed("bleed_day_25_example", 25, 2),
    ),
    course(
        "bleed_day_25_example",
        response="CR",
        response_date=d(30),
        time_to_response_days=30,
        duration_days=701,
        duration_censored=True,
        cr_duration_days=701,
        cr_duration_censored=True,
    ),
)
# A bleed on the day of the middle count voids every run holding that day -> NR.
case(
    "bleed_on_count_day",
    merge(
        standard("bleed_on_count_day", {10: 150.0, 20: 150.0, 30: 150.0}),
        bleed("bleed_on_count_day", 20, 2),
    ),
    course("bleed_on_count_day", response="NR"),
)
# IVIg on day 15: counts excluded on days 15..43 inclusive, so day 43 is out and day 44 usable.
# Run 10-44 holds the rescue start -> void; run 44-52 confirms CR on day 44 (censored: 687).
case(
    "rescue_exclusion_end",
    merge(
        standard("rescue_exclusion_end", {10: 120.0, 43: 120.0, 44: 120.0, 52: 120.0}),
        tx("rescue_exclusion_end", "ivig", 15),
    ),
    course(
        "rescue_exclusion_end",
        response="CR",
        response_date=d(44),
        time_to_response_days=44,
        duration_days=687,
        duration_censored=True,
        cr_duration_days=687,
        cr_duration_censored=True,
        flags="rescue_in_window",
    ),
)
# A transfusion on day −10 (before the course) excludes days −10..18: day 18 is out, run 19-27.
case(
    "rescue_before_course",
    merge(
        standard("rescue_before_course", {18: 150.0, 19: 150.0, 27: 150.0}),
        tx("rescue_before_course", "platelet_transfusion", -10),
    ),
    course(
        "rescue_before_course",
        response="CR",
        response_date=d(19),
        time_to_response_days=19,
        duration_days=712,
        duration_censored=True,
        cr_duration_days=712,
        cr_duration_censored=True,
        flags="rescue_in_window",
    ),
)
# IVIg from day −10 to day −6: the exclusion runs to 28 days after its end, day 22.
case(
    "rescue_with_end_date",
    merge(
        standard("rescue_with_end_date", {22: 150.0, 23: 150.0, 31: 150.0}),
        tx("rescue_with_end_date", "ivig", -10, -6),
    ),
    course(
        "rescue_with_end_date",
        response="CR",
        response_date=d(23),
        time_to_response_days=23,
        duration_days=708,
        duration_censored=True,
        cr_duration_days=708,
        cr_duration_censored=True,
        flags="rescue_in_window",
    ),
)
# Prednisone flagged rescue on day 5 with no end date: a single day, so excluded days 5..33; it is
# neither a line nor a new treatment. Day 10 is excluded; run 34-42 confirms CR on day 34.
case(
    "rescue_flagged_steroid",
    merge(
        standard("rescue_flagged_steroid", {10: 150.0, 34: 150.0, 42: 150.0}),
        tx("rescue_flagged_steroid", "prednisone", 5, rescue=True),
    ),
    course(
        "rescue_flagged_steroid",
        response="CR",
        response_date=d(34),
        time_to_response_days=34,
        duration_days=697,
        duration_censored=True,
        cr_duration_days=697,
        cr_duration_censored=True,
        flags="rescue_in_window",
    ),
)

# --- section 4: the window ---------------------------------------------------------------------
# Day 180 is in the window: run 172-180 (8 days) confirms CR on day 172; censored 731 − 172 = 559.
case(
    "window_day_180",
    standard("window_day_180", {172: 150.0, 180: 150.0}),
    course(
        "window_day_180",
        response="CR",
        response_date=d(172),
        time_to_response_days=172,
        duration_days=559,
        duration_censored=True,
        cr_duration_days=559,
        cr_duration_censored=True,
    ),
)
# Day 181 is not: usable 173 and 180 only (7 days) -> NR.
case(
    "window_day_181",
    standard("window_day_181", {173: 150.0, 180: 150.0, 181: 150.0}),
    course("window_day_181", response="NR"),
)
# Course 2 on day 100 ends course 1's window; the day-100 count is taken before it: usable for
# course 1 (run 92-100, CR on day 92) and baseline of course 2. Course 1 is lost at the next
# course start (8 days, an event). Course 2 has no later count: NE.
case(
    "window_cut_by_next_course",
    merge(
        standard("window_cut_by_next_course", {92: 150.0, 100: 150.0}),
        rtx("window_cut_by_next_course", 100),
    ),
    course(
        "window_cut_by_next_course",
        response="CR",
        response_date=d(92),
        time_to_response_days=92,
        duration_days=8,
        duration_censored=False,
        cr_duration_days=8,
        cr_duration_censored=False,
        flags="window_cut_by_next_course",
    ),
    course(
        "window_cut_by_next_course",
        course_number=2,
        start_date=d(100),
        end_date=d(100),
        n_infusions=1,
        regimen="other",
        age_at_course=50,
        baseline_platelets=150.0,
    ),
)
# Eltrombopag (a new line) from day 50 ends the window; the day-50 count is still usable: run
# 42-50 -> CR on day 42, lost on day 50 (8 days).
case(
    "window_cut_by_treatment",
    merge(
        standard("window_cut_by_treatment", {42: 150.0, 50: 150.0, 60: 150.0}),
        tx("window_cut_by_treatment", "eltrombopag", 50),
    ),
    course(
        "window_cut_by_treatment",
        response="CR",
        response_date=d(42),
        time_to_response_days=42,
        duration_days=8,
        duration_censored=False,
        cr_duration_days=8,
        cr_duration_censored=False,
        flags="window_cut_by_treatment",
    ),
)
# A prednisone taper row (day 21) after a prednisone row running on day 0 is not new: no cut,
# no loss. Prednisone started before the course: one prior line. CR day 30, censored: 701.
case(
    "taper_not_new",
    merge(
        standard("taper_not_new", {30: 150.0, 40: 150.0}),
        tx("taper_not_new", "prednisone", -10, 20),
        tx("taper_not_new", "prednisone", 21, 60),
    ),
    course(
        "taper_not_new",
        prior_lines=1,
        response="CR",
        response_date=d(30),
        time_to_response_days=30,
        duration_days=701,
        duration_censored=True,
        cr_duration_days=701,
        cr_duration_censored=True,
    ),
)
# Switching to dexamethasone on day 30 while prednisone (no end date: ongoing) runs is not new.
case(
    "steroid_switch_not_new",
    merge(
        standard("steroid_switch_not_new", {35: 150.0, 45: 150.0}),
        tx("steroid_switch_not_new", "prednisone", -10),
        tx("steroid_switch_not_new", "dexamethasone", 30, 60),
    ),
    course(
        "steroid_switch_not_new",
        prior_lines=1,
        response="CR",
        response_date=d(35),
        time_to_response_days=35,
        duration_days=696,
        duration_censored=True,
        cr_duration_days=696,
        cr_duration_censored=True,
    ),
)
# Eltrombopag started on day 30 while prednisone runs: a new agent -> window ends on day 30;
# run 20-30 -> CR on day 20, lost on day 30 (10 days).
case(
    "new_agent_during_steroids",
    merge(
        standard("new_agent_during_steroids", {20: 150.0, 30: 150.0, 40: 150.0}),
        tx("new_agent_during_steroids", "prednisone", -10),
        tx("new_agent_during_steroids", "eltrombopag", 30, 90),
    ),
    course(
        "new_agent_during_steroids",
        prior_lines=1,
        response="CR",
        response_date=d(20),
        time_to_response_days=20,
        duration_days=10,
        duration_censored=False,
        cr_duration_days=10,
        cr_duration_censored=False,
        flags="window_cut_by_treatment",
    ),
)
# Eltrombopag flagged rescue on day 30: not a new treatment (no cut), but a rescue: it voids runs
# over day 30 and excludes days 30..58. Run 20-25 is too short; run 59-67 -> CR on day 59.
case(
    "rescue_tpo_not_new",
    merge(
        standard("rescue_tpo_not_new", {20: 150.0, 25: 150.0, 59: 150.0, 67: 150.0}),
        tx("rescue_tpo_not_new", "eltrombopag", 30, rescue=True),
    ),
    course(
        "rescue_tpo_not_new",
        response="CR",
        response_date=d(59),
        time_to_response_days=59,
        duration_days=672,
        duration_censored=True,
        cr_duration_days=672,
        cr_duration_censored=True,
        flags="rescue_in_window",
    ),
)

# --- section 5: NE versus NR -------------------------------------------------------------------
case("ne_one_count", standard("ne_one_count", {10: 150.0}), course("ne_one_count"))
# Counts only after the window (days 200, 210): no usable count -> NE.
case(
    "ne_counts_after_window",
    standard("ne_counts_after_window", {200: 150.0, 210: 150.0}),
    course("ne_counts_after_window"),
)
case(
    "nr_low_counts",
    standard("nr_low_counts", {10: 10.0, 20: 12.0}),
    course("nr_low_counts", response="NR"),
)

# --- section 6: loss and censoring -------------------------------------------------------------
# CR on day 10. Loss of CR: days 30 (60) and 35 (70) are both < 100 and 5 > 1 days apart -> day
# 30, 20 days. They still qualify for R (>= 30, >= 2 x 10). Loss of R: days 40 (20) and 42 (25)
# both < 30, 2 > 1 days apart -> day 40, 30 days.
case(
    "loss_by_counts",
    standard("loss_by_counts", {10: 150.0, 20: 150.0, 30: 60.0, 35: 70.0, 40: 20.0, 42: 25.0}),
    course(
        "loss_by_counts",
        response="CR",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=30,
        duration_censored=False,
        cr_duration_days=20,
        cr_duration_censored=False,
    ),
)
# Two low counts only 1 day apart (not more than loss_confirm_days = 1): no loss.
case(
    "loss_pair_1_day",
    standard("loss_pair_1_day", {10: 150.0, 20: 150.0, 40: 20.0, 41: 20.0, 100: 150.0}),
    course("loss_pair_1_day", **CR_FROM_10),
)
# Low counts on days 40 and 50 are not neighbours (day 45 is between): no loss.
case(
    "loss_needs_neighbours",
    standard("loss_needs_neighbours", {10: 150.0, 20: 150.0, 40: 20.0, 45: 150.0, 50: 20.0}),
    course("loss_needs_neighbours", **CR_FROM_10),
)
LOST_ON = {
    "response": "CR",
    "response_date": d(10),
    "time_to_response_days": 10,
    "duration_censored": False,
    "cr_duration_censored": False,
}
# A grade-2 bleed on day 50 ends the response: 40 days.
case(
    "loss_by_bleeding",
    merge(standard("loss_by_bleeding", CR_10_20), bleed("loss_by_bleeding", 50, 2)),
    course("loss_by_bleeding", duration_days=40, cr_duration_days=40, **LOST_ON),
)
# A grade-1 bleed does not.
case(
    "bleed_grade_1_no_loss",
    merge(standard("bleed_grade_1_no_loss", CR_10_20), bleed("bleed_grade_1_no_loss", 50, 1)),
    course("bleed_grade_1_no_loss", **CR_FROM_10),
)
# IVIg on day 60 ends the response (50 days); its exclusion (60..88) meets the window.
case(
    "loss_by_rescue",
    merge(standard("loss_by_rescue", CR_10_20), tx("loss_by_rescue", "ivig", 60)),
    course(
        "loss_by_rescue", duration_days=50, cr_duration_days=50, flags="rescue_in_window", **LOST_ON
    ),
)
# The next course on day 200 ends course 1's response (190 days), after its window: no cut flag.
# Course 2: last count day 20 is more than 30 days before day 200 -> no baseline; NE.
case(
    "loss_by_next_course",
    merge(standard("loss_by_next_course", CR_10_20), rtx("loss_by_next_course", 200)),
    course("loss_by_next_course", duration_days=190, cr_duration_days=190, **LOST_ON),
    course(
        "loss_by_next_course",
        course_number=2,
        start_date=d(200),
        end_date=d(200),
        n_infusions=1,
        regimen="other",
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline",
    ),
)
# A new line (eltrombopag) on day 300, after the window, still ends the response: 290 days.
case(
    "loss_by_new_line",
    merge(standard("loss_by_new_line", CR_10_20), tx("loss_by_new_line", "eltrombopag", 300)),
    course("loss_by_new_line", duration_days=290, cr_duration_days=290, **LOST_ON),
)
# Counts after the window are used for loss: days 200 and 210 both low -> lost on day 200.
case(
    "loss_after_window_counts",
    standard("loss_after_window_counts", {10: 150.0, 20: 150.0, 200: 10.0, 210: 10.0}),
    course("loss_after_window_counts", duration_days=190, cr_duration_days=190, **LOST_ON),
)
# Death on day 400 (= last follow-up): censored there, 390 days.
case(
    "censored_at_death",
    standard("censored_at_death", CR_10_20, death_date=d(400), last_followup_date=d(400)),
    course(
        "censored_at_death",
        response="CR",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=390,
        duration_censored=True,
        cr_duration_days=390,
        cr_duration_censored=True,
        flags="death_censored",
    ),
)
# Death recorded after last follow-up (day 500 vs 400): censored at follow-up, no death flag.
case(
    "death_after_followup",
    standard("death_after_followup", CR_10_20, death_date=d(500), last_followup_date=d(400)),
    course(
        "death_after_followup",
        response="CR",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=390,
        duration_censored=True,
        cr_duration_days=390,
        cr_duration_censored=True,
    ),
)
# A loss on the censoring date is an event: bleed on day 300 = last follow-up -> 290, not censored.
case(
    "loss_on_censor_date",
    merge(
        standard("loss_on_censor_date", CR_10_20, last_followup_date=d(300)),
        bleed("loss_on_censor_date", 300, 2),
    ),
    course("loss_on_censor_date", duration_days=290, cr_duration_days=290, **LOST_ON),
)
# A loss after the censoring date is ignored: IVIg on day 310 > follow-up day 300 -> censored 290.
case(
    "loss_after_censor_date",
    merge(
        standard("loss_after_censor_date", CR_10_20, last_followup_date=d(300)),
        tx("loss_after_censor_date", "ivig", 310),
    ),
    course(
        "loss_after_censor_date",
        response="CR",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=290,
        duration_censored=True,
        cr_duration_days=290,
        cr_duration_censored=True,
    ),
)
# Death on day 100 (= follow-up) ends the window before day 180 and censors the duration (90).
case(
    "window_cut_by_death",
    standard("window_cut_by_death", CR_10_20, death_date=d(100), last_followup_date=d(100)),
    course(
        "window_cut_by_death",
        response="CR",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=90,
        duration_censored=True,
        cr_duration_days=90,
        cr_duration_censored=True,
        flags="window_cut_by_followup;window_cut_by_death;death_censored",
    ),
)

# --- section 7: retreatment (course 2 on day 110) ----------------------------------------------


def two_courses(pid: str, values: dict[int, float], *extra: Rows, **patient_fields: Any) -> Rows:
    return merge(standard(pid, values, **patient_fields), rtx(pid, 110), *extra)


# Course 1: CR day 10, lost at the course-2 start (100 days). Course 2 (day 110): no count within
# 30 days before -> no baseline; CR on day 120, lost at the day-195 bleed: 75 days.
case(
    "ret_ratio_boundary",
    two_courses(
        "ret_ratio_boundary",
        {10: 150.0, 20: 150.0, 120: 150.0, 130: 150.0},
        bleed("ret_ratio_boundary", 195, 2),
    ),
    course(
        "ret_ratio_boundary",
        response="CR",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=100,
        duration_censored=False,
        cr_duration_days=100,
        cr_duration_censored=False,
        flags="window_cut_by_next_course",
    ),
    course(
        "ret_ratio_boundary",
        course_number=2,
        start_date=d(110),
        end_date=d(110),
        n_infusions=1,
        regimen="other",
        age_at_course=50,
        baseline_platelets=None,
        response="CR",
        response_date=d(120),
        time_to_response_days=10,
        duration_days=75,
        duration_censored=False,
        cr_duration_days=75,
        cr_duration_censored=False,
        flags="no_baseline",
    ),
)
case(
    "ret_below_ratio",
    two_courses(
        "ret_below_ratio",
        {10: 150.0, 20: 150.0, 120: 150.0, 130: 150.0},
        bleed("ret_below_ratio", 194, 2),
    ),
)
case(
    "ret_censored_below",
    two_courses(
        "ret_censored_below",
        {10: 150.0, 20: 150.0, 120: 150.0, 130: 150.0},
        last_followup_date=d(194),
    ),
)
case(
    "ret_censored_above",
    two_courses(
        "ret_censored_above",
        {10: 150.0, 20: 150.0, 120: 150.0, 130: 150.0},
        last_followup_date=d(300),
    ),
)
case("ret_course1_nr", two_courses("ret_course1_nr", {10: 10.0, 20: 10.0, 120: 150.0, 130: 150.0}))
case("ret_course2_nr", two_courses("ret_course2_nr", {10: 150.0, 20: 150.0, 120: 10.0, 130: 10.0}))
case("ret_course1_ne", two_courses("ret_course1_ne", {120: 150.0, 130: 150.0}))

RETREATMENT: dict[str, tuple[Any, ...]] = {
    # pid: (response 1, response 2, similar or better, d1, d1 censored, d2, d2 censored, similar or longer)
    # 75 >= 0.75 x 100 = 75 -> similar or longer (the boundary counts).
    "ret_ratio_boundary": ("CR", "CR", True, 100, False, 75, False, True),
    # 74 < 75, an event -> shorter.
    "ret_below_ratio": ("CR", "CR", True, 100, False, 74, False, False),
    # 74 < 75 but censored at follow-up on day 194 -> not evaluable.
    "ret_censored_below": ("CR", "CR", True, 100, False, 74, True, None),
    # Censored at follow-up (day 300): 300 − 120 = 180 >= 75 -> similar or longer.
    "ret_censored_above": ("CR", "CR", True, 100, False, 180, True, True),
    # Course 1 NR: rank 3 >= 1; durations compared only among course-1 responders. Course 2 is
    # censored at day 731: 611 days.
    "ret_course1_nr": ("NR", "CR", True, None, None, 611, True, None),
    # Course 2 NR: rank 1 < 3; a course-2 non-responder counts as shorter.
    "ret_course2_nr": ("CR", "NR", False, 100, False, None, None, False),
    # Course 1 NE (its only later counts are in course 2's segment): types not compared.
    "ret_course1_ne": ("NE", "CR", None, None, None, 611, True, None),
    # Course 1 CR lost at course 2 (day 100, 8 days); course 2 NE counts as shorter.
    "window_cut_by_next_course": ("CR", "NE", None, 8, False, None, None, False),
}

# --- section 8: adverse events -------------------------------------------------------------------
AE = "adverse_events"
case(
    "ae_attribution",
    merge(
        standard("ae_attribution"),
        {
            AE: [
                {
                    "patient_id": "ae_attribution",
                    "onset_date": d(n),
                    "event": event,
                    "ctcae_grade": 2,
                    "serious": False,
                }
                for n, event in (
                    (386, "infection"),
                    (387, "infection"),
                    (8, "infusion_reaction"),
                    (9, "infusion_reaction"),
                    (-5, "other"),
                )
            ]
        },
    ),
    course("ae_attribution"),
)
case(
    "ae_two_courses",
    merge(
        patient("ae_two_courses"),
        rtx("ae_two_courses", 0, 100),
        counts("ae_two_courses", {-3: 10.0}),
        {
            AE: [
                {
                    "patient_id": "ae_two_courses",
                    "onset_date": d(n),
                    "event": event,
                    "ctcae_grade": None,
                    "serious": None,
                }
                for n, event in ((99, "infection"), (100, "infection"), (100, "infusion_reaction"))
            ]
        },
    ),
)
AE_EXPECTED: dict[str, list[tuple[Any, ...]]] = {
    # (onset day, event, course_number, days_from_last_infusion)
    "ae_attribution": [
        (-5, "other", None, None),  # before any course
        (8, "infusion_reaction", 1, 1),  # one day after the day-7 infusion
        (9, "infusion_reaction", None, 2),  # two days after: not an infusion reaction of the course
        (386, "infection", 1, 365),  # 365 days after the last infusion (day 21)
        (387, "infection", None, 366),  # 366: unattributed
    ],
    "ae_two_courses": [
        (99, "infection", 1, 99),
        (100, "infection", 2, 0),  # on course 2's start: the latest course started on or before
        (100, "infusion_reaction", 2, 0),
    ],
}

# --- section 9: investigator assessments ----------------------------------------------------------
case(
    "investigator",
    merge(
        standard("investigator", CR_10_20),
        {
            "investigator_assessments": [
                {"patient_id": "investigator", "course_number": 1, "response": "CR"},
                {"patient_id": "investigator", "course_number": 2, "response": "NR"},
            ]
        },
    ),
    course("investigator", **CR_FROM_10),
)

# Staging robustness: a lower-case response (the import folds case already) is still compared.
case(
    "investigator_lower_case",
    merge(
        standard("investigator_lower_case", CR_10_20),
        {
            "investigator_assessments": [
                {"patient_id": "investigator_lower_case", "course_number": 1, "response": "cr"}
            ]
        },
    ),
    course("investigator_lower_case", **CR_FROM_10),
)

# --- a patient without rituximab appears in no derived table --------------------------------------
case("no_rituximab", merge(patient("no_rituximab"), counts("no_rituximab", {10: 100.0})))

# --- criteria overrides: confirm_days = 28, response_window_days = 90 ------------------------------
OVERRIDDEN = Criteria().with_overrides(confirm_days=28, response_window_days=90)
OVERRIDE_CASES: dict[str, tuple[Rows, list[dict[str, Any]]]] = {
    # 28 days apart is not more than 28 -> NR.
    "o_confirm_28": (
        standard("o_confirm_28", {10: 150.0, 38: 150.0}),
        [course("o_confirm_28", response="NR")],
    ),
    # 29 days -> CR on day 10, censored at 731.
    "o_confirm_29": (
        standard("o_confirm_29", {10: 150.0, 39: 150.0}),
        [course("o_confirm_29", **CR_FROM_10)],
    ),
    # Day 90 is in the 90-day window: run 61-90 (29 days) -> CR on day 61, censored 731 − 61 = 670.
    "o_window_90": (
        standard("o_window_90", {61: 150.0, 90: 150.0}),
        [
            course(
                "o_window_90",
                response="CR",
                response_date=d(61),
                time_to_response_days=61,
                duration_days=670,
                duration_censored=True,
                cr_duration_days=670,
                cr_duration_censored=True,
            )
        ],
    ),
    # Day 91 is out: usable 62 and 90 (28 days) -> NR.
    "o_window_91": (
        standard("o_window_91", {62: 150.0, 90: 150.0, 91: 150.0}),
        [course("o_window_91", response="NR")],
    ),
}


# --- running the engine and the reference once per batch ---------------------------------------
def _batch(cases: dict[str, tuple[Rows, list[dict[str, Any]]]]) -> Rows:
    return merge(*(rows for rows, _ in cases.values()))


@pytest.fixture(scope="module", params=["engine", "reference"])
def derived(request: pytest.FixtureRequest) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every mart for the default batch and the override batch, by one implementation."""
    result = {}
    for label, cases, criteria in (
        ("default", CASES, Criteria()),
        ("overridden", OVERRIDE_CASES, OVERRIDDEN),
    ):
        rows = _batch(cases)
        if request.param == "engine":
            result[label] = run_engine(rows, criteria)
        else:
            canonical = {name: t.to_pylist() for name, t in arrow_tables(rows).items()}
            result[label] = derive_reference(canonical, criteria)
    return result


def _rows_of(rows: list[dict[str, Any]], pid: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["patient_id"] == pid]


def test_there_are_at_least_40_hand_worked_timelines() -> None:
    assert len(CASES) + len(OVERRIDE_CASES) >= 40


@pytest.mark.parametrize("pid", [pid for pid, (_, expected) in CASES.items() if expected])
def test_courses_row_as_worked_by_hand(derived: dict[str, Any], pid: str) -> None:
    assert _rows_of(derived["default"]["courses"], pid) == CASES[pid][1]


@pytest.mark.parametrize("pid", sorted(OVERRIDE_CASES))
def test_courses_row_under_overrides(derived: dict[str, Any], pid: str) -> None:
    assert _rows_of(derived["overridden"]["courses"], pid) == OVERRIDE_CASES[pid][1]


@pytest.mark.parametrize("pid", sorted(RETREATMENT))
def test_retreatment_row_as_worked_by_hand(derived: dict[str, Any], pid: str) -> None:
    names = (
        "response_course1",
        "response_course2",
        "response_similar_or_better",
        "duration_course1_days",
        "duration_course1_censored",
        "duration_course2_days",
        "duration_course2_censored",
        "duration_similar_or_longer",
    )
    expected = {
        "center": "TLS",
        "patient_id": pid,
        **dict(zip(names, RETREATMENT[pid], strict=True)),
    }
    assert _rows_of(derived["default"]["retreatment"], pid) == [expected]


def test_retreatment_holds_only_patients_with_two_courses(derived: dict[str, Any]) -> None:
    two_or_more = {"gap_61", "loss_by_next_course", "ae_two_courses", *RETREATMENT}
    assert {r["patient_id"] for r in derived["default"]["retreatment"]} == two_or_more


@pytest.mark.parametrize("pid", sorted(AE_EXPECTED))
def test_adverse_events_attributed_as_worked_by_hand(derived: dict[str, Any], pid: str) -> None:
    got = [
        (r["onset_date"], r["event"], r["course_number"], r["days_from_last_infusion"])
        for r in _rows_of(derived["default"]["ae_by_course"], pid)
    ]
    want = [(d(n), event, k, days) for n, event, k, days in AE_EXPECTED[pid]]
    assert sorted(got, key=str) == sorted(want, key=str)


def test_adverse_event_columns_are_carried(derived: dict[str, Any]) -> None:
    (row,) = [
        r
        for r in _rows_of(derived["default"]["ae_by_course"], "ae_attribution")
        if r["onset_date"] == d(8)
    ]
    assert row == {
        "center": "TLS",
        "patient_id": "ae_attribution",
        "onset_date": d(8),
        "event": "infusion_reaction",
        "ctcae_grade": 2,
        "serious": False,
        "course_number": 1,
        "days_from_last_infusion": 1,
    }


def test_investigator_response_case_is_folded(derived: dict[str, Any]) -> None:
    (row,) = _rows_of(derived["default"]["investigator_comparison"], "investigator_lower_case")
    assert (row["investigator_response"], row["derived_response"], row["agrees"]) == (
        "CR",
        "CR",
        True,
    )


def test_investigator_comparison(derived: dict[str, Any]) -> None:
    rows = sorted(
        _rows_of(derived["default"]["investigator_comparison"], "investigator"),
        key=lambda r: r["course_number"],
    )
    assert rows == [
        {
            "center": "TLS",
            "patient_id": "investigator",
            "course_number": 1,
            "investigator_response": "CR",
            "derived_response": "CR",
            "agrees": True,
        },
        # course 2 does not exist: no derived response, no agreement
        {
            "center": "TLS",
            "patient_id": "investigator",
            "course_number": 2,
            "investigator_response": "NR",
            "derived_response": None,
            "agrees": False,
        },
    ]


BASELINE_COLUMNS = (
    "age_at_diagnosis",
    "first_rtx_date",
    "age_at_first_rtx",
    "n_courses",
    "has_count_after_course1",
    "followup_days",
)


@pytest.mark.parametrize(
    ("pid", "expected"),
    [
        # Born "1970" (1 July) and diagnosed 2015-01-01: 44.5 years -> 44; day 181 -> 49; the only
        # count (day 178) is before the course; follow-up 731 − 181 = 550 days.
        ("age_partial_49", (44, d(181), 49, 1, False, 550)),
        # Counts only after the window still count as "a count after course 1".
        ("ne_counts_after_window", (44, d(0), 49, 1, True, 731)),
        # Follow-up runs to the death date (day 400).
        ("censored_at_death", (44, d(0), 49, 1, True, 400)),
        # ... even when the death is recorded after the last follow-up (day 500 vs 400).
        ("death_after_followup", (44, d(0), 49, 1, True, 500)),
        ("gap_61", (44, d(0), 49, 2, False, 731)),
    ],
)
def test_patient_baseline_as_worked_by_hand(
    derived: dict[str, Any], pid: str, expected: tuple[Any, ...]
) -> None:
    (row,) = _rows_of(derived["default"]["patient_baseline"], pid)
    assert tuple(row[c] for c in BASELINE_COLUMNS) == expected


def test_patient_baseline_identity_columns(derived: dict[str, Any]) -> None:
    (row,) = _rows_of(derived["default"]["patient_baseline"], "censored_at_death")
    assert row == {
        "center": "TLS",
        "patient_id": "censored_at_death",
        "sex": "F",
        "itp_type": "primary",
        "secondary_cause": None,
        "birth_date": date("1970-01-01"),
        "diagnosis_date": date("2015-01-01"),
        "age_at_diagnosis": 44,
        "first_rtx_date": date("2020-01-01"),
        "age_at_first_rtx": 49,
        "n_courses": 1,
        "has_count_after_course1": True,
        "last_followup_date": date("2021-02-04"),
        "death_date": date("2021-02-04"),
        "followup_days": 400,
    }


def test_patient_without_rituximab_is_in_no_derived_table(derived: dict[str, Any]) -> None:
    for mart, rows in derived["default"].items():
        assert _rows_of(rows, "no_rituximab") == [], mart
