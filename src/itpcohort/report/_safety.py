"""Section verb ``add_safety``: adverse events per course (``flagship-study.md`` Analysis 6).

One column per course (its denominator = included patients who received it); rows: patients with
at least one event, number of events, each event type (for exposure courses, the types some
patient had), infections (any grade), grade ≥ 3, serious — patients counted once per row. Deaths (any cause) and events attributed to no course follow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from itpcohort.report._blocks import Cell, Table
from itpcohort.report._build import (
    analysis_note,
    group_row,
    header_row,
    heading,
    label_row,
    make_table,
    paragraph,
)
from itpcohort.report._switch import switch_safety_table

if TYPE_CHECKING:
    from itpcohort.report._report import Report


def safety_table(report: Report) -> Table:
    """The adverse-event table, columns by course."""
    t, f = report.t, report.t.fmt
    safety: Mapping[str, Any] = report.results.get("safety") or {}
    by_course: Sequence[Mapping[str, Any]] = safety.get("by_course") or []
    header = header_row(
        t("safety.event"),
        *(
            t("resp.course_n", course=c.get("course"), n=f.integer(c.get("patients")))
            for c in by_course
        ),
    )
    width = 1 + len(by_course)
    rows: list[tuple[Cell, ...]] = [
        label_row(
            t("safety.any"), *(f.n_pct(c.get("patients_with_event")) for c in by_course), bold=True
        ),
        label_row(t("safety.n_events"), *(f.integer(c.get("n_events")) for c in by_course)),
        label_row(t("safety.grade3"), *(f.n_pct(c.get("grade_3_or_more")) for c in by_course)),
        label_row(t("safety.serious"), *(f.n_pct(c.get("serious")) for c in by_course)),
        label_row(t("safety.infections"), *(f.n_pct(c.get("infections")) for c in by_course)),
        group_row(t("safety.by_type"), width),
    ]
    events: list[str] = []
    for course in by_course:
        events += [e for e in (course.get("by_event") or {}) if e not in events]
    if report.protocol.courses.kind == "exposure":
        # the event vocabulary serves every protocol: an exposure protocol's table lists the types
        # some patient had (its events of interest are in the table per agent; the note says so)
        events = [e for e in events if any(_n(c, e) for c in by_course)]
    for event in events:
        rows.append(
            label_row(
                t.label("event", event),
                *(f.n_pct((c.get("by_event") or {}).get(event)) for c in by_course),
                indent=1,
            )
        )
    notes = [t("safety.note")]
    return make_table(report, "safety", t("safety.caption"), [header], rows, notes)


def _n(course: Mapping[str, Any], event: str) -> int:
    """Patients of ``course`` with ``event`` (0 when not given)."""
    return int(((course.get("by_event") or {}).get(event) or {}).get("n") or 0)


def add_safety(report: Report) -> Report:
    """Append the safety subsection: deaths and unattributed events in prose, then the table."""
    t, f = report.t, report.t.fmt
    safety: Mapping[str, Any] = report.results.get("safety") or {}
    report = report.append(heading(report, 2, "section.results.safety"))
    report = report.append(
        paragraph(
            t(
                "results.safety",
                deaths=f.n_of(safety.get("deaths")),
                unattributed=f.integer(safety.get("unattributed_events")),
                unattributed_patients=f.integer(safety.get("unattributed_patients")),
                table=report.next_table_number(),
            )
        )
    )
    if safety.get("note"):
        report = report.append(paragraph(*analysis_note(t, str(safety["note"])), style="note"))
    report = report.append(safety_table(report))
    per_agent = switch_safety_table(report)  # the first_switch design only
    return report if per_agent is None else report.append(per_agent)
