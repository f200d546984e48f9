"""A plain-Python reference of ``protocols.md`` "Exposure courses", one function per rule.

Per-patient loops written to be read against the spec; it shares no code with
``itpcohort.derive`` (the section 3–6 helpers come from ``tests.reference.derivation``). Stop
reasons and the loss reasons are restated from the spec.

Readings shared with the engine (each stated where the engine implements it):

- rule 1: a row starting after its follow-up/death date lasts its start day only;
- rule 2: interrupting eras are the other agents' eras by the gap rule alone, "this era's first
  start" is the first start of the row's gap-rule era, and an interruption starts a new era at
  the first row that starts after it ended (used once);
- rule 5: with several rows on the latest last day, one without ``end_date`` makes it ongoing;
- rule 10: a ``same_day_start`` course is attributed no event.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from itpcohort.criteria import Criteria
from tests.reference.derivation import (
    FLAG_ORDER,
    PatientData,
    Row,
    baseline,
    bleeding_qualifies,
    collapse_counts,
    completed_years,
    days,
    derive_patient_baseline,
    duration,
    earliest,
    earliest_confirming_run,
    exposure,
    is_rescue,
    itp_phase,
    line_agent,
    loss_by_counts,
    qualifies_cr,
    qualifies_r,
    rescue_intervals,
    splenectomy_before,
)

STOP_REASONS = (
    "inefficacy",
    "loss_of_response",
    "fluctuation",
    "adverse_event",
    "patient_preference",
    "remission",
    "other",
    "unknown",
)
LOSS_REASONS = {"inefficacy", "loss_of_response", "fluctuation", "unknown"}
EXPOSURE_FLAGS = (*FLAG_ORDER, "ongoing", "baseline_carried", "same_day_start")
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Rules:
    """The exposure rules, restated (agents, era_gap_days, exposure_effect_days)."""

    agents: tuple[str, ...]
    era_gap_days: int = 30
    exposure_effect_days: int = 14


@dataclass
class Era:
    agent: str
    rows: list[Row]

    @property
    def start(self) -> dt.date:
        return min(r["start_date"] for r in self.rows)

    @property
    def end(self) -> dt.date:
        return max(r["last_day"] for r in self.rows)


# --- rule 1 ----------------------------------------------------------------------------------
def last_day(t: Row, patient: Row) -> dt.date:
    """Earliest of end_date, last follow-up and death; never before the start."""
    end = earliest(t["end_date"], patient["last_followup_date"], patient["death_date"])
    assert end is not None
    return max(end, t["start_date"])


def agent_rows(p: PatientData, rules: Rules) -> list[Row]:
    """Non-rescue rows of the protocol's agents, each with its last day."""
    return [
        {**t, "last_day": last_day(t, p.patient)}
        for t in p.treatments
        if t["drug"] in rules.agents and not is_rescue(t)
    ]


# --- rule 2 ----------------------------------------------------------------------------------
def in_row_order(rows: list[Row]) -> list[Row]:
    """Start order, later last day first."""
    return sorted(rows, key=lambda r: (r["start_date"], -r["last_day"].toordinal()))


def gap_eras(rows: list[Row], rules: Rules) -> list[list[Row]]:
    """One agent's rows by the gap rule alone: a start more than era_gap_days after the latest
    last day so far starts a new era."""
    eras: list[list[Row]] = []
    for row in in_row_order(rows):
        if eras and days(row["start_date"], max(r["last_day"] for r in eras[-1])) <= (
            rules.era_gap_days
        ):
            eras[-1].append(row)
        else:
            eras.append([row])
    return eras


def eras_of_agent(
    rows: list[Row], others: list[tuple[dt.date, dt.date]], rules: Rules
) -> list[list[Row]]:
    """One agent's eras: the gap rule, and a new era at the first row starting after the end of
    another agent's (gap-rule) era that started after this gap-rule era's first start."""
    eras: list[list[Row]] = []
    for group in gap_eras(rows, rules):
        first_start = group[0]["start_date"]
        used: set[tuple[dt.date, dt.date]] = set()
        for k, row in enumerate(group):
            interrupters = {
                (start, end)
                for start, end in others
                if start > first_start and end < row["start_date"] and (start, end) not in used
            }
            used |= interrupters
            if k == 0 or interrupters:
                eras.append([row])
            else:
                eras[-1].append(row)
    return eras


def all_eras(rows: list[Row], rules: Rules) -> list[Era]:
    """Every era of every agent of one patient."""
    by_agent: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_agent[row["drug"]].append(row)
    result = []
    for agent, own in by_agent.items():
        others = [
            (min(r["start_date"] for r in g), max(r["last_day"] for r in g))
            for other, other_rows in by_agent.items()
            if other != agent
            for g in gap_eras(other_rows, rules)
        ]
        result.extend(Era(agent, group) for group in eras_of_agent(own, others, rules))
    return result


# --- rules 3 and 4 ---------------------------------------------------------------------------
def ordered_courses(eras: list[Era]) -> list[Era]:
    """Eras in start order, ties by agent name."""
    return sorted(eras, key=lambda e: (e.start, e.agent))


def course_end(era: Era, next_start: dt.date | None) -> tuple[dt.date, bool]:
    """(end after the cut, same-day start): the era end or the day before the next course."""
    if next_start is None:
        return era.end, False
    if next_start == era.start:
        return era.start, True
    return min(era.end, next_start - ONE_DAY), False


def course_type(k: int, courses: list[Era]) -> str:
    if k == 0:
        return "first"
    return "switch" if courses[k].agent != courses[k - 1].agent else "retreatment"


# --- rule 5 ----------------------------------------------------------------------------------
def stop_reason(era: Era, next_start: dt.date | None) -> tuple[str, bool]:
    """(stop reason, ongoing): the reason of the row with the latest last day."""
    last = [r for r in era.rows if r["last_day"] == era.end]
    cut = next_start is not None and next_start <= era.end
    if any(r["end_date"] is None for r in last) and not cut:
        return "unknown", True
    reasons = {r["stop_reason"] for r in last if r["stop_reason"]}
    for reason in STOP_REASONS:
        if reason in reasons:
            return reason, False
    return "unknown", False


# --- rule 6 ----------------------------------------------------------------------------------
def carried_baselines(
    starts: list[dt.date], ends: list[dt.date], own: list[float | None], rules: Rules
) -> list[tuple[float | None, bool]]:
    """(baseline, carried) per course: a start on or before the previous end + effect days
    keeps the previous course's baseline, through chains."""
    result: list[tuple[float | None, bool]] = []
    for k, start in enumerate(starts):
        effect = dt.timedelta(days=rules.exposure_effect_days)
        if k > 0 and start <= ends[k - 1] + effect:
            result.append((result[k - 1][0], True))
        else:
            result.append((own[k], False))
    return result


# --- rule 8 ----------------------------------------------------------------------------------
def exposure_line_agent(t: Row, rules: Rules) -> str | None:
    """Section 2's line agent, the protocol's agents out and rituximab in."""
    if t["drug"] in rules.agents:
        return None
    if t["drug"] == "rituximab":
        return None if is_rescue(t) else "rituximab"
    return line_agent(t)


def prior_lines(treatments: list[Row], start: dt.date, rules: Rules) -> int:
    agents = {exposure_line_agent(t, rules) for t in treatments if t["start_date"] < start}
    return len(agents - {None})


def new_treatment_starts(p: PatientData, start: dt.date, rules: Rules) -> list[dt.date]:
    """Starts of line rows after the course start, of agents not ongoing on that day."""
    ongoing = set()
    for t in p.treatments:
        agent = exposure_line_agent(t, rules)
        if agent is not None:
            first, last = exposure(t, p.patient)
            if first <= start <= last:
                ongoing.add(agent)
    return sorted(
        t["start_date"]
        for t in p.treatments
        if exposure_line_agent(t, rules) is not None
        and t["start_date"] > start
        and exposure_line_agent(t, rules) not in ongoing
    )


# --- rule 7 ----------------------------------------------------------------------------------
def window_end(
    start: dt.date,
    end: dt.date,
    next_start: dt.date | None,
    new_start: dt.date | None,
    patient: Row,
    c: Criteria,
    rules: Rules,
) -> dt.date:
    """Section 4's bounds and the course end + exposure_effect_days, the earliest."""
    bound = earliest(
        start + dt.timedelta(days=c.response_window_days),
        next_start,
        new_start,
        patient["last_followup_date"],
        patient["death_date"],
        end + dt.timedelta(days=rules.exposure_effect_days),
    )
    assert bound is not None
    return bound


# --- rule 9 ----------------------------------------------------------------------------------
def next_course_is_loss(reason: str) -> bool:
    return reason in LOSS_REASONS


# --- rule 10 ---------------------------------------------------------------------------------
def attributed_course(
    onset: dt.date, spans: list[tuple[int, dt.date, dt.date, bool]], rules: Rules
) -> tuple[int | None, int | None]:
    """(course number, days from its end): the course holding the onset, else the latest one
    ended 1..exposure_effect_days before it; same-day-start courses hold nothing."""
    held = [(k, start, end) for k, start, end, same_day in spans if not same_day]
    for k, start, end in held:
        if start <= onset <= end:
            return k, 0
    after = [(k, end) for k, _, end in held if 1 <= days(onset, end) <= rules.exposure_effect_days]
    if after:
        k, end = max(after)
        return k, days(onset, end)
    return None, None


# --- one patient -----------------------------------------------------------------------------
def derive_exposure_courses(p: PatientData, rules: Rules, c: Criteria) -> list[Row]:
    """Every exposure course of one patient, as the ``courses`` rows."""
    patient = p.patient
    courses = ordered_courses(all_eras(agent_rows(p, rules), rules))
    counts = collapse_counts(p.counts)
    intervals = rescue_intervals(p.treatments, patient, c)
    rescue_starts = {t["start_date"] for t in p.treatments if is_rescue(t)}
    voiding = rescue_starts | {b["date"] for b in p.bleeds if bleeding_qualifies(b, c)}
    lfu, death = patient["last_followup_date"], patient["death_date"]
    starts = [e.start for e in courses]
    nexts: list[dt.date | None] = [*starts[1:], None][: len(starts)]
    cut_ends = [course_end(e, n) for e, n in zip(courses, nexts, strict=True)]
    ends = [end for end, _ in cut_ends]
    baselines = carried_baselines(starts, ends, [baseline(counts, s, c) for s in starts], rules)
    rows = []
    for k, era in enumerate(courses):
        start, next_start = starts[k], nexts[k]
        end, same_day = cut_ends[k]
        reason, ongoing = stop_reason(era, next_start)
        base, carried = baselines[k]
        new_starts = new_treatment_starts(p, start, rules)
        new_start = new_starts[0] if new_starts else None
        w_end = window_end(start, end, next_start, new_start, patient, c, rules)
        full_end = start + dt.timedelta(days=c.response_window_days)
        usable = [
            (day, value)
            for day, value in counts.items()
            if start < day <= w_end and not any(a <= day <= b for a, b in intervals)
        ]
        r_date = earliest_confirming_run(
            usable, lambda x, base=base: qualifies_r(x, base, c), voiding, c
        )
        cr_date = earliest_confirming_run(usable, lambda x: qualifies_cr(x, c), voiding, c)
        if cr_date is not None:
            response, response_date = "CR", cr_date
        elif r_date is not None:
            response, response_date = "R", r_date
        else:
            response, response_date = ("NE" if len(usable) < 2 else "NR"), None
        dur = dur_c = cr_dur = cr_dur_c = None
        death_censored = False
        if response_date is not None:
            censor = earliest(lfu, death)
            assert censor is not None
            loss_next = next_start if next_course_is_loss(reason) else None
            if next_start is not None and not next_course_is_loss(reason):
                censor = min(censor, next_start)
            events_after = [
                x for x in (*voiding, new_start, loss_next) if x is not None and x > response_date
            ]
            first_event = min(events_after) if events_after else None
            r_loss = earliest(
                loss_by_counts(
                    counts, response_date, lambda x, base=base: not qualifies_r(x, base, c), c
                ),
                first_event,
            )
            dur, dur_c = duration(response_date, r_loss, censor)
            death_censored = dur_c and censor == death
            if response == "CR":
                cr_loss = earliest(
                    loss_by_counts(counts, response_date, lambda x: not qualifies_cr(x, c), c),
                    first_event,
                )
                cr_dur, cr_dur_c = duration(response_date, cr_loss, censor)

        def cut(date: dt.date | None, w_end: dt.date = w_end, full: dt.date = full_end) -> bool:
            return date is not None and date == w_end and date < full

        flags = {
            "no_baseline": base is None,
            "rescue_in_window": w_end > start
            and any(a <= w_end and b > start for a, b in intervals),
            "window_cut_by_treatment": cut(new_start),
            "window_cut_by_next_course": cut(next_start),
            "window_cut_by_followup": cut(lfu),
            "window_cut_by_death": cut(death),
            "death_censored": death_censored,
            "ongoing": ongoing,
            "baseline_carried": carried,
            "same_day_start": same_day,
        }
        rows.append(
            {
                "center": patient["center"],
                "patient_id": patient["patient_id"],
                "course_number": k + 1,
                "agent": era.agent,
                "course_type": course_type(k, courses),
                "start_date": start,
                "end_date": end,
                "n_rows": len(era.rows),
                "stop_reason": reason,
                "age_at_course": completed_years(start, patient["birth_date"]),
                "itp_phase": itp_phase(start, patient["diagnosis_date"], c),
                "prior_lines": prior_lines(p.treatments, start, rules),
                "splenectomy_before": splenectomy_before(p.treatments, start),
                "baseline_platelets": base,
                "response": response,
                "response_date": response_date,
                "time_to_response_days": days(response_date, start) if response_date else None,
                "duration_days": dur,
                "duration_censored": dur_c,
                "cr_duration_days": cr_dur,
                "cr_duration_censored": cr_dur_c,
                "flags": ";".join(name for name in EXPOSURE_FLAGS if flags[name]),
                # for the other marts, not a column of courses
                "_same_day": same_day,
            }
        )
    return rows


def derive_exposure_ae(p: PatientData, courses: list[Row], rules: Rules) -> list[Row]:
    spans = [(r["course_number"], r["start_date"], r["end_date"], r["_same_day"]) for r in courses]
    rows = []
    for ae in p.adverse_events:
        number, since_end = attributed_course(ae["onset_date"], spans, rules)
        rows.append(
            {
                "center": p.patient["center"],
                "patient_id": p.patient["patient_id"],
                "onset_date": ae["onset_date"],
                "event": ae["event"],
                "ctcae_grade": ae["ctcae_grade"],
                "serious": ae["serious"],
                "course_number": number,
                "days_from_course_end": since_end,
            }
        )
    return rows


def derive_exposure_treatment_events(
    p: PatientData, starts: list[dt.date], rules: Rules
) -> list[Row]:
    """Rescue starts and each course's first new treatment, from course 1 on."""
    if not starts:
        return []
    events = {("rescue", t["start_date"]) for t in p.treatments if is_rescue(t)}
    for start in starts:
        new_starts = new_treatment_starts(p, start, rules)
        if new_starts:
            events.add(("new_treatment", new_starts[0]))
    return [
        {
            "center": p.patient["center"],
            "patient_id": p.patient["patient_id"],
            "event_date": day,
            "event": kind,
            "days_from_course1": days(day, starts[0]),
            "course_number": max(k + 1 for k, s in enumerate(starts) if s <= day),
        }
        for kind, day in sorted(events, key=lambda e: (e[1], e[0]))
        if day >= starts[0]
    ]


def derive_exposure_reference(
    tables: Mapping[str, Iterable[Row]], rules: Rules, c: Criteria
) -> dict[str, list[Row]]:
    """Every exposure mart from canonical rows."""
    patients: dict[tuple[str, str], PatientData] = {}
    for row in tables["patients"]:
        patients[(row["center"], row["patient_id"])] = PatientData(row)
    parts = {
        "treatments": "treatments",
        "platelet_counts": "counts",
        "bleeding_events": "bleeds",
        "adverse_events": "adverse_events",
    }
    for table, attribute in parts.items():
        for row in tables.get(table, ()):
            getattr(patients[(row["center"], row["patient_id"])], attribute).append(row)
    result: dict[str, list[Row]] = {
        name: []
        for name in (
            "courses",
            "patient_baseline",
            "ae_by_course",
            "investigator_comparison",
            "patient_treatment_events",
        )
    }
    by_patient: dict[tuple[str, str], list[Row]] = {}
    for key in sorted(patients):
        p = patients[key]
        courses = derive_exposure_courses(p, rules, c)
        by_patient[key] = courses
        result["courses"].extend(
            {k: v for k, v in row.items() if not k.startswith("_")} for row in courses
        )
        baseline_row = derive_patient_baseline(p, courses)
        if baseline_row:
            result["patient_baseline"].append(baseline_row)
        result["ae_by_course"].extend(derive_exposure_ae(p, courses, rules))
        result["patient_treatment_events"].extend(
            derive_exposure_treatment_events(p, [r["start_date"] for r in courses], rules)
        )
    for a in tables.get("investigator_assessments", ()):
        numbered = {
            r["course_number"]: r["response"]
            for r in by_patient.get((a["center"], a["patient_id"]), [])
        }
        derived = numbered.get(a["course_number"])
        result["investigator_comparison"].append(
            {
                "center": a["center"],
                "patient_id": a["patient_id"],
                "course_number": a["course_number"],
                "investigator_response": a["response"].upper(),
                "derived_response": derived,
                "agrees": derived is not None and derived == a["response"].upper(),
            }
        )
    return result


__all__ = ["Rules", "derive_exposure_reference"]
