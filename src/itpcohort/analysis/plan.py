"""The analysis plan of the flagship study, run end to end (``flagship-study.md``, Analyses 1–8).

``analyse`` takes the executed derived tables of the primary derivation and of each sensitivity
re-derivation and returns one ``StudyResults``. It never raises on the content of a valid cohort:
an analysis that cannot be done (no patient, no responder, separation, no adverse event, no
investigator assessment) gives empty values and a note instead.
"""

from __future__ import annotations

from collections.abc import Mapping

import itpcohort
from itpcohort.analysis.agreement import investigator_agreement
from itpcohort.analysis.baseline import baseline_table, switch_rows
from itpcohort.analysis.population import Population, drop_patients_with_ne, select_population
from itpcohort.analysis.predictors import (
    FirthModel,
    factor_frame,
    fit_firth,
    plan_factors,
    predictors,
)
from itpcohort.analysis.response import (
    conditional_response,
    course_response,
    cross_table,
    later_courses,
    mcnemar_exact,
)
from itpcohort.analysis.results import RetreatmentResults, StudyResults, TimeToResponse
from itpcohort.analysis.retreatment_outcomes import (
    duration_by_course,
    retreatment_comparison,
    time_to_response,
)
from itpcohort.analysis.safety import safety
from itpcohort.analysis.sensitivity import SensitivityRow, SensitivityRun, sensitivity_runs
from itpcohort.analysis.switch import switch_analysis
from itpcohort.analysis.tables import AnalysisInputError, DerivedTables
from itpcohort.config import StudyConfig

COMPARED_COURSES = (1, 2)


def _retreatment(population: Population) -> RetreatmentResults:
    patients = population.patients
    course2 = course_response(patients, 2)
    conditional = conditional_response(patients)
    comparison = retreatment_comparison(patients)
    test = mcnemar_exact(patients)
    return RetreatmentResults(
        orr_course2=course2.orr,
        cr_course2=course2.cr,
        response2_among_responders1=conditional.among_responders1,
        response2_among_nonresponders1=conditional.among_nonresponders1,
        response2_among_ne1=conditional.among_ne1,
        response_similar_or_better=comparison.response_similar_or_better,
        duration_similar_or_longer=comparison.duration_similar_or_longer,
        mcnemar_p=test.p,
        mcnemar_b=test.b,
        mcnemar_c=test.c,
    )


def _sensitivity_row(
    run: SensitivityRun | None,
    name: str,
    label: str,
    population: Population,
    firth: FirthModel | None = None,
) -> SensitivityRow:
    patients = population.patients
    retreatment = _retreatment(population)
    durations = [duration_by_course(patients, course)[0] for course in COMPARED_COURSES]
    if firth is None:
        firth = fit_firth(factor_frame(patients), ["response_course1"])
    term = firth.terms[0] if firth.terms else None
    return SensitivityRow(
        name=name,
        label=label,
        criteria_overrides=dict(run.criteria_overrides) if run else {},
        status="done",
        n_patients=len(patients),
        orr_course2=retreatment.orr_course2,
        cr_course2=retreatment.cr_course2,
        orr_course1=course_response(patients, 1).orr,
        response2_among_responders1=retreatment.response2_among_responders1,
        response2_among_nonresponders1=retreatment.response2_among_nonresponders1,
        response_similar_or_better=retreatment.response_similar_or_better,
        duration_similar_or_longer=retreatment.duration_similar_or_longer,
        mcnemar_p=retreatment.mcnemar_p,
        median_duration_course1_days=durations[0].median_days,
        median_duration_course2_days=durations[1].median_days,
        median_duration_course1_months=durations[0].median_months,
        median_duration_course2_months=durations[1].median_months,
        response_course1_odds_ratio=term.odds_ratio if term else None,
        response_course1_p=term.p if term else None,
        note=firth.note if term is None else None,
    )


def rederived_sensitivity_row(
    run: SensitivityRun, tables: DerivedTables, min_age: int
) -> SensitivityRow:
    """The results table of one sensitivity run on the tables derived again under its
    ``criteria_overrides`` (``flagship-study.md`` Analysis 7): its population selected anew (and
    its NE patients dropped when the run says so), then the same rows as the primary analysis."""
    population = select_population(tables.checked(), min_age)
    if run.drop_ne_courses:
        population = drop_patients_with_ne(population, run.drop_ne_courses)
    return _sensitivity_row(run, run.name, run.label, population)


def run_sensitivity(
    population: Population,
    config: StudyConfig,
    sensitivity_tables: Mapping[str, DerivedTables | SensitivityRow],
    primary_firth: FirthModel | None = None,
) -> list[SensitivityRow]:
    """The primary results table and one re-run per run of the protocol's ``design.sensitivity``
    (``sensitivity_runs``), side by side.

    ``sensitivity_tables`` holds, for each run that needs a re-derivation, its derived tables, or
    its row already computed from them (``rederived_sensitivity_row``, which ``run`` computes in
    another process). A run that needs a re-derivation but is not given is reported as
    ``not run``. ``primary_firth``: the Firth model of response to course 2 on response to course
    1 over ``population``, when already fitted (Analysis 5's ``response_course1_firth``);
    otherwise fitted here.
    """
    runs = sensitivity_runs(config.protocol.design.sensitivity)
    unknown = sorted(set(sensitivity_tables) - {run.name for run in runs})
    if unknown:
        raise AnalysisInputError(
            f"unknown sensitivity run(s) {', '.join(unknown)}; defined runs: "
            f"{', '.join(run.name for run in runs)}"
        )
    rows = [_sensitivity_row(None, "primary", "primary analysis", population, primary_firth)]
    for run in runs:
        if not run.needs_rederivation:
            run_population = population
            if run.drop_ne_courses:
                run_population = drop_patients_with_ne(run_population, run.drop_ne_courses)
            rows.append(_sensitivity_row(run, run.name, run.label, run_population))
            continue
        given = sensitivity_tables.get(run.name)
        if given is None:
            rows.append(
                SensitivityRow(
                    name=run.name,
                    label=run.label,
                    criteria_overrides=dict(run.criteria_overrides),
                    status="not run",
                    note="the tables of this re-derivation were not provided",
                )
            )
        elif isinstance(given, SensitivityRow):
            rows.append(given)
        else:
            rows.append(rederived_sensitivity_row(run, given, config.min_age))
    return rows


def analyse(
    tables: DerivedTables,
    config: StudyConfig,
    sensitivity_tables: Mapping[str, DerivedTables | SensitivityRow] | None = None,
    population: Population | None = None,
) -> StudyResults:
    """Run the whole analysis plan (Analyses 1–8) and return the typed results.

    ``tables`` are the derived tables of the primary derivation; ``sensitivity_tables`` maps the
    name of each sensitivity run that needs a re-derivation (``SENSITIVITY_RUNS``) to its tables,
    or to its row already computed (``run_sensitivity``).
    ``population``: ``select_population(tables.checked(), config.min_age)`` when the
    caller already has it (``run`` hands the same one to the report); otherwise selected here.
    ``generated_at`` is left empty: the caller sets it when writing results.json.
    """
    checked = tables.checked()
    if population is None:
        population = select_population(checked, config.min_age)
    patients = population.patients
    notes: list[str] = []
    if len(patients) == 0:
        notes.append(
            "no patient met the inclusion criteria: every result is empty (see flow for the "
            "exclusions)"
        )
    if population.flow.included and not patients["response_c2"].isin(["CR", "R"]).any():
        notes.append("no patient responded to course 2")

    response_courses = [course_response(patients, course) for course in COMPARED_COURSES]
    durations = [duration_by_course(patients, course)[0] for course in COMPARED_COURSES]
    cr_durations = [
        duration_by_course(patients, course, complete_response=True)[0]
        for course in COMPARED_COURSES
    ]
    for summary in durations:
        if summary.n and summary.events == 0:
            notes.append(
                f"course {summary.course}: every response duration is censored; the median "
                "duration is not reached"
            )
    plan_predictors = predictors(
        patients, config.analysis.selection_p, plan_factors(config.protocol)
    )
    agreement = investigator_agreement(
        checked.investigator_comparison, patients, population.courses
    )
    return StudyResults(
        criteria=dict(checked.criteria),
        analysis_settings={
            "selection_p": config.analysis.selection_p,
            "min_age": config.min_age,
        },
        flow=population.flow,
        cohort=baseline_table(
            patients,
            config.protocol.courses.regimen_names(),
            **(
                switch_rows(patients, config.protocol.courses.agents)
                if checked.first_switch
                else {}
            ),
        ),
        courses=response_courses,
        later_courses=later_courses(population.courses),
        cross_table=cross_table(patients),
        retreatment=_retreatment(population),
        time_to_response=[
            TimeToResponse(course, time_to_response(patients, course))
            for course in COMPARED_COURSES
        ],
        duration_by_course=durations,
        cr_duration_by_course=cr_durations,
        predictors=plan_predictors,
        safety=safety(patients, population.courses, checked.ae_by_course),
        sensitivity=run_sensitivity(
            population,
            config,
            sensitivity_tables or {},
            # the same model as Analysis 5's, on the same patients: fitted once
            plan_predictors.response_course1_firth,
        ),
        investigator_agreement=agreement,
        notes=notes,
        version=itpcohort.__version__,
        switch=switch_analysis(
            population.courses, config.protocol.courses.agents, checked.ae_by_course
        )
        if checked.first_switch
        else None,
    )


__all__ = ["analyse", "rederived_sensitivity_row", "run_sensitivity"]
