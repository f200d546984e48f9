"""The numbers printed in the HTML and Word tables equal those of results.json, in both languages.

Every table is read back from report.html (stdlib html.parser) and from report.docx
(python-docx); the numbers of each checked cell are parsed (decimal comma and thousands separators
understood) and compared with results.json within half a unit of the last printed decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import Cohort
from report_helpers import Grid, docx_tables, index_of, numbers, read_html, row_of

from itpcohort.report import ReportFiles, Translator
from itpcohort.report._format import odds_ratio_decimals
from itpcohort.report._predictors import model_term_label

LANGS = ("en", "fr")
LEVELS = ("CR", "R", "NR", "NE")


def close(text: str, expected: list[float | None], decimals: list[int], lang: str) -> None:
    got = numbers(text, lang)
    assert len(got) == len(expected), (text, expected)
    for value, want, places in zip(got, expected, decimals, strict=True):
        assert want is not None, text
        assert abs(value - want) <= 0.5 * 10**-places + 1e-9, (text, expected)


def proportion(text: str, p: Mapping[str, Any], lang: str) -> None:
    """``n/N (pct%)`` equals the results.json proportion."""
    close(text, [p["n"], p["denominator"], p["pct"]], [0, 0, 1], lang)


def interval(
    text: str,
    p: Mapping[str, Any],
    lang: str,
    low: str = "ci_low",
    high: str = "ci_high",
    places: int = 1,
) -> None:
    close(text, [p[low], p[high]], [places, places], lang)


def p_value(text: str, p: float | None, lang: str) -> None:
    if p is None:
        assert text == "–"
    elif p < 0.001:
        assert "<" in text and numbers(text, lang) == [0.001], text
    else:
        close(text, [p], [3], lang)


def odds_ratio_cells(row: list[str], term: Mapping[str, Any], lang: str) -> None:
    """Odds ratio (cell 1) and its CI (cell 2), each at the precision its size calls for."""
    keys = ("odds_ratio", "ci_low", "ci_high")
    places = [odds_ratio_decimals(term[key]) for key in keys]
    close(row[1], [term["odds_ratio"]], places[:1], lang)
    close(row[2], [term["ci_low"], term["ci_high"]], places[1:], lang)


def tables_of(files: ReportFiles, source: str) -> dict[str, Grid]:
    html = read_html(files.html)
    if source == "html":
        return html.tables
    return dict(zip(html.tables, docx_tables(files.docx), strict=True))


@pytest.fixture(
    params=[(lang, source) for lang in LANGS for source in ("html", "docx")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def case(
    request: pytest.FixtureRequest, written: dict[str, ReportFiles], realistic: Cohort
) -> tuple[dict[str, Grid], Translator, dict[str, Any]]:
    lang, source = request.param
    return tables_of(written[lang], source), Translator(lang), realistic.results


def test_every_table_is_read_back_in_html_and_word(written: dict[str, ReportFiles]) -> None:
    for files in written.values():
        html = read_html(files.html).tables
        assert len(html) == len(files.tables) == len(docx_tables(files.docx)) == 18


def test_table1_baseline(case: tuple[dict[str, Grid], Translator, dict[str, Any]]) -> None:
    tables, t, results = case
    grid, cohort, lang = tables["table01_baseline"], results["cohort"], t.lang
    close(grid[0][1], [cohort["n_patients"]], [0], lang)
    close(row_of(grid, t("t1.centers"))[1], [cohort["n_centers"]], [0], lang)
    # issue 17 item 15: centres as n (%), one precision per line whatever the data
    for center, n in cohort["patients_by_center"].items():
        close(row_of(grid, center)[1], [n, cohort["centers"][center]["pct"]], [0, 1], lang)
    for sex in ("F", "M"):
        p = cohort["sex"][sex]
        close(row_of(grid, t(f"sex.{sex}"))[1], [p["n"], p["pct"]], [0, 1], lang)
    primary = cohort["primary_itp"]
    close(row_of(grid, t("t1.primary"))[1], [primary["n"], primary["pct"]], [0, 1], lang)
    secondary = cohort["secondary_itp"]
    assert secondary["n"] > 0
    close(row_of(grid, t("t1.secondary"))[1], [secondary["n"], secondary["pct"]], [0, 1], lang)
    for key, label, decimals in (
        ("age_at_diagnosis", "t1.age_at_diagnosis", 0),
        ("age_at_first_course", "t1.age_at_first_course", 0),
        ("itp_duration_course1_months", "t1.itp_duration", 1),
        ("prior_lines", "t1.prior_lines", 1),
        ("baseline_platelets_course1", "t1.platelets_course1", 0),
        ("baseline_platelets_course2", "t1.platelets_course2", 0),
        ("interval_months", "t1.interval", 1),
        ("followup_months", "t1.followup", 1),
    ):
        q = cohort[key]
        cell = row_of(grid, t(label))[1]
        close(cell, [q["median"], q["q1"], q["q3"]], [decimals] * 3, lang)
        assert all(
            (len(x.split(",")[-1]) if lang == "fr" else len(x.split(".")[-1])) == decimals
            for x in cell.replace("[", " ").replace("]", " ").replace("–", " ").split()
            if ("," if lang == "fr" else ".") in x
        ), cell
        if decimals == 0:
            assert ("," if lang == "fr" else ".") not in cell, cell
    for course in (1, 2):
        start = index_of(grid, t("t1.regimen", course=course))
        for code, p in cohort[f"regimen_course{course}"].items():
            close(
                row_of(grid, t.label("regimen", code), start)[1][-30:].split("(")[-1],
                [p["pct"]],
                [1],
                lang,
            )
    split = row_of(grid, t("t1.splenectomy"))[1]
    close(
        split,
        [cohort["splenectomy_before_course1"]["n"], cohort["splenectomy_before_course1"]["pct"]],
        [0, 1],
        lang,
    )


def test_primary_outcome(case: tuple[dict[str, Grid], Translator, dict[str, Any]]) -> None:
    tables, t, results = case
    grid, retreatment = tables["table02_primary_outcome"], results["retreatment"]
    for label, key in (("primary.orr2", "orr_course2"), ("primary.cr2", "cr_course2")):
        row = row_of(grid, t(label))
        proportion(row[1], retreatment[key], t.lang)
        interval(row[2], retreatment[key], t.lang)


def test_response_by_course_and_cross_table(
    case: tuple[dict[str, Grid], Translator, dict[str, Any]],
) -> None:
    tables, t, results = case
    grid, lang = tables["table03_response_by_course"], t.lang
    courses = results["courses"] + results["later_courses"]
    for level in LEVELS:
        row = row_of(grid, t(f"response.long.{level}"))
        for column, course in enumerate(courses, start=1):
            close(row[column], [course[level]], [0], lang)
    orr_row = index_of(grid, t("resp.orr"))
    for column, course in enumerate(results["courses"], start=1):
        proportion(grid[orr_row][column], course["orr"], lang)
        interval(grid[orr_row + 1][column], course["orr"], lang)
    for column, course in enumerate(results["later_courses"], start=3):
        close(grid[0][column], [course["course"], course["n_patients"]], [0, 0], lang)

    cross = tables["table04_cross_course1_course2"]
    counts = results["cross_table"]["counts"]
    for i, level in enumerate(results["cross_table"]["levels"]):
        row = row_of(cross, t(f"response.short.{level}"), 2)
        assert [numbers(cell, lang)[0] for cell in row[1:5]] == counts[i]
        close(row[5], [results["courses"][0][level]], [0], lang)
    total = row_of(cross, t("cross.total"), 2)
    close(total[5], [results["cohort"]["n_patients"]], [0], lang)


def test_retreatment(case: tuple[dict[str, Grid], Translator, dict[str, Any]]) -> None:
    tables, t, results = case
    grid, retreatment = tables["table05_retreatment"], results["retreatment"]
    for key, label in (
        ("response2_among_responders1", "retr.among_responders1"),
        ("response2_among_nonresponders1", "retr.among_nonresponders1"),
        ("response2_among_ne1", "retr.among_ne1"),
        ("response_similar_or_better", "retr.similar_or_better"),
        ("duration_similar_or_longer", "retr.similar_or_longer"),
    ):
        row = row_of(grid, t(label))
        proportion(row[1], retreatment[key], t.lang)
        interval(row[2], retreatment[key], t.lang)
    mcnemar = row_of(grid, t("retr.mcnemar"))
    close(mcnemar[1], [retreatment["mcnemar_b"], retreatment["mcnemar_c"]], [0, 0], t.lang)
    p_value(
        mcnemar[2].replace("p\u00a0=\u00a0", "").replace("p\u00a0", ""),
        retreatment["mcnemar_p"],
        t.lang,
    )


def test_duration(case: tuple[dict[str, Grid], Translator, dict[str, Any]]) -> None:
    tables, t, results = case
    grid, lang = tables["table06_duration"], t.lang
    for key, label in (("by_course", "dur.response"), ("cr_by_course", "dur.cr")):
        start = index_of(grid, t(label))
        for column, summary in enumerate(results["duration"][key], start=1):
            close(
                row_of(grid, t("dur.n_events"), start)[column],
                [summary["n"], summary["events"]],
                [0, 0],
                lang,
            )
            # issue 17 item 16: medians in months (the unit of the axis) with their CI
            close(
                row_of(grid, t("dur.median", ci=t.fmt.ci_label()), start)[column],
                [summary["median_months"], summary["ci_low_months"], summary["ci_high_months"]],
                [1, 1, 1],
                lang,
            )
            for month in (6, 12, 24, 36):
                close(
                    row_of(grid, t("dur.at_risk", months=month), start)[column],
                    [summary["at_risk"][f"m{month}"]],
                    [0],
                    lang,
                )
    for column, ttr in enumerate(results["time_to_response"], start=1):
        close(row_of(grid, t("dur.responders"))[column], [ttr["n"]], [0], lang)
        close(
            row_of(grid, t("dur.ttr_median"))[column],
            [ttr["median"], ttr["q1"], ttr["q3"]],
            [1, 1, 1],
            lang,
        )


def test_predictors(case: tuple[dict[str, Grid], Translator, dict[str, Any]]) -> None:
    tables, t, results = case
    grid, lang = tables["table07_univariable"], t.lang
    predictors = results["predictors"]
    # issue 17 item 12: continuous factors as median [IQR] and n per group, categorical as n (%)
    for test in predictors["univariable"]:
        row = row_of(grid, t(f"factor.{test['factor']}"))
        p_value(row[4], test["p"], lang)
        start = index_of(grid, t(f"factor.{test['factor']}"))
        detail = test["detail"]
        if test["test"] == "wilcoxon":
            quartiles = grid[start + 1]
            assert quartiles[0] == t("uni.median_iqr")
            for column, group in ((1, "responders"), (2, "nonresponders")):
                values = [detail[f"{k}_{group}"] for k in ("median", "q1", "q3")]
                close(quartiles[column], values, [1, 1, 1], lang)
            counts = grid[start + 2]
            assert counts[0] == t("uni.n")
            close(counts[1], [detail["n_responders"]], [0], lang)
            close(counts[2], [detail["n_nonresponders"]], [0], lang)
        else:
            block = grid[start + 1 : start + 1 + len(detail)]
            got = {row[0]: (numbers(row[2], lang)[0], numbers(row[1], lang)[0]) for row in block}
            assert len(got) == len(detail)
            assert sorted(got.values()) == sorted(tuple(map(float, v)) for v in detail.values())
            totals = [sum(v[i] for v in detail.values()) for i in (0, 1)]
            for row in block:
                for column, total in ((2, totals[0]), (1, totals[1])):
                    n, *pct = numbers(row[column], lang)
                    if total:
                        close(row[column], [n, 100 * n / total], [0, 1], lang)
                    else:
                        assert pct == []

    firth = tables["table08_firth"]
    # issue 17 item 13: terms name their reference or unit; odds ratios at a size-suited precision
    label = t("term.response_course1")
    single = predictors["response_course1_firth"]
    first = row_of(firth, label)
    odds_ratio_cells(first, single, lang)
    p_value(first[3], single["p"], lang)
    multi_start = index_of(
        firth,
        t(
            "firth.multi",
            n=t.fmt.integer(predictors["multivariable_model"]["n"]),
            events=t.fmt.integer(predictors["multivariable_model"]["events"]),
        ),
    )
    assert len(predictors["multivariable"]) >= 1
    for term in predictors["multivariable"]:
        row = row_of(firth, model_term_label(t, term["term"]), multi_start)
        odds_ratio_cells(row, term, lang)
        p_value(row[3], term["p"], lang)


def test_safety(case: tuple[dict[str, Grid], Translator, dict[str, Any]]) -> None:
    tables, t, results = case
    grid, lang = tables["table09_safety"], t.lang
    for column, course in enumerate(results["safety"]["by_course"], start=1):
        close(grid[0][column], [course["course"], course["patients"]], [0, 0], lang)
        for key, label in (
            ("patients_with_event", "safety.any"),
            ("grade_3_or_more", "safety.grade3"),
            ("serious", "safety.serious"),
            ("infections", "safety.infections"),
        ):
            close(
                row_of(grid, t(label))[column], [course[key]["n"], course[key]["pct"]], [0, 1], lang
            )
        close(row_of(grid, t("safety.n_events"))[column], [course["n_events"]], [0], lang)
        for event, p in course["by_event"].items():
            close(row_of(grid, t(f"event.{event}"))[column], [p["n"], p["pct"]], [0, 1], lang)


def test_sensitivity(case: tuple[dict[str, Grid], Translator, dict[str, Any]]) -> None:
    tables, t, results = case
    grid, lang = tables["table10_sensitivity"], t.lang
    runs = results["sensitivity"]
    assert [r["status"] for r in runs] == ["done"] * 4
    for column, run in enumerate(runs, start=1):
        close(row_of(grid, t("sens.n_patients"))[column], [run["n_patients"]], [0], lang)
        for key in (
            "orr_course2",
            "cr_course2",
            "orr_course1",
            "response2_among_responders1",
            "duration_similar_or_longer",
        ):
            start = index_of(grid, t(f"sens.{key}"))
            proportion(grid[start][column], run[key], lang)
            interval(grid[start + 1][column], run[key], lang)
        p_value(row_of(grid, t("sens.mcnemar_p"))[column], run["mcnemar_p"], lang)
        close(
            row_of(grid, t("sens.median_duration", course=2))[column],
            [run["median_duration_course2_months"]],
            [1],
            lang,
        )
        close(
            row_of(grid, t("sens.odds_ratio"))[column],
            [run["response_course1_odds_ratio"]],
            [odds_ratio_decimals(run["response_course1_odds_ratio"])],
            lang,
        )


def test_agreement_and_discordant_courses(
    case: tuple[dict[str, Grid], Translator, dict[str, Any]],
) -> None:
    tables, t, results = case
    agreement = results["investigator_agreement"]
    grid = tables["table12_agreement"]
    for i, level in enumerate(LEVELS):
        row = row_of(grid, t(f"response.short.{level}"), 2)
        assert [numbers(cell, t.lang)[0] for cell in row[1:]] == agreement["table"][i]
    listed = tables["table13_discordant"][1:]
    assert len(listed) == len(agreement["discordant"]) > 0
    for row, course in zip(listed, agreement["discordant"], strict=True):
        assert row[:3] == [course["center"], course["patient_id"], str(course["course"])]
        assert row[3] == t(f"response.short.{course['investigator_response']}")
        assert row[4] == t(f"response.short.{course['derived_response']}")


def test_data_quality_and_provenance(
    case: tuple[dict[str, Grid], Translator, dict[str, Any]],
) -> None:
    tables, t, results = case
    grid = tables["table14_data_quality"][1:]
    for row, entry in zip(grid, results["data_quality"]["tables"], strict=True):
        assert row[:2] == [entry["center"], entry["table"]]
        for cell, key in zip(row[2:], ("rows_read", "rows_loaded", "rows_rejected"), strict=True):
            close(cell, [entry[key]], [0], t.lang)
    rejections = tables["table15_rejections"][1:]
    assert [r[0] for r in rejections] == [
        r["file"] for r in results["data_quality"]["first_rejections"]
    ]
    assert rejections[0][3] == results["data_quality"]["first_rejections"][0]["value"]
    inputs = tables["table17_inputs"][1:]
    assert [(r[0], r[1]) for r in inputs] == [
        (i["path"], i["sha256"]) for i in results["provenance"]["inputs"]
    ]
    software = {row[0]: row[1] for row in tables["table16_software"][1:]}
    assert software["DuckDB"] == results["provenance"]["duckdb"]
    criteria = {row[0]: row[2] for row in tables["table18_criteria"][1:]}
    for name in ("confirm_days", "response_window_days", "cr_threshold"):
        close(criteria[name], [results["criteria"][name]], [0], t.lang)


def test_html_word_and_csv_hold_the_same_cells(written: dict[str, ReportFiles]) -> None:
    from report_helpers import csv_grid

    for files in written.values():
        html = read_html(files.html).tables
        word = docx_tables(files.docx)
        for (key, grid), docx_grid in zip(html.items(), word, strict=True):
            assert grid == docx_grid, key
            csv_path = Path(files.html).parent / "tables" / f"{key}.csv"
            in_csv = [
                [cell[1:] if cell.startswith("'") else cell for cell in row]
                for row in csv_grid(csv_path)
            ]
            assert in_csv == grid, key
