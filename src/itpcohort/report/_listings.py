"""The parts of the report that grow with the patients, capped: swimmer lanes and listings.

A report a reader can use does not grow with the cohort (issue 17, item 19): a 200,000-patient
study drew 2,867 swimmer pages in 44 minutes and wrote a 666 MB report.html. Here every such part
is capped by ``ReportLimits``, its full version is a file of the run, and its caption says so
("First 200 rows of 5,321; all in tables/discordant_courses.csv"):

* the swimmer plot: a compact main figure (at most 30 lanes, grouped by the response to course 1)
  and the complete plot as a supplementary figure (Figure S1, at most 200 lanes, on pages sharing
  one time axis), the marks of every patient in ``tables/swimmer_data.csv``;
* the discordant courses of the investigator agreement: the first 200 rows, every row in
  ``tables/discordant_courses.csv``;
* the investigator assessments of a course that does not exist: likewise, every row in
  ``tables/assessments_without_course.csv``;
* the rejected rows: the first rows results.json carries (at most 200), every row in
  ``rejected_rows.csv`` beside the report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from itpcohort.report._blocks import Cell, DataFile, Table
from itpcohort.report._build import make_figure_parts, make_table, not_available
from itpcohort.report._csv import write_frame_csv
from itpcohort.report._figures.swimmer import (
    COMPACT_MAX,
    SUPPLEMENT_MAX,
    SwimmerPage,
    compact_lanes,
    swimmer_compact,
    swimmer_data,
    swimmer_figures,
)
from itpcohort.report._format import MISSING

if TYPE_CHECKING:
    from itpcohort.analysis.population import Population
    from itpcohort.report._i18n import Translator
    from itpcohort.report._report import Report

#: most rows of a listing in the report
LISTING_MAX = 200
SWIMMER_DATA = "swimmer_data"
DISCORDANT_DATA = "discordant_courses"
NO_COURSE_DATA = "assessments_without_course"
REJECTED_ROWS_FILE = "rejected_rows.csv"


@dataclass(frozen=True)
class ReportLimits:
    """The caps of the parts of the report that grow with the patients (see the module docstring).

    ``listing_rows``: rows of a listing; ``swimmer_lanes``: lanes of the complete swimmer plot
    (pages of 50); ``compact_lanes``: lanes of the compact swimmer plot.
    """

    listing_rows: int = LISTING_MAX
    swimmer_lanes: int = SUPPLEMENT_MAX
    compact_lanes: int = COMPACT_MAX


DEFAULT_LIMITS = ReportLimits()


def capped_caption(report: Report, caption: str, shown: int, n: int, file: str) -> str:
    """``caption``, followed by "First <shown> rows of <n>; all in <file>." when rows were left out."""
    if shown >= n:
        return caption
    f = report.t.fmt
    return f"{caption}. " + report.t(
        "listing.capped", shown=f.integer(shown), n=f.integer(n), file=file
    )


@dataclass(frozen=True)
class SwimmerArtwork:
    """The swimmer plot of the included patients, drawn; ``add_swimmer`` captions and numbers it.

    ``compact``: the compact figure (None: no lane to draw, and nothing else is drawn);
    ``pages``: the complete plot's pages (none when the compact figure shows every patient);
    ``n_patients``: the included patients; ``data``: the marks of every patient
    (``tables/swimmer_data.csv``).
    """

    compact: SwimmerPage | None
    pages: tuple[SwimmerPage, ...]
    n_patients: int
    data: DataFile | None


def draw_swimmer(
    population: Population,
    events: pd.DataFrame | None,
    t: Translator,
    limits: ReportLimits = DEFAULT_LIMITS,
    tables_dir: Path | None = None,
) -> SwimmerArtwork:
    """Draw the swimmer plot of ``population`` under ``limits`` (``flagship-study.md``, Outputs
    of run; ``events``: the ``patient_treatment_events`` mart, None draws no treatment event).

    With ``tables_dir``, the marks of every patient are written there now, as
    ``swimmer_data.csv``: ``run`` draws the plot in a forked child while it analyses, and the
    frame (1.2 million marks at 200,000 patients) does not come back. Without it, they ride on
    the returned ``DataFile`` and ``Report.save`` writes them.
    """
    patients, courses = population.patients, population.courses
    compact = swimmer_compact(
        compact_lanes(patients, courses, limits.compact_lanes), courses, events, t
    )
    if compact is None:
        return SwimmerArtwork(None, (), len(patients), None)
    marks = swimmer_data(patients, courses, events)
    if tables_dir is None:
        data = DataFile(SWIMMER_DATA, marks)
    else:
        data = DataFile(SWIMMER_DATA, written=tables_dir / f"{SWIMMER_DATA}.csv")
        tables_dir.mkdir(parents=True, exist_ok=True)
        write_frame_csv(marks, tables_dir / data.file_name)
    pages: tuple[SwimmerPage, ...] = ()
    if len(compact.patients) < len(patients):
        pages = tuple(swimmer_figures(patients, courses, events, t, max_lanes=limits.swimmer_lanes))
    return SwimmerArtwork(compact, pages, len(patients), data)


def add_swimmer(report: Report, artwork: SwimmerArtwork) -> Report:
    """Append the compact swimmer plot and, when it leaves patients out, the complete one (S1),
    drawn (``draw_swimmer``). The marks of every patient ride on the last figure as
    ``tables/swimmer_data.csv``."""
    t, f = report.t, report.t.fmt
    compact, n, data = artwork.compact, artwork.n_patients, artwork.data
    if compact is None or data is None:
        return report.append(not_available(report, "fig.swimmer.what"))
    whole = len(compact.patients) == n
    which = (
        t("fig.swimmer.every")
        if whole
        else t("fig.swimmer.sample", shown=f.integer(len(compact.patients)), n=f.integer(n))
    )
    caption = t("fig.swimmer.compact_caption", which=which)
    if whole:
        caption += " " + t("fig.swimmer.all_data", file=data.file_name)
        return report.append(
            *make_figure_parts(report, [compact.image], caption, t("fig.swimmer.alt"), data=data)
        )
    caption += " " + t("fig.swimmer.see_supplement", number=report.next_figure_number("S"))
    report = report.append(
        *make_figure_parts(report, [compact.image], caption, t("fig.swimmer.alt"))
    )
    pages = artwork.pages
    shown = sum(len(page.patients) for page in pages)
    complete = t("fig.swimmer.caption")
    if len(pages) > 1:
        complete += " " + t("fig.swimmer.axis")
    complete += " " + (
        t("fig.swimmer.capped", shown=f.integer(shown), n=f.integer(n), file=data.file_name)
        if shown < n
        else t("fig.swimmer.all_data", file=data.file_name)
    )
    return report.append(
        *make_figure_parts(
            report,
            [page.image for page in pages],
            complete,
            t("fig.swimmer.alt"),
            supplementary=True,
            data=data,
        )
    )


def capped_table(
    report: Report,
    key: str,
    caption: str,
    header: tuple[Cell, ...],
    entries: Sequence[Mapping[str, Any]],
    cells: Callable[[Mapping[str, Any]], tuple[Cell, ...]],
    full: tuple[int, str, str | None],
    notes: Sequence[str] = (),
) -> Table:
    """A listing of ``entries`` (one row each, by ``cells``) capped at ``listing_rows`` rows.

    ``full`` is (n, file, data name): the number of rows in all, the file that holds them all
    (named in the caption when rows were left out), and the name of the ``DataFile`` to write
    with every entry (None when that file exists already, as ``rejected_rows.csv``).
    """
    n, file, data_name = full
    shown = entries[: report.limits.listing_rows]
    data = None
    if data_name is not None and len(shown) < len(entries):
        names = [cell.text for cell in header]
        data = DataFile(
            data_name,
            pd.DataFrame([[c.text for c in cells(e)] for e in entries], columns=names),
        )
    table = make_table(
        report,
        key,
        capped_caption(report, caption, len(shown), n, file),
        [header],
        [cells(e) for e in shown],
        notes,
    )
    return dataclasses.replace(table, data=data) if data else table


#: header message of each response column of a course listing
RESPONSE_COLUMNS = {
    "investigator_response": "agree.investigator",
    "derived_response": "agree.derived",
}


def course_listing(
    report: Report,
    key: str,
    caption: str,
    courses: Sequence[Mapping[str, Any]],
    responses: Sequence[str],
    data_name: str,
    notes: Sequence[str] = (),
) -> Table:
    """A listing of courses (center, patient, course number, then the ``responses`` columns),
    capped; when rows are left out, every row is in ``tables/<data_name>.csv``."""
    t, f = report.t, report.t.fmt

    def cells(c: Mapping[str, Any]) -> tuple[Cell, ...]:
        return (
            Cell(str(c.get("center")), verbatim=True),
            Cell(str(c.get("patient_id")), verbatim=True),
            Cell(f.integer(c.get("course"))),
            *(
                Cell(t.label("response.short", str(c[name])) if c.get(name) else MISSING)
                for name in responses
            ),
        )

    header = (
        Cell(t("dq.center")),
        Cell(t("agree.patient")),
        Cell(t("agree.course")),
        *(Cell(t(RESPONSE_COLUMNS[name])) for name in responses),
    )
    full = (len(courses), f"tables/{data_name}.csv", data_name)
    return capped_table(report, key, caption, header, courses, cells, full, notes)


def discordant_table(report: Report, discordant: Sequence[Mapping[str, Any]]) -> Table:
    """The discordant courses (investigator vs derived response), capped, all in a CSV."""
    caption = report.t("agree.discordant_caption", n=report.t.fmt.integer(len(discordant)))
    return course_listing(
        report,
        "discordant",
        caption,
        discordant,
        ("investigator_response", "derived_response"),
        DISCORDANT_DATA,
    )


def assessments_without_course_table(report: Report, listed: Sequence[Mapping[str, Any]]) -> Table:
    """The investigator assessments of a course the derivation does not have, capped."""
    t = report.t
    return course_listing(
        report,
        "assessments_without_course",
        t("dq.no_course_caption", n=t.fmt.integer(len(listed))),
        listed,
        ("investigator_response",),
        NO_COURSE_DATA,
        [t("dq.no_course_note")],
    )


def rejections_table(report: Report, quality: Mapping[str, Any]) -> Table:
    """The first rejected rows results.json carries, capped; every one is in rejected_rows.csv."""
    t = report.t
    rejections: Sequence[Mapping[str, Any]] = quality.get("first_rejections") or []

    def cells(r: Mapping[str, Any]) -> tuple[Cell, ...]:
        return tuple(
            Cell(
                MISSING if r.get(k) is None else str(r.get(k)),
                verbatim=True,
                align="" if k == "row" else "left",
            )
            for k in ("file", "row", "column", "value", "reason")
        )

    header = (
        Cell(t("dq.file")),
        Cell(t("dq.row")),
        *(Cell(t(key), align="left") for key in ("dq.column", "dq.value", "dq.reason")),
    )
    n = int(quality.get("n_rejected") or len(rejections))
    return capped_table(
        report,
        "rejections",
        t("dq.rejections_caption"),
        header,
        rejections,
        cells,
        (n, REJECTED_ROWS_FILE, None),
        [t("dq.rejections_note")],
    )
