"""The report at any size (issue 17, items 17 and 19): parts that grow with the patients are capped.

The realistic fixture cohort (191 included patients) is written with caps far below its size, as
a large study would meet the default caps: the swimmer plots, the discordant courses and the
rejected rows stay within their caps, each caption says "first N of M" and names the file that
holds every row, and that file does hold every row; in English and in French.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import docx
import pytest
from conftest import Cohort
from report_helpers import csv_grid, docx_text, read_html

from itpcohort.analysis.population import select_population
from itpcohort.report import ReportFiles, ReportLimits, Translator, write_report

LIMITS = ReportLimits(listing_rows=1, swimmer_lanes=60, compact_lanes=12)
N_REJECTED = 4321


@pytest.fixture(scope="module")
def capped(realistic: Cohort, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReportFiles]:
    """The report of the realistic cohort with low caps, in English and in French."""
    results = _capped_results(realistic)
    return {
        lang: write_report(
            results, realistic.derived, tmp_path_factory.mktemp(f"capped_{lang}"), lang, LIMITS
        )
        for lang in ("en", "fr")
    }


def _capped_results(realistic: Cohort) -> dict[str, Any]:
    results = copy.deepcopy(realistic.results)
    results["data_quality"]["n_rejected"] = N_REJECTED
    return results


def _swimmer_files(files: ReportFiles) -> list[str]:
    return sorted(p.name for p in files.figures if "_swimmer" in p.name)


def test_figure_files_are_bounded_by_the_caps(
    realistic: Cohort, capped: dict[str, ReportFiles]
) -> None:
    pages = math.ceil(LIMITS.swimmer_lanes / 50)
    assert realistic.results["cohort"]["n_patients"] == 191 > LIMITS.swimmer_lanes
    for files in capped.values():
        assert _swimmer_files(files) == sorted(
            f"{stem}{suffix}"
            for stem in ["figure5_swimmer", *(f"figureS1_swimmer-{k}" for k in range(1, pages + 1))]
            for suffix in (".png", ".svg")
        )


def test_captions_say_first_n_of_m_and_where_all_are(
    realistic: Cohort, capped: dict[str, ReportFiles]
) -> None:
    n = realistic.results["cohort"]["n_patients"]
    discordant = len(realistic.results["investigator_agreement"]["discordant"])
    assert discordant > LIMITS.listing_rows
    for lang, files in capped.items():
        t, f = Translator(lang), Translator(lang).fmt
        expected = [
            t("fig.swimmer.sample", shown=f.integer(LIMITS.compact_lanes), n=f.integer(n)),
            t("fig.swimmer.see_supplement", number=1),
            t(
                "fig.swimmer.capped",
                shown=f.integer(LIMITS.swimmer_lanes),
                n=f.integer(n),
                file="swimmer_data.csv",
            ),
            t("fig.swimmer.axis"),
            t(
                "listing.capped",
                shown=f.integer(1),
                n=f.integer(discordant),
                file="tables/discordant_courses.csv",
            ),
            t(
                "listing.capped",
                shown=f.integer(1),
                n=f.integer(N_REJECTED),
                file="rejected_rows.csv",
            ),
        ]
        html = "\n".join(read_html(files.html).texts)
        word = docx_text(files.docx)
        for sentence in expected:
            assert sentence in html, (lang, sentence)
            assert sentence in word, (lang, sentence)


def test_listings_show_at_most_the_cap_and_the_csv_holds_every_row(
    realistic: Cohort, capped: dict[str, ReportFiles]
) -> None:
    discordant = realistic.results["investigator_agreement"]["discordant"]
    for files in capped.values():
        tables = read_html(files.html).tables
        listed = next(grid for key, grid in tables.items() if key.endswith("_discordant"))
        rejected = next(grid for key, grid in tables.items() if key.endswith("_rejections"))
        assert len(listed) - 1 == len(rejected) - 1 == LIMITS.listing_rows
        assert len(docx.Document(str(files.docx)).tables) == len(tables)
        # the CSV of the capped listing holds every discordant course, in the report's order
        full = csv_grid(files.tables[0].parent / "discordant_courses.csv")
        assert full[0] == listed[0]
        assert full[1] == listed[1]
        assert [(row[0], row[1], int(row[2])) for row in full[1:]] == [
            (d["center"], d["patient_id"], d["course"]) for d in discordant
        ]
        assert {p.name for p in files.data} == {"discordant_courses.csv", "swimmer_data.csv"}


def test_swimmer_data_holds_every_included_patient(
    realistic: Cohort, capped: dict[str, ReportFiles]
) -> None:
    n = realistic.results["cohort"]["n_patients"]
    for files in capped.values():
        grid = csv_grid(next(p for p in files.data if p.name == "swimmer_data.csv"))
        header, rows = grid[0], grid[1:]
        assert header == [
            "lane",
            "center",
            "patient_id",
            "mark",
            "course",
            "from_month",
            "to_month",
        ]
        followup = [row for row in rows if row[3] == "followup"]
        assert [int(row[0]) for row in followup] == list(range(1, n + 1))
        assert len({(row[1], row[2]) for row in followup}) == n
        courses = select_population(realistic.derived, 18).courses
        assert sum(row[3] == "course" for row in rows) == len(courses)


def test_a_cohort_within_the_compact_cap_has_one_swimmer_figure(
    realistic: Cohort, tmp_path: Path
) -> None:
    limits = ReportLimits(compact_lanes=500)
    for lang in ("en", "fr"):
        files = write_report(realistic.results, realistic.derived, tmp_path / lang, lang, limits)
        t = Translator(lang)
        assert _swimmer_files(files) == ["figure5_swimmer.png", "figure5_swimmer.svg"]
        html = "\n".join(read_html(files.html).texts)
        assert t("fig.swimmer.compact_caption", which=t("fig.swimmer.every")) in html
        assert t("fig.swimmer.all_data", file="swimmer_data.csv") in html
        assert t("figure.supplementary") not in html


def test_a_swimmer_drawn_ahead_in_a_child_gives_the_same_report(
    realistic: Cohort, capped: dict[str, ReportFiles], tmp_path: Path
) -> None:
    """``run`` draws the swimmer plot in a forked child while it analyses, its data file written
    straight into tables/ (``draw_swimmer``), and the last figures while the report builds its
    first sections (``draw_figures``): every file of the report is the same, byte for byte, and a
    data file written elsewhere is copied in."""
    from functools import partial

    from itpcohort.protocols import default_protocol
    from itpcohort.report import draw_figures, draw_swimmer
    from itpcohort.shared.forked import start_forked

    tables = realistic.derived.checked()
    population = select_population(tables, 18)
    for out, tables_dir in ((tmp_path / "in_place", None), (tmp_path / "elsewhere", tmp_path)):
        drawn = start_forked(
            partial(
                draw_swimmer,
                population,
                tables.treatment_events,
                Translator("en"),
                LIMITS,
                tables_dir=(out / "tables") if tables_dir is None else tables_dir,
            )
        )
        results = _capped_results(realistic)
        figures = start_forked(partial(draw_figures, results, population, "en", default_protocol()))
        files = write_report(
            results,
            realistic.derived,
            out,
            "en",
            LIMITS,
            population=population,
            drawn_swimmer=drawn,
            drawn_figures=figures,
        )
        expected = capped["en"]
        assert [p.name for p in files.all()] == [p.name for p in expected.all()]
        for mine, theirs in zip(files.all(), expected.all(), strict=True):
            assert mine.read_bytes() == theirs.read_bytes(), mine.name
