"""Section verb ``add_predictors``: factors of response to course 2 (``flagship-study.md`` Analysis 5).

Univariable table: for a binary or categorical factor, the number of responders and non-responders
to course 2 in each level (``detail`` of ``predictors.univariable[]``: ``[non-responders,
responders]``); for a continuous factor, the median in each group with its n; then the test and its
p-value. Firth table: the model of course-2 response on course-1 response alone, and the
multivariable model on the selected factors (odds ratios, profile 95% CIs, penalized LR p-values).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from itpcohort.report._blocks import Cell, Table, Text
from itpcohort.report._build import (
    analysis_note,
    get,
    group_row,
    header_row,
    heading,
    label_row,
    make_figure,
    make_table,
    not_available,
    p_text,
    paragraph,
)
from itpcohort.report._figures import FigureImage, forest_figure
from itpcohort.report._format import NBSP, quantile_decimals
from itpcohort.report._i18n import Translator

if TYPE_CHECKING:
    from itpcohort.report._report import Report

#: factor -> vocabulary prefix of its levels in the catalogue
LEVEL_PREFIX = {
    "response_course1": "resp1",
    "sex": "sex",
    "itp_type": "itptype",
    "splenectomy_before_course2": "yesno",
    "regimen_course2": "regimen",
    "stop_reason_course1": "stop_reason",
}


def _level_order(t: Translator, factor: str) -> tuple[str, ...]:
    """Display order of the levels of a categorical factor (the regimen: the protocol's table,
    then ``other``, ``unknown``); others keep the analysis order."""
    return t.protocol.courses.regimen_names() if factor == "regimen_course2" else ()


def _level_rank(t: Translator, factor: str, level: str) -> int:
    order = _level_order(t, factor)
    return order.index(level) if level in order else len(order)


def term_label(t: Translator, term: str) -> str:
    """The label of a model term: a factor, or ``factor=level`` for a categorical level."""
    factor, _, level = term.partition("=")
    label = t.label("factor", factor)
    if level:
        return label + t("colon") + t.label(LEVEL_PREFIX.get(factor, factor), level)
    return label


def _reference_level(t: Translator, factor: str) -> str | None:
    """The reference level of a categorical factor: the protocol's first regimen
    (``flagship-study.md``, Factors; ``analysis.predictors.plan_factors``)."""
    regimens = t.protocol.courses.regimens
    if factor == "stop_reason_course1":  # the switch design's reference (analysis.predictors)
        from itpcohort.analysis.predictors import FACTORS_BY_NAME

        return FACTORS_BY_NAME[factor].reference
    return regimens[0].name if factor == "regimen_course2" and regimens else None


def model_term_label(t: Translator, term: str) -> str:
    """The label of a model term that names its comparison: its reference level or its unit.

    ``Male vs female``, ``per additional line``, ``per month``; a categorical level reads
    ``Regimen of course 2: 1000 mg × 2 vs 375 mg/m² × 4`` (issue 17 item 13).
    """
    factor, _, level = term.partition("=")
    reference = _reference_level(t, factor)
    if level and reference is not None:
        prefix = LEVEL_PREFIX.get(factor, factor)
        return t(
            f"term.{factor}",
            level=t.label(prefix, level),
            reference=t.label(prefix, reference),
        )
    if not level and t.has(f"term.{factor}"):
        return t(f"term.{factor}")
    return term_label(t, term)


def _unbroken(text: str) -> str:
    """``text`` with no-break spaces, so a number and its bracket or percentage never split."""
    return text.replace(" ", NBSP)


def univariable_table(report: Report) -> Table:
    """One block of rows per factor of the plan, in the plan's order (issue 17 item 12).

    A continuous factor shows the median [IQR] and the n of each response group; a categorical
    factor the n (%) of each level in each group (percent of the group's patients with the factor
    known); the test and its p-value stand on the factor's line. Value cells hold no breakable
    space, so no number is split across lines in Word.
    """
    t, f = report.t, report.t.fmt
    tests: list[Mapping[str, Any]] = get(report.results, "predictors", "univariable") or []
    rows: list[tuple[Cell, ...]] = []
    notes: list[tuple[Text, ...]] = []

    def share(n: Any, total: int) -> str:
        pct = 100.0 * float(n) / total if total and n is not None else None
        return _unbroken(f.n_pct({"n": n, "pct": pct}))

    for test in tests:
        factor = str(test.get("factor"))
        detail: Mapping[str, Any] = test.get("detail") or {}
        test_name = t.label("test", str(test.get("test")))
        p = f.p_value(test.get("p"))
        label = term_label(t, factor)
        if test.get("note"):
            notes.append((Text(label + t("colon")), *analysis_note(t, str(test["note"]))))
        rows.append(label_row(label, "", "", test_name, p, bold=True))
        if test.get("test") == "wilcoxon":
            groups = [
                {key: detail.get(f"{key}_{group}") for key in ("median", "q1", "q3")}
                for group in ("responders", "nonresponders")
            ]
            decimals = quantile_decimals(groups)
            rows.append(
                label_row(
                    t("uni.median_iqr"),
                    *(_unbroken(f.median_iqr(g, decimals)) for g in groups),
                    "",
                    "",
                    indent=1,
                )
            )
            rows.append(
                label_row(
                    t("uni.n"),
                    f.integer(detail.get("n_responders")),
                    f.integer(detail.get("n_nonresponders")),
                    "",
                    "",
                    indent=1,
                )
            )
            continue
        pairs = {
            level: list(pair) if isinstance(pair, list | tuple) else [None, None]
            for level, pair in detail.items()
        }
        totals = [sum(int(pair[i] or 0) for pair in pairs.values()) for i in (0, 1)]
        ranked = sorted(pairs.items(), key=lambda item: _level_rank(t, factor, item[0]))
        for level, counts in ranked:
            rows.append(
                label_row(
                    t.label(LEVEL_PREFIX.get(factor, factor), level),
                    share(counts[1], totals[1]),
                    share(counts[0], totals[0]),
                    "",
                    "",
                    indent=1,
                )
            )
    header = [
        header_row(t("uni.factor"), t("uni.responders"), t("uni.nonresponders"), t("uni.test"), "p")
    ]
    return make_table(
        report, "univariable", t("uni.caption"), header, rows, [t("uni.note"), *notes]
    )


def firth_table(report: Report) -> Table:
    """Odds ratios of the Firth models: course-1 response alone, then the multivariable model."""
    t, f = report.t, report.t.fmt
    predictors: Mapping[str, Any] = report.results.get("predictors") or {}
    single: Mapping[str, Any] = predictors.get("response_course1_firth") or {}
    model: Mapping[str, Any] = predictors.get("multivariable_model") or {}
    terms: list[Mapping[str, Any]] = predictors.get("multivariable") or []

    def term_row(label: str, term: Mapping[str, Any]) -> tuple[Cell, ...]:
        return label_row(
            label,
            f.odds_ratio(term.get("odds_ratio")),
            f.odds_ratio_ci(term.get("ci_low"), term.get("ci_high")),
            f.p_value(term.get("p")),
            indent=1,
        )

    rows = [
        group_row(
            t("firth.single", n=f.integer(single.get("n")), events=f.integer(single.get("events"))),
            4,
        ),
        term_row(model_term_label(t, "response_course1"), single),
        group_row(
            t("firth.multi", n=f.integer(model.get("n")), events=f.integer(model.get("events"))), 4
        ),
    ]
    rows += [term_row(model_term_label(t, str(term.get("term"))), term) for term in terms]
    selected = ", ".join(term_label(t, str(s)) for s in predictors.get("selected") or [])
    notes: list[str | tuple[Text, ...]] = [
        t(
            "firth.note",
            selection_p=f.number(predictors.get("selection_p"), 2),
            selected=selected or t("firth.none_selected"),
        ),
    ]
    for source in (single, model):
        if source.get("note"):
            notes.append(analysis_note(t, str(source["note"])))
    header = [header_row(t("firth.term"), t("firth.or"), f.ci_label(), "p")]
    return make_table(report, "firth", t("firth.caption"), header, rows, notes)


def forest_image(results: Mapping[str, Any], t: Translator) -> FigureImage | None:
    """The forest plot of the multivariable Firth model of ``results`` (None without one)."""
    predictors: Mapping[str, Any] = results.get("predictors") or {}
    return forest_figure(
        predictors.get("multivariable") or [], t, lambda term: model_term_label(t, term)
    )


def add_predictors(report: Report) -> Report:
    """Append the predictive factors: univariable table, Firth table, forest plot."""
    t, f = report.t, report.t.fmt
    predictors: Mapping[str, Any] = report.results.get("predictors") or {}
    single: Mapping[str, Any] = predictors.get("response_course1_firth") or {}
    report = report.append(heading(report, 2, "section.results.predictors"))
    report = report.append(
        paragraph(
            t(
                "results.predictors",
                selection_p=f.number(predictors.get("selection_p"), 2),
                odds=f.odds_ratio(single.get("odds_ratio")),
                ci_label=f.ci_label(),
                ci=f.odds_ratio_ci(single.get("ci_low"), single.get("ci_high")),
                p=p_text(t, single.get("p")),
                table=report.next_table_number(),
                model_table=report.next_table_number() + 1,
            )
        )
    )
    report = report.append(univariable_table(report))
    model_table = report.next_table_number()
    report = report.append(firth_table(report))
    image = report.figure_image("forest", lambda: forest_image(report.results, t))
    if image is None:
        return report.append(not_available(report, "fig.forest.what"))
    caption = t("fig.forest.caption", table=model_table)
    return report.append(make_figure(report, image, caption, t("fig.forest.alt")))
