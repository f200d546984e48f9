"""A plain-Python reference implementation of ``response-criteria.md``, one function per rule.

Written to be obviously correct, not fast: per-patient loops, brute-force enumeration of every
candidate run, exact rational/decimal arithmetic. It shares no code with ``itpcohort.derive``; even
the drug lists are restated from ``data-model.md``. Property tests check that the Ibis engine and
this module agree on every column of every row.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from itpcohort.criteria import Criteria

Row = dict[str, Any]

# --- data-model.md, restated -------------------------------------------------------------------
RESCUE_CLASSES = {"ivig", "supportive"}
SINGLE_DAY_DRUGS = {"rituximab", "vincristine", "vinblastine", "cyclophosphamide", "splenectomy"}
OWN_AGENT_CLASSES = {"tpo_ra", "immunosuppressant", "other_itp", "other"}
FLAG_ORDER = (
    "no_baseline",
    "rescue_in_window",
    "window_cut_by_treatment",
    "window_cut_by_next_course",
    "window_cut_by_followup",
    "window_cut_by_death",
    "death_censored",
)


def dec(x: float) -> Decimal:
    """A float read as the decimal it was written as (``repr``), for "at least" comparisons."""
    return Decimal(repr(float(x)))


def days(a: dt.date, b: dt.date) -> int:
    """a − b in days."""
    return (a - b).days


def earliest(*dates: dt.date | None) -> dt.date | None:
    present = [x for x in dates if x is not None]
    return min(present) if present else None


# --- section 2: treatment rows ---------------------------------------------------------------
def is_rescue(t: Row) -> bool:
    """Classes ivig and supportive are always rescue; other rows when flagged."""
    return t["drug_class"] in RESCUE_CLASSES or bool(t["rescue"])


def is_single_day(t: Row) -> bool:
    """An empty end_date is one day for administrations, procedures and rescue rows."""
    return t["drug"] in SINGLE_DAY_DRUGS or is_rescue(t)


def exposure(t: Row, patient: Row) -> tuple[dt.date, dt.date]:
    """(start, end) of a row's exposure; an empty end is the start day or last follow-up."""
    start = t["start_date"]
    if t["end_date"] is not None:
        return start, t["end_date"]
    if is_single_day(t):
        return start, start
    lfu = patient["last_followup_date"]
    return start, max(start, lfu) if lfu is not None else start


def line_agent(t: Row) -> str | None:
    """The agent a row counts as for lines (None: never a line)."""
    if is_rescue(t):
        return None
    if t["drug_class"] == "corticosteroids":
        return "corticosteroids"
    if t["drug_class"] in OWN_AGENT_CLASSES:
        return t["drug"]
    if t["drug"] == "splenectomy":
        return "splenectomy"
    return None


# --- section 1: courses ----------------------------------------------------------------------
def group_courses(infusion_rows: list[Row], c: Criteria) -> list[list[Row]]:
    """Rituximab rows grouped into courses: a gap > course_gap_days starts a new course."""
    ordered = sorted(infusion_rows, key=lambda r: r["start_date"])
    courses: list[list[Row]] = []
    for row in ordered:
        if courses and days(row["start_date"], courses[-1][-1]["start_date"]) <= c.course_gap_days:
            courses[-1].append(row)
        else:
            courses.append([row])
    return courses


def dose_matches(row: Row, nominal: float, unit: str, c: Criteria) -> bool:
    """Dose within ±tolerance of nominal (inclusive) in the regimen's unit (empty = that unit)."""
    if row["dose"] is None or row["dose_unit"] not in (None, unit):
        return False
    return abs(dec(row["dose"]) - dec(nominal)) <= Decimal(c.dose_tolerance_pct) / 100 * dec(
        nominal
    )


def regimen(rows: list[Row], c: Criteria) -> str:
    """unknown (a missing dose, first), then the protocol's regimen table in order (every dose
    matches, and the count when the regimen has one), else other (``protocols.md``)."""
    if any(r["dose"] is None for r in rows):
        return "unknown"
    for named in c.courses.regimens:
        if named.count is not None and len(rows) != named.count:
            continue
        if all(dose_matches(r, named.dose, named.unit, c) for r in rows):
            return named.name
    return "other"


# --- section 2: ages and phase ---------------------------------------------------------------
def completed_years(later: dt.date, earlier: dt.date | None) -> int | None:
    """floor(days / 365.25), exactly."""
    if earlier is None:
        return None
    return days(later, earlier) * 4 // 1461


def itp_phase(start: dt.date, diagnosis: dt.date | None, c: Criteria) -> str | None:
    """<3 months newly diagnosed, 3..12 inclusive persistent, >12 chronic; month = 365.25/12."""
    if diagnosis is None:
        return None
    months = Fraction(days(start, diagnosis)) / (Fraction(36525, 100) / 12)
    if months < c.persistent_from_months:
        return "newly_diagnosed"
    if months <= c.chronic_after_months:
        return "persistent"
    return "chronic"


def prior_lines(treatments: list[Row], start: dt.date) -> int:
    """Distinct line agents started before the course start."""
    return len({line_agent(t) for t in treatments if line_agent(t) and t["start_date"] < start})


def splenectomy_before(treatments: list[Row], start: dt.date) -> bool:
    return any(t["drug"] == "splenectomy" and t["start_date"] < start for t in treatments)


def new_treatment_starts(treatments: list[Row], patient: Row, start: dt.date) -> list[dt.date]:
    """Starts of new ITP treatments: non-rescue line rows after the start, agent not ongoing."""
    ongoing = set()
    for t in treatments:
        agent = line_agent(t)
        if agent is None:
            continue
        first, last = exposure(t, patient)
        if first <= start <= last:
            ongoing.add(agent)
    return sorted(
        t["start_date"]
        for t in treatments
        if line_agent(t) is not None and t["start_date"] > start and line_agent(t) not in ongoing
    )


# --- sections 3-4: counts, baseline, window --------------------------------------------------
def collapse_counts(count_rows: Iterable[Row]) -> dict[dt.date, float]:
    """Several counts on one date collapse to their minimum."""
    by_day: dict[dt.date, float] = {}
    for r in count_rows:
        day = r["date"]
        by_day[day] = min(by_day.get(day, r["platelets"]), r["platelets"])
    return dict(sorted(by_day.items()))


def baseline(counts: dict[dt.date, float], start: dt.date, c: Criteria) -> float | None:
    """The last count in [start − baseline_days, start]."""
    candidates = [
        day for day in counts if start - dt.timedelta(days=c.baseline_days) <= day <= start
    ]
    return counts[max(candidates)] if candidates else None


def rescue_intervals(
    treatments: list[Row], patient: Row, c: Criteria
) -> list[tuple[dt.date, dt.date]]:
    """[rescue start, rescue end + rescue_exclusion_days] for every rescue exposure."""
    result = []
    for t in treatments:
        if is_rescue(t):
            first, last = exposure(t, patient)
            result.append((first, last + dt.timedelta(days=c.rescue_exclusion_days)))
    return result


def bleeding_qualifies(b: Row, c: Criteria) -> bool:
    """WHO grade >= bleeding_min_grade, or severe (data-model default when not recorded)."""
    severe = b["severe"]
    if severe is None:
        severe = (b["who_grade"] is not None and b["who_grade"] >= 3) or b["site"] == "intracranial"
    return (b["who_grade"] is not None and b["who_grade"] >= c.bleeding_min_grade) or severe


# --- section 5: response -------------------------------------------------------------------
def qualifies_cr(count: float, c: Criteria) -> bool:
    return dec(count) >= dec(c.cr_threshold)


def qualifies_r(count: float, base: float | None, c: Criteria) -> bool:
    """CR, or >= r_threshold and >= r_fold × baseline (fold dropped without baseline)."""
    if qualifies_cr(count, c):
        return True
    fold_ok = base is None or dec(count) >= dec(c.r_fold) * dec(base)
    return dec(count) >= dec(c.r_threshold) and fold_ok


def earliest_confirming_run(
    usable: list[tuple[dt.date, float]],
    qualifies: Any,
    voiding_days: set[dt.date],
    c: Criteria,
) -> dt.date | None:
    """Brute force over every stretch of consecutive usable counts: the earliest first date of a
    run all qualifying, spanning more than confirm_days, with no voiding event in [first, last]."""
    best = None
    for i in range(len(usable)):
        for j in range(i + 1, len(usable)):
            stretch = usable[i : j + 1]
            first, last = stretch[0][0], stretch[-1][0]
            if not all(qualifies(p) for _, p in stretch):
                break
            if any(first <= day <= last for day in voiding_days):
                continue
            if days(last, first) > c.confirm_days and (best is None or first < best):
                best = first
    return best


# --- section 6: loss ------------------------------------------------------------------------
def loss_by_counts(
    counts: dict[dt.date, float], after: dt.date, fails: Any, c: Criteria
) -> dt.date | None:
    """First of two neighbouring counts after ``after``, both failing, > loss_confirm_days apart."""
    days_sorted = list(counts)
    for a, b in itertools.pairwise(days_sorted):
        if a > after and fails(counts[a]) and fails(counts[b]) and days(b, a) > c.loss_confirm_days:
            return a
    return None


def duration(response_date: dt.date, loss: dt.date | None, censor: dt.date) -> tuple[int, bool]:
    """(days, censored): a loss on or before the censoring date is an event."""
    if loss is not None and loss <= censor:
        return days(loss, response_date), False
    return days(censor, response_date), True


# --- one patient -----------------------------------------------------------------------------
@dataclass
class PatientData:
    patient: Row
    treatments: list[Row] = field(default_factory=list)
    counts: list[Row] = field(default_factory=list)
    bleeds: list[Row] = field(default_factory=list)
    adverse_events: list[Row] = field(default_factory=list)


def derive_courses(p: PatientData, c: Criteria) -> list[Row]:
    """Every course of one patient, as the ``courses`` table's rows (sections 1–6)."""
    patient = p.patient
    rtx = [t for t in p.treatments if t["drug"] in c.courses.agents]
    groups = group_courses(rtx, c)
    counts = collapse_counts(p.counts)
    intervals = rescue_intervals(p.treatments, patient, c)
    rescue_starts = {t["start_date"] for t in p.treatments if is_rescue(t)}
    bleed_days = {b["date"] for b in p.bleeds if bleeding_qualifies(b, c)}
    voiding = rescue_starts | bleed_days
    lfu, death = patient["last_followup_date"], patient["death_date"]
    censor = earliest(lfu, death)
    rows = []
    for k, group in enumerate(groups):
        start = group[0]["start_date"]
        next_start = groups[k + 1][0]["start_date"] if k + 1 < len(groups) else None
        new_starts = new_treatment_starts(p.treatments, patient, start)
        full_end = start + dt.timedelta(days=c.response_window_days)
        window_end = earliest(
            full_end, next_start, new_starts[0] if new_starts else None, lfu, death
        )
        base = baseline(counts, start, c)

        def in_exclusion(day: dt.date) -> bool:
            return any(first <= day <= last for first, last in intervals)

        usable = [
            (day, value)
            for day, value in counts.items()
            if start < day <= window_end and not in_exclusion(day)
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
            events_after = [
                x
                for x in (*voiding, *new_starts, next_start)
                if x is not None and x > response_date
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

        def cut(date: dt.date | None, end: dt.date = window_end, full: dt.date = full_end) -> bool:
            return date is not None and date == end and date < full

        rescue_in_window = window_end > start and any(
            first <= window_end and last > start for first, last in intervals
        )
        flags = {
            "no_baseline": base is None,
            "rescue_in_window": rescue_in_window,
            "window_cut_by_treatment": cut(new_starts[0] if new_starts else None),
            "window_cut_by_next_course": cut(next_start),
            "window_cut_by_followup": cut(lfu),
            "window_cut_by_death": cut(death),
            "death_censored": death_censored,
        }
        rows.append(
            {
                "center": patient["center"],
                "patient_id": patient["patient_id"],
                "course_number": k + 1,
                "start_date": start,
                "end_date": group[-1]["start_date"],
                "n_infusions": len(group),
                "regimen": regimen(group, c),
                "age_at_course": completed_years(start, patient["birth_date"]),
                "itp_phase": itp_phase(start, patient["diagnosis_date"], c),
                "prior_lines": prior_lines(p.treatments, start),
                "splenectomy_before": splenectomy_before(p.treatments, start),
                "baseline_platelets": base,
                "response": response,
                "response_date": response_date,
                "time_to_response_days": days(response_date, start) if response_date else None,
                "duration_days": dur,
                "duration_censored": dur_c,
                "cr_duration_days": cr_dur,
                "cr_duration_censored": cr_dur_c,
                "flags": ";".join(name for name in FLAG_ORDER if flags[name]),
            }
        )
    return rows


def derive_patient_baseline(p: PatientData, courses: list[Row]) -> Row | None:
    """One row per patient with a course (section 2, flagship Population)."""
    if not courses:
        return None
    patient = p.patient
    first = courses[0]["start_date"]
    end = patient["death_date"] or patient["last_followup_date"]
    return {
        "center": patient["center"],
        "patient_id": patient["patient_id"],
        "sex": patient["sex"],
        "itp_type": patient["itp_type"],
        "secondary_cause": patient["secondary_cause"],
        "birth_date": patient["birth_date"],
        "diagnosis_date": patient["diagnosis_date"],
        "age_at_diagnosis": (
            completed_years(patient["diagnosis_date"], patient["birth_date"])
            if patient["diagnosis_date"]
            else None
        ),
        "first_rtx_date": first,
        "age_at_first_rtx": completed_years(first, patient["birth_date"]),
        "n_courses": len(courses),
        "has_count_after_course1": any(r["date"] > first for r in p.counts),
        "last_followup_date": patient["last_followup_date"],
        "death_date": patient["death_date"],
        "followup_days": days(end, first),
    }


RANK = {"CR": 3, "R": 2, "NR": 1}


def derive_retreatment(courses: list[Row], c: Criteria) -> Row | None:
    """Course 2 compared with course 1 (section 7)."""
    if len(courses) < 2:
        return None
    c1, c2 = courses[0], courses[1]
    r1, r2 = c1["response"], c2["response"]
    similar_type = None if "NE" in (r1, r2) else RANK[r2] >= RANK[r1]
    d1, d2 = c1["duration_days"], c2["duration_days"]
    if r1 not in ("CR", "R"):
        similar_duration = None
    elif r2 not in ("CR", "R"):
        similar_duration = False
    elif Decimal(d2) >= dec(c.similar_duration_ratio) * d1:
        similar_duration = True
    elif c2["duration_censored"]:
        similar_duration = None
    else:
        similar_duration = False
    return {
        "center": c1["center"],
        "patient_id": c1["patient_id"],
        "response_course1": r1,
        "response_course2": r2,
        "response_similar_or_better": similar_type,
        "duration_course1_days": d1,
        "duration_course1_censored": c1["duration_censored"],
        "duration_course2_days": d2,
        "duration_course2_censored": c2["duration_censored"],
        "duration_similar_or_longer": similar_duration,
    }


def derive_ae(p: PatientData, c: Criteria) -> list[Row]:
    """Each adverse event with its course (section 8)."""
    rtx = [t for t in p.treatments if t["drug"] in c.courses.agents]
    groups = group_courses(rtx, c)
    rows = []
    for ae in p.adverse_events:
        onset = ae["onset_date"]
        started = [k for k, g in enumerate(groups) if g[0]["start_date"] <= onset]
        course = None
        if started:
            k = started[-1]
            infusion_days = [r["start_date"] for r in groups[k]]
            within = onset <= infusion_days[-1] + dt.timedelta(days=c.ae_attribution_days)
            reaction_ok = ae["event"] != "infusion_reaction" or any(
                0 <= days(onset, day) <= c.infusion_reaction_days for day in infusion_days
            )
            if within and reaction_ok:
                course = k + 1
        before = [r["start_date"] for r in rtx if r["start_date"] <= onset]
        rows.append(
            {
                "center": p.patient["center"],
                "patient_id": p.patient["patient_id"],
                "onset_date": onset,
                "event": ae["event"],
                "ctcae_grade": ae["ctcae_grade"],
                "serious": ae["serious"],
                "course_number": course,
                "days_from_last_infusion": days(onset, max(before)) if before else None,
            }
        )
    return rows


def derive_treatment_events(p: PatientData, c: Criteria) -> list[Row]:
    """Rescue starts and the first new ITP treatment after each course, from course 1 on.

    One row per event kind and date; ``course_number`` is the latest course started on or before
    the event date (``patient_treatment_events``).
    """
    rtx = [t for t in p.treatments if t["drug"] in c.courses.agents]
    starts = [group[0]["start_date"] for group in group_courses(rtx, c)]
    if not starts:
        return []
    events = {("rescue", t["start_date"]) for t in p.treatments if is_rescue(t)}
    for start in starts:
        new_starts = new_treatment_starts(p.treatments, p.patient, start)
        if new_starts:
            events.add(("new_treatment", new_starts[0]))
    rows = []
    for kind, day in sorted(events, key=lambda e: (e[1], e[0])):
        if day < starts[0]:
            continue
        rows.append(
            {
                "center": p.patient["center"],
                "patient_id": p.patient["patient_id"],
                "event_date": day,
                "event": kind,
                "days_from_course1": days(day, starts[0]),
                "course_number": max(k + 1 for k, s in enumerate(starts) if s <= day),
            }
        )
    return rows


def derive_reference(tables: Mapping[str, Iterable[Row]], c: Criteria) -> dict[str, list[Row]]:
    """Every mart from canonical rows (as ``tests.reference.canonical.arrow_tables`` holds them)."""
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

    courses: dict[tuple[str, str], list[Row]] = defaultdict(list)
    result: dict[str, list[Row]] = {
        name: []
        for name in (
            "courses",
            "patient_baseline",
            "retreatment",
            "ae_by_course",
            "investigator_comparison",
            "patient_treatment_events",
        )
    }
    for key in sorted(patients):
        p = patients[key]
        courses[key] = derive_courses(p, c)
        result["courses"].extend(courses[key])
        baseline_row = derive_patient_baseline(p, courses[key])
        if baseline_row:
            result["patient_baseline"].append(baseline_row)
        retreatment_row = derive_retreatment(courses[key], c)
        if retreatment_row:
            result["retreatment"].append(retreatment_row)
        result["ae_by_course"].extend(derive_ae(p, c))
        result["patient_treatment_events"].extend(derive_treatment_events(p, c))
    for a in tables.get("investigator_assessments", ()):
        key = (a["center"], a["patient_id"])
        numbered = {r["course_number"]: r["response"] for r in courses.get(key, [])}
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
