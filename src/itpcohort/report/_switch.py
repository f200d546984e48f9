"""Section verb ``add_switch``: response to the second agent by switch reason and direction, and
the safety table per compared course and agent (``protocols.md``, The tpo-ra-switch analysis plan).

Both read ``switch`` of results.json, which only the ``first_switch`` design writes: for any other
design ``add_switch`` and ``switch_safety_table`` add nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from itpcohort.report._blocks import Cell, Table
from itpcohort.report._build import group_row, header_row, heading, label_row, make_table, paragraph

if TYPE_CHECKING:
    from itpcohort.report._report import Report

#: the adverse events of the switch safety table, in row order (``analysis.switch``)
SAFETY_EVENTS = ("thrombosis", "hepatotoxicity", "bone_marrow_fibrosis")


def _level_row(report: Report, label: str, level: Mapping[str, Any]) -> tuple[Cell, ...]:
    f = report.t.fmt
    proportion = {
        "n": level.get("responders"),
        "denominator": level.get("n"),
        "pct": level.get("orr"),
    }
    return (
        Cell(label, indent=1),
        Cell(f.integer(level.get("n"))),
        Cell(f.n_pct(proportion)),
        Cell(f.ci(level.get("ci_low"), level.get("ci_high"))),
    )


def switch_table(report: Report) -> Table:
    """Response to course 2 by stop reason of course 1, then by direction."""
    t = report.t
    switch: Mapping[str, Any] = report.results.get("switch") or {}
    header = header_row(t("switch.level"), t("switch.n"), t("switch.orr"), t("switch.ci"))
    rows: list[tuple[Cell, ...]] = [group_row(t("switch.by_reason"), 4)]
    for level in switch.get("by_reason") or []:
        rows.append(_level_row(report, t.label("stop_reason", str(level.get("level"))), level))
    rows.append(group_row(t("switch.by_direction"), 4))
    for level in switch.get("by_direction") or []:
        row = _level_row(report, str(level.get("level")), level)
        rows.append((Cell(row[0].text, indent=1, verbatim=True), *row[1:]))
    return make_table(report, "switch", t("switch.caption"), [header], rows, [t("switch.note")])


def add_switch(report: Report) -> Report:
    """Append the by-reason and by-direction subsection (nothing without ``switch``)."""
    switch: Mapping[str, Any] | None = report.results.get("switch")
    if switch is None:
        return report
    t, f = report.t, report.t.fmt
    flow = report.results.get("flow") or {}
    report = report.append(heading(report, 2, "section.results.switch"))
    report = report.append(
        paragraph(
            t(
                "results.switch",
                n=f.integer(flow.get("included")),
                p=f.p_value(switch.get("fisher_p")),
            )
        )
    )
    return report.append(switch_table(report))


def switch_safety_table(report: Report) -> Table | None:
    """Patients with thrombosis, hepatotoxicity or bone marrow fibrosis per compared course and
    agent (columns), or None without ``switch.safety_by_course_agent``."""
    switch: Mapping[str, Any] = report.results.get("switch") or {}
    columns: Sequence[Mapping[str, Any]] = switch.get("safety_by_course_agent") or []
    if not columns:
        return None
    t, f = report.t, report.t.fmt
    header = header_row(
        t("safety.event"),
        *(
            t(
                "switch_safety.course_agent",
                course=c.get("course"),
                agent=c.get("agent"),
                n=f.integer(c.get("patients")),
            )
            for c in columns
        ),
    )
    rows = [
        label_row(t.label("event", event), *(f.n_pct(c.get(event)) for c in columns))
        for event in SAFETY_EVENTS
    ]
    return make_table(
        report,
        "switch_safety",
        t("switch_safety.caption"),
        [header],
        rows,
        [t("switch_safety.note")],
    )
