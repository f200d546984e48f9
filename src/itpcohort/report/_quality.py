"""Section verbs of robustness and traceability: sensitivity analyses, investigator agreement,
data quality and reproducibility (``flagship-study.md`` Analyses 7–8, Outputs of run).

``data_quality`` and ``provenance`` are added to results.json by the pipeline; when absent, their
sections say "not available" rather than guess. File paths, hashes, codes and rejection reasons are
data and are shown verbatim.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from itpcohort.criteria import PARAMETERS
from itpcohort.report._blocks import Cell, Table, Text
from itpcohort.report._build import (
    analysis_note,
    header_row,
    heading,
    label_row,
    make_table,
    not_available,
    paragraph,
)
from itpcohort.report._format import MISSING
from itpcohort.report._listings import (
    assessments_without_course_table,
    discordant_table,
    rejections_table,
)
from itpcohort.report._methods import PARAMETER_NAMES, criteria_overrides, protocol_listing

if TYPE_CHECKING:
    from itpcohort.report._report import Report

LEVELS = ("CR", "R", "NR", "NE")


def sensitivity_table(report: Report) -> Table:
    """The results table of each sensitivity run side by side, the primary analysis first."""
    t, f = report.t, report.t.fmt
    runs: Sequence[Mapping[str, Any]] = report.results.get("sensitivity") or []
    header = header_row(
        t("sens.measure"), *(t.label("sensitivity.short", str(r.get("name"))) for r in runs)
    )
    done = [r.get("status") == "done" for r in runs]

    def cells(key: str, render: Callable[[Any], str]) -> list[str]:
        return [
            render(r.get(key)) if ok else t("sens.not_run")
            for r, ok in zip(runs, done, strict=True)
        ]

    def median(months: Any) -> str:
        return f.number(months, 1) if months is not None else t("km.not_reached")

    rows: list[tuple[Cell, ...]] = [
        label_row(t("sens.n_patients"), *cells("n_patients", f.integer)),
    ]
    for key in (
        "orr_course2",
        "cr_course2",
        "orr_course1",
        "response2_among_responders1",
        "response2_among_nonresponders1",
        "response_similar_or_better",
        "duration_similar_or_longer",
    ):
        rows.append(label_row(t(f"sens.{key}"), *cells(key, f.n_of)))
        rows.append(label_row(f.ci_label(), *cells(key, f.proportion_ci), indent=1))
    rows.append(label_row(t("sens.mcnemar_p"), *cells("mcnemar_p", f.p_value)))
    for course in (1, 2):
        rows.append(
            label_row(
                t("sens.median_duration", course=course),
                *cells(f"median_duration_course{course}_months", median),
            )
        )
    rows.append(
        label_row(t("sens.odds_ratio"), *cells("response_course1_odds_ratio", f.odds_ratio))
    )
    rows.append(
        label_row(t("sens.odds_ratio_p"), *cells("response_course1_p", f.p_value), indent=1)
    )
    notes: list[str | tuple[Text, ...]] = [t("sens.note")]
    for run in runs:
        if run.get("note"):
            label = t.label("sensitivity.short", str(run.get("name")))
            notes.append(
                (*paragraph(label + t("colon")).parts, *analysis_note(t, str(run["note"])))
            )
    return make_table(report, "sensitivity", t("sens.caption"), [header], rows, notes)


def add_sensitivity(report: Report) -> Report:
    """Append the sensitivity analyses side by side."""
    report = report.append(heading(report, 2, "section.results.sensitivity"))
    if not report.results.get("sensitivity"):
        return report.append(not_available(report, "sens.what"))
    report = report.append(
        paragraph(report.t("results.sensitivity", table=report.next_table_number()))
    )
    return report.append(sensitivity_table(report))


def add_agreement(report: Report) -> Report:
    """Append the investigator agreement: kappa, the 4 × 4 table and every discordant course."""
    t, f = report.t, report.t.fmt
    agreement: Mapping[str, Any] | None = report.results.get("investigator_agreement")
    report = report.append(heading(report, 2, "section.results.agreement"))
    if not agreement:
        return report.append(not_available(report, "agree.what"))
    kappa = agreement.get("kappa")
    not_assessed = int(agreement.get("not_assessed") or 0)
    coverage = (
        t(
            "agree.not_assessed",
            not_assessed=f.integer(not_assessed),
            courses=f.integer(agreement.get("n_included_courses")),
        )
        if not_assessed
        else t("agree.all_assessed")
    )
    report = report.append(
        paragraph(
            t(
                "results.agreement",
                n=f.integer(agreement.get("n_courses")),
                agreement=f.proportion_with_ci(agreement.get("agreement")),
                kappa=f.ratio(kappa) if kappa is not None else t("na"),
                ci_label=f.ci_label(),
                ci=f.ci(agreement.get("kappa_ci_low"), agreement.get("kappa_ci_high"), 2),
            )
            + " "
            + coverage
        )
    )
    if agreement.get("note"):
        report = report.append(paragraph(*analysis_note(t, str(agreement["note"])), style="note"))
    if agreement.get("n_no_course"):
        report = report.append(
            paragraph(t("agree.no_course", n=f.integer(agreement.get("n_no_course"))))
        )
    if agreement.get("by_center"):
        report = report.append(assessments_by_center_table(report, agreement))
    counts: list[list[int]] = agreement.get("table") or []
    header = [
        (Cell(t("agree.investigator")), Cell(t("agree.derived"), span=len(LEVELS))),
        header_row("", *(t.label("response.short", lv) for lv in LEVELS)),
    ]
    rows: list[tuple[Cell, ...]] = [
        label_row(t.label("response.short", level), *(f.integer(v) for v in counts[i]))
        for i, level in enumerate(LEVELS)
        if i < len(counts)
    ]
    report = report.append(
        make_table(report, "agreement", t("agree.caption"), header, rows, [t("agree.note")])
    )
    discordant: Sequence[Mapping[str, Any]] = agreement.get("discordant") or []
    if not discordant:
        return report.append(paragraph(t("agree.none_discordant")))
    return report.append(discordant_table(report, discordant))


def assessments_by_center_table(report: Report, agreement: Mapping[str, Any]) -> Table:
    """Courses of the included patients per center: assessed by the investigator or not, n (%)."""
    t, f = report.t, report.t.fmt
    centers: Sequence[Mapping[str, Any]] = agreement.get("by_center") or []

    def share(n: Any, total: Any) -> str:
        pct = 100.0 * float(n) / float(total) if total else None
        return f.n_pct({"n": n, "pct": pct})

    def line(label: str, entry: Mapping[str, Any], bold: bool = False) -> tuple[Cell, ...]:
        total = entry.get("courses")
        return (
            Cell(label, verbatim=not bold, bold=bold),
            Cell(f.integer(total), bold=bold),
            Cell(share(entry.get("assessed"), total), bold=bold),
            Cell(share(entry.get("not_assessed"), total), bold=bold),
        )

    rows = [line(str(c.get("center")), c) for c in centers]
    total = {
        key: sum(int(c.get(key) or 0) for c in centers)
        for key in ("courses", "assessed", "not_assessed")
    }
    rows.append(line(t("agree.total"), total, bold=True))
    header = [
        header_row(
            t("dq.center"), t("agree.courses"), t("agree.assessed"), t("agree.not_assessed_col")
        )
    ]
    return make_table(
        report,
        "assessments_by_center",
        t("agree.by_center_caption"),
        header,
        rows,
        [t("agree.by_center_note")],
    )


def add_data_quality(report: Report) -> Report:
    """Append the data quality: rows read, loaded and rejected per center and table, first
    rejections, and the investigator assessments of a course that does not exist."""
    quality: Mapping[str, Any] | None = report.results.get("data_quality")
    report = report.append(heading(report, 1, "section.data_quality"))
    if not quality:
        report = report.append(not_available(report, "dq.what"))
    else:
        report = _import_quality(report, quality)
    return _assessments_without_course(_omop_quality(report))


def _import_quality(report: Report, quality: Mapping[str, Any]) -> Report:
    """Rows read, loaded and rejected per center and table, and the first rejected rows."""
    t, f = report.t, report.t.fmt
    tables: Sequence[Mapping[str, Any]] = quality.get("tables") or []
    report = report.append(
        paragraph(
            t(
                "results.data_quality",
                read=f.integer(sum(int(r.get("rows_read") or 0) for r in tables)),
                loaded=f.integer(sum(int(r.get("rows_loaded") or 0) for r in tables)),
                rejected=f.integer(sum(int(r.get("rows_rejected") or 0) for r in tables)),
                warnings=f.integer(quality.get("n_warnings")),
            )
        )
    )
    rows: list[tuple[Cell, ...]] = [
        (
            Cell(str(r.get("center")), verbatim=True),
            Cell(str(r.get("table")), verbatim=True, align="left"),
            Cell(f.integer(r.get("rows_read"))),
            Cell(f.integer(r.get("rows_loaded"))),
            Cell(f.integer(r.get("rows_rejected"))),
        )
        for r in tables
    ]
    header = [
        (
            Cell(t("dq.center")),
            Cell(t("dq.table"), align="left"),
            *header_row(t("dq.read"), t("dq.loaded"), t("dq.rejected")),
        )
    ]
    report = report.append(make_table(report, "data_quality", t("dq.caption"), header, rows))
    if not quality.get("first_rejections"):
        return report.append(paragraph(t("dq.no_rejection")))
    return report.append(rejections_table(report, quality))


def _assessments_without_course(report: Report) -> Report:
    """The investigator assessments of a course the derivation does not have, counted and listed."""
    t, f = report.t, report.t.fmt
    agreement: Mapping[str, Any] = report.results.get("investigator_agreement") or {}
    listed: Sequence[Mapping[str, Any]] = agreement.get("no_course") or []
    if not listed:
        return report
    report = report.append(paragraph(t("dq.no_course", n=f.integer(len(listed)))))
    return report.append(assessments_without_course_table(report, listed))


def add_reproducibility(report: Report) -> Report:
    """Append software versions, input hashes and every criteria parameter."""
    t, f, results = report.t, report.t.fmt, report.results
    rows: list[tuple[Cell, ...]]
    report = report.append(heading(report, 1, "section.reproducibility"))
    report = report.append(
        paragraph(
            t(
                "repro.text",
                generated=results.get("generated_at") or t("na"),
            )
        )
    )
    report = report.append(*protocol_listing(report))
    provenance: Mapping[str, Any] | None = results.get("provenance")
    if not provenance:
        report = report.append(not_available(report, "repro.what"))
    else:
        versions = [
            ("itpcohort", provenance.get("itpcohort_version") or results.get("itpcohort_version")),
            ("Python", provenance.get("python")),
            ("DuckDB", provenance.get("duckdb")),
            ("Ibis", provenance.get("ibis")),
        ]
        rows = [
            (Cell(name, verbatim=True), Cell(str(v) if v else t("na"), verbatim=bool(v)))
            for name, v in versions
        ]
        report = report.append(
            make_table(
                report,
                "software",
                t("repro.software_caption"),
                [header_row(t("repro.software"), t("repro.version"))],
                rows,
            )
        )
        inputs: Sequence[Mapping[str, Any]] = provenance.get("inputs") or []
        rows = [
            (
                Cell(str(i.get("path")), verbatim=True),
                Cell(str(i.get("sha256")), verbatim=True, align="left"),
            )
            for i in inputs
        ]
        if rows:
            report = report.append(
                make_table(
                    report,
                    "inputs",
                    t("repro.inputs_caption"),
                    [(Cell(t("dq.file")), Cell(t("repro.sha256"), align="left"))],
                    rows,
                )
            )
    criteria: Mapping[str, Any] = results.get("criteria") or {}
    overrides = criteria_overrides(criteria) or {}
    unused = unused_parameters(report)
    rows = [
        (
            Cell(name, verbatim=True),
            Cell(t.label("param", name), align="left"),
            Cell(
                f.number(criteria[name], 0 if float(criteria[name]).is_integer() else 2)
                if isinstance(criteria.get(name), int | float)
                else str(criteria.get(name, MISSING))
            ),
            Cell(t("repro.overridden") if name in overrides else ""),
        )
        for name in [
            *PARAMETER_NAMES,
            *(
                k
                for k in criteria
                if k not in PARAMETER_NAMES and k not in ("name", "version", "overrides")
            ),
        ]
        if name in criteria and name not in unused
    ]
    header = [
        (
            Cell(t("repro.parameter")),
            Cell(t("repro.meaning"), align="left"),
            *header_row(t("repro.value"), t("repro.override")),
        )
    ]
    settings: Mapping[str, Any] = results.get("analysis") or {}
    for name, value in settings.items():
        rows.append(
            (
                Cell(name, verbatim=True),
                Cell(t.label("param", name), align="left"),
                Cell(
                    f.number(value, 0 if float(value).is_integer() else 2)
                    if isinstance(value, int | float)
                    else str(value)
                ),
                Cell(""),
            )
        )
    caption = t(
        "repro.criteria_caption",
        name=str(criteria.get("name", MISSING)),
        version=str(criteria.get("version", MISSING)),
    )
    notes = [t("repro.unused_parameters")] if unused else []
    report = report.append(make_table(report, "criteria", caption, header, rows, notes))
    return _omop_mapping(report)


def unused_parameters(report: Report) -> set[str]:
    """The criteria parameters the protocol's courses do not use (``Parameter.used_by``): not
    listed in the reproducibility table, whose note says so."""
    kind = report.protocol.courses.kind
    return {p.name for p in PARAMETERS if not p.used_by(kind)}


def _omop_mapping(report: Report) -> Report:
    """The OMOP -> canonical mapping a source read in place went through (``omop.md``), line by
    line, verbatim; nothing for a study read from files."""
    omop: Mapping[str, Any] | None = report.results.get("omop")
    if not omop:
        return report
    rows = [
        (Cell(line, verbatim=True, align="left"),) for line in str(omop["mapping"]).splitlines()
    ]
    caption = f"OMOP CDM mapping ({omop['source']})"
    return report.append(
        make_table(report, "omop_mapping", caption, [(Cell("mapping.toml", align="left"),)], rows)
    )


def _omop_quality(report: Report) -> Report:
    """What an OMOP source could not carry and how each rule then reads (``omop.md``)."""
    omop: Mapping[str, Any] | None = report.results.get("omop")
    if not omop:
        return report
    report = report.append(
        paragraph(
            Text(
                f"Read in place from {omop['source']} on {omop['engine']}; rows per OMOP table "
                "above. What the OMOP CDM could not carry, and how each rule then reads:",
                verbatim=True,
            )
        )
    )
    for line in omop.get("not_carried") or []:
        report = report.append(paragraph(Text(f"- {line}", verbatim=True)))
    return report
