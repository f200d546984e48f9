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
NBSP = "\u00a0"


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


@pytest.mark.parametrize("lang", LANGS)
def test_courses_without_assessment_are_counted_by_center(realistic: Cohort, lang: str) -> None:
    """Item 14: a by-center table of assessed courses; the prose count is the table's total."""
    results: dict[str, Any] = copy.deepcopy(realistic.results)
    agreement = results["investigator_agreement"]
    agreement["by_center"].append({"center": "ZZZ", "courses": 6, "assessed": 0, "not_assessed": 6})
    agreement["n_included_courses"] += 6
    agreement["not_assessed"] += 6
    t, f = Translator(lang), Translator(lang).fmt
    report = Report(results, None, lang).add_agreement()
    by_center = grid(tables(report)["assessments_by_center"])
    assert by_center[-2] == ["ZZZ", "6", f"0 ({f.pct(0.0)})", f"6 ({f.pct(100.0)})"]
    assert by_center[-1][0] == t("agree.total")
    assert by_center[-1][1] == f.integer(agreement["n_included_courses"])
    assert by_center[-1][3].startswith(f.integer(agreement["not_assessed"]) + " (")
    sentence = t(
        "agree.not_assessed",
        not_assessed=f.integer(agreement["not_assessed"]),
        courses=f.integer(agreement["n_included_courses"]),
    )
    assert any(sentence in text for text in texts(report))
    assert not any(t("agree.all_assessed") in text for text in texts(report))


@pytest.mark.parametrize("lang", LANGS)
def test_every_course_assessed_is_said_so_never_as_zero(realistic: Cohort, lang: str) -> None:
    results: dict[str, Any] = copy.deepcopy(realistic.results)
    agreement = results["investigator_agreement"]
    for entry in agreement["by_center"]:
        entry.update(assessed=entry["courses"], not_assessed=0)
    agreement["not_assessed"] = 0
    t = Translator(lang)
    report = Report(results, None, lang).add_agreement()
    assert any(t("agree.all_assessed") in text for text in texts(report))
    assert not any(
        t("agree.not_assessed", not_assessed="0", courses="")[:20] in text for text in texts(report)
    )


@pytest.mark.parametrize("lang", LANGS)
def test_an_empty_group_prints_as_none(realistic: Cohort, lang: str) -> None:
    """Item 18: "not evaluable at course 1 (reported apart): 0/0" reads "none" / "aucun"."""
    results: dict[str, Any] = copy.deepcopy(realistic.results)
    empty = {"n": 0, "denominator": 0, "pct": None, "ci_low": None, "ci_high": None}
    results["retreatment"]["response2_among_ne1"] = empty
    report = Report(results, None, lang).add_response().add_retreatment()
    word = {"en": "none", "fr": "aucun"}[lang]
    prose = " ".join(texts(report))
    assert "0/0" not in prose
    assert f": {word}." in prose.replace("\u00a0", " ")
    row = next(
        row
        for row in grid(tables(report)["retreatment"])
        if row[0] == Translator(lang)("retr.among_ne1")
    )
    assert row[1:] == [word, "–"]


@pytest.mark.parametrize("lang", LANGS)
def test_kaplan_meier_medians_in_months_with_ci_and_the_next_course_as_a_loss(
    realistic: Cohort, lang: str
) -> None:
    """Item 16: medians in months (the axis unit) with their 95% CI; the loss footnote."""
    t, f = Translator(lang), Translator(lang).fmt
    report = Report(realistic.results, None, lang).add_duration()
    table = tables(report)["duration"]
    rows = grid(table)
    label = t("dur.median", ci=f.ci_label())
    assert {"en": "months", "fr": "mois"}[lang] in label
    first = realistic.results["duration"]["by_course"][0]
    median_row = next(row for row in rows if row[0] == label)
    assert median_row[1] == (
        f"{f.number(first['median_months'], 1)} "
        f"({f.number(first['ci_low_months'], 1)}–{f.number(first['ci_high_months'], 1)})"
    )
    notes = " ".join(run.text for note in table.notes for run in note)
    assert {"en": "the next course counts as a loss", "fr": "compte comme une perte"}[lang] in notes
    prose = " ".join(texts(report))
    assert t("km.months", value=f.number(first["median_months"], 1)) in prose
    assert "jours" not in prose and " days" not in prose


def test_a_median_not_reached_keeps_its_lower_limit() -> None:
    from itpcohort.report._format import NumberFormat

    en, fr = NumberFormat("en"), NumberFormat("fr")
    assert en.median_ci(15.24, 9.81, None, "not reached") == "15.2 (9.8–not reached)"
    assert en.median_ci(None, 20.0, None, "not reached") == "not reached (20.0–not reached)"
    assert fr.median_ci(None, None, None, "non atteinte") == "non atteinte"
    assert fr.median_ci(3.05, 1.0, 7.96, "non atteinte") == "3,1 (1,0–8,0)"


@pytest.mark.parametrize(
    ("value", "english"),
    [
        (1.234, "1.23"),
        (9.994, "9.99"),
        (14.26, "14.3"),
        (123.4, "123"),
        (0.5, "0.50"),
        (0.05, "0.050"),
        (0.00432, "0.0043"),
        (0.0004, "<\u00a00.001"),
        (None, "–"),
    ],
)
def test_odds_ratios_print_at_a_precision_suited_to_their_size(
    value: float | None, english: str
) -> None:
    """Item 13: two decimals below 10, fewer above, two significant digits below 1, never 0.00."""
    en, fr = Translator("en").fmt, Translator("fr").fmt
    assert en.odds_ratio(value) == english
    assert fr.odds_ratio(value) == english.replace(".", ",")
    assert en.odds_ratio(value) not in ("0.00", "0")


MODEL_TERMS = {
    "response_course1": ("CR or R vs NR or NE", "RC ou R vs NR ou NE"),
    "sex": ("vs female", "vs femme"),
    "itp_type": ("vs primary", "vs primitif"),
    "age_course2": ("per year", "par année"),
    "itp_duration_course2_months": ("per month", "par mois"),
    "prior_lines_course2": ("per additional line", "par ligne supplémentaire"),
    "splenectomy_before_course2": ("yes vs no", "oui vs non"),
    "interval_months": ("per month", "par mois"),
    "regimen_course2=1000x2": ("1000 mg × 2 vs 375 mg/m² × 4", "1000 mg × 2 vs 375 mg/m² × 4"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_every_model_term_names_its_reference_or_unit(realistic: Cohort, lang: str) -> None:
    """Item 13: in the Firth table and the forest plot's labels."""
    from itpcohort.report._predictors import model_term_label

    t = Translator(lang)
    for term, expected in MODEL_TERMS.items():
        assert expected[LANGS.index(lang)] in model_term_label(t, term), term
    report = Report(realistic.results, None, lang).add_predictors()
    labels = [row[0] for row in grid(tables(report)["firth"])]
    terms = ["response_course1"] + [
        str(term["term"]) for term in realistic.results["predictors"]["multivariable"]
    ]
    for term in terms:
        assert model_term_label(t, term) in labels


@pytest.mark.parametrize("lang", LANGS)
def test_univariable_medians_with_iqr_and_n_levels_as_n_pct(realistic: Cohort, lang: str) -> None:
    """Item 12: continuous factors as median [IQR] and n per group, categorical as n (%)."""
    t, f = Translator(lang), Translator(lang).fmt
    report = Report(realistic.results, None, lang).add_predictors()
    rows = grid(tables(report)["univariable"])
    tests = realistic.results["predictors"]["univariable"]
    continuous = [x for x in tests if x["test"] == "wilcoxon"]
    categorical = [x for x in tests if x["test"] != "wilcoxon"]
    assert continuous and categorical
    labels = [row[0] for row in rows]
    for test in continuous:
        start = labels.index(t(f"factor.{test['factor']}"))
        detail = test["detail"]
        assert rows[start + 1][0] == t("uni.median_iqr")
        assert rows[start + 1][1].startswith(f.number(detail["median_responders"], 0)[:1])
        assert "[" in rows[start + 1][1] and "–" in rows[start + 1][1]
        assert rows[start + 2][1:3] == [
            f.integer(detail["n_responders"]),
            f.integer(detail["n_nonresponders"]),
        ]
    for test in categorical:
        start = labels.index(t(f"factor.{test['factor']}"))
        for row in rows[start + 1 : start + 1 + len(test["detail"])]:
            for cell in row[1:3]:
                assert cell.endswith("%)") or cell.endswith(f"{f.percent_sign()})"), cell
    # no breakable space inside a value: Word keeps each number whole
    for row in rows:
        for cell in row[1:3]:
            assert " " not in cell, cell


def test_word_never_wraps_a_univariable_value(written: dict[str, Any]) -> None:
    """Item 12: every value cell of the univariable table is marked no-wrap in report.docx."""
    import docx
    from docx.oxml.ns import qn

    for lang, files in written.items():
        t = Translator(lang)
        document = docx.Document(str(files.docx))
        table = next(x for x in document.tables if x.rows[0].cells[0].text == t("uni.factor"))
        checked = 0
        for row in table.rows[1:]:
            for cell in row.cells[1:3]:
                if cell.text:
                    tc_pr = cell._tc.tcPr
                    assert tc_pr is not None and tc_pr.find(qn("w:noWrap")) is not None, cell.text
                    checked += 1
        assert checked > 10


@pytest.mark.parametrize("lang", LANGS)
def test_table1_has_one_format_whatever_the_data(realistic: Cohort, lang: str) -> None:
    """Item 15: ages in whole years and months with one decimal whether or not values are whole;
    centres as n (%); baseline platelet count at courses 1 and 2 as median [IQR]."""
    t, f = Translator(lang), Translator(lang).fmt
    cells = []
    for values in ((39.0, 28.0, 51.0), (39.5, 28.25, 51.75)):
        results: dict[str, Any] = copy.deepcopy(realistic.results)
        for key in ("age_at_diagnosis", "itp_duration_course1_months"):
            results["cohort"][key].update(dict(zip(("median", "q1", "q3"), values, strict=True)))
        rows = grid(tables(Report(results, None, lang).add_population())["baseline"])
        by_label = {row[0]: row[1] for row in rows}
        cells.append((by_label[t("t1.age_at_diagnosis")], by_label[t("t1.itp_duration")], by_label))
    (age_whole, months_whole, by_label), (age_half, months_half, _) = cells
    assert age_whole == f"39{NBSP}[28–51]" and age_half == f"40{NBSP}[28–52]"
    assert months_whole == f.median_iqr({"median": 39.0, "q1": 28.0, "q3": 51.0}, 1)
    assert months_half == f.median_iqr({"median": 39.5, "q1": 28.25, "q3": 51.75}, 1)
    cohort = realistic.results["cohort"]
    for center, share in cohort["centers"].items():
        assert by_label[center] == f.n_pct(share)
    for course in (1, 2):
        q = cohort[f"baseline_platelets_course{course}"]
        assert q["n"] > 0
        label = next(x for x in by_label if x.startswith(t(f"t1.platelets_course{course}")))
        assert by_label[label] == f.median_iqr(q, 0)


@pytest.mark.parametrize("lang", LANGS)
def test_a_course_without_responder_reads_none_not_zero_over_zero(
    realistic: Cohort, lang: str
) -> None:
    """Item 18: the duration of response of a course nobody responded to reads "none"."""
    results: dict[str, Any] = copy.deepcopy(realistic.results)
    empty = {
        "course": 2,
        "n": 0,
        "events": 0,
        "median_days": None,
        "ci_low_days": None,
        "ci_high_days": None,
        "at_risk": {"m6": 0, "m12": 0, "m24": 0, "m36": 0},
        "median_months": None,
        "ci_low_months": None,
        "ci_high_months": None,
    }
    results["duration"]["by_course"][1] = empty
    t, f = Translator(lang), Translator(lang).fmt
    report = Report(results, None, lang).add_duration()
    rows = grid(tables(report)["duration"])
    start = next(i for i, row in enumerate(rows) if row[0] == t("dur.response"))
    assert rows[start + 1][2] == f.empty_group()
    assert rows[start + 2][2] == f.empty_group()
    assert "0 / 0" not in " ".join(cell for row in rows for cell in row)
    assert t("km.no_responder") in " ".join(texts(report))
