"""The switch analyses of the ``tpo-ra-switch`` plan: response to the second agent by the reason
the first was stopped and by switch direction (``protocols.md``, The ``tpo-ra-switch`` analysis
plan; results.json ``switch.by_reason[]``, ``switch.by_direction[]``, ``switch.fisher_p``).

They read a courses table (one row per patient and course, as the derived ``courses`` of an
exposure protocol): ``center``, ``patient_id``, ``course_number``, ``agent``, ``course_type``
(``first``, ``switch``, ``retreatment``), ``stop_reason`` and ``response``, for the patients the
caller includes. Readings of the spec:

* the compared pair of a patient is the first course whose type is ``switch`` (course *s*) and the
  course before it (*s − 1*), whatever came before (a retreatment before the switch is kept out of
  the pair, not a reason to drop the patient); a patient without a switch has no pair;
* the response to course 2 of the comparison is the response of course *s*: ``CR`` or ``R`` is a
  responder, ``NR``, ``NE`` and a missing response are not (NE as non-responder, as the primary);
* the reason is the ``stop_reason`` of course *s − 1* (empty: ``unknown``); levels follow the
  vocabulary order (``schema.STOP_REASONS``), each level with n ≥ 1; a reason outside the
  vocabulary comes after them, in name order;
* the direction is ``agent(s−1)→agent(s)``; levels are ordered by the protocol's agent order of the
  first agent, then of the second (agents outside it after, in name order);
* ``orr``, ``ci_low`` and ``ci_high`` are percentages with the exact Clopper–Pearson 95% interval
  (``estimates.proportion``, like every proportion of results.json);
* ``fisher_p`` is the two-sided Fisher exact test of the reasons × (responder, non-responder)
  table over the levels present (``predictors.fisher_exact_kx2``, R's ``fisher.test``); None with
  fewer than two reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from itpcohort.analysis.estimates import proportion
from itpcohort.analysis.predictors import fisher_exact_kx2
from itpcohort.analysis.response import is_responder
from itpcohort.schema import STOP_REASONS

PATIENT = ["center", "patient_id"]
#: the arrow of a direction level, as the spec writes it (``eltrombopag→romiplostim``)
ARROW = "\u2192"


@dataclass(frozen=True)
class SwitchLevel:
    """Response to the second agent in one level (a reason or a direction)."""

    level: str
    n: int
    responders: int
    orr: float | None
    ci_low: float | None
    ci_high: float | None

    def to_json_dict(self) -> dict[str, Any]:
        """The level as results.json writes it."""
        return {
            "level": self.level,
            "n": self.n,
            "responders": self.responders,
            "orr": self.orr,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


@dataclass(frozen=True)
class SwitchResults:
    """``switch`` of results.json: by reason, by direction and Fisher's test across reasons."""

    by_reason: list[SwitchLevel]
    by_direction: list[SwitchLevel]
    fisher_p: float | None
    fisher_test: str | None
    #: ``switch_safety``: per compared course and agent (empty when no adverse events were given)
    safety_by_course_agent: list[dict[str, Any]] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The ``switch`` object of results.json."""
        return {
            "by_reason": [level.to_json_dict() for level in self.by_reason],
            "by_direction": [level.to_json_dict() for level in self.by_direction],
            "fisher_p": self.fisher_p,
            "fisher_test": self.fisher_test,
            "safety_by_course_agent": self.safety_by_course_agent,
        }


def first_switch_pairs(courses: pd.DataFrame) -> pd.DataFrame:
    """One row per patient with a switch: ``agent_1``, ``agent_2``, ``stop_reason_1``,
    ``response_2`` and ``responder_2`` of courses *s − 1* and *s* (the first switch)."""
    switches = courses[courses["course_type"] == "switch"]
    first = switches.groupby(PATIENT, sort=True)["course_number"].min().rename("s").reset_index()
    later = first.merge(courses, on=PATIENT)
    second = later[later["course_number"] == later["s"]]
    before = later[later["course_number"] == later["s"] - 1]
    pairs = second[[*PATIENT, "agent", "response"]].merge(
        before[[*PATIENT, "agent", "stop_reason"]], on=PATIENT, suffixes=("_2", "_1")
    )
    reasons = pairs["stop_reason"].astype("object")
    return pd.DataFrame(
        {
            "center": pairs["center"],
            "patient_id": pairs["patient_id"],
            "agent_1": pairs["agent_1"],
            "agent_2": pairs["agent_2"],
            "stop_reason_1": reasons.where(reasons.notna() & (reasons != ""), "unknown"),
            "response_2": pairs["response"],
            "responder_2": is_responder(pairs["response"]),
        }
    ).reset_index(drop=True)


def _levels(values: pd.Series, responders: pd.Series, order: list[str]) -> list[SwitchLevel]:
    present = set(values)
    ordered = [level for level in order if level in present]
    ordered += sorted(present - set(ordered))
    levels = []
    for level in ordered:
        chosen = values == level
        n, hits = int(chosen.sum()), int(responders[chosen].sum())
        p = proportion(hits, n)
        levels.append(SwitchLevel(level, n, hits, p.pct, p.ci_low, p.ci_high))
    return levels


#: the adverse events of the switch plan's safety table (``protocols.md``: thrombosis,
#: hepatotoxicity, bone marrow fibrosis; deaths are ``safety.deaths``)
SWITCH_SAFETY_EVENTS = ("thrombosis", "hepatotoxicity", "bone_marrow_fibrosis")


def switch_safety(
    courses: pd.DataFrame, ae_by_course: pd.DataFrame, agents: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Per compared course (1, 2) and agent: patients who received it and, for each event of
    ``SWITCH_SAFETY_EVENTS``, the patients with at least one such event attributed to that course
    (``protocols.md`` rule 10), as proportions with Clopper–Pearson CIs. Rows are ordered by
    course, then by the protocol's agent order; an agent nobody received in a course has no row."""
    rows: list[dict[str, Any]] = []
    compared = courses[courses["course_number"].isin([1, 2])]
    events = ae_by_course[ae_by_course["course_number"].notna()].copy()
    events["course_number"] = events["course_number"].astype(int)
    events = events.merge(
        compared[[*PATIENT, "course_number", "agent"]], on=[*PATIENT, "course_number"]
    )
    present = set(compared["agent"])
    ordered = [a for a in agents if a in present] + sorted(present - set(agents))
    for number in (1, 2):
        for agent in ordered:
            received = compared[
                (compared["course_number"] == number) & (compared["agent"] == agent)
            ]
            if not len(received):
                continue
            of = events[(events["course_number"] == number) & (events["agent"] == agent)]
            row: dict[str, Any] = {"course": number, "agent": agent, "patients": len(received)}
            for event in SWITCH_SAFETY_EVENTS:
                hit = of.loc[of["event"] == event, PATIENT].drop_duplicates().shape[0]
                row[event] = proportion(int(hit), len(received))
            rows.append(row)
    return rows


def switch_analysis(
    courses: pd.DataFrame,
    agents: Sequence[str] = (),
    ae_by_course: pd.DataFrame | None = None,
) -> SwitchResults:
    """Response to the second agent by stop reason and by direction, with Fisher's test across
    reasons, over the patients of ``courses`` (``agents``: the protocol's, for the order); with
    ``ae_by_course`` (comparison course numbers), the safety per course and agent too."""
    pairs = first_switch_pairs(courses)
    responders = pairs["responder_2"]
    by_reason = _levels(pairs["stop_reason_1"], responders, list(STOP_REASONS))
    directions = pairs["agent_1"].astype(str) + ARROW + pairs["agent_2"].astype(str)
    order = [f"{a}{ARROW}{b}" for a in agents for b in agents if a != b]
    by_direction = _levels(directions, responders, order)
    fisher_p, fisher_test = None, None
    if len(by_reason) >= 2:
        table = np.array([[lv.n - lv.responders, lv.responders] for lv in by_reason], dtype=int)
        fisher_p, fisher_test = fisher_exact_kx2(table)
    safety = [] if ae_by_course is None else switch_safety(courses, ae_by_course, agents)
    return SwitchResults(by_reason, by_direction, fisher_p, fisher_test, safety)


def _rank(response: pd.Series) -> pd.Series:
    return response.map({"CR": 3, "R": 2, "NR": 1}).fillna(0)


def _pair_comparison(courses: pd.DataFrame, similar_duration_ratio: float) -> pd.DataFrame:
    """The ``retreatment`` rows of the compared pair (``response-criteria.md`` section 7 applied
    to comparison courses 1 and 2, as ``derive.marts.retreatment`` does for infusion courses)."""
    one = courses[courses["course_number"] == 1]
    two = courses[courses["course_number"] == 2]
    cols = ["response", "duration_days", "duration_censored"]
    t = one[[*PATIENT, *cols]].merge(two[[*PATIENT, *cols]], on=PATIENT, suffixes=("_1", "_2"))
    r1, r2 = t["response_1"].astype("object"), t["response_2"].astype("object")
    d1 = pd.to_numeric(t["duration_days_1"]).astype(float)
    d2 = pd.to_numeric(t["duration_days_2"]).astype(float)
    evaluable = (r1 != "NE") & (r2 != "NE")
    similar = pd.Series(
        np.where(evaluable, _rank(r2) >= _rank(r1), None), index=t.index, dtype="object"
    )
    long_enough = d2 >= similar_duration_ratio * d1 - 1e-9
    censored2 = t["duration_censored_2"].astype("boolean").fillna(False).astype(bool)
    longer: list[object] = []
    for a, b, enough, cens in zip(r1, r2, long_enough, censored2, strict=True):
        if a not in ("CR", "R"):
            longer.append(None)
        elif b not in ("CR", "R"):
            longer.append(False)
        elif enough:
            longer.append(True)
        else:
            longer.append(None if cens else False)
    return pd.DataFrame(
        {
            "center": t["center"],
            "patient_id": t["patient_id"],
            "response_course1": r1,
            "response_course2": r2,
            "response_similar_or_better": similar,
            "duration_course1_days": t["duration_days_1"],
            "duration_course1_censored": t["duration_censored_1"],
            "duration_course2_days": t["duration_days_2"],
            "duration_course2_censored": t["duration_censored_2"],
            "duration_similar_or_longer": pd.Series(longer, index=t.index, dtype="object"),
        }
    )


def _renumbered(frame: pd.DataFrame, shift: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s ``course_number`` as a comparison course number (real − (s − 2)); a course
    before the compared pair, or of a patient without a switch, has none (NA)."""
    out = frame.merge(shift, on=PATIENT, how="left")
    number = pd.to_numeric(out["course_number"]) - (out["s"] - 2)
    out["course_number"] = number.where(number >= 1).astype("Int64")
    return out.drop(columns=["s"])


def comparison_frames(
    frames: dict[str, pd.DataFrame], similar_duration_ratio: float
) -> dict[str, pd.DataFrame]:
    """The marts of an exposure protocol seen from the compared pair of the ``first_switch``
    design (``protocols.md``, The ``tpo-ra-switch`` analysis plan), in the flagship's layout.

    Readings: course *s − 1* becomes course 1 of the comparison, course *s* course 2 and each later
    course *s + k* course *2 + k*; courses before *s − 1* (a retreatment with the first agent) and
    every course of a patient without a switch leave the comparison (that patient then has fewer
    than two comparison courses: the exclusion reason ``no switch``). ``real_course_number`` keeps
    the derived number; ``derived/courses.csv`` is not changed. Adverse events, investigator
    assessments and treatment events take the comparison number of their course (NA outside the
    comparison: unattributed). ``regimen`` is empty (exposure courses have none). ``retreatment``
    is section 7 applied to comparison courses 1 and 2.
    """
    courses = frames["courses"].copy()
    switches = courses[courses["course_type"] == "switch"]
    shift = switches.groupby(PATIENT, sort=True)["course_number"].min().rename("s").reset_index()
    courses["real_course_number"] = courses["course_number"]
    compared = _renumbered(courses, shift)
    compared = compared[compared["course_number"].notna()].copy()
    compared["course_number"] = compared["course_number"].astype(int)
    compared["regimen"] = pd.Series(None, index=compared.index, dtype="object")
    out = dict(frames)
    out["courses"] = compared.reset_index(drop=True)
    out["retreatment"] = _pair_comparison(compared, similar_duration_ratio)
    out["ae_by_course"] = _renumbered(frames["ae_by_course"], shift)
    assessed = frames.get("investigator_comparison")
    if assessed is not None:
        assessed = _renumbered(assessed, shift)
        out["investigator_comparison"] = assessed[assessed["course_number"].notna()]
    return out
