"""Analysis 1: baseline characteristics of the included patients (table 1).

``flagship-study.md`` Analysis 1. Categorical lines are proportions of all included patients (with
their Clopper–Pearson CIs, so every count in the report has one format), primary and secondary ITP
included, except the causes of secondary ITP, which are proportions of the secondary ITP patients; a ``missing`` line appears
only when values are missing. Continuous lines are
median and IQR (type 7). ITP duration and the interval between courses are in months of
365.25/12 days; follow-up is from the first course to the last follow-up or death
(``followup_days`` of ``patient_baseline``), in months. Prior lines and prior splenectomy are
counted before course 1 (as in the published table: "lines before the first course").
Patients per centre are proportions of the included patients (``centers``); the baseline platelet
count of courses 1 and 2 (``baseline_platelets`` of ``courses``, 10^9/L) is a median and IQR, as
ITP papers report it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from itpcohort.analysis.estimates import Proportion, Quantiles, proportion, quantiles
from itpcohort.analysis.population import MONTH_DAYS
from itpcohort.protocols import default_protocol
from itpcohort.schema import SECONDARY_CAUSES, SEXES, STOP_REASONS

ITP_PHASES = ("newly_diagnosed", "persistent", "chronic")
#: the regimen levels of the default protocol (``protocols.md``, Infusion courses)
REGIMENS = default_protocol().courses.regimen_names()


@dataclass(frozen=True)
class BaselineTable:
    """Table 1 (``cohort`` in results.json)."""

    n_patients: int
    n_centers: int
    patients_by_center: dict[str, int]
    sex: dict[str, Proportion]
    primary_itp: Proportion
    secondary_itp: Proportion
    secondary_causes: dict[str, Proportion]
    age_at_diagnosis: Quantiles
    age_at_first_course: Quantiles
    itp_duration_course1_months: Quantiles
    itp_phase_course1: dict[str, Proportion]
    prior_lines: Quantiles
    splenectomy_before_course1: Proportion
    regimen_course1: dict[str, Proportion]
    regimen_course2: dict[str, Proportion]
    interval_months: Quantiles
    n_courses: Quantiles
    followup_months: Quantiles
    centers: dict[str, Proportion]
    baseline_platelets_course1: Quantiles
    baseline_platelets_course2: Quantiles
    #: the rows the ``first_switch`` design adds (``protocols.md``, The tpo-ra-switch analysis
    #: plan, Table 1); None (not written) for other designs
    agent_course1: dict[str, Proportion] | None = None
    agent_course2: dict[str, Proportion] | None = None
    direction: dict[str, Proportion] | None = None
    stop_reason_course1: dict[str, Proportion] | None = None
    exposure_course1_months: Quantiles | None = None

    #: the fields written only when set
    OPTIONAL: ClassVar[tuple[str, ...]] = (
        "agent_course1",
        "agent_course2",
        "direction",
        "stop_reason_course1",
        "exposure_course1_months",
    )


def _levels(values: pd.Series, levels: tuple[str, ...], n: int) -> dict[str, Proportion]:
    counts = {level: int((values == level).sum()) for level in levels}
    missing = int(values.isna().sum())
    out = {level: proportion(count, n) for level, count in counts.items()}
    if missing:
        out["missing"] = proportion(missing, n)
    return out


def switch_rows(patients: pd.DataFrame, agents: tuple[str, ...]) -> dict[str, Any]:
    """The table-1 rows of the ``first_switch`` design over the included patients: first and
    second agent (the protocol's order), direction ``agent1→agent2`` (first agent, then second,
    in the protocol's order), stop reason of course 1 (vocabulary order; empty: ``unknown``) and
    the duration of course 1 in months (``end_date − start_date + 1`` days of the exposure course,
    after the cuts of ``protocols.md`` rules 4–5). Regimen rows are empty (``protocols.md``)."""
    n = len(patients)
    first = patients["agent_c1"].astype("object")
    second = patients["agent_c2"].astype("object")
    direction = first + "\u2192" + second
    directions = tuple(f"{a}\u2192{b}" for a in agents for b in agents if a != b)
    reason = patients["stop_reason_c1"].astype("object")
    reason = reason.where(reason.notna() & (reason != ""), "unknown")
    end = pd.to_datetime(patients["end_date_c1"])
    days = (end - pd.to_datetime(patients["start_date_c1"])).dt.days + 1
    return {
        "regimen_course1": {},
        "regimen_course2": {},
        "agent_course1": _levels(first, agents, n),
        "agent_course2": _levels(second, agents, n),
        "direction": {k: v for k, v in _levels(direction, directions, n).items() if v.n},
        "stop_reason_course1": {k: v for k, v in _levels(reason, STOP_REASONS, n).items() if v.n},
        "exposure_course1_months": quantiles(days / MONTH_DAYS),
    }


def baseline_table(
    patients: pd.DataFrame, regimens: tuple[str, ...] = REGIMENS, **extra: Any
) -> BaselineTable:
    """Table 1 over the included patients (one row each in ``patients``); ``regimens``: the
    protocol's regimen levels in table order (``CourseRules.regimen_names``); ``extra``: fields
    set by the design (``switch_rows``)."""
    n = len(patients)
    centers = patients["center"].value_counts().sort_index()
    secondary = patients["itp_type"] == "secondary"
    itp_duration = (patients["start_date_c1"] - patients["diagnosis_date"]).dt.days / MONTH_DAYS
    interval = (patients["start_date_c2"] - patients["start_date_c1"]).dt.days / MONTH_DAYS
    splenectomy = patients["splenectomy_before_c1"].fillna(False).astype(bool)
    table = BaselineTable(
        n_patients=n,
        n_centers=int(patients["center"].nunique()),
        patients_by_center={str(k): int(v) for k, v in centers.items()},
        sex=_levels(patients["sex"], SEXES, n),
        primary_itp=proportion(int((patients["itp_type"] == "primary").sum()), n),
        secondary_itp=proportion(int(secondary.sum()), n),
        secondary_causes=_levels(
            patients.loc[secondary, "secondary_cause"], SECONDARY_CAUSES, int(secondary.sum())
        ),
        age_at_diagnosis=quantiles(patients["age_at_diagnosis"]),
        age_at_first_course=quantiles(patients["age_at_course_c1"]),
        itp_duration_course1_months=quantiles(itp_duration),
        itp_phase_course1=_levels(patients["itp_phase_c1"], ITP_PHASES, n),
        prior_lines=quantiles(patients["prior_lines_c1"]),
        splenectomy_before_course1=proportion(int(splenectomy.sum()), n),
        regimen_course1=_levels(patients["regimen_c1"], regimens, n),
        regimen_course2=_levels(patients["regimen_c2"], regimens, n),
        interval_months=quantiles(interval),
        n_courses=quantiles(patients["n_courses_derived"]),
        followup_months=quantiles(patients["followup_days"] / MONTH_DAYS),
        centers={str(k): proportion(int(v), n) for k, v in centers.items()},
        baseline_platelets_course1=quantiles(patients["baseline_platelets_c1"]),
        baseline_platelets_course2=quantiles(patients["baseline_platelets_c2"]),
    )
    return dataclasses.replace(table, **extra) if extra else table
