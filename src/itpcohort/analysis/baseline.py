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

from dataclasses import dataclass

import pandas as pd

from itpcohort.analysis.estimates import Proportion, Quantiles, proportion, quantiles
from itpcohort.analysis.population import MONTH_DAYS
from itpcohort.protocols import default_protocol
from itpcohort.schema import SECONDARY_CAUSES, SEXES

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


def _levels(values: pd.Series, levels: tuple[str, ...], n: int) -> dict[str, Proportion]:
    counts = {level: int((values == level).sum()) for level in levels}
    missing = int(values.isna().sum())
    out = {level: proportion(count, n) for level, count in counts.items()}
    if missing:
        out["missing"] = proportion(missing, n)
    return out


def baseline_table(patients: pd.DataFrame, regimens: tuple[str, ...] = REGIMENS) -> BaselineTable:
    """Table 1 over the included patients (one row each in ``patients``); ``regimens``: the
    protocol's regimen levels in table order (``CourseRules.regimen_names``)."""
    n = len(patients)
    centers = patients["center"].value_counts().sort_index()
    secondary = patients["itp_type"] == "secondary"
    itp_duration = (patients["start_date_c1"] - patients["diagnosis_date"]).dt.days / MONTH_DAYS
    interval = (patients["start_date_c2"] - patients["start_date_c1"]).dt.days / MONTH_DAYS
    splenectomy = patients["splenectomy_before_c1"].fillna(False).astype(bool)
    return BaselineTable(
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
