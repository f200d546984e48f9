"""The ``treatments`` rows of simulated patients: every exposure of the timeline.

First-line corticosteroids (and IVIg) at diagnosis; second-line agents before the first course;
one row per rituximab infusion with the regimen's dose (a few flat mg doses for 375 mg/m2, a few
missing doses); methylprednisolone premedication and concurrent prednisone around courses; IVIg
before a course, rescue at a lost response (IVIg, platelet transfusion, a methylprednisolone bolus
flagged rescue, tranexamic acid); later lines after a lost response or a failed course, stopped
before the next course or ongoing at the end (an occasional missing end date, as in real files).
"""

from __future__ import annotations

import numpy as np

from itpcohort import schema
from itpcohort.synth._arrays import NO_DATE, Rows, Table, categorical, keep, lognormal, uniform_days
from itpcohort.synth._timeline import MAX_COURSES, REGIMENS, Timeline
from itpcohort.synth._vocab import DOSE_UNIT, DRUG, OTHER_DRUG_DETAILS

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


def simulate_treatments(rng: np.random.Generator, t: Timeline) -> Table:
    """Every treatment row of the timelines ``t``, sorted by patient and start date.

    ``rescue`` holds 0 (not rescue), 1 (flagged rescue by the clinician) or 2 (rescue by its
    class, IVIg and supportive care); no row starts after the last follow-up and no end date
    falls after death.
    """
    rows = Rows(
        {
            "pidx": (np.int64, 0),
            "drug": (np.int64, 0),
            "start": (np.int64, 0),
            "end": (np.int64, NO_DATE),
            "dose": (np.float64, np.nan),
            "dose_unit": (np.int64, -1),
            "rescue": (np.int64, 0),
            "detail": (np.int64, -1),
        }
    )
    _first_line(rng, t, rows)
    _before_rituximab(rng, t, rows)
    _rituximab_courses(rng, t, rows)
    _rescue(rng, t, rows)
    _later_lines(rng, t, rows)
    treatments = rows.build("start")
    treatments = keep(treatments, treatments["start"] <= t.followup_day[treatments["pidx"]])
    # a treatment may be planned past the last follow-up, never past death
    dead_end = t.death_day[treatments["pidx"]]
    cut = (dead_end != NO_DATE) & (treatments["end"] > dead_end)
    treatments["end"] = np.where(cut, dead_end, treatments["end"])
    return treatments


def _first_line(rng: np.random.Generator, t: Timeline, tr: Rows) -> None:
    """Corticosteroids at diagnosis (prednisone with a taper row, or dexamethasone), and IVIg."""
    n = t.n
    p = np.arange(n)
    diagnosis = t.diagnosis
    # first-line corticosteroids at diagnosis, sometimes with a taper row, or dexamethasone pulses
    steroid_start = diagnosis + uniform_days(rng, 0, 10, n)
    uses_dexamethasone = rng.random(n) < 0.2
    prednisone_end = steroid_start + uniform_days(rng, 21, 42, n)
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
        end=prednisone_end + uniform_days(rng, 30, 120, n),
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
    ivig_day = diagnosis + uniform_days(rng, 0, 3, n)
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


def _before_rituximab(rng: np.random.Generator, t: Timeline, tr: Rows) -> None:
    """Zero to three distinct second-line agents between diagnosis and the first course
    (Gumbel top-k sampling), the last one sometimes bridging into the course."""
    n, K = t.n, MAX_COURSES
    p = np.arange(n)
    pk = np.broadcast_to(p[:, None], (n, K))
    first_course_delay = t.first_course_delay
    start_day = t.start_day
    diagnosis = t.diagnosis
    # second-line agents before the first course (0-3 distinct agents, Gumbel top-k sampling)
    window = first_course_delay - 90
    n_prior = np.where(window >= 60, categorical(rng, (0.25, 0.35, 0.25, 0.15), n), 0)
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
        prior_start + lognormal(rng, 150.0, 0.6, (n, 3), 30.0, 1500.0).astype(np.int64), following
    )
    prior_end = np.maximum(prior_end, prior_start + 14)
    last_prior = np.arange(3)[None, :] + 1 == n_prior[:, None]
    bridging = last_prior & (rng.random((n, 3)) < 0.15)
    prior_end = np.where(
        bridging, first_course_day[:, None] + uniform_days(rng, 7, 60, (n, 3)), prior_end
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


def _rituximab_courses(rng: np.random.Generator, t: Timeline, tr: Rows) -> None:
    """One row per infusion, premedication or concurrent prednisone, IVIg just before."""
    n, K = t.n, MAX_COURSES
    p = np.arange(n)
    pk = np.broadcast_to(p[:, None], (n, K))
    valid = t.valid
    regimen = t.regimen
    infusion_valid = t.infusion_valid
    infusion_day = t.infusion_day
    start_day = t.start_day
    ivig_before = t.ivig_before
    # rituximab infusions, one row per administration
    regimen_dose = np.array([r[1] for r in REGIMENS])[regimen]
    regimen_unit = np.array([DOSE_UNIT[r[2]] for r in REGIMENS])[regimen]
    dose_style = categorical(rng, (0.9, 0.05, 0.05), (n, K))  # as intended, flat mg, missing
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
    concurrent_start = start_day - uniform_days(rng, 0, 14, (n, K))
    tr.add(
        concurrent,
        pidx=pk,
        drug=DRUG["prednisone"],
        start=concurrent_start,
        end=start_day + uniform_days(rng, 14, 42, (n, K)),
        dose=1.0,
        dose_unit=DOSE_UNIT["mg/kg"],
    )
    # IVIg a few days before the course, counts being dangerously low
    ivig_before_day = start_day - uniform_days(rng, 2, 3, (n, K))
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


def _rescue(rng: np.random.Generator, t: Timeline, tr: Rows) -> None:
    """Rescue ending a lost response (IVIg, transfusion, a bolus flagged rescue, tranexamic
    acid) and IVIg during failed courses."""
    n, K = t.n, MAX_COURSES
    p = np.arange(n)
    pk = np.broadcast_to(p[:, None], (n, K))
    valid = t.valid
    responder = t.responder
    lost = t.lost
    loss_kind = t.loss_kind
    loss_day = t.loss_day
    start_day = t.start_day
    next_start_day = t.next_start_day
    followup_day = t.followup_day
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
        end=loss_day + uniform_days(rng, 2, 7, (n, K)),
        dose=1000.0,
        dose_unit=DOSE_UNIT["mg"],
        rescue=2,
    )
    # NR courses: IVIg during the response window
    failure = valid & ~responder
    ivig_in_window_day = start_day + uniform_days(rng, 20, 120, (n, K))
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


def _later_lines(rng: np.random.Generator, t: Timeline, tr: Rows) -> None:
    """A new line after a lost response or a failed course, stopped before the next course
    (sometimes without its end date) or ongoing after the last one."""
    n, K = t.n, MAX_COURSES
    p = np.arange(n)
    pk = np.broadcast_to(p[:, None], (n, K))
    last = t.last
    valid = t.valid
    responder = t.responder
    lost = t.lost
    loss_kind = t.loss_kind
    loss_day = t.loss_day
    start_day = t.start_day
    next_start_day = t.next_start_day
    followup_day = t.followup_day
    # later lines: after a lost response or a failed course, before the next course or for good
    later_weights = np.log(np.array([a[4] for a in _AGENTS]))
    later_agent = np.argmax(
        later_weights[None, None, :] + rng.gumbel(size=(n, K, len(_AGENTS))), axis=2
    )
    is_last = np.arange(K)[None, :] == last[:, None]
    anchor = np.where(responder, loss_day, start_day + uniform_days(rng, 90, 150, (n, K)))
    line_by_loss = lost & (loss_kind == 3)
    line_start = np.where(line_by_loss, loss_day, anchor + uniform_days(rng, 7, 45, (n, K)))
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
            line_start + lognormal(rng, 200.0, 0.7, (n, K), 30.0, 2000.0).astype(np.int64),
        ),
        next_start_day - uniform_days(rng, 7, 30, (n, K)),
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
