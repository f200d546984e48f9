"""Hand-worked one-patient timelines on every boundary of ``protocols.md`` "Exposure courses".

Every expected row was written by reading the spec, not by running code; the comment above each
case gives the reasoning. All timelines run through the Ibis engine in one batch per rule set and
through the plain-Python reference (``tests.reference.exposure``); each case checks its patient's
rows in both.

Notation: ``d(n)`` is day n from 2020-01-01. Rules: the TPO-RA agents (eltrombopag ``E``,
romiplostim ``R``, avatrombopag ``A``), ``era_gap_days`` 30, ``exposure_effect_days`` 14. The
patient is born 1970-01-01 (49 on day 0, 50 from day 1), diagnosed 2015-01-01 (chronic), last
seen on day 731; a baseline count of 10 on day −3 unless said otherwise. Without counts after the
start a course is NE. The window of a course is the earliest of start + 180, the next start, a new
treatment, follow-up, death and end + 14; a ``window_cut_by_*`` flag is written only when that
date is the window's end and comes before start + 180.
"""

from __future__ import annotations

from typing import Any

import pytest

from itpcohort.criteria import Criteria
from itpcohort.derive.exposure import ExposureRules
from tests.reference.canonical import arrow_tables, run_exposure_engine
from tests.reference.exposure import Rules, derive_exposure_reference
from tests.unit.timeline_builders import Rows, counts, d, merge, patient, tx

TPO_RA = ("eltrombopag", "romiplostim", "avatrombopag")
DEFAULT = Rules(TPO_RA)
EFFECT_15 = Rules(TPO_RA, exposure_effect_days=15)
DRUGS = {"E": "eltrombopag", "R": "romiplostim", "A": "avatrombopag"}

BASE: dict[str, Any] = {
    "center": "TLS",
    "patient_id": None,
    "course_number": 1,
    "agent": "eltrombopag",
    "course_type": "first",
    "start_date": d(0),
    "end_date": d(100),
    "n_rows": 1,
    "stop_reason": "unknown",
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
    """The expected ``courses`` row: the base row with the hand-worked changes."""
    unknown = set(changes) - set(BASE)
    assert not unknown, unknown
    if "agent" in changes and len(changes["agent"]) == 1:
        changes["agent"] = DRUGS[changes["agent"]]
    return {**BASE, "patient_id": pid, **changes}


def ex(
    pid: str,
    agent: str,
    start: int,
    end: int | None = None,
    reason: str | None = None,
    rescue: bool = False,
) -> Rows:
    """One treatment row of an agent (``E``/``R``/``A``) with its stop reason."""
    row = tx(pid, DRUGS[agent], start, end, rescue)
    row["treatments"][0]["stop_reason"] = reason
    return row


def timeline(pid: str, *rows: Rows, values: dict[int, float] | None = None, **fields: Any) -> Rows:
    """The patient, the rows, and the counts (baseline 10 on day −3 unless ``values`` says)."""
    return merge(
        patient(pid, **fields), *rows, counts(pid, {-3: 10.0} if values is None else values)
    )


def ae(pid: str, day: int) -> Rows:
    return {"adverse_events": [{"patient_id": pid, "onset_date": d(day), "event": "thrombosis"}]}


CASES: dict[str, tuple[Rules, Rows, list[dict[str, Any]]]] = {}


def case(pid: str, rows: Rows, *expected: dict[str, Any], rules: Rules = DEFAULT) -> None:
    CASES[pid] = (rules, rows, list(expected))


# --- rule 2: eras ---------------------------------------------------------------------------
# 130 − 100 = 30 days apart: one era [0, 200] of 2 rows; the reason of the row with the latest last
# day (200). Window: start + 180 (= 180) is before end + 14 (214): no flag.
case(
    "era_gap_30",
    timeline(
        "era_gap_30", ex("era_gap_30", "E", 0, 100), ex("era_gap_30", "E", 130, 200, "inefficacy")
    ),
    course("era_gap_30", end_date=d(200), n_rows=2, stop_reason="inefficacy"),
)
# 131 − 100 = 31: two eras, two courses of one agent (retreatment). Course 1's window ends at
# 100 + 14 = 114 (not the next start, 131): no flag. Course 2: no count in [101, 131], not carried
# (131 > 114): no baseline.
case(
    "era_gap_31",
    timeline(
        "era_gap_31",
        ex("era_gap_31", "E", 0, 100, "other"),
        ex("era_gap_31", "E", 131, 200, "inefficacy"),
    ),
    course("era_gap_31", stop_reason="other"),
    course(
        "era_gap_31",
        course_number=2,
        course_type="retreatment",
        start_date=d(131),
        end_date=d(200),
        stop_reason="inefficacy",
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline",
    ),
)
# Open-ended row, follow-up on day 400: last day 400; ongoing, so the recorded reason gives way to
# unknown. Window 180.
case(
    "open_until_followup",
    timeline(
        "open_until_followup",
        ex("open_until_followup", "E", 0, None, "inefficacy"),
        last_followup_date=d(400),
    ),
    course("open_until_followup", end_date=d(400), flags="ongoing"),
)
# Open-ended row, death on day 300 (last seen day 731): last day 300, ongoing. Counts 60 (day 10),
# 70 (day 20) are >= 30 and >= 2 × 10, 10 days apart: R on day 10. No loss: censored at death
# (300 − 10 = 290), flagged death_censored.
case(
    "open_until_death",
    timeline(
        "open_until_death",
        ex("open_until_death", "E", 0),
        values={-3: 10.0, 10: 60.0, 20: 70.0},
        death_date=d(300),
    ),
    course(
        "open_until_death",
        end_date=d(300),
        response="R",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=290,
        duration_censored=True,
        flags="death_censored;ongoing",
    ),
)
# Planned end on day 500 after follow-up (day 400): last day 400. The row has an end date: not
# ongoing, its reason stands.
case(
    "planned_end_after_followup",
    timeline(
        "planned_end_after_followup",
        ex("planned_end_after_followup", "E", 0, 500, "remission"),
        last_followup_date=d(400),
    ),
    course("planned_end_after_followup", end_date=d(400), stop_reason="remission"),
)
# Cross-taper: E [0, 100], R from day 90. E's course ends on day 89; its window ends on the next
# start (90, before 89 + 14 = 103). R starts on or before 89 + 14: baseline carried (10).
# R's window: 90 + 180 = 270 vs 200 + 14 = 214 -> 214, no flag.
case(
    "cross_taper",
    merge(
        timeline(
            "cross_taper",
            ex("cross_taper", "E", 0, 100, "inefficacy"),
            ex("cross_taper", "R", 90, 200, "adverse_event"),
        ),
        ae("cross_taper", 89),
        ae("cross_taper", 90),
    ),
    course(
        "cross_taper", end_date=d(89), stop_reason="inefficacy", flags="window_cut_by_next_course"
    ),
    course(
        "cross_taper",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(90),
        end_date=d(200),
        stop_reason="adverse_event",
        age_at_course=50,
        flags="baseline_carried",
    ),
)
# Switch back: E [0, 100] and E [120, 300] are 20 days apart (one era by the gap rule), but R's era
# [105, 115] started after E's first start and ended before 120: E resumes in a new era.
# Courses E [0, 100], R [105, 115], E [120, 300]; each window ends on the next start (105 < 114;
# 120 < 129); R and the second E start within 14 days of the previous end: carried, chained (10).
case(
    "switch_back",
    timeline(
        "switch_back",
        ex("switch_back", "E", 0, 100),
        ex("switch_back", "R", 105, 115),
        ex("switch_back", "E", 120, 300),
    ),
    course("switch_back", flags="window_cut_by_next_course"),
    course(
        "switch_back",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(105),
        end_date=d(115),
        age_at_course=50,
        flags="window_cut_by_next_course;baseline_carried",
    ),
    course(
        "switch_back",
        course_number=3,
        course_type="switch",
        start_date=d(120),
        end_date=d(300),
        age_at_course=50,
        flags="baseline_carried",
    ),
)
# One E row [0, 300] spans R's era [100, 150]: the row is not split; E's course is cut on day 99.
# No third course. R: carried (100 <= 99 + 14); window 150 + 14 = 164.
case(
    "row_spanning_era",
    timeline(
        "row_spanning_era",
        ex("row_spanning_era", "E", 0, 300),
        ex("row_spanning_era", "R", 100, 150),
    ),
    course("row_spanning_era", end_date=d(99), flags="window_cut_by_next_course"),
    course(
        "row_spanning_era",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(100),
        end_date=d(150),
        age_at_course=50,
        flags="baseline_carried",
    ),
)
# E restarts on day 125 while R's era [90, 130] is still running: not an interruption; the gap
# rule (125 − 100 = 25) keeps one E era [0, 300] of 2 rows, cut on day 89 by R.
case(
    "restart_overlapping",
    timeline(
        "restart_overlapping",
        ex("restart_overlapping", "E", 0, 100),
        ex("restart_overlapping", "R", 90, 130),
        ex("restart_overlapping", "E", 125, 300),
    ),
    course("restart_overlapping", end_date=d(89), n_rows=2, flags="window_cut_by_next_course"),
    course(
        "restart_overlapping",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(90),
        end_date=d(130),
        age_at_course=50,
        flags="baseline_carried",
    ),
)

# Reading of rule 2 (see ``int_agent_rows_grouped_to_eras``): interrupting eras are the other
# agent's gap-rule eras, measured from the first start of this agent's gap-rule era, each used at
# the first row starting after it ended. E rows [0, 200], [100, 300], [260, 400] form one gap-rule
# era; R's eras [10, 40] and [80, 250] (40 days apart) both started after day 0: E restarts in a
# new era at 100 (after R [10, 40]) and again at 260 (after R [80, 250]). Courses in start order:
# E 0 (cut on 9), R 10 (ends 40; its window ends at 40 + 14 = 54), R 80 (retreatment, 80 > 54:
# not carried, no count in [50, 80]; cut on 99), E 100 (carried from R 80: missing; cut on 259),
# E 260 (retreatment, carried: missing).
case(
    "interrupter_once",
    timeline(
        "interrupter_once",
        ex("interrupter_once", "E", 0, 200),
        ex("interrupter_once", "E", 100, 300),
        ex("interrupter_once", "E", 260, 400),
        ex("interrupter_once", "R", 10, 40),
        ex("interrupter_once", "R", 80, 250),
    ),
    course("interrupter_once", end_date=d(9), flags="window_cut_by_next_course"),
    course(
        "interrupter_once",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(10),
        end_date=d(40),
        age_at_course=50,
        flags="baseline_carried",
    ),
    course(
        "interrupter_once",
        course_number=3,
        agent="R",
        course_type="retreatment",
        start_date=d(80),
        end_date=d(99),
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline;window_cut_by_next_course",
    ),
    course(
        "interrupter_once",
        course_number=4,
        course_type="switch",
        start_date=d(100),
        end_date=d(259),
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline;window_cut_by_next_course;baseline_carried",
    ),
    course(
        "interrupter_once",
        course_number=5,
        course_type="retreatment",
        start_date=d(260),
        end_date=d(400),
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline;baseline_carried",
    ),
)

# --- rule 3: two agents starting the same day -------------------------------------------------
# E and R on day 0: E first (alphabetical), ends on day 0, empty window (NE), flagged. R keeps E's
# baseline (0 <= 0 + 14); counts 60 and 70 on days 10 and 20 give R on day 10, censored at
# follow-up (731 − 10 = 721). The event on day 0 belongs to R (E holds no day).
case(
    "same_day_start",
    merge(
        timeline(
            "same_day_start",
            ex("same_day_start", "E", 0, 100),
            ex("same_day_start", "R", 0, 200),
            values={-3: 10.0, 10: 60.0, 20: 70.0},
        ),
        ae("same_day_start", 0),
    ),
    course("same_day_start", end_date=d(0), flags="window_cut_by_next_course;same_day_start"),
    course(
        "same_day_start",
        course_number=2,
        agent="R",
        course_type="switch",
        end_date=d(200),
        response="R",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=721,
        duration_censored=True,
        flags="baseline_carried",
    ),
)
# A [0, 100] and E [0, 50]: avatrombopag comes first by name, whatever the lengths.
case(
    "same_day_by_name",
    timeline(
        "same_day_by_name", ex("same_day_by_name", "A", 0, 100), ex("same_day_by_name", "E", 0, 50)
    ),
    course(
        "same_day_by_name",
        agent="A",
        end_date=d(0),
        flags="window_cut_by_next_course;same_day_start",
    ),
    course(
        "same_day_by_name",
        course_number=2,
        course_type="switch",
        end_date=d(50),
        flags="baseline_carried",
    ),
)


# --- rules 5 and 9: stop reasons, loss or censoring at the next course -------------------------
def stop_case(pid: str, reason: str | None, is_loss: bool) -> None:
    """E [0, 60] stopped for ``reason``, R from day 70. Counts 60, 70, 80 on days 10, 20, 40: R on
    day 10 (window ends on the next start, 70 < 74). The next start (70) is a loss for inefficacy,
    loss of response, fluctuation or unknown (60 days, an event); for any other reason the
    duration is censored there (60 days, censored). R's course keeps the baseline (70 <= 74) and
    has no count after its start."""
    case(
        pid,
        timeline(
            pid,
            ex(pid, "E", 0, 60, reason),
            ex(pid, "R", 70, 300),
            values={-3: 10.0, 10: 60.0, 20: 70.0, 40: 80.0},
        ),
        course(
            pid,
            end_date=d(60),
            stop_reason=reason or "unknown",
            response="R",
            response_date=d(10),
            time_to_response_days=10,
            duration_days=60,
            duration_censored=not is_loss,
            flags="window_cut_by_next_course",
        ),
        course(
            pid,
            course_number=2,
            agent="R",
            course_type="switch",
            start_date=d(70),
            end_date=d(300),
            age_at_course=50,
            flags="baseline_carried",
        ),
    )


stop_case("stop_inefficacy", "inefficacy", is_loss=True)
stop_case("stop_loss_of_response", "loss_of_response", is_loss=True)
stop_case("stop_fluctuation", "fluctuation", is_loss=True)
stop_case("stop_empty", None, is_loss=True)
stop_case("stop_adverse_event", "adverse_event", is_loss=False)
stop_case("stop_patient_preference", "patient_preference", is_loss=False)
stop_case("stop_remission", "remission", is_loss=False)
stop_case("stop_other", "other", is_loss=False)

# Preference, but counts 20 on days 70 and 80 (< 30, 10 days apart): a loss by counts dated 70,
# the next start itself: an event on the censoring date counts (60 days, not censored). The count
# on day 70 is taken before R's start and R's window holds one count (80): NE.
case(
    "loss_on_next_start",
    timeline(
        "loss_on_next_start",
        ex("loss_on_next_start", "E", 0, 60, "patient_preference"),
        ex("loss_on_next_start", "R", 70, 300),
        values={-3: 10.0, 10: 60.0, 20: 70.0, 70: 20.0, 80: 20.0},
    ),
    course(
        "loss_on_next_start",
        end_date=d(60),
        stop_reason="patient_preference",
        response="R",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=60,
        duration_censored=False,
        flags="window_cut_by_next_course",
    ),
    course(
        "loss_on_next_start",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(70),
        end_date=d(300),
        age_at_course=50,
        flags="baseline_carried",
    ),
)
# The same pair one day later (71, 80): after the censoring date (70), ignored: 60 days censored.
# R's window holds 71 and 80, both failing: NR.
case(
    "loss_after_next_start",
    timeline(
        "loss_after_next_start",
        ex("loss_after_next_start", "E", 0, 60, "patient_preference"),
        ex("loss_after_next_start", "R", 70, 300),
        values={-3: 10.0, 10: 60.0, 20: 70.0, 71: 20.0, 80: 20.0},
    ),
    course(
        "loss_after_next_start",
        end_date=d(60),
        stop_reason="patient_preference",
        response="R",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=60,
        duration_censored=True,
        flags="window_cut_by_next_course",
    ),
    course(
        "loss_after_next_start",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(70),
        end_date=d(300),
        age_at_course=50,
        response="NR",
        flags="baseline_carried",
    ),
)
# Two rows ending on one day: the first reason in vocabulary order (fluctuation before other).
case(
    "stop_tie",
    timeline(
        "stop_tie",
        ex("stop_tie", "E", 0, 100, "other"),
        ex("stop_tie", "E", 50, 100, "fluctuation"),
    ),
    course("stop_tie", n_rows=2, stop_reason="fluctuation"),
)
# An earlier row's reason is not used: the last row has none -> unknown.
case(
    "stop_earlier_unused",
    timeline(
        "stop_earlier_unused",
        ex("stop_earlier_unused", "E", 0, 50, "inefficacy"),
        ex("stop_earlier_unused", "E", 60, 100),
    ),
    course("stop_earlier_unused", n_rows=2),
)
# Two rows starting the same day: one era ending on the later last day (remission).
case(
    "start_tie",
    timeline(
        "start_tie",
        ex("start_tie", "E", 0, 50, "inefficacy"),
        ex("start_tie", "E", 0, 100, "remission"),
    ),
    course("start_tie", n_rows=2, stop_reason="remission"),
)
# An open row cut by a switch is not ongoing: its recorded reason stands. Cut on day 99.
case(
    "open_row_cut",
    timeline(
        "open_row_cut",
        ex("open_row_cut", "E", 0, None, "inefficacy"),
        ex("open_row_cut", "R", 100, 200),
    ),
    course(
        "open_row_cut", end_date=d(99), stop_reason="inefficacy", flags="window_cut_by_next_course"
    ),
    course(
        "open_row_cut",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(100),
        end_date=d(200),
        age_at_course=50,
        flags="baseline_carried",
    ),
)
# An open row (last day 731) swallows a later row of its agent: one era, ongoing.
case(
    "open_row_absorbs",
    timeline(
        "open_row_absorbs",
        ex("open_row_absorbs", "E", 0),
        ex("open_row_absorbs", "E", 200, 300, "remission"),
    ),
    course("open_row_absorbs", end_date=d(731), n_rows=2, flags="ongoing"),
)

# --- rule 6: baseline carried -----------------------------------------------------------------
# R starts on day 114 = 100 + 14: carried (10, not the count of 80 taken on E on day 110). Counts
# 50 and 55 (days 130, 140) are >= 2 × 10: R on day 130, censored at follow-up (601). E's window
# ends on R's start (114, = end + 14 too).
case(
    "carried_14",
    timeline(
        "carried_14",
        ex("carried_14", "E", 0, 100),
        ex("carried_14", "R", 114, 300),
        values={-3: 10.0, 110: 80.0, 130: 50.0, 140: 55.0},
    ),
    course("carried_14", flags="window_cut_by_next_course"),
    course(
        "carried_14",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(114),
        end_date=d(300),
        age_at_course=50,
        response="R",
        response_date=d(130),
        time_to_response_days=16,
        duration_days=601,
        duration_censored=True,
        flags="baseline_carried",
    ),
)
# One day later (115): not carried; its own baseline is 80 (day 110), and 50, 55 < 2 × 80: NR.
# E's window ends on 114 (end + 14), not on R's start: no flag.
case(
    "not_carried_15",
    timeline(
        "not_carried_15",
        ex("not_carried_15", "E", 0, 100),
        ex("not_carried_15", "R", 115, 300),
        values={-3: 10.0, 110: 80.0, 130: 50.0, 140: 55.0},
    ),
    course("not_carried_15"),
    course(
        "not_carried_15",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(115),
        end_date=d(300),
        age_at_course=50,
        baseline_platelets=80.0,
        response="NR",
    ),
)
# A chain: R at 110 (<= 114) and A at 210 (<= 200 + 14) both keep E's baseline (10), not the counts
# taken on day 105 (80) and 205 (90). Each of those counts is the only one of its window: NE.
case(
    "carried_chain",
    timeline(
        "carried_chain",
        ex("carried_chain", "E", 0, 100),
        ex("carried_chain", "R", 110, 200),
        ex("carried_chain", "A", 210, 300),
        values={-3: 10.0, 105: 80.0, 205: 90.0},
    ),
    course("carried_chain", flags="window_cut_by_next_course"),
    course(
        "carried_chain",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(110),
        end_date=d(200),
        age_at_course=50,
        flags="window_cut_by_next_course;baseline_carried",
    ),
    course(
        "carried_chain",
        course_number=3,
        agent="A",
        course_type="switch",
        start_date=d(210),
        end_date=d(300),
        age_at_course=50,
        flags="baseline_carried",
    ),
)
# Missing stays missing: E has no baseline; R (carried) does not take the count of day 105.
case(
    "carried_missing",
    timeline(
        "carried_missing",
        ex("carried_missing", "E", 0, 100),
        ex("carried_missing", "R", 110, 200),
        values={105: 80.0},
    ),
    course(
        "carried_missing", baseline_platelets=None, flags="no_baseline;window_cut_by_next_course"
    ),
    course(
        "carried_missing",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(110),
        end_date=d(200),
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline;baseline_carried",
    ),
)

# --- rule 7: the window ends at end + exposure_effect_days --------------------------------------
# E [0, 30], counts 60 (day 20) and 70 (day 45). With 14 effect days the window ends on day 44:
# one usable count, NE. With 15 it ends on day 45: R on day 20, censored at 731 (711 days).
effect_rows = {
    pid: timeline(pid, ex(pid, "E", 0, 30), values={-3: 10.0, 20: 60.0, 45: 70.0})
    for pid in ("effect_14", "effect_15")
}
case("effect_14", effect_rows["effect_14"], course("effect_14", end_date=d(30)))
case(
    "effect_15",
    effect_rows["effect_15"],
    course(
        "effect_15",
        end_date=d(30),
        response="R",
        response_date=d(20),
        time_to_response_days=20,
        duration_days=711,
        duration_censored=True,
    ),
    rules=EFFECT_15,
)

# --- rule 8: lines and new treatments --------------------------------------------------------
# Rituximab on day 50 during E [0, 300]: a new treatment (not an agent of the protocol) that cuts
# the window and ends the response of day 10 (40 days). R on day 400 (> 314: not carried, no count
# in [370, 400]) has one prior line (rituximab); E is never a line.
case(
    "rituximab_in_course",
    merge(
        timeline(
            "rituximab_in_course",
            ex("rituximab_in_course", "E", 0, 300),
            ex("rituximab_in_course", "R", 400, 500),
            values={-3: 10.0, 10: 60.0, 20: 70.0},
        ),
        tx("rituximab_in_course", "rituximab", 50),
    ),
    course(
        "rituximab_in_course",
        end_date=d(300),
        response="R",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=40,
        duration_censored=False,
        flags="window_cut_by_treatment",
    ),
    course(
        "rituximab_in_course",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(400),
        end_date=d(500),
        age_at_course=51,  # day 400 is 2021-02-04
        prior_lines=1,
        baseline_platelets=None,
        flags="no_baseline",
    ),
)
# Prednisone, rituximab and a splenectomy before E: three line agents, splenectomy before.
case(
    "lines_before",
    merge(
        timeline("lines_before", ex("lines_before", "E", 0, 100)),
        tx("lines_before", "prednisone", -200, -150),
        tx("lines_before", "rituximab", -100),
        tx("lines_before", "splenectomy", -50),
    ),
    course("lines_before", prior_lines=3, splenectomy_before=True),
)

# --- section 4 inside a course: rescue rows -------------------------------------------------
# IVIg on day 15 excludes counts from 15 to 15 + 28 = 43 (days 20, 40); 10 and 60 remain, but the
# rescue start (15) lies in their run: NR, rescue_in_window.
for rescue_pid, rescue_row in (
    ("rescue_ivig", tx("rescue_ivig", "ivig", 15)),
    # a rescue-flagged romiplostim row is a rescue exposure, not a course
    ("rescue_agent_row", ex("rescue_agent_row", "R", 15, None, rescue=True)),
):
    case(
        rescue_pid,
        merge(
            timeline(
                rescue_pid,
                ex(rescue_pid, "E", 0, 200),
                values={-3: 10.0, 10: 60.0, 20: 70.0, 40: 80.0, 60: 80.0},
            ),
            rescue_row,
        ),
        course(rescue_pid, end_date=d(200), response="NR", flags="rescue_in_window"),
    )

# --- rule 9 without a next course ---------------------------------------------------------------
# E [0, 30]; R on day 10 (window to 44). Off treatment, counts 20 on days 100 and 110: a loss
# dated 100 (90 days).
case(
    "off_treatment_loss",
    timeline(
        "off_treatment_loss",
        ex("off_treatment_loss", "E", 0, 30, "other"),
        values={-3: 10.0, 10: 60.0, 20: 70.0, 100: 20.0, 110: 20.0},
    ),
    course(
        "off_treatment_loss",
        end_date=d(30),
        stop_reason="other",
        response="R",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=90,
        duration_censored=False,
    ),
)
# The same with 80 and 90 off treatment: stopping is not a loss; censored at 731 (721 days).
case(
    "off_treatment_kept",
    timeline(
        "off_treatment_kept",
        ex("off_treatment_kept", "E", 0, 30),
        values={-3: 10.0, 10: 60.0, 20: 70.0, 100: 80.0, 110: 90.0},
    ),
    course(
        "off_treatment_kept",
        end_date=d(30),
        response="R",
        response_date=d(10),
        time_to_response_days=10,
        duration_days=721,
        duration_censored=True,
    ),
)

# --- rule 4: a retreatment before the first switch ------------------------------------------
# E [0, 100], E [200, 300] (gap 100: retreatment), R from 310 (switch, carried from E's second
# course, which has no baseline: no count in [170, 200]).
case(
    "retreatment_then_switch",
    timeline(
        "retreatment_then_switch",
        ex("retreatment_then_switch", "E", 0, 100),
        ex("retreatment_then_switch", "E", 200, 300),
        ex("retreatment_then_switch", "R", 310, 400),
    ),
    course("retreatment_then_switch"),
    course(
        "retreatment_then_switch",
        course_number=2,
        course_type="retreatment",
        start_date=d(200),
        end_date=d(300),
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline;window_cut_by_next_course",
    ),
    course(
        "retreatment_then_switch",
        course_number=3,
        agent="R",
        course_type="switch",
        start_date=d(310),
        end_date=d(400),
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline;baseline_carried",
    ),
)

# --- rule 10: adverse events ------------------------------------------------------------------
# E [0, 100], R [200, 300] (not carried; no count in [170, 200]). Events on day −1 (before any
# course: none), 50 (E, in its days), 101 and 114 (E, 1 and 14 days after its end), 115 (15 days:
# none), 150 (none), 205 (R).
case(
    "ae_effect",
    merge(
        timeline("ae_effect", ex("ae_effect", "E", 0, 100), ex("ae_effect", "R", 200, 300)),
        *(ae("ae_effect", n) for n in (-1, 50, 101, 114, 115, 150, 205)),
    ),
    course("ae_effect"),
    course(
        "ae_effect",
        course_number=2,
        agent="R",
        course_type="switch",
        start_date=d(200),
        end_date=d(300),
        age_at_course=50,
        baseline_platelets=None,
        flags="no_baseline",
    ),
)

#: (patient, onset day) -> (course number, days from the course end), worked from rule 10
AE_EXPECTED: dict[tuple[str, int], tuple[int | None, int | None]] = {
    ("ae_effect", -1): (None, None),
    ("ae_effect", 50): (1, 0),
    ("ae_effect", 101): (1, 1),
    ("ae_effect", 114): (1, 14),
    ("ae_effect", 115): (None, None),
    ("ae_effect", 150): (None, None),
    ("ae_effect", 205): (2, 0),
    ("cross_taper", 89): (1, 0),  # E's last day after the cut
    ("cross_taper", 90): (2, 0),  # R's first day
    ("same_day_start", 0): (2, 0),  # E (same-day start) holds no day
}


def _rules_sets() -> dict[Rules, list[str]]:
    sets: dict[Rules, list[str]] = {}
    for pid, (rules, _, _) in CASES.items():
        sets.setdefault(rules, []).append(pid)
    return sets


@pytest.fixture(scope="module")
def derived() -> dict[str, dict[str, dict[str, list[dict[str, Any]]]]]:
    """Per patient: the engine's and the reference's marts (one engine run per rule set)."""
    result: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    for rules, pids in _rules_sets().items():
        rows = merge(*(CASES[pid][1] for pid in pids))
        engine = run_exposure_engine(
            rows, ExposureRules(rules.agents, rules.era_gap_days, rules.exposure_effect_days)
        )
        canonical = {name: t.to_pylist() for name, t in arrow_tables(rows).items()}
        reference = derive_exposure_reference(canonical, rules, Criteria())
        for pid in pids:
            result[pid] = {
                side: {mart: [r for r in marts[mart] if r["patient_id"] == pid] for mart in marts}
                for side, marts in (("engine", engine), ("reference", reference))
            }
    return result


def test_at_least_thirty_timelines() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("side", ["engine", "reference"])
@pytest.mark.parametrize("pid", sorted(CASES))
def test_courses_as_worked_by_hand(derived: dict[str, Any], pid: str, side: str) -> None:
    got = sorted(derived[pid][side]["courses"], key=lambda r: r["course_number"])
    assert got == CASES[pid][2]


@pytest.mark.parametrize("side", ["engine", "reference"])
@pytest.mark.parametrize(("pid", "day"), sorted(AE_EXPECTED))
def test_adverse_events_as_worked_by_hand(
    derived: dict[str, Any], pid: str, day: int, side: str
) -> None:
    (row,) = [r for r in derived[pid][side]["ae_by_course"] if r["onset_date"] == d(day)]
    assert (row["course_number"], row["days_from_course_end"]) == AE_EXPECTED[(pid, day)]
    assert (row["event"], row["center"]) == ("thrombosis", "TLS")


@pytest.mark.parametrize("side", ["engine", "reference"])
@pytest.mark.parametrize(
    ("pid", "expected"),
    [
        # three courses from day 0; the only count (day -3) is before it; seen until day 731
        ("switch_back", (d(0), 49, 3, False, 731)),
        # counts after the first start; death on day 300 ends the follow-up
        ("open_until_death", (d(0), 49, 1, True, 300)),
        # a second course 400 days later: two courses
        ("rituximab_in_course", (d(0), 49, 2, True, 731)),
    ],
)
def test_patient_baseline_as_worked_by_hand(
    derived: dict[str, Any], pid: str, expected: tuple[Any, ...], side: str
) -> None:
    (row,) = derived[pid][side]["patient_baseline"]
    columns = ("first_rtx_date", "age_at_first_rtx", "n_courses", "has_count_after_course1")
    assert (*(row[c] for c in columns), row["followup_days"]) == expected


@pytest.mark.parametrize("side", ["engine", "reference"])
@pytest.mark.parametrize(
    ("pid", "expected"),
    [
        # rituximab on day 50 is the first new treatment of course 1 (E from day 0)
        ("rituximab_in_course", [(d(50), "new_treatment", 50, 1)]),
        # the IVIg on day 15 is a rescue during course 1
        ("rescue_ivig", [(d(15), "rescue", 15, 1)]),
        # so is the rescue-flagged romiplostim row
        ("rescue_agent_row", [(d(15), "rescue", 15, 1)]),
        # a TPO-RA switch is the next course, never a new treatment
        ("cross_taper", []),
    ],
)
def test_treatment_events_as_worked_by_hand(
    derived: dict[str, Any], pid: str, expected: list[tuple[Any, ...]], side: str
) -> None:
    rows = derived[pid][side]["patient_treatment_events"]
    columns = ("event_date", "event", "days_from_course1", "course_number")
    assert [tuple(r[c] for c in columns) for r in rows] == expected
