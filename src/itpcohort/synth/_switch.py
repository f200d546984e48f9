"""Synthetic TPO-RA switch cohorts (issue 19 part 5, ``protocols.md`` "The tpo-ra-switch plan").

``generate_switch_study`` writes one CSV folder per center in the input layout of
``data-model.md``: patients, treatments (with ``stop_reason``), platelet counts and adverse events.
Each patient has a first thrombopoietin receptor agonist (eltrombopag, romiplostim recorded as
periods, avatrombopag) given as one to three rows (dose changes, contiguous or a few days apart),
most switch to another agent, some after a retreatment with the first, a few switch back:

- the stop reason of a switched course follows the published proportions (Khellaf et al. 2013:
  inefficacy 23/46, platelet fluctuation 11/46, side effects 4/46, preference 8/46), written on
  the course's last row only;
- the next course starts in a cross-taper (1 to 14 days before the end), within the effect days,
  up to or beyond ``era_gap_days`` after the end;
- counts: a baseline before the first start, then every 1 to 4 weeks on treatment and after it:
  low for inefficacy, alternating for fluctuation, a response otherwise (kept off treatment after
  a taper for some);
- earlier lines, before the first TPO-RA (a stream of their own, so the rest of the patient is
  drawn as before): corticosteroids at diagnosis for nearly all, IVIg for some, rituximab, a
  splenectomy and immunosuppressants or other ITP drugs in the proportions of chronic ITP cohorts
  referred for a TPO-RA, every row ended a month before the first TPO-RA;
- later lines: rituximab infusions or a splenectomy for a few; rare rescue IVIg;
- adverse events: thrombosis, hepatotoxicity on eltrombopag, bone marrow fibrosis on romiplostim.

Each patient is drawn from its own stream (seed, center, patient): the files depend only on the
arguments. This generator loops over patients (a few milliseconds each); the flagship's
vectorised generator (``_study``) is the one built for millions of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from itpcohort import schema
from itpcohort.synth._switch_messy import inject_center, text_columns

#: the agents of the switch study, with the probability of being the first one
FIRST_AGENTS: tuple[tuple[str, float], ...] = (
    ("eltrombopag", 0.55),
    ("romiplostim", 0.38),
    ("avatrombopag", 0.07),
)
#: why a course ended in a switch (Khellaf et al. 2013: 23, 11, 4 and 8 of 46 patients)
SWITCH_REASONS: tuple[tuple[str, float], ...] = (
    ("inefficacy", 23 / 46),
    ("fluctuation", 11 / 46),
    ("adverse_event", 4 / 46),
    ("patient_preference", 8 / 46),
)
#: why the last course ended when it did (empty: not recorded)
LAST_REASONS: tuple[str, ...] = ("remission", "adverse_event", "patient_preference", "other", "")
CENTERS: tuple[str, ...] = ("TLS", "BDX", "MAD", "SAL", "PAR", "LYO")
_DAY0 = dt.date(2014, 1, 1)
_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": schema.TABLES_BY_NAME["patients"].column_names,
    "treatments": (
        "patient_id", "drug", "start_date", "end_date", "dose", "dose_unit", "rescue",
        "stop_reason",
    ),
    "platelet_counts": ("patient_id", "date", "platelets"),
    "adverse_events": ("patient_id", "onset_date", "event", "ctcae_grade", "serious"),
}  # fmt: skip
_DOSES = {"eltrombopag": (50.0, "mg"), "romiplostim": (3.0, "ug/kg"), "avatrombopag": (20.0, "mg")}


@dataclass(frozen=True)
class SwitchSummary:
    """What ``generate_switch_study`` wrote: rows per table over all centers."""

    out_dir: Path
    patients: int
    centers: tuple[str, ...]
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    #: with ``messy``: the ``injected_errors.csv`` lines (``file,row,column,kind``), no header
    manifest: str = ""


def _day(n: int) -> str:
    return (_DAY0 + dt.timedelta(days=int(n))).isoformat()


def _choice(rng: np.random.Generator, options: tuple[tuple[str, float], ...]) -> str:
    names = [name for name, _ in options]
    weights = np.array([p for _, p in options])
    return str(rng.choice(names, p=weights / weights.sum()))


@dataclass
class _Course:
    agent: str
    start: int
    end: int
    reason: str  # "" when not recorded
    ongoing: bool = False


def _plan_courses(rng: np.random.Generator, first_start: int) -> list[_Course]:
    """The patient's eras: the first agent, maybe a retreatment, a switch, maybe a switch back."""
    agent = _choice(rng, FIRST_AGENTS)
    courses = [_Course(agent, first_start, first_start + int(rng.integers(45, 500)), "")]
    if rng.random() < 0.10:  # a retreatment with the first agent after a pause
        previous = courses[-1]
        previous.reason = str(rng.choice(["remission", "patient_preference"]))
        start = previous.end + int(rng.integers(40, 200))
        courses.append(_Course(agent, start, start + int(rng.integers(45, 300)), ""))
    n_switches = int(rng.choice([0, 1, 2], p=[0.2, 0.65, 0.15]))
    for _ in range(n_switches):
        previous = courses[-1]
        previous.reason = _choice(rng, SWITCH_REASONS)
        others = [a for a, _ in FIRST_AGENTS if a != previous.agent]
        agent = str(rng.choice(others, p=[0.6, 0.4] if len(others) == 2 else None))
        shape = rng.random()
        if shape < 0.35:  # cross-taper
            start = previous.end - int(rng.integers(1, 15))
        elif shape < 0.70:  # within the effect days
            start = previous.end + int(rng.integers(1, 15))
        elif shape < 0.85:  # up to the era gap
            start = previous.end + int(rng.integers(15, 31))
        else:
            start = previous.end + int(rng.integers(31, 120))
        courses.append(_Course(agent, start, start + int(rng.integers(30, 600)), ""))
    last = courses[-1]
    if rng.random() < 0.6:
        last.ongoing = True
    else:
        last.reason = str(rng.choice(LAST_REASONS))
    return courses


def _rows_of(rng: np.random.Generator, pid: str, course: _Course) -> list[dict[str, Any]]:
    """One to three rows per era (dose changes), the stop reason on the last one."""
    n = int(rng.integers(1, 4))
    cuts = sorted(
        int(x) for x in rng.integers(course.start + 1, max(course.end, course.start + 2), n - 1)
    )
    bounds = [course.start, *cuts, course.end]
    dose, unit = _DOSES[course.agent]
    rows = []
    for k in range(n):
        start = bounds[k] + (int(rng.integers(0, 10)) if k else 0)
        end = max(start, bounds[k + 1])
        last = k == n - 1
        rows.append(
            {
                "patient_id": pid,
                "drug": course.agent,
                "start_date": _day(start),
                "end_date": "" if last and course.ongoing else _day(end),
                "dose": f"{dose * (1 + k):g}",
                "dose_unit": unit,
                "rescue": "no",
                "stop_reason": course.reason if last else "",
            }
        )
    return rows


def _counts_of(
    rng: np.random.Generator, course: _Course, until: int, responds: bool
) -> list[tuple[int, float]]:
    """Counts from the course start to ``until``, every 1 to 4 weeks, shaped by its stop reason."""
    values: list[tuple[int, float]] = []
    day = course.start + int(rng.integers(5, 15))
    keep_off = rng.random() < 0.3  # an off-treatment response after a taper
    while day <= until:
        on = day <= course.end
        if course.reason == "inefficacy" or not responds:
            value = rng.uniform(5, 45)
        elif course.reason == "fluctuation":
            value = rng.choice([rng.uniform(5, 25), rng.uniform(120, 400)])
        elif on or keep_off:
            value = rng.uniform(55, 350)
        else:
            value = rng.uniform(8, 40)
        values.append((day, float(round(float(value)))))
        day += int(rng.integers(7, 29))
    return values


#: the earlier lines other than corticosteroids and rituximab: drug, chance, dose, dose unit
_EARLIER_LINES: tuple[tuple[str, float, str, str], ...] = (
    ("dapsone", 0.12, "100", "mg"),
    ("azathioprine", 0.08, "2", "mg/kg"),
    ("danazol", 0.06, "400", "mg"),
    ("mycophenolate", 0.06, "1000", "mg"),
    ("hydroxychloroquine", 0.04, "400", "mg"),
)


def _treatment(
    pid: str, drug: str, start: int, end: int | None, dose: str, unit: str
) -> dict[str, Any]:
    return {"patient_id": pid, "drug": drug, "start_date": _day(start),
            "end_date": "" if end is None else _day(end), "dose": dose, "dose_unit": unit,
            "rescue": "no", "stop_reason": ""}  # fmt: skip


def _earlier_lines(
    rng: np.random.Generator, pid: str, diagnosis: int, first_start: int
) -> list[dict[str, Any]]:
    """The treatments between the diagnosis and a month before the first TPO-RA (the module's
    docstring), in date order."""
    last = first_start - 30
    rows = []
    if rng.random() < 0.95:
        start = diagnosis + int(rng.integers(0, 15))
        rows.append(
            _treatment(
                pid, "prednisone", start, min(start + int(rng.integers(21, 91)), last), "1", "mg/kg"
            )
        )
    if rng.random() < 0.30:
        rows.append(_treatment(pid, "ivig", diagnosis + int(rng.integers(0, 8)), None, "1", "g/kg"))
    if rng.random() < 0.35 and last - diagnosis > 60:
        start = int(rng.integers(diagnosis + 30, last - 21))
        rows += [
            _treatment(pid, "rituximab", start + 7 * k, None, "375", "mg/m2") for k in range(4)
        ]
    for drug, chance, dose, unit in _EARLIER_LINES:
        if rng.random() < chance and last - diagnosis > 60:
            start = int(rng.integers(diagnosis + 30, last - 29))
            rows.append(
                _treatment(
                    pid, drug, start, min(start + int(rng.integers(28, 181)), last), dose, unit
                )
            )
    if rng.random() < 0.12 and last - diagnosis > 180:
        rows.append(
            _treatment(pid, "splenectomy", int(rng.integers(diagnosis + 180, last)), None, "", "")
        )
    return sorted(rows, key=lambda row: row["start_date"])  # fmt: skip


def _patient(
    rng: np.random.Generator, center: str, index: int, earlier: np.random.Generator
) -> dict[str, list[dict[str, Any]]]:
    pid = f"{center}-{index:04d}"
    first_start = int(rng.integers(0, 1500))
    courses = _plan_courses(rng, first_start)
    treatments = [row for course in courses for row in _rows_of(rng, pid, course)]
    last_course_end = max(c.end for c in courses)
    later = last_course_end + int(rng.integers(10, 90))
    if rng.random() < 0.10:
        treatments += [
            {"patient_id": pid, "drug": "rituximab", "start_date": _day(later + 7 * k), "end_date": "",
             "dose": "375", "dose_unit": "mg/m2", "rescue": "no", "stop_reason": ""}
            for k in range(4)
        ]  # fmt: skip
    elif rng.random() < 0.04:
        treatments.append(
            {"patient_id": pid, "drug": "splenectomy", "start_date": _day(later), "end_date": "",
             "dose": "", "dose_unit": "", "rescue": "no", "stop_reason": ""}
        )  # fmt: skip
    followup = later + 30 + int(rng.integers(0, 400))
    if rng.random() < 0.05:
        ivig_day = first_start + int(rng.integers(3, 40))
        treatments.append(
            {"patient_id": pid, "drug": "ivig", "start_date": _day(ivig_day), "end_date": "",
             "dose": "1", "dose_unit": "g/kg", "rescue": "yes", "stop_reason": ""}
        )  # fmt: skip
    counts = [(first_start - int(rng.integers(1, 25)), float(rng.integers(5, 30)))]
    for k, course in enumerate(courses):
        until = courses[k + 1].start - 1 if k + 1 < len(courses) else followup
        counts += _counts_of(rng, course, min(until, followup), rng.random() < 0.75)
    events = []
    for course in courses:
        for event, p in (
            ("thrombosis", 0.03),
            ("hepatotoxicity", 0.08 if course.agent == "eltrombopag" else 0.01),
            ("bone_marrow_fibrosis", 0.03 if course.agent == "romiplostim" else 0.0),
        ):
            if rng.random() < p:
                onset = int(rng.integers(course.start, course.end + 1))
                grade = int(rng.integers(1, 4))
                events.append(
                    {"patient_id": pid, "onset_date": _day(min(onset, followup)), "event": event,
                     "ctcae_grade": str(grade), "serious": "yes" if grade >= 3 else "no"}
                )  # fmt: skip
    age_days = int(rng.integers(18 * 366, 85 * 365))
    dies = rng.random() < 0.03
    patient = {
        "patient_id": pid,
        "center": center,
        "sex": str(rng.choice(["F", "M"], p=[0.58, 0.42])),
        "birth_date": _day(first_start - age_days),
        "diagnosis_date": _day(diagnosis := first_start - int(rng.integers(60, 3000))),
        "itp_type": "primary" if rng.random() < 0.85 else "secondary",
        "secondary_cause": "",
        "last_followup_date": _day(followup),
        "death_date": _day(followup) if dies else "",
        "death_cause": "unknown" if dies else "",
    }
    if patient["itp_type"] == "secondary":
        patient["secondary_cause"] = str(rng.choice(["sle", "antiphospholipid", "cvid"]))
    return {
        "patients": [patient],
        "treatments": [*_earlier_lines(earlier, pid, diagnosis, first_start), *treatments],
        "platelet_counts": [
            {"patient_id": pid, "date": _day(day), "platelets": f"{value:g}"}
            for day, value in counts
            if day <= followup
        ],
        "adverse_events": events,
    }


def generate_switch_study(
    out_dir: Path, patients: int, centers: int = 3, seed: int = 0, messy: float = 0.0
) -> SwitchSummary:
    """Write a ``patients``-patient TPO-RA switch study in ``centers`` center folders; with
    ``messy`` > 0, about that fraction of the rows get one realistic error each
    (``_switch_messy``, drawn from the center's own stream), listed in the summary's manifest."""
    if not 1 <= centers <= len(CENTERS):
        raise ValueError(f"centers must be 1 to {len(CENTERS)}, not {centers}")
    codes = CENTERS[:centers]
    rows = dict.fromkeys(_COLUMNS, 0)
    manifest: list[str] = []
    for c, center in enumerate(codes):
        n = patients // centers + (1 if c < patients % centers else 0)
        tables: dict[str, list[dict[str, Any]]] = {name: [] for name in _COLUMNS}
        for i in range(n):
            rng = np.random.default_rng([seed, c, i])
            # the earlier lines' stream: four words ending in 2 (the errors' end in 1)
            earlier = np.random.default_rng([seed, c, i, 2])
            for name, part in _patient(rng, center, i + 1, earlier).items():
                tables[name].extend(part)
        if messy > 0:
            # the errors' stream: four words, never one of the patients' three-word streams
            injected = inject_center(
                center, c, tables, _COLUMNS, messy, np.random.default_rng([seed, c, 0, 1])
            )
            columns, manifest = injected.columns, [*manifest, injected.manifest]
        else:
            columns = text_columns(tables, _COLUMNS)
        folder = out_dir / center
        folder.mkdir(parents=True, exist_ok=True)
        for name, written in columns.items():
            cells = [[v or "" for v in values.to_pylist()] for values in written.values()]
            with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(list(written))
                writer.writerows(zip(*cells, strict=True))
            rows[name] += len(written["patient_id"])
    return SwitchSummary(out_dir, patients, codes, seed, rows, "".join(manifest))
