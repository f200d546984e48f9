"""The report tables a journal reviewer asked for (issue 17), checked in English and French.

The section verbs are run on the realistic fixture cohort's results (altered where a case needs
it) and their blocks read directly: tables by key, paragraphs as text.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import Cohort

from itpcohort.report import Report, Translator
from itpcohort.report._blocks import Paragraph, Table

LANGS = ("en", "fr")


def tables(report: Report) -> dict[str, Table]:
    return {block.key: block for block in report.blocks if isinstance(block, Table)}


def texts(report: Report) -> list[str]:
    return [block.text for block in report.blocks if isinstance(block, Paragraph)]


def grid(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows]


@pytest.mark.parametrize("lang", LANGS)
def test_assessments_of_a_course_that_does_not_exist_are_counted_and_listed(
    realistic: Cohort, lang: str
) -> None:
    """Item 1: counted in the agreement section, counted and listed in the data quality section."""
    results: dict[str, Any] = copy.deepcopy(realistic.results)
    no_course = [
        {"center": "BDX", "patient_id": "BDX-017", "course": 9, "investigator_response": "NR"},
        {"center": "LYO", "patient_id": "LYO-003", "course": 3, "investigator_response": None},
    ]
    results["investigator_agreement"].update(n_no_course=2, no_course=no_course)
    t = Translator(lang)
    report = Report(results, None, lang).add_agreement().add_data_quality()
    assert t("agree.no_course", n="2") in texts(report)
    assert t("dq.no_course", n="2") in texts(report)
    listed = tables(report)["assessments_without_course"]
    assert listed.caption == t("dq.no_course_caption", n="2")
    assert grid(listed) == [
        ["BDX", "BDX-017", "9", t("response.short.NR")],
        ["LYO", "LYO-003", "3", "–"],
    ]
    # without such assessments, neither the sentence nor the listing appears
    clean = Report(realistic.results, None, lang).add_agreement().add_data_quality()
    assert "assessments_without_course" not in tables(clean)
    sentence = t("agree.no_course", n="").strip()[:40]
    assert not any(sentence in text for text in texts(clean))
