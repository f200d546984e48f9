"""Section verb ``add_summary``: the study summary, as the abstract of a paper would give it.

Built from ``results.json`` only: the population (``flow``, ``cohort``), the primary outcome and
the retreatment comparisons (``retreatment``), and the odds ratio of response to course 2 for
course-1 responders (``predictors.response_course1_firth``), said to be associated only when its
p-value is below the plan's 5% level. Notes of the analysis (``notes``) follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itpcohort.report._blocks import Paragraph, Text
from itpcohort.report._build import analysis_note, get, heading, p_text, paragraph

if TYPE_CHECKING:
    from itpcohort.report._report import Report


#: the level of every test of the plan (``flagship-study.md``, Analyses: two-sided at 5%)
SIGNIFICANCE = 0.05


def add_summary(report: Report) -> Report:
    """Append the "Summary" section."""
    t, f, results = report.t, report.t.fmt, report.results
    retreatment = results.get("retreatment") or {}
    firth = get(results, "predictors", "response_course1_firth") or {}
    sentences = [
        t(
            "summary.population",
            included=f.integer(get(results, "flow", "included")),
            screened=f.integer(get(results, "flow", "screened")),
            centers=f.integer(get(results, "cohort", "n_centers")),
        ),
        t(
            "summary.primary",
            orr=f.proportion_with_ci(retreatment.get("orr_course2")),
            cr=f.proportion_with_ci(retreatment.get("cr_course2")),
        ),
        t(
            "summary.conditional",
            responders=f.n_of(retreatment.get("response2_among_responders1")),
            nonresponders=f.n_of(retreatment.get("response2_among_nonresponders1")),
        ),
        t(
            "summary.comparison",
            similar=f.n_of(retreatment.get("response_similar_or_better")),
            longer=f.n_of(retreatment.get("duration_similar_or_longer")),
        ),
    ]
    if firth.get("odds_ratio") is not None:
        significant = firth.get("p") is not None and firth["p"] < SIGNIFICANCE
        sentences.append(
            t(
                "summary.firth" if significant else "summary.firth_not_significant",
                odds=f.odds_ratio(firth.get("odds_ratio")),
                ci_label=f.ci_label(),
                ci=f.odds_ratio_ci(firth.get("ci_low"), firth.get("ci_high")),
                p=p_text(t, firth.get("p")),
            )
        )
    blocks: list[Paragraph] = [paragraph(" ".join(sentences), style="lead")]
    for note in results.get("notes") or []:
        blocks.append(
            Paragraph(
                (Text(t("note.label") + " ", bold=True), *analysis_note(t, str(note))), "note"
            )
        )
    return report.append(heading(report, 1, "section.summary"), *blocks)
