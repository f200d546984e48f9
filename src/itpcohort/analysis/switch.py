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
from dataclasses import dataclass
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

    def to_json_dict(self) -> dict[str, Any]:
        """The ``switch`` object of results.json."""
        return {
            "by_reason": [level.to_json_dict() for level in self.by_reason],
            "by_direction": [level.to_json_dict() for level in self.by_direction],
            "fisher_p": self.fisher_p,
            "fisher_test": self.fisher_test,
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


def switch_analysis(courses: pd.DataFrame, agents: Sequence[str] = ()) -> SwitchResults:
    """Response to the second agent by stop reason and by direction, with Fisher's test across
    reasons, over the patients of ``courses`` (``agents``: the protocol's, for the order)."""
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
    return SwitchResults(by_reason, by_direction, fisher_p, fisher_test)
