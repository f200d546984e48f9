"""Clinical timelines of a chunk of synthetic ITP patients, simulated with whole-array numpy steps.

One call simulates ``n`` patients of one center at once: every step draws a vector (one value per
patient, per course or per row) and no Python loop runs per patient or per row; the only loops are
over the (at most four) rituximab courses and over the kinds of rows. The result holds the tables
of ``data-model.md`` as typed arrays (dates as days since 1970-01-01, vocabulary values as indices
into the ``schema`` tuples); ``_render`` turns them into the text a center writes.

The story of a patient (``response-criteria.md`` gives the rules the timelines exercise):

* diagnosis (most have a count and first-line corticosteroids then; some IVIg, some bleed);
* months to years of second-line treatments (TPO-RAs, dapsone, splenectomy...) before rituximab;
* one to four rituximab courses of the usual regimens (375 mg/m2 x4 weekly, 1000 mg x2 two weeks
  apart, 100 mg weekly, occasionally 500 mg x2), each preceded by a baseline count within 30 days
  (not always), with methylprednisolone premedication or concurrent prednisone in some patients and
  IVIg just before in a few;
* a response (complete, partial or none) reached in weeks, confirmed by counts more than 7 days
  apart, lasting months to years, then lost through falling counts, a bleed, a rescue (IVIg,
  platelet transfusion, methylprednisolone bolus) or a new line (TPO-RA, immunosuppressant...);
  responses to later courses depend strongly on the response to the previous course;
* counts clustered in the weeks after each course and sparser during follow-up; bleeding events,
  adverse events (infusion reactions on infusion days, infections, hypogammaglobulinemia...),
  biomarkers, the investigator's own assessment of each course (mostly agreeing with the counts),
  and deaths.

Every coherence rule of ``data-model.md`` holds by construction: no count after the last
follow-up, nothing after death, nothing before birth, end dates after start dates, last follow-up
and death after diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from itpcohort import schema

Table = dict[str, np.ndarray]

NO_DATE = -(10**9)  # an empty date cell
MAX_COURSES = 4
#: day of data extraction: nothing is dated after it
EXTRACTION_DAY = int(np.datetime64("2025-06-30", "D").astype(np.int64))
_RITUXIMAB_ERA = int(np.datetime64("2002-01-01", "D").astype(np.int64))
_EARLIEST_DIAGNOSIS = int(np.datetime64("1978-01-01", "D").astype(np.int64))
_KEY_SHIFT = 40_000  # makes every date positive inside combined (patient, date) keys
_KEY_SCALE = 1 << 17

DRUG = {name: i for i, name in enumerate(schema.DRUGS)}
DOSE_UNIT = {name: i for i, name in enumerate(schema.DOSE_UNITS)}
SITE = {name: i for i, name in enumerate(schema.BLEEDING_SITES)}
EVENT = {name: i for i, name in enumerate(schema.AE_EVENTS)}
TEST = {name: i for i, name in enumerate(schema.BIOMARKER_TESTS)}
RESPONSE = {name: i for i, name in enumerate(schema.RESPONSES)}
CAUSE = {name: i for i, name in enumerate(schema.SECONDARY_CAUSES)}

#: rituximab regimens simulated: name -> (dose, unit, number of infusions, days between infusions)
REGIMENS = (
    ("375x4", 375.0, "mg/m2", 4, 7),
    ("1000x2", 1000.0, "mg", 2, 14),
    ("low_dose", 100.0, "mg", 4, 7),
    ("other", 500.0, "mg", 2, 14),
)
_REGIMEN_P = (0.55, 0.30, 0.12, 0.03)

#: line agents: drug, dose, unit, weight before the first course, weight between courses
_AGENTS = (
    ("eltrombopag", 50.0, "mg", 3.0, 4.0),
    ("romiplostim", 3.0, "ug/kg", 2.0, 3.0),
    ("avatrombopag", 20.0, "mg", 0.3, 1.0),
    ("dapsone", 100.0, "mg", 2.0, 0.8),
    ("hydroxychloroquine", 400.0, "mg", 1.0, 0.3),
    ("danazol", 400.0, "mg", 1.0, 0.4),
    ("azathioprine", 100.0, "mg", 1.0, 1.0),
    ("mycophenolate", 1000.0, "mg", 1.0, 1.2),
    ("ciclosporin", 150.0, "mg", 0.4, 0.6),
    ("sirolimus", 2.0, "mg", 0.1, 0.4),
    ("fostamatinib", 100.0, "mg", 0.1, 0.5),
    ("vincristine", 1.0, "mg", 0.3, 0.2),
    ("cyclophosphamide", 1000.0, "mg", 0.1, 0.2),
    ("splenectomy", np.nan, "", 1.2, 0.6),
)
_AGENT_DRUG = np.array([DRUG[a[0]] for a in _AGENTS])
_AGENT_DOSE = np.array([a[1] for a in _AGENTS])
_AGENT_UNIT = np.array([DOSE_UNIT.get(a[2], -1) for a in _AGENTS])
_AGENT_SINGLE_DAY = np.array([a[0] in schema.SINGLE_DAY_DRUGS for a in _AGENTS])

#: free text of the ``other`` drug (new agents given in trials)
OTHER_DRUG_DETAILS = ("efgartigimod (trial)", "rilzabrutinib (trial)", "interleukin-11")
#: free text of ``death_cause``
DEATH_CAUSES = (
    "intracranial haemorrhage",
    "sepsis",
    "myocardial infarction",
    "lung cancer",
    "stroke",
    "unknown",
)
_DEATH_CAUSE_P = (0.12, 0.25, 0.2, 0.18, 0.1, 0.15)
#: free text of adverse-event ``description``, by event
AE_DESCRIPTIONS = (
    "fever, chills",
    "rash",
    "frissons, fièvre",
    "pneumonia",
    "urinary tract infection",
    "herpes zoster",
    "IgG 4.2 g/L",
    "late-onset neutropenia",
    'reported as "serum sickness-like"',
    "deep vein thrombosis",
    "cause of death",
)


@dataclass(frozen=True)
class Chunk:
    """The tables of ``n`` simulated patients (local patient indices 0..n-1 in column ``pidx``)."""

    n: int
    patients: Table
    treatments: Table
    platelet_counts: Table
    bleeding_events: Table
    adverse_events: Table
    biomarkers: Table
    investigator_assessments: Table

    def table(self, name: str) -> Table:
        """The table called ``name`` (a ``schema.TABLES`` name)."""
        table: Table = getattr(self, name)
        return table


def _categorical(
    rng: np.random.Generator, p: tuple[float, ...], size: int | tuple[int, ...]
) -> np.ndarray:
    cumulative = np.cumsum(p)
    cumulative /= cumulative[-1]
    return np.searchsorted(cumulative, rng.random(size), side="right").astype(np.int64)


def _lognormal(
    rng: np.random.Generator,
    median: float,
    sigma: float,
    size: int | tuple[int, ...],
    low: float,
    high: float,
) -> np.ndarray:
    return np.clip(median * np.exp(sigma * rng.standard_normal(size)), low, high)


def _uniform_days(
    rng: np.random.Generator, low: int, high: int, size: int | tuple[int, ...]
) -> np.ndarray:
    """Whole days in [low, high]."""
    return rng.integers(low, high + 1, size=size, dtype=np.int64)


class _Rows:
    """Collects blocks of rows of one table and builds it sorted by patient, date and block order."""

    def __init__(self, defaults: dict[str, tuple[type, object]]) -> None:
        self.defaults = defaults
        self.blocks: list[dict[str, np.ndarray]] = []

    def add(self, mask: np.ndarray, **columns: np.ndarray | float | int) -> None:
        """Add the rows where ``mask`` is true; columns broadcast to the mask's shape."""
        block = {}
        for name, value in columns.items():
            block[name] = np.broadcast_to(np.asarray(value), mask.shape)[mask]
        block["tie"] = np.full(int(mask.sum()), len(self.blocks), dtype=np.int64)
        self.blocks.append(block)

    def build(self, date_column: str) -> Table:
        """Concatenate the blocks (missing columns take their default) and sort the rows."""
        out: Table = {}
        for name, (dtype, default) in {**self.defaults, "tie": (np.int64, 0)}.items():
            parts: list[np.ndarray] = [
                b[name].astype(dtype)
                if name in b
                else np.full(len(b["pidx"]), default, dtype=dtype)
                for b in self.blocks
            ]
            out[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
        order = np.argsort(_keys(out["pidx"], out[date_column]) * 64 + out["tie"], kind="stable")
        return {name: column[order] for name, column in out.items() if name != "tie"}


def _keys(pidx: np.ndarray, day: np.ndarray) -> np.ndarray:
    return pidx.astype(np.int64) * _KEY_SCALE + (day + _KEY_SHIFT)


def simulate_chunk(rng: np.random.Generator, n: int) -> Chunk:
    """Simulate ``n`` patients of one center (module docstring); deterministic given ``rng``."""
    p = np.arange(n)
    K = MAX_COURSES
    pk = np.broadcast_to(p[:, None], (n, K))

    # --- patients -------------------------------------------------------------------------------
    minor = rng.random(n) < 0.04
    female = rng.random(n) < 0.58
    secondary = rng.random(n) < 0.15
    cause = np.where(
        secondary, _categorical(rng, (0.3, 0.1, 0.08, 0.15, 0.05, 0.04, 0.05, 0.05, 0.18), n), -1
    )
    n_courses = np.where(
        minor, 1 + (rng.random(n) < 0.3), 1 + _categorical(rng, (0.24, 0.46, 0.2, 0.1), n)
    )
    age_at_diagnosis = np.where(
        minor, rng.uniform(2.0, 15.0, n), np.clip(18.0 + rng.gamma(2.0, 12.5, n), 18.0, 90.0)
    )
    first_course_delay = np.where(
        rng.random(n) < 0.12,
        _uniform_days(rng, 20, 365, n),
        _lognormal(rng, 1500.0, 1.1, n, 60.0, 25 * 365.0).astype(np.int64),
    )
    child_room = ((17.6 - age_at_diagnosis) * 365.25).astype(np.int64)
    first_course_delay = np.where(
        minor, np.clip(first_course_delay, 20, np.maximum(child_room, 20)), first_course_delay
    )

    # --- courses: regimen, infusions, response, timing (days after diagnosis) --------------------
    valid = np.arange(K)[None, :] < n_courses[:, None]
    regimen = np.empty((n, K), dtype=np.int64)
    regimen[:, 0] = np.where(minor, 0, _categorical(rng, _REGIMEN_P, n))
    for k in range(1, K):
        keep = rng.random(n) < 0.6
        regimen[:, k] = np.where(keep | minor, regimen[:, k - 1], _categorical(rng, _REGIMEN_P, n))
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
    response[:, 0] = _categorical(rng, (0.45, 0.2, 0.35), n)
    for k in range(1, K):
        after_response = _categorical(rng, (0.6, 0.2, 0.2), n)
        after_failure = _categorical(rng, (0.03, 0.07, 0.9), n)
        response[:, k] = np.where(response[:, k - 1] <= 1, after_response, after_failure)
    responder = response <= 1
    time_to_response = _lognormal(rng, 30.0, 0.5, (n, K), 10.0, 120.0).astype(np.int64)
    duration = np.empty((n, K), dtype=np.int64)
    duration[:, 0] = _lognormal(rng, 450.0, 1.0, n, 45.0, 4000.0)
    for k in range(1, K):
        fresh = _lognormal(rng, 450.0, 1.0, n, 45.0, 4000.0)
        related = np.clip(duration[:, k - 1] * np.exp(0.6 * rng.standard_normal(n)), 45.0, 4000.0)
        duration[:, k] = np.where(responder[:, k - 1], related, fresh)
    # platelet level before each course (index k) and after the last one (index K)
    low_level = np.empty((n, K + 1))
    low_level[:, 0] = _lognormal(rng, 15.0, 0.5, n, 3.0, 28.0)
    for k in range(1, K + 1):
        fresh = _lognormal(rng, 15.0, 0.5, n, 3.0, 28.0)
        drift = np.clip(low_level[:, k - 1] * np.exp(0.25 * rng.standard_normal(n)), 3.0, 28.0)
        low_level[:, k] = np.where(responder[:, k - 1], fresh, drift)
    cr_plateau = _lognormal(rng, 180.0, 0.35, (n, K), 115.0, 500.0)
    r_floor = np.maximum(40.0, 2.6 * low_level[:, :K])
    r_plateau = r_floor + rng.random((n, K)) * (95.0 - r_floor)
    plateau = np.where(response == 0, cr_plateau, r_plateau)

    start = np.zeros((n, K), dtype=np.int64)
    start[:, 0] = first_course_delay
    for k in range(1, K):
        relapse_delay = _lognormal(rng, 60.0, 0.7, n, 14.0, 1000.0).astype(np.int64)
        after_response = time_to_response[:, k - 1] + duration[:, k - 1] + relapse_delay
        after_failure = _lognormal(rng, 300.0, 0.6, n, 120.0, 3000.0).astype(np.int64)
        gap = np.where(responder[:, k - 1], after_response, after_failure)
        start[:, k] = start[:, k - 1] + np.maximum(gap, last_infusion[:, k - 1] + 90)
    last = n_courses - 1
    last_start = start[p, last]
    last_end = last_start + last_infusion[p, last]
    follow_up = _lognormal(rng, 900.0, 0.8, n, 60.0, 6000.0).astype(np.int64)
    no_counts_after_course1 = rng.random(n) < 0.02
    last_followup = np.where(
        no_counts_after_course1,
        last_end,
        last_start + np.maximum(follow_up, last_infusion[p, last]),
    )

    loss = np.where(responder, start + time_to_response + duration, np.iinfo(np.int64).max // 4)
    lost = responder & valid & (loss <= last_followup[:, None])
    loss_kind = _categorical(rng, (0.5, 0.2, 0.2, 0.1), (n, K))  # counts, bleed, rescue, new line
    next_start = np.where(
        np.arange(K)[None, :] < last[:, None],
        np.concatenate([start[:, 1:], np.zeros((n, 1), dtype=np.int64)], axis=1),
        np.iinfo(np.int64).max // 4,
    )

    # --- calendar: place the whole timeline before the extraction day --------------------------
    age_at_followup = age_at_diagnosis + last_followup / 365.25
    dies = rng.random(n) < 0.015 + 0.08 * (age_at_followup > 72)
    death_later = np.where(rng.random(n) < 0.7, 0, _uniform_days(rng, 1, 90, n))
    death_cause = _categorical(rng, _DEATH_CAUSE_P, n)
    death_later = np.where(death_cause == 0, 0, death_later)  # the fatal bleed is the last visit
    span = last_followup + np.where(dies, death_later, 0)
    latest = EXTRACTION_DAY - span
    earliest = np.maximum(
        np.maximum(latest - 25 * 365, _RITUXIMAB_ERA - first_course_delay), _EARLIEST_DIAGNOSIS
    )
    earliest = np.minimum(earliest, latest)
    diagnosis = earliest + (rng.random(n) * (latest - earliest + 1)).astype(np.int64)
    birth = diagnosis - (age_at_diagnosis * 365.25).astype(np.int64)
    start_day = diagnosis[:, None] + start
    loss_day = diagnosis[:, None] + loss
    next_start_day = diagnosis[:, None] + next_start
    followup_day = diagnosis + last_followup
    death_day = np.where(dies, followup_day + death_later, NO_DATE)
    death_day = np.where(dies, np.minimum(death_day, EXTRACTION_DAY), NO_DATE)
    infusion_day = start_day[:, :, None] + infusion_offset

    patients: Table = {
        "pidx": p,
        "female": female,
        "birth": birth,
        # 0 full date, 1 YYYY-MM, 2 YYYY
        "birth_precision": _categorical(rng, (0.94, 0.03, 0.03), n),
        "diagnosis": diagnosis,
        "diagnosis_precision": np.where((rng.random(n) < 0.04) & (first_course_delay > 400), 1, 0),
        "secondary": secondary,
        "cause": cause,
        "last_followup": followup_day,
        "death": death_day,
        "death_cause": np.where(dies, death_cause, -1),
    }

    # --- treatments -----------------------------------------------------------------------------
    tr = _Rows(
        {
            "pidx": (np.int64, 0),
            "drug": (np.int64, 0),
            "start": (np.int64, 0),
            "end": (np.int64, NO_DATE),
            "dose": (np.float64, np.nan),
            "dose_unit": (np.int64, -1),
            "rescue": (np.int64, 0),  # 0 no, 1 flagged rescue, 2 rescue by its class
            "detail": (np.int64, -1),
        }
    )
    # first-line corticosteroids at diagnosis, sometimes with a taper row, or dexamethasone pulses
    steroid_start = diagnosis + _uniform_days(rng, 0, 10, n)
    uses_dexamethasone = rng.random(n) < 0.2
    prednisone_end = steroid_start + _uniform_days(rng, 21, 42, n)
    first_line = rng.random(n) < 0.95
    mgkg = rng.random(n) < 0.6
    tr.add(
        first_line & ~uses_dexamethasone,
        pidx=p,
        drug=DRUG["prednisone"],
        start=steroid_start,
        end=prednisone_end,
        dose=np.where(mgkg, 1.0, 60.0),
        dose_unit=np.where(mgkg, DOSE_UNIT["mg/kg"], DOSE_UNIT["mg"]),
    )
    tr.add(
        first_line & ~uses_dexamethasone & (rng.random(n) < 0.5),
        pidx=p,
        drug=DRUG["prednisone"],
        start=prednisone_end + 1,
        end=prednisone_end + _uniform_days(rng, 30, 120, n),
        dose=20.0,
        dose_unit=DOSE_UNIT["mg"],
    )
    tr.add(
        first_line & uses_dexamethasone,
        pidx=p,
        drug=DRUG["dexamethasone"],
        start=steroid_start,
        end=steroid_start + 3,
        dose=40.0,
        dose_unit=DOSE_UNIT["mg"],
    )
    # IVIg at diagnosis (two daily infusions)
    ivig_at_diagnosis = rng.random(n) < 0.3
    ivig_day = diagnosis + _uniform_days(rng, 0, 3, n)
    for day in (0, 1):
        tr.add(
            ivig_at_diagnosis,
            pidx=p,
            drug=DRUG["ivig"],
            start=ivig_day + day,
            dose=1.0,
            dose_unit=DOSE_UNIT["g/kg"],
            rescue=2,
        )

    # second-line agents before the first course (0-3 distinct agents, Gumbel top-k sampling)
    window = first_course_delay - 90
    n_prior = np.where(window >= 60, _categorical(rng, (0.25, 0.35, 0.25, 0.15), n), 0)
    prior_weights = np.log(np.array([a[3] for a in _AGENTS]))
    keys = prior_weights[None, :] + rng.gumbel(size=(n, len(_AGENTS)))
    prior_agent = np.argsort(-keys, axis=1)[:, :3]
    prior_valid = np.arange(3)[None, :] < n_prior[:, None]
    prior_position = np.sort(np.where(prior_valid, rng.random((n, 3)), np.inf), axis=1)
    prior_start = (
        diagnosis[:, None]
        + 60
        + (np.where(prior_valid, prior_position, 0) * np.maximum(window, 0)[:, None]).astype(
            np.int64
        )
    )
    first_course_day = start_day[:, 0]
    following = np.concatenate([prior_start[:, 1:], np.full((n, 1), 0, dtype=np.int64)], axis=1)
    following = np.where(
        np.arange(3)[None, :] + 1 < n_prior[:, None], following - 1, first_course_day[:, None] - 7
    )
    prior_end = np.minimum(
        prior_start + _lognormal(rng, 150.0, 0.6, (n, 3), 30.0, 1500.0).astype(np.int64), following
    )
    prior_end = np.maximum(prior_end, prior_start + 14)
    last_prior = np.arange(3)[None, :] + 1 == n_prior[:, None]
    bridging = last_prior & (rng.random((n, 3)) < 0.15)
    prior_end = np.where(
        bridging, first_course_day[:, None] + _uniform_days(rng, 7, 60, (n, 3)), prior_end
    )
    prior_end = np.where(_AGENT_SINGLE_DAY[prior_agent], NO_DATE, prior_end)
    tr.add(
        prior_valid,
        pidx=pk[:, :3],
        drug=_AGENT_DRUG[prior_agent],
        start=prior_start,
        end=prior_end,
        dose=_AGENT_DOSE[prior_agent],
        dose_unit=_AGENT_UNIT[prior_agent],
    )

    # rituximab infusions, one row per administration
    regimen_dose = np.array([r[1] for r in REGIMENS])[regimen]
    regimen_unit = np.array([DOSE_UNIT[r[2]] for r in REGIMENS])[regimen]
    dose_style = _categorical(rng, (0.9, 0.05, 0.05), (n, K))  # as intended, flat mg, missing
    body_surface = np.clip(1.8 + 0.2 * rng.standard_normal((n, K)), 1.3, 2.4)
    flat_mg = np.round(375.0 * body_surface / 10.0) * 10.0
    rtx_dose = np.where((regimen == 0) & (dose_style == 1), flat_mg, regimen_dose)
    rtx_dose = np.where(dose_style == 2, np.nan, rtx_dose)
    rtx_unit = np.where((regimen == 0) & (dose_style == 1), DOSE_UNIT["mg"], regimen_unit)
    rtx_unit = np.where(dose_style == 2, -1, rtx_unit)
    pki = np.broadcast_to(p[:, None, None], (n, K, 4))
    tr.add(
        infusion_valid,
        pidx=pki,
        drug=DRUG["rituximab"],
        start=infusion_day,
        dose=rtx_dose[:, :, None],
        dose_unit=rtx_unit[:, :, None],
    )
    # methylprednisolone premedication before each infusion (a practice of some physicians)
    premedicated = rng.random(n) < 0.35
    tr.add(
        infusion_valid & premedicated[:, None, None],
        pidx=pki,
        drug=DRUG["methylprednisolone"],
        start=infusion_day,
        end=infusion_day,
        dose=100.0,
        dose_unit=DOSE_UNIT["mg"],
    )
    # prednisone started shortly before the course and stopped a few weeks after it
    concurrent = valid & (rng.random((n, K)) < 0.2)
    concurrent_start = start_day - _uniform_days(rng, 0, 14, (n, K))
    tr.add(
        concurrent,
        pidx=pk,
        drug=DRUG["prednisone"],
        start=concurrent_start,
        end=start_day + _uniform_days(rng, 14, 42, (n, K)),
        dose=1.0,
        dose_unit=DOSE_UNIT["mg/kg"],
    )
    # IVIg a few days before the course, counts being dangerously low
    ivig_before = valid & (rng.random((n, K)) < 0.12)
    ivig_before_day = start_day - _uniform_days(rng, 2, 3, (n, K))
    two_days = rng.random((n, K)) < 0.6
    tr.add(
        ivig_before,
        pidx=pk,
        drug=DRUG["ivig"],
        start=ivig_before_day,
        dose=1.0,
        dose_unit=DOSE_UNIT["g/kg"],
        rescue=2,
    )
    tr.add(
        ivig_before & two_days,
        pidx=pk,
        drug=DRUG["ivig"],
        start=ivig_before_day + 1,
        dose=1.0,
        dose_unit=DOSE_UNIT["g/kg"],
        rescue=2,
    )

    # how each lost response ends: 0 falling counts, 1 bleed, 2 rescue, 3 new line
    rescue_loss = lost & (loss_kind == 2)
    bleed_loss = lost & (loss_kind == 1)
    bleed_rescue = bleed_loss & (rng.random((n, K)) < 0.5)
    transfusion = rescue_loss & (rng.random((n, K)) < 0.3)
    ivig_loss = (rescue_loss & ~transfusion) | bleed_rescue
    tr.add(
        ivig_loss,
        pidx=pk,
        drug=DRUG["ivig"],
        start=loss_day,
        dose=1.0,
        dose_unit=DOSE_UNIT["g/kg"],
        rescue=2,
    )
    tr.add(
        ivig_loss,
        pidx=pk,
        drug=DRUG["ivig"],
        start=loss_day + 1,
        dose=1.0,
        dose_unit=DOSE_UNIT["g/kg"],
        rescue=2,
    )
    tr.add(transfusion, pidx=pk, drug=DRUG["platelet_transfusion"], start=loss_day, rescue=2)
    bolus = (rescue_loss | bleed_loss) & (rng.random((n, K)) < 0.3)
    tr.add(
        bolus,
        pidx=pk,
        drug=DRUG["methylprednisolone"],
        start=loss_day,
        dose=1000.0,
        dose_unit=DOSE_UNIT["mg"],
        rescue=1,
    )
    tranexamic = bleed_loss & (rng.random((n, K)) < 0.3)
    tr.add(
        tranexamic,
        pidx=pk,
        drug=DRUG["tranexamic_acid"],
        start=loss_day,
        end=loss_day + _uniform_days(rng, 2, 7, (n, K)),
        dose=1000.0,
        dose_unit=DOSE_UNIT["mg"],
        rescue=2,
    )
    # NR courses: IVIg during the response window
    failure = valid & ~responder
    ivig_in_window_day = start_day + _uniform_days(rng, 20, 120, (n, K))
    ivig_in_window = (
        failure
        & (rng.random((n, K)) < 0.3)
        & (ivig_in_window_day < next_start_day - 30)
        & (ivig_in_window_day <= followup_day[:, None])
    )
    tr.add(
        ivig_in_window,
        pidx=pk,
        drug=DRUG["ivig"],
        start=ivig_in_window_day,
        dose=1.0,
        dose_unit=DOSE_UNIT["g/kg"],
        rescue=2,
    )

    # later lines: after a lost response or a failed course, before the next course or for good
    later_weights = np.log(np.array([a[4] for a in _AGENTS]))
    later_agent = np.argmax(
        later_weights[None, None, :] + rng.gumbel(size=(n, K, len(_AGENTS))), axis=2
    )
    is_last = np.arange(K)[None, :] == last[:, None]
    anchor = np.where(responder, loss_day, start_day + _uniform_days(rng, 90, 150, (n, K)))
    line_by_loss = lost & (loss_kind == 3)
    line_start = np.where(line_by_loss, loss_day, anchor + _uniform_days(rng, 7, 45, (n, K)))
    eligible = valid & (~responder | lost)
    wants_line = line_by_loss | (eligible & (rng.random((n, K)) < np.where(is_last, 0.5, 0.35)))
    fits_gap = np.where(
        is_last, line_start <= followup_day[:, None], line_start <= next_start_day - 60
    )
    line = wants_line & fits_gap & valid
    line_end = np.where(
        is_last,
        np.where(
            rng.random((n, K)) < 0.6,
            NO_DATE,
            line_start + _lognormal(rng, 200.0, 0.7, (n, K), 30.0, 2000.0).astype(np.int64),
        ),
        next_start_day - _uniform_days(rng, 7, 30, (n, K)),
    )
    line_end = np.where(~is_last, np.maximum(line_end, line_start + 14), line_end)
    forgot_end = ~is_last & (rng.random((n, K)) < 0.01)
    line_end = np.where(_AGENT_SINGLE_DAY[later_agent] | forgot_end, NO_DATE, line_end)
    trial_drug = rng.random((n, K)) < 0.01
    tr.add(
        line,
        pidx=pk,
        drug=np.where(trial_drug, DRUG["other"], _AGENT_DRUG[later_agent]),
        start=line_start,
        end=np.where(trial_drug & (line_end == NO_DATE) & ~is_last, line_start + 60, line_end),
        dose=np.where(trial_drug, np.nan, _AGENT_DOSE[later_agent]),
        dose_unit=np.where(trial_drug, -1, _AGENT_UNIT[later_agent]),
        detail=np.where(trial_drug, rng.integers(0, len(OTHER_DRUG_DETAILS), (n, K)), -1),
    )
    treatments = tr.build("start")
    # a treatment may be planned past the last follow-up, never past death
    dead_end = patients["death"][treatments["pidx"]]
    cut = (dead_end != NO_DATE) & (treatments["end"] > dead_end)
    treatments["end"] = np.where(cut, dead_end, treatments["end"])

    # --- bleeding events ------------------------------------------------------------------------
    bl = _Rows(
        {
            "pidx": (np.int64, 0),
            "date": (np.int64, 0),
            "site": (np.int64, 0),
            "grade": (np.int64, -1),
            "severe": (bool, False),
        }
    )
    mild_site = _categorical(rng, (0.45, 0.2, 0.15, 0.1, 0.05), n)  # skin .. menorrhagia
    site_names = np.array(
        [SITE[s] for s in ("skin", "mucosal", "epistaxis", "gingival", "menorrhagia")]
    )
    mild = site_names[mild_site]
    mild = np.where(
        (mild == SITE["menorrhagia"]) & ~(female & (age_at_diagnosis < 52)), SITE["skin"], mild
    )
    grade_mild = np.where(rng.random(n) < 0.6, 1, 2)
    bleeds_at_diagnosis = rng.random(n) < 0.55
    bl.add(bleeds_at_diagnosis, pidx=p, date=diagnosis, site=mild, grade=grade_mild, severe=False)
    serious_site = np.array(
        [SITE[s] for s in ("gastrointestinal", "epistaxis", "mucosal", "genitourinary", "other")]
    )[_categorical(rng, (0.35, 0.25, 0.2, 0.1, 0.1), (n, K))]
    bleed_grade = np.where(rng.random((n, K)) < 0.5, 2, 3)
    bl.add(
        bleed_loss,
        pidx=pk,
        date=loss_day,
        site=serious_site,
        grade=bleed_grade,
        severe=bleed_grade >= 3,
    )
    failure_bleed_day = start_day + _uniform_days(rng, 30, 150, (n, K))
    failure_bleed = (
        failure
        & (rng.random((n, K)) < 0.25)
        & (failure_bleed_day < next_start_day - 30)
        & (failure_bleed_day <= followup_day[:, None])
    )
    bl.add(
        failure_bleed,
        pidx=pk,
        date=failure_bleed_day,
        site=mild[:, None],
        grade=grade_mild[:, None],
        severe=False,
    )
    fatal_bleed = dies & (death_cause == 0)
    bl.add(fatal_bleed, pidx=p, date=death_day, site=SITE["intracranial"], grade=4, severe=True)
    bleeding = bl.build("date")

    # --- adverse events -------------------------------------------------------------------------
    ae = _Rows(
        {
            "pidx": (np.int64, 0),
            "date": (np.int64, 0),
            "event": (np.int64, 0),
            "grade": (np.int64, -1),
            "serious": (bool, False),
            "description": (np.int64, -1),
        }
    )
    first_infusion = np.arange(4)[None, None, :] == 0
    reaction = infusion_valid & (rng.random((n, K, 4)) < np.where(first_infusion, 0.12, 0.03))
    reaction_grade = _categorical(rng, (0.6, 0.35, 0.05), (n, K, 4)) + 1
    ae.add(
        reaction,
        pidx=pki,
        date=infusion_day,
        event=EVENT["infusion_reaction"],
        grade=reaction_grade,
        serious=reaction_grade >= 3,
        description=rng.integers(0, 3, (n, K, 4)),
    )
    course_ends = start_day + last_infusion
    for event, probability, low, high, grades, description in (
        ("infection", 0.12, 30, 300, (0.0, 0.6, 0.4), (3, 4, 5)),
        ("severe_infection", 0.03, 30, 300, (0.0, 0.0, 0.7, 0.3), (3,)),
        ("hypogammaglobulinemia", 0.05, 90, 365, (0.3, 0.6, 0.1), (6,)),
        ("neutropenia", 0.015, 30, 180, (0.0, 0.0, 0.6, 0.4), (7,)),
        ("serum_sickness", 0.01, 7, 14, (0.0, 0.6, 0.4), (8,)),
        ("thrombosis", 0.01, 30, 365, (0.0, 0.5, 0.5), (9,)),
        ("hbv_reactivation", 0.002, 60, 365, (0.0, 0.5, 0.5), (-1,)),
        ("other", 0.02, 1, 365, (0.5, 0.5), (-1,)),
    ):
        onset = course_ends + _uniform_days(rng, low, high, (n, K))
        happens = valid & (rng.random((n, K)) < probability) & (onset <= followup_day[:, None])
        if event == "hypogammaglobulinemia":
            happens &= np.arange(K)[None, :] >= 1
            hypogamma_day, hypogamma = onset, happens
        grade = _categorical(rng, grades, (n, K)) + 1
        text = np.asarray(description)[rng.integers(0, len(description), (n, K))]
        ae.add(
            happens,
            pidx=pk,
            date=onset,
            event=EVENT[event],
            grade=grade,
            serious=(grade >= 3) | (event == "severe_infection"),
            description=text,
        )
    death_event = dies & (death_later == 0) & (rng.random(n) < 0.6)
    ae.add(
        death_event,
        pidx=p,
        date=death_day,
        event=EVENT["death"],
        grade=5,
        serious=True,
        description=10,
    )
    adverse = ae.build("date")

    # --- biomarkers -----------------------------------------------------------------------------
    bm = _Rows(
        {
            "pidx": (np.int64, 0),
            "date": (np.int64, 0),
            "test": (np.int64, 0),
            "number": (np.float64, np.nan),
            "positive": (np.int64, -1),
            "unit": (np.int64, -1),  # 0 g/L, 1 cells/uL
        }
    )
    igg_day = start_day - _uniform_days(rng, 0, 30, (n, K))
    igg = np.round(
        np.clip(9.5 - 0.6 * np.arange(K)[None, :] + 2.5 * rng.standard_normal((n, K)), 2.0, 20.0), 1
    )
    bm.add(
        valid & (rng.random((n, K)) < 0.5),
        pidx=pk,
        date=igg_day,
        test=TEST["igg"],
        number=igg,
        unit=0,
    )
    bm.add(
        hypogamma,
        pidx=pk,
        date=hypogamma_day,
        test=TEST["igg"],
        number=np.round(rng.uniform(2.5, 5.5, (n, K)), 1),
        unit=0,
    )
    cd19_day = start_day + _uniform_days(rng, 60, 180, (n, K))
    cd19 = (
        valid
        & (rng.random((n, K)) < 0.3)
        & (cd19_day < next_start_day)
        & (cd19_day <= followup_day[:, None])
    )
    bm.add(
        cd19,
        pidx=pk,
        date=cd19_day,
        test=TEST["cd19"],
        number=np.round(rng.exponential(3.0, (n, K))),
        unit=1,
    )
    maipa = rng.random(n) < 0.25
    bm.add(
        maipa,
        pidx=p,
        date=diagnosis + 7,
        test=TEST["maipa_gpiibiiia"],
        positive=rng.random(n) < 0.45,
    )
    ana = rng.random(n) < 0.4
    ana_positive = rng.random(n) < np.where(cause == CAUSE["sle"], 0.9, 0.15)
    bm.add(ana, pidx=p, date=diagnosis + 7, test=TEST["ana"], positive=ana_positive)
    biomarkers = bm.build("date")

    # --- investigator assessments ---------------------------------------------------------------
    window_end = np.minimum(np.minimum(start_day + 180, next_start_day), followup_day[:, None])
    evaluable = (window_end - start_day > time_to_response + 10) & ~no_counts_after_course1[:, None]
    recorded = np.where(evaluable, response, RESPONSE["NE"])
    disagree = rng.random((n, K)) < 0.07
    recorded = np.where(disagree, _categorical(rng, (0.3, 0.3, 0.3, 0.1), (n, K)), recorded)
    response_day = start_day + time_to_response + _uniform_days(rng, 0, 7, (n, K))
    has_response_day = (recorded <= 1) & (response_day <= followup_day[:, None])
    ia = _Rows(
        {
            "pidx": (np.int64, 0),
            "course": (np.int64, 1),
            "response": (np.int64, 0),
            "response_date": (np.int64, NO_DATE),
            "loss_date": (np.int64, NO_DATE),
        }
    )
    ia.add(
        valid,
        pidx=pk,
        course=np.arange(1, K + 1)[None, :],
        response=recorded,
        response_date=np.where(has_response_day, response_day, NO_DATE),
        loss_date=np.where(has_response_day & lost & (loss_day > response_day), loss_day, NO_DATE),
    )
    assessments = ia.build("course")

    # --- platelet counts ------------------------------------------------------------------------
    counts = _simulate_counts(
        rng,
        n=n,
        diagnosis=diagnosis,
        start_day=start_day,
        valid=valid,
        next_start_day=next_start_day,
        followup_day=followup_day,
        course_ends=course_ends,
        loss_day=loss_day,
        lost=lost,
        loss_kind=loss_kind,
        ivig_before=ivig_before,
        no_counts_after_course1=no_counts_after_course1,
        response=response,
        time_to_response=time_to_response,
        plateau=plateau,
        low_level=low_level,
        treatments=treatments,
    )
    return Chunk(n, patients, treatments, counts, bleeding, adverse, biomarkers, assessments)


def _simulate_counts(
    rng: np.random.Generator,
    *,
    n: int,
    diagnosis: np.ndarray,
    start_day: np.ndarray,
    valid: np.ndarray,
    next_start_day: np.ndarray,
    followup_day: np.ndarray,
    course_ends: np.ndarray,
    loss_day: np.ndarray,
    lost: np.ndarray,
    loss_kind: np.ndarray,
    ivig_before: np.ndarray,
    no_counts_after_course1: np.ndarray,
    response: np.ndarray,
    time_to_response: np.ndarray,
    plateau: np.ndarray,
    low_level: np.ndarray,
    treatments: Table,
) -> Table:
    """Dates of the platelet counts (clustered around courses) and their values (the patient's
    state on that day: low before a course, rising to the response plateau, low again after the
    loss of response; a transient rise in the ten days after a rescue)."""
    K = MAX_COURSES
    p = np.arange(n)
    pk = np.broadcast_to(p[:, None], (n, K))
    days: list[np.ndarray] = []
    owners: list[np.ndarray] = []

    def add(mask: np.ndarray, owner: np.ndarray, day: np.ndarray) -> None:
        days.append(np.broadcast_to(day, mask.shape)[mask])
        owners.append(np.broadcast_to(owner, mask.shape)[mask])

    add(rng.random(n) < 0.9, p, diagnosis + _uniform_days(rng, 0, 2, n))
    # baseline counts: usually within 30 days before the course (on the start day sometimes),
    # before the IVIg when IVIg was given just before the course
    has_baseline = valid & (rng.random((n, K)) < 0.92)
    closest = np.where(
        ivig_before, _uniform_days(rng, 4, 20, (n, K)), _uniform_days(rng, 0, 20, (n, K))
    )
    add(has_baseline, pk, start_day - closest)
    add(
        has_baseline & (rng.random((n, K)) < 0.35),
        pk,
        start_day - _uniform_days(rng, 21, 45, (n, K)),
    )
    add(
        valid & ~has_baseline & (rng.random((n, K)) < 0.5),
        pk,
        start_day - _uniform_days(rng, 35, 70, (n, K)),
    )
    # the weeks after the course
    offsets = np.array([7, 14, 21, 28, 35, 42, 56, 70, 90, 120, 150, 180])
    kept = np.array([0.7, 0.8, 0.6, 0.8, 0.4, 0.6, 0.6, 0.4, 0.7, 0.5, 0.5, 0.6])
    shape = (n, K, len(offsets))
    after_day = start_day[:, :, None] + offsets[None, None, :] + rng.integers(-2, 3, shape)
    after = (
        valid[:, :, None]
        & (rng.random(shape) < kept[None, None, :])
        & (after_day < next_start_day[:, :, None])
    )
    add(after, np.broadcast_to(p[:, None, None], shape), after_day)
    # the loss of response: a low count that day, confirmed a few days later when counts decide
    add(lost & (rng.random((n, K)) < 0.9), pk, loss_day)
    add(lost & (loss_kind == 0), pk, loss_day + _uniform_days(rng, 3, 10, (n, K)))
    fixed = np.bincount(np.concatenate(owners), minlength=n)

    # follow-up counts: spread over the quiet periods so that a patient has 20-80 counts in all
    period_start = np.concatenate([(diagnosis + 14)[:, None], start_day + 185], axis=1)
    period_end = np.concatenate(
        [(start_day[:, 0] - 50)[:, None], np.minimum(next_start_day - 40, followup_day[:, None])],
        axis=1,
    )
    period_valid = np.concatenate([np.ones((n, 1), dtype=bool), valid], axis=1) & (
        period_end > period_start
    )
    length = np.where(period_valid, period_end - period_start, 0)
    total_length = np.maximum(length.sum(axis=1), 1)
    wanted = rng.integers(20, 81, n)
    spare = np.maximum(wanted - fixed, 0)
    per_period = np.floor(
        spare[:, None] * length / total_length[:, None] + rng.random(length.shape)
    ).astype(np.int64)
    per_period = np.where(period_valid, per_period, 0).ravel()
    period_owner = np.repeat(np.arange(n), K + 1)
    owner = np.repeat(period_owner, per_period)
    follow_start = np.repeat(period_start.ravel(), per_period)
    follow_length = np.repeat(length.ravel(), per_period)
    days.append(follow_start + (rng.random(owner.size) * (follow_length + 1)).astype(np.int64))
    owners.append(owner)
    # the last visit
    add(rng.random(n) < 0.75, p, followup_day)

    day = np.concatenate(days)
    pidx = np.concatenate(owners)
    keep = day <= followup_day[pidx]
    keep &= ~no_counts_after_course1[pidx] | (day <= start_day[pidx, 0])
    day, pidx = day[keep], pidx[keep]

    # the state on each count's day: the last course started strictly before it (course keys
    # increase within a patient, so a sorted search finds it)
    patient_end = np.arange(n)[:, None] * _KEY_SCALE + (_KEY_SCALE - 1)
    course_key = np.where(valid, _keys(np.arange(n)[:, None], start_day), patient_end)
    flat_key = course_key.ravel()
    found = np.searchsorted(flat_key, _keys(pidx, day), side="left") - 1
    course = np.where(
        (found >= 0) & (found // K == pidx), found % K, -1
    )  # -1: before the first course
    at = pidx * K + np.maximum(course, 0)
    since = day - start_day.ravel()[at]
    level_before = low_level[:, :K].ravel()[at]
    level_after = low_level[:, 1:].ravel()[at]
    kind = response.ravel()[at]
    top = plateau.ravel()[at]
    ttr = time_to_response.ravel()[at]
    lost_on = loss_day.ravel()[at]
    noise = np.exp(0.15 * rng.standard_normal(day.size))

    def low(level: np.ndarray) -> np.ndarray:
        return np.clip(level * noise, 1.0, np.minimum(28.0, np.floor(1.25 * level)))

    ramp = level_before + (top - level_before) * (since / np.maximum(ttr, 1)) * noise
    cr_value = np.clip(top * noise, 101.0, 900.0)
    r_value = np.clip(top * noise, np.maximum(31.0, np.ceil(2.5 * level_before)), 99.0)
    responding = np.where(kind == 0, cr_value, r_value)
    value = np.where(since < ttr, np.clip(ramp, 1.0, np.where(kind == 0, 900.0, 99.0)), responding)
    value = np.where(day >= lost_on, low(level_after), value)
    value = np.where(kind == 2, low(level_after), value)
    value = np.where(course < 0, low(low_level[pidx, 0]), value)

    # a transient rise in the ten days after a rescue
    rescue = treatments["rescue"] > 0
    rescue_key = np.unique(_keys(treatments["pidx"][rescue], treatments["start"][rescue]))
    if rescue_key.size:
        count_key = _keys(pidx, day - 1)
        found = np.searchsorted(rescue_key, count_key, side="right") - 1
        found_key = rescue_key[np.maximum(found, 0)]
        elapsed = count_key - found_key
        boosted = (found >= 0) & (elapsed >= 0) & (elapsed < 10)
        value = np.where(boosted, np.maximum(value, rng.uniform(40.0, 150.0, day.size)), value)

    order = np.argsort(_keys(pidx, day), kind="stable")
    return {
        "pidx": pidx[order],
        "date": day[order],
        "platelets": np.round(value[order]).astype(np.int64),
    }
