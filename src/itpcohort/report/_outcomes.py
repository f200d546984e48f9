"""Section verbs of the outcomes: response by course, retreatment comparisons, duration of response.

``flagship-study.md`` Analyses 2–4. Every number comes from ``results.json``: ``courses[]``,
``later_courses[]``, ``cross_table``, ``retreatment``, ``time_to_response[]`` and ``duration``. The
derived tables serve only the Kaplan–Meier step curves and the swimmer plot, drawn for the
included patients as the analysis layer selects them (``select_population``, not redone here);
the swimmer plot (``_listings.add_swimmer``: a compact main figure and the complete plot,
capped) draws the rescue and new-treatment starts of the ``patient_treatment_events`` mart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from itpcohort.analysis.population import Population, select_population
from itpcohort.report._blocks import Cell, Table
from itpcohort.report._build import (
    course_entry,
    get,
    header_row,
    heading,
    label_row,
    make_figure,
    make_table,
    not_available,
    p_text,
    paragraph,
)
from itpcohort.report._figures import km_figure, transitions_figure
from itpcohort.report._format import quantile_decimals
from itpcohort.report._listings import add_swimmer, draw_swimmer

if TYPE_CHECKING:
    from itpcohort.report._report import Report

LEVELS = ("CR", "R", "NR", "NE")
COMPARED = (1, 2)


def included_population(report: Report) -> Population | None:
    """The included patients and their courses, selected by the analysis layer (None without tables).

    The population handed to the report (``Report.population``) when there is one; otherwise
    ``select_population`` on the derived tables under results.json's ``analysis.min_age``.
    """
    if report.derived is None:
        return None
    if report.population is not None:
        return report.population
    min_age = int(get(report.results, "analysis", "min_age") or 18)
    return select_population(report.derived.checked(), min_age)


def treatment_events(report: Report) -> pd.DataFrame | None:
    """The ``patient_treatment_events`` mart, typed (None when the pipeline did not provide it)."""
    if report.derived is None or report.derived.treatment_events is None:
        return None
    return report.derived.checked().treatment_events


def response_table(report: Report) -> Table:
    """Response by course: CR/R/NR/NE counts per course, ORR and CR rate with their CIs."""
    t, f, results = report.t, report.t.fmt, report.results
    courses: Sequence[Mapping[str, Any]] = results.get("courses") or []
    later: Sequence[Mapping[str, Any]] = results.get("later_courses") or []
    n = get(results, "cohort", "n_patients")
    header = [t("resp.response")]
    header += [t("resp.course_n", course=c.get("course"), n=f.integer(n)) for c in courses]
    header += [
        t("resp.course_n", course=c.get("course"), n=f.integer(c.get("n_patients"))) for c in later
    ]
    rows = []
    for level in LEVELS:
        rows.append(
            label_row(
                t.label("response.long", level),
                *(f.integer(c.get(level)) for c in courses),
                *(f.integer(c.get(level)) for c in later),
            )
        )
    dash = ["–"] * len(later)
    for key, message_id in (("orr", "resp.orr"), ("cr", "resp.cr_rate")):
        rows.append(label_row(t(message_id), *(f.n_of(c.get(key)) for c in courses), *dash))
        rows.append(
            label_row(
                f.ci_label(), *(f.proportion_ci(c.get(key)) for c in courses), *dash, indent=1
            )
        )
    notes = [t("resp.note")]
    if later:
        notes.append(t("resp.note_later"))
    return make_table(
        report, "response_by_course", t("resp.caption"), [header_row(*header)], rows, notes
    )


def primary_table(report: Report) -> Table:
    """The primary outcome: ORR and CR rate after course 2, over all included patients."""
    t, f = report.t, report.t.fmt
    retreatment = report.results.get("retreatment") or {}
    rows = [
        label_row(
            t("primary.orr2"),
            f.n_of(retreatment.get("orr_course2")),
            f.proportion_ci(retreatment.get("orr_course2")),
        ),
        label_row(
            t("primary.cr2"),
            f.n_of(retreatment.get("cr_course2")),
            f.proportion_ci(retreatment.get("cr_course2")),
        ),
    ]
    return make_table(
        report,
        "primary_outcome",
        t("primary.caption"),
        [header_row(t("primary.outcome"), t("primary.n_of"), f.ci_label())],
        rows,
        [t("primary.note")],
    )


def cross_table(report: Report) -> Table:
    """The 4 × 4 table of the responses to courses 1 (rows) and 2 (columns), with totals."""
    t, f, results = report.t, report.t.fmt, report.results
    cross = results.get("cross_table") or {}
    levels: list[str] = list(cross.get("levels") or LEVELS)
    counts: list[list[int]] = cross.get("counts") or [[0] * len(levels) for _ in levels]
    course1 = course_entry(results.get("courses"), 1)
    course2 = course_entry(results.get("courses"), 2)
    header = [
        (Cell(t("cross.course1")), Cell(t("cross.course2"), span=len(levels)), Cell("")),
        header_row("", *(t.label("response.short", lv) for lv in levels), t("cross.total")),
    ]
    rows = [
        label_row(
            t.label("response.short", level),
            *(f.integer(v) for v in counts[i]),
            f.integer(course1.get(level)),
        )
        for i, level in enumerate(levels)
    ]
    rows.append(
        label_row(
            t("cross.total"),
            *(f.integer(course2.get(lv)) for lv in levels),
            f.integer(get(results, "cohort", "n_patients")),
            bold=True,
        )
    )
    return make_table(
        report, "cross_course1_course2", t("cross.caption"), header, rows, [t("cross.note")]
    )


def add_response(report: Report) -> Report:
    """Append the primary outcome and the response by course (tables, cross-table, figure)."""
    t, f, results = report.t, report.t.fmt, report.results
    retreatment = results.get("retreatment") or {}
    report = report.append(heading(report, 2, "section.results.primary"))
    report = report.append(
        paragraph(
            t(
                "results.primary",
                orr=f.proportion_with_ci(retreatment.get("orr_course2")),
                cr=f.proportion_with_ci(retreatment.get("cr_course2")),
            )
        ),
    )
    report = report.append(primary_table(report))
    report = report.append(heading(report, 2, "section.results.by_course"))
    report = report.append(
        paragraph(
            t(
                "results.by_course",
                responders=f.proportion_with_ci(retreatment.get("response2_among_responders1")),
                nonresponders=f.proportion_with_ci(
                    retreatment.get("response2_among_nonresponders1")
                ),
                ne=f.n_of(retreatment.get("response2_among_ne1")),
                b=f.integer(retreatment.get("mcnemar_b")),
                c=f.integer(retreatment.get("mcnemar_c")),
                p=p_text(t, retreatment.get("mcnemar_p")),
            )
        )
    )
    report = report.append(response_table(report))
    report = report.append(cross_table(report))
    image = transitions_figure(results, t)
    if image is None:
        return report.append(not_available(report, "fig.transitions.what"))
    return report.append(
        make_figure(
            report,
            image,
            t("fig.transitions.caption", n=f.integer(get(results, "cohort", "n_patients"))),
            t("fig.transitions.alt"),
        )
    )


def retreatment_table(report: Report) -> Table:
    """Retreatment comparisons (``response-criteria.md`` section 7) with their denominators."""
    t, f = report.t, report.t.fmt
    retreatment = report.results.get("retreatment") or {}
    lines = (
        ("response2_among_responders1", "retr.among_responders1"),
        ("response2_among_nonresponders1", "retr.among_nonresponders1"),
        ("response2_among_ne1", "retr.among_ne1"),
        ("response_similar_or_better", "retr.similar_or_better"),
        ("duration_similar_or_longer", "retr.similar_or_longer"),
    )
    rows = [
        label_row(
            t(message_id), f.n_of(retreatment.get(key)), f.proportion_ci(retreatment.get(key))
        )
        for key, message_id in lines
    ]
    rows.append(
        label_row(
            t("retr.mcnemar"),
            t(
                "retr.discordant",
                b=f.integer(retreatment.get("mcnemar_b")),
                c=f.integer(retreatment.get("mcnemar_c")),
            ),
            p_text(t, retreatment.get("mcnemar_p")),
        )
    )
    return make_table(
        report,
        "retreatment",
        t("retr.caption"),
        [header_row(t("retr.comparison"), t("primary.n_of"), f.ci_label())],
        rows,
        [t("retr.note")],
    )


def add_retreatment(report: Report) -> Report:
    """Append the retreatment comparisons (response type, duration, McNemar)."""
    t, f = report.t, report.t.fmt
    retreatment = report.results.get("retreatment") or {}
    report = report.append(heading(report, 2, "section.results.retreatment"))
    report = report.append(
        paragraph(
            t(
                "results.retreatment",
                similar=f.proportion_with_ci(retreatment.get("response_similar_or_better")),
                longer=f.proportion_with_ci(retreatment.get("duration_similar_or_longer")),
            )
        )
    )
    return report.append(retreatment_table(report))


def _duration_rows(report: Report, key: str, message_id: str) -> list[tuple[Cell, ...]]:
    t, f = report.t, report.t.fmt
    summaries = [course_entry(get(report.results, "duration", key), c) for c in COMPARED]
    rows = [label_row(t(message_id), *("" for _ in COMPARED), bold=True)]
    rows.append(
        label_row(
            t("dur.n_events"),
            *(
                (
                    f"{f.integer(s.get('n'))} / {f.integer(s.get('events'))}"
                    if s.get("n")
                    else f.empty_group()
                )
                if s
                else "–"
                for s in summaries
            ),
            indent=1,
        )
    )
    rows.append(
        label_row(
            t("dur.median", ci=f.ci_label()),
            *(
                (
                    f.median_ci(
                        s.get("median_months"),
                        s.get("ci_low_months"),
                        s.get("ci_high_months"),
                        t("km.not_reached"),
                    )
                    if s.get("n")
                    else f.empty_group()
                )
                if s
                else "–"
                for s in summaries
            ),
            indent=1,
        )
    )
    for month in (6, 12, 24, 36):
        rows.append(
            label_row(
                t("dur.at_risk", months=month),
                *(f.integer(get(s, "at_risk", f"m{month}")) if s else "–" for s in summaries),
                indent=1,
            )
        )
    return rows


def duration_table(report: Report) -> Table:
    """Time to response and duration of response (and of CR) by course, Kaplan–Meier."""
    t, f = report.t, report.t.fmt
    rows: list[tuple[Cell, ...]] = [label_row(t("dur.time_to_response"), "", "", bold=True)]
    ttr = [course_entry(report.results.get("time_to_response"), c) for c in COMPARED]
    rows.append(
        label_row(
            t("dur.responders"), *(f.integer(q.get("n")) if q else "–" for q in ttr), indent=1
        )
    )
    decimals = quantile_decimals(ttr)
    rows.append(
        label_row(
            t("dur.ttr_median"), *(f.median_iqr(q, decimals) if q else "–" for q in ttr), indent=1
        )
    )
    rows += _duration_rows(report, "by_course", "dur.response")
    rows += _duration_rows(report, "cr_by_course", "dur.cr")
    return make_table(
        report,
        "duration",
        t("dur.caption"),
        [header_row("", *(t("resp.course", course=c) for c in COMPARED))],
        rows,
        [t("dur.note")],
    )


def add_duration(report: Report) -> Report:
    """Append time to response and duration of response: table, KM figure, swimmer plot."""
    t, f, results = report.t, report.t.fmt, report.results
    report = report.append(heading(report, 2, "section.results.duration"))
    by_course = [course_entry(get(results, "duration", "by_course"), c) for c in COMPARED]
    medians = [
        t("km.months", value=f.number(s.get("median_months"), 1))
        if s.get("median_months") is not None
        else t("km.not_reached" if s.get("n") else "km.no_responder")
        for s in by_course
    ]
    table = report.next_table_number()  # the duration table's, cited in the text and the KM caption
    report = report.append(
        paragraph(t("results.duration", median1=medians[0], median2=medians[1], table=table))
    )
    report = report.append(duration_table(report))
    population = included_population(report)
    if population is None:
        return report.append(
            not_available(report, "fig.km.what"), not_available(report, "fig.swimmer.what")
        )
    for complete in (False, True):
        image = report.figure_image(
            "km_cr" if complete else "km",
            partial(km_figure, results, population.courses, t, complete=complete),
        )
        if image is None:
            report = report.append(not_available(report, "fig.km.what"))
            continue
        report = report.append(
            make_figure(
                report,
                image,
                t("fig.km_cr.caption" if complete else "fig.km.caption", table=table),
                t("fig.km.alt"),
            )
        )
    drawn = report.drawn_swimmer
    artwork = (
        drawn()
        if drawn is not None
        else draw_swimmer(population, treatment_events(report), t, report.limits)
    )
    return add_swimmer(report, artwork)
