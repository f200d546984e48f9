"""The synthetic timelines look like a rituximab retreatment cohort (``response-criteria.md``,
``flagship-study.md``): courses of the usual regimens, counts clustered around courses, responses
tied to the previous course, rescue and later lines, adverse events on the right days."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itpcohort.synth import SynthSummary, generate_study

from .reference import frames

KEY = ["center", "patient_id"]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """A four-center clean study large enough for stable proportions (1,500 patients)."""
    folder = tmp_path_factory.mktemp("synth") / "cohort"
    generate_study(folder, 1500, 4, seed=3)
    return frames(folder)


@pytest.fixture(scope="module")
def courses(cohort: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rituximab courses as ``response-criteria.md`` section 1 defines them (gap <= 60 days),
    with the regimen of each (doses +-10%, an empty unit read as the regimen's)."""
    rtx = cohort["treatments"].query("drug == 'rituximab'").sort_values([*KEY, "start_date"])
    gap = rtx.groupby(KEY).start_date.diff().dt.days
    rtx = rtx.assign(
        course=(gap.isna() | (gap > 60)).groupby([rtx.center, rtx.patient_id]).cumsum()
    )
    grouped = rtx.groupby([*KEY, "course"])
    out = grouped.agg(
        start=("start_date", "min"),
        end=("start_date", "max"),
        n=("start_date", "size"),
        low=("dose", "min"),
        high=("dose", "max"),
        missing=("dose", lambda s: s.isna().any()),
        units=("dose_unit", lambda s: frozenset(s.fillna(""))),
    ).reset_index()

    def regimen(c: pd.Series) -> str:
        if c.missing:
            return "unknown"

        def near(dose: float, unit: str) -> bool:
            return 0.9 * dose <= c.low and c.high <= 1.1 * dose and c.units <= {unit, ""}

        if near(375, "mg/m2") and c.n == 4:
            return "375x4"
        if near(1000, "mg") and c.n == 2:
            return "1000x2"
        if near(100, "mg"):
            return "low_dose"
        return "other"

    return out.assign(regimen=out.apply(regimen, axis=1))


def test_courses_use_the_common_regimens(courses: pd.DataFrame) -> None:
    share = courses.regimen.value_counts(normalize=True)
    assert share["375x4"] > 0.35
    assert share["1000x2"] > 0.15
    assert share["low_dose"] > 0.05
    assert 0 < share["other"] < 0.15
    assert 0 < share["unknown"] < 0.1
    spacing = courses.assign(days=(courses.end - courses.start).dt.days)
    assert spacing.query("regimen == '375x4'").days.between(18, 24).all()  # weekly x4
    assert spacing.query("regimen == '1000x2'").days.between(12, 16).all()  # two weeks apart


def test_most_patients_are_adults_with_two_courses_or_more(
    cohort: dict[str, pd.DataFrame], courses: pd.DataFrame
) -> None:
    per_patient = courses.groupby(KEY).course.max()
    assert set(per_patient.unique()) == {1, 2, 3, 4}
    first = courses.query("course == 1").merge(cohort["patients"], on=KEY)
    age = (first.start - first.birth_date).dt.days / 365.25
    n_courses = first.set_index(KEY).index.map(per_patient)
    adult_retreated = ((age >= 18) & (np.asarray(n_courses) >= 2)).mean()
    assert 0.6 <= adult_retreated <= 0.82
    assert 0.01 <= (age < 18).mean() <= 0.08
    assert 38 <= age[age >= 18].median() <= 55  # flagship: 46 at the first course
    gaps = courses.groupby(KEY).start.diff().dt.days.dropna()
    assert gaps.min() > 60 and 150 <= gaps.median() <= 1500  # months to years


def test_counts_cluster_around_courses(
    cohort: dict[str, pd.DataFrame], courses: pd.DataFrame
) -> None:
    patients, counts = cohort["patients"], cohort["platelet_counts"]
    per_patient = counts.groupby(KEY).size()
    assert 25 <= per_patient.median() <= 70
    assert per_patient.quantile(0.1) >= 15 and per_patient.max() <= 100
    joined = counts.merge(courses[[*KEY, "course", "start"]], on=KEY)
    after = (joined.date - joined.start).dt.days
    in_window = joined[(after > 0) & (after <= 180)].drop_duplicates(["center", "line"])
    followed_days = (patients.last_followup_date - patients.diagnosis_date).dt.days.sum()
    density_ratio = (len(in_window) / len(counts)) / (180 * len(courses) / followed_days)
    assert density_ratio > 2
    before = (joined.start - joined.date).dt.days
    with_baseline = joined[before.between(0, 30)].groupby([*KEY, "course"]).ngroups
    assert 0.85 <= with_baseline / len(courses) <= 0.97  # some courses lack a baseline count


def test_some_patients_have_no_count_after_course_1(
    cohort: dict[str, pd.DataFrame], courses: pd.DataFrame
) -> None:
    first = courses.query("course == 1")[[*KEY, "start"]]
    counts = cohort["platelet_counts"].merge(first, on=KEY)
    later = counts[counts.date > counts.start].groupby(KEY).size()
    without = len(first) - len(later)
    assert 0 < without <= 0.05 * len(first)


def _count_response(cohort: dict[str, pd.DataFrame], courses: pd.DataFrame) -> pd.Series:
    """A rough responder flag per course: two counts >= 30 more than 7 days apart in the 180 days
    after the start, leaving out counts in the 28 days after a rescue (bleeding, the 2x baseline
    rule and the other window ends are ignored)."""
    treatments = cohort["treatments"]
    rescue = treatments[
        treatments.drug.isin(["ivig", "platelet_transfusion"]) | treatments.rescue.eq(True)
    ]
    counts = cohort["platelet_counts"]
    near = counts.merge(rescue[[*KEY, "start_date"]], on=KEY)
    since_rescue = (near.date - near.start_date).dt.days
    spoiled = near.loc[since_rescue.between(0, 28), ["center", "line"]].drop_duplicates()
    flagged = counts.merge(spoiled, on=["center", "line"], how="left", indicator=True)
    counts = counts[(flagged["_merge"] == "left_only").to_numpy()]
    joined = counts.merge(courses[[*KEY, "course", "start"]], on=KEY)
    after = (joined.date - joined.start).dt.days
    high = joined[(after > 0) & (after <= 180) & (joined.platelets >= 30)]
    span = high.groupby([*KEY, "course"]).date.agg(lambda d: (d.max() - d.min()).days)
    responded = span > 7
    return responded.reindex(courses.set_index([*KEY, "course"]).index, fill_value=False)


def test_responses_are_realistic_and_agree_with_the_investigator(
    cohort: dict[str, pd.DataFrame], courses: pd.DataFrame
) -> None:
    by_counts = _count_response(cohort, courses)
    first = by_counts.xs(1, level="course")
    assert 0.55 <= first.mean() <= 0.8
    ia = cohort["investigator_assessments"].set_index([*KEY, "course_number"]).response
    ia.index = ia.index.set_names([*KEY, "course"])
    recorded = ia.isin(["CR", "R"]).reindex(by_counts.index)
    assert (recorded == by_counts).mean() >= 0.8
    table = ia.unstack("course")
    again = table[2].dropna()
    responded_first = table.loc[again.index, 1].isin(["CR", "R"])
    responders_again = again[responded_first].isin(["CR", "R"]).mean()
    failures_again = again[table.loc[again.index, 1] == "NR"].isin(["CR", "R"]).mean()
    assert responders_again > 0.6 and failures_again < 0.3


def test_responses_last_months_to_years(cohort: dict[str, pd.DataFrame]) -> None:
    ia = cohort["investigator_assessments"].dropna(
        subset=["response_date", "loss_of_response_date"]
    )
    duration = (ia.loss_of_response_date - ia.response_date).dt.days
    assert duration.min() > 0
    assert 120 <= duration.median() <= 1500
    assert duration.quantile(0.9) > 730


def test_treatment_history(cohort: dict[str, pd.DataFrame], courses: pd.DataFrame) -> None:
    treatments = cohort["treatments"]
    first = courses.query("course == 1")[[*KEY, "start"]]
    joined = treatments.merge(first, on=KEY)
    steroids_before = joined[
        joined.drug.isin(["prednisone", "dexamethasone"]) & (joined.start_date < joined.start)
    ]
    assert steroids_before.groupby(KEY).ngroups / len(first) > 0.85
    later = joined[joined.start_date > joined.start]
    assert later.drug.isin(["eltrombopag", "romiplostim", "avatrombopag"]).any()
    assert later.drug.isin(["azathioprine", "mycophenolate", "ciclosporin", "sirolimus"]).any()
    assert later.drug.isin(["ivig"]).any() and later.drug.isin(["platelet_transfusion"]).any()
    assert treatments.drug.eq("splenectomy").any()
    premedication = treatments.query("drug == 'methylprednisolone' and start_date == end_date")
    assert len(premedication) > 0
    rescue_flagged = treatments.query("drug == 'methylprednisolone' and rescue == True")
    assert len(rescue_flagged) > 0 and rescue_flagged.end_date.isna().all()
    others = treatments.query("drug == 'other'")
    assert others.drug_detail.notna().all()


def test_secondary_itp_has_a_cause(cohort: dict[str, pd.DataFrame]) -> None:
    patients = cohort["patients"]
    secondary = patients.itp_type == "secondary"
    assert 0.1 <= secondary.mean() <= 0.2
    assert patients.loc[secondary, "secondary_cause"].notna().all()
    assert patients.loc[~secondary, "secondary_cause"].isna().all()


def test_events_deaths_and_biomarkers(cohort: dict[str, pd.DataFrame]) -> None:
    patients, adverse = cohort["patients"], cohort["adverse_events"]
    dead = patients.death_date.notna()
    assert 0.005 <= dead.mean() <= 0.1
    assert (patients.loc[dead, "death_date"] >= patients.loc[dead, "last_followup_date"]).all()
    assert patients.loc[dead, "death_cause"].notna().all()
    events = set(adverse.event)
    assert {"infusion_reaction", "infection", "hypogammaglobulinemia", "death"} <= events
    infusion_days = cohort["treatments"].query("drug == 'rituximab'")[[*KEY, "start_date"]]
    reactions = adverse.query("event == 'infusion_reaction'").merge(
        infusion_days, left_on=[*KEY, "onset_date"], right_on=[*KEY, "start_date"], how="left"
    )
    assert reactions.start_date.notna().all()  # on an infusion day
    bleeding = cohort["bleeding_events"]
    assert bleeding.severe.any() and (bleeding.site == "intracranial").sum() < 0.02 * len(bleeding)
    assert {"igg", "cd19", "ana", "maipa_gpiibiiia"} <= set(cohort["biomarkers"].test)


def test_every_date_lies_between_1901_and_the_extraction_day(
    cohort: dict[str, pd.DataFrame],
) -> None:
    for table in cohort.values():
        for column in table.columns:
            if pd.api.types.is_datetime64_any_dtype(table[column]):
                dates = table[column].dropna()
                assert (dates >= "1901-01-01").all(), column
                if column != "end_date":  # a treatment's planned end may lie ahead
                    assert (dates <= "2025-06-30").all(), column


def test_summary_counts_match_the_cohort(tmp_path: Path) -> None:
    summary: SynthSummary = generate_study(tmp_path / "s", 50, 2, seed=9)
    assert summary.patients == 50 and summary.centers == ("TLS", "PAR")
    assert summary.rows["platelet_counts"] > 50 * 15 and summary.elapsed_seconds > 0
