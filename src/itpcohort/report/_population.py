"""Section verb ``add_population``: the flow of patients (figure) and table 1 (baseline).

``flagship-study.md`` Population and Analysis 1. Categorical lines are ``n (%)`` of the included
patients, primary and secondary ITP as ``cohort.primary_itp`` and ``cohort.secondary_itp`` give them
(secondary causes: of the patients with secondary ITP; a cause that no patient has is not
listed); continuous lines are ``median [IQR]``, with ``n`` in the label when values are missing,
each line at a fixed precision whatever the data (``DECIMALS``: ages in whole years, months and
counts with one decimal, platelet counts whole). Patients per centre are ``n (%)`` (issue 17
item 15).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from itpcohort.report._blocks import Cell
from itpcohort.report._build import (
    get,
    group_row,
    header_row,
    heading,
    label_row,
    make_figure,
    make_table,
    paragraph,
)
from itpcohort.report._figures import flow_figure

if TYPE_CHECKING:
    from itpcohort.report._report import Report

CONTINUOUS_LINES = (
    ("age_at_diagnosis", "t1.age_at_diagnosis"),
    ("age_at_first_course", "t1.age_at_first_course"),
    ("itp_duration_course1_months", "t1.itp_duration"),
)
PLATELET_LINES = (
    ("baseline_platelets_course1", "t1.platelets_course1"),
    ("baseline_platelets_course2", "t1.platelets_course2"),
)
#: decimals of each continuous line of table 1, the same whatever the data
DECIMALS = {
    "age_at_diagnosis": 0,
    "age_at_first_course": 0,
    "itp_duration_course1_months": 1,
    "prior_lines": 1,
    "baseline_platelets_course1": 0,
    "baseline_platelets_course2": 0,
    "interval_months": 1,
    "n_courses": 1,
    "followup_months": 1,
}
LATER_CONTINUOUS_LINES = (
    ("interval_months", "t1.interval"),
    ("n_courses", "t1.n_courses"),
    ("followup_months", "t1.followup"),
)


def _level_rows(
    report: Report, levels: Mapping[str, Any] | None, prefix: str, *, skip_zero: bool = False
) -> list[tuple[Cell, ...]]:
    rows = []
    for code, proportion in (levels or {}).items():
        if skip_zero and not proportion.get("n"):
            continue
        label = report.t("level.missing") if code == "missing" else report.t.label(prefix, code)
        rows.append(label_row(label, report.t.fmt.n_pct(proportion), indent=1))
    return rows


def _verbatim_rows(report: Report, levels: Mapping[str, Any] | None) -> list[tuple[Cell, ...]]:
    """Level rows whose codes are shown as they are (agents and directions: vocabulary values)."""
    return [
        (Cell(code, indent=1, verbatim=True), Cell(report.t.fmt.n_pct(proportion)))
        for code, proportion in (levels or {}).items()
    ]


def _quantile_row(
    report: Report, cohort: Mapping[str, Any], key: str, message_id: str
) -> tuple[Cell, ...]:
    quantiles = cohort.get(key) or {}
    label = report.t(message_id)
    if quantiles.get("missing"):
        label = report.t("t1.with_n", label=label, n=report.t.fmt.integer(quantiles.get("n")))
    return label_row(label, report.t.fmt.median_iqr(quantiles, DECIMALS.get(key, 1)))


def table1_rows(report: Report) -> list[tuple[Cell, ...]]:
    """The rows of table 1, in the order of ``flagship-study.md`` Analysis 1."""
    t, f = report.t, report.t.fmt
    cohort: Mapping[str, Any] = report.results.get("cohort") or {}
    rows: list[tuple[Cell, ...]] = [
        label_row(t("t1.centers"), f.integer(cohort.get("n_centers"))),
    ]
    shares: Mapping[str, Any] = cohort.get("centers") or {}
    rows += [
        (
            Cell(code, indent=1, verbatim=True),
            Cell(f.n_pct(shares[code]) if code in shares else f.integer(n)),
        )
        for code, n in (cohort.get("patients_by_center") or {}).items()
    ]
    rows.append(group_row(t("t1.sex"), 2))
    rows += _level_rows(report, cohort.get("sex"), "sex")
    rows.append(group_row(t("t1.itp_type"), 2))
    rows.append(label_row(t("t1.primary"), f.n_pct(cohort.get("primary_itp")), indent=1))
    secondary = cohort.get("secondary_itp")
    rows.append(label_row(t("t1.secondary"), f.n_pct(secondary), indent=1))
    causes = cohort.get("secondary_causes") or {}
    if causes and (secondary or {}).get("n"):
        rows += [
            (Cell(label[0].text, indent=1), *label[1:])
            for label in _level_rows(report, causes, "cause", skip_zero=True)
        ]
    rows += [_quantile_row(report, cohort, key, mid) for key, mid in CONTINUOUS_LINES]
    rows.append(group_row(t("t1.phase"), 2))
    rows += _level_rows(report, cohort.get("itp_phase_course1"), "phase")
    rows.append(_quantile_row(report, cohort, "prior_lines", "t1.prior_lines"))
    rows.append(label_row(t("t1.splenectomy"), f.n_pct(cohort.get("splenectomy_before_course1"))))
    if any(key in cohort for key, _ in PLATELET_LINES):
        rows += [_quantile_row(report, cohort, key, mid) for key, mid in PLATELET_LINES]
    for course in (1, 2):
        regimens = cohort.get(f"regimen_course{course}")
        if regimens or f"agent_course{course}" not in cohort:  # exposure courses: no regimen
            rows.append(group_row(t("t1.regimen", course=course), 2))
            rows += _level_rows(report, regimens, "regimen")
    if "agent_course1" in cohort:  # the first_switch design (protocols.md, Table 1)
        for course in (1, 2):
            rows.append(group_row(t("t1.agent", course=course), 2))
            rows += _verbatim_rows(report, cohort.get(f"agent_course{course}"))
        rows.append(group_row(t("t1.direction"), 2))
        rows += _verbatim_rows(report, cohort.get("direction"))
        rows.append(group_row(t("t1.stop_reason"), 2))
        rows += _level_rows(report, cohort.get("stop_reason_course1"), "stop_reason")
        rows.append(_quantile_row(report, cohort, "exposure_course1_months", "t1.exposure_course1"))
    rows += [_quantile_row(report, cohort, key, mid) for key, mid in LATER_CONTINUOUS_LINES]
    return rows


def add_population(report: Report) -> Report:
    """Append "Results" and its "Patients" subsection: flow text and figure, table 1."""
    t, f, results = report.t, report.t.fmt, report.results
    flow = results.get("flow") or {}
    excluded: Mapping[str, int] = flow.get("excluded") or {}
    order = flow.get("exclusion_order") or list(excluded)
    reasons = f.semicolon().join(
        t.exclusion_reason(reason) + t("colon") + f.integer(excluded.get(reason, 0))
        for reason in order
    )
    text = t(
        "results.flow",
        screened=f.integer(flow.get("screened")),
        excluded=f.integer(sum(int(excluded.get(reason, 0)) for reason in order)),
        reasons=reasons or t("na"),
        included=f.integer(flow.get("included")),
        centers=f.integer(get(results, "cohort", "n_centers")),
    )
    report = report.append(
        heading(report, 1, "section.results"),
        heading(report, 2, "section.results.patients"),
        paragraph(text),
    )
    report = report.append(
        make_figure(
            report,
            flow_figure(results, t),
            t("fig.flow.caption"),
            t(
                "fig.flow.alt",
                screened=f.integer(flow.get("screened")),
                included=f.integer(flow.get("included")),
            ),
        )
    )
    n = get(results, "cohort", "n_patients")
    table = make_table(
        report,
        "baseline",
        t("t1.caption"),
        [header_row(t("t1.characteristic"), t("t1.patients", n=f.integer(n)))],
        table1_rows(report),
        notes=[
            t(
                "t1.note",
                baseline_days=f.integer(get(results, "criteria", "baseline_days")),
            )
        ],
    )
    return report.append(table)
