"""The swimmer plot of the written report: every included patient, on pages, with treatment events.

The realistic fixture cohort (``conftest``) includes 191 patients, so the plot has 4 parts of at
most ``PAGE_MAX`` lanes, and its ``patient_treatment_events.csv`` holds rescue and new-treatment
starts.
"""

from __future__ import annotations

import math
import re

import docx
import pandas as pd
from conftest import Cohort
from docx.oxml.ns import qn

from itpcohort.analysis.population import select_population
from itpcohort.report import ReportFiles, Translator
from itpcohort.report._figures import PAGE_MAX, swimmer_figures
from itpcohort.report._figures.swimmer import swimmer_lanes


def _population(realistic: Cohort) -> tuple[pd.DataFrame, pd.DataFrame]:
    population = select_population(realistic.derived, 18)
    return population.patients, population.courses


def test_swimmer_parts_are_written_numbered_and_captioned_once(
    realistic: Cohort, written: dict[str, ReportFiles]
) -> None:
    """The compact plot is Figure 5; the complete one Supplementary figure S1, captioned once."""
    n = realistic.results["cohort"]["n_patients"]
    parts = math.ceil(n / PAGE_MAX)
    assert parts == 4
    for lang, files in written.items():
        t = Translator(lang)
        stems = sorted(p.stem for p in files.figures if "_swimmer" in p.name and p.suffix == ".png")
        assert stems == ["figure5_swimmer"] + [f"figureS1_swimmer-{k}" for k in range(1, 5)]
        assert sum("_swimmer" in p.name and p.suffix == ".svg" for p in files.figures) == 5
        html = files.html.read_text("utf-8")
        figures = re.findall(
            r'<figure id="(figure-S1(?:-\d+)?)" data-key="figureS1_swimmer-(\d+)">.*?'
            r"<figcaption>(.*?)</figcaption>",
            html,
            re.S,
        )
        assert [(anchor, int(k)) for anchor, k, _ in figures] == [
            ("figure-S1" if k == 1 else f"figure-S1-{k}", k) for k in range(1, parts + 1)
        ]
        label = t("figure.supplementary")
        complete = (
            f"{t('fig.swimmer.caption')} {t('fig.swimmer.axis')} "
            f"{t('fig.swimmer.all_data', file='swimmer_data.csv')}"
        )
        captions = [  # every w:t of the paragraph
            "".join(node.text or "" for node in p._p.iter(qn("w:t")))
            for p in docx.Document(str(files.docx)).paragraphs
            if p.style.name == "Caption" and p.text.startswith(label)
        ]
        assert captions == [
            f"{label} S1. {complete} {t('fig.part', part=1, parts=parts)}",
            *(
                f"{label} S1. {t('fig.continued', part=k, parts=parts)}"
                for k in range(2, parts + 1)
            ),
        ]
        # the caption is given once: the later parts only say where they continue
        assert sum(t("fig.swimmer.caption") in caption for _, _, caption in figures) == 1
    # the figure after the swimmer plot keeps the number the text gives it ("Figure 6")
    assert any(p.name == "figure6_forest.png" for p in written["en"].figures)


def test_every_included_patient_is_on_exactly_one_page_in_lane_order(realistic: Cohort) -> None:
    patients, courses = _population(realistic)
    pages = swimmer_figures(patients, courses, realistic.derived.treatment_events, Translator("en"))
    shown = [patient for page in pages for patient in page.patients]
    assert len(shown) == len(set(shown)) == len(patients) == 191
    assert set(shown) == set(zip(patients["center"], patients["patient_id"], strict=True))
    lanes = swimmer_lanes(patients)
    assert shown == list(zip(lanes["center"], lanes["patient_id"], strict=True))
    assert [(page.part, page.parts) for page in pages] == [(k, 4) for k in range(1, 5)]
    assert all(len(page.patients) <= PAGE_MAX for page in pages)
    assert [page.image.key for page in pages] == [f"swimmer-{k}" for k in range(1, 5)]


def test_the_report_draws_the_treatment_events_of_the_derived_tables(realistic: Cohort) -> None:
    """The page of the 12 longest follow-ups changes when the events are given: they are drawn."""
    patients, courses = _population(realistic)
    events = realistic.derived.treatment_events
    assert events is not None and set(events["event"]) == {"rescue", "new_treatment"}
    first = swimmer_lanes(patients).head(12)[["center", "patient_id"]]
    assert len(events.merge(first, on=["center", "patient_id"])) > 0
    subset = patients.merge(first, on=["center", "patient_id"])
    t = Translator("en")
    with_events = swimmer_figures(subset, courses, events, t)
    without = swimmer_figures(subset, courses, None, t)
    assert len(with_events) == len(without) == 1
    assert with_events[0].image.png != without[0].image.png
    again = swimmer_figures(subset, courses, events, t)
    assert again[0].image.png == with_events[0].image.png  # deterministic
    assert again[0].image.svg == with_events[0].image.svg
