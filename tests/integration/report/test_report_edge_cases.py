"""The report of unusual runs: keys the pipeline did not add, no derived tables, nobody included,
tables of another cohort; and the fluent builder itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, Cohort
from report_helpers import docx_text, read_html

from itpcohort.analysis import analyse, read_derived_tables
from itpcohort.analysis.population import drop_patients_with_ne, select_population
from itpcohort.config import AnalysisOptions, StudyConfig
from itpcohort.report import Report, Translator, write_report
from itpcohort.report._figures import FigureDataMismatch


def test_absent_pipeline_keys_and_tables_say_not_available(
    realistic: Cohort, tmp_path: Path
) -> None:
    results = {
        k: v
        for k, v in realistic.results.items()
        if k not in ("data_quality", "provenance", "investigator_agreement", "generated_at")
    }
    files = write_report(results, None, tmp_path, "fr")
    t = Translator("fr")
    html = read_html(files.html)
    notes = [text for text in html.texts if text.endswith(t("na") + ".")]
    for what in ("dq.what", "repro.what", "agree.what", "fig.km.what", "fig.swimmer.what"):
        assert t("na.sentence", what=t(what)) in notes
    assert sorted(p.stem for p in files.figures if p.suffix == ".png") == [
        "figure1_flow",
        "figure2_transitions",
        "figure3_forest",
    ]
    assert t("na.sentence", what=t("dq.what")) in docx_text(files.docx)


def test_a_cohort_with_nobody_included_still_gives_a_report(tmp_path: Path) -> None:
    tables = read_derived_tables(FIXTURES / "separation")
    config = StudyConfig(analysis=AnalysisOptions(min_age=200))
    results = analyse(tables, config).to_json_dict()
    assert results["flow"]["included"] == 0
    files = write_report(results, tables, tmp_path, "en")
    html = read_html(files.html)
    assert (
        "No patient met the inclusion criteria: every result is empty (see the flow diagram)."
        in html.texts
    )
    assert [p.stem for p in files.figures if p.suffix == ".png"] == ["figure1_flow"]
    assert files.docx.stat().st_size > 10_000


def test_the_small_separation_cohort_report(tmp_path: Path) -> None:
    """Separation in the Firth model (course-1 non-responders never respond) renders."""
    tables = read_derived_tables(FIXTURES / "separation")
    results = analyse(tables, StudyConfig()).to_json_dict()
    results["study"] = {"title": "Étude pilote"}
    files = write_report(results, tables, tmp_path, "en")
    html = files.html.read_text("utf-8")
    assert "<title>Étude pilote</title>" in html
    assert len(files.tables) >= 10


def test_derived_tables_of_another_cohort_are_refused(realistic: Cohort) -> None:
    other = read_derived_tables(FIXTURES / "separation")
    with pytest.raises(FigureDataMismatch, match="response durations"):
        Report(realistic.results, other, "en").add_duration()


def test_the_population_handed_to_the_report_is_the_one_it_draws(realistic: Cohort) -> None:
    """``run`` hands the report the population the analysis selected instead of selecting again."""
    min_age = realistic.results["analysis"]["min_age"]
    population = select_population(realistic.derived.checked(), min_age)
    handed = Report(realistic.results, realistic.derived, "en", population=population)
    selected = Report(realistic.results, realistic.derived, "en")
    assert handed.add_duration().blocks == selected.add_duration().blocks
    # and it is the handed one that is drawn: with fewer patients, the curves no longer match
    # the durations of results.json
    fewer = drop_patients_with_ne(population)
    assert len(fewer.patients) < len(population.patients)
    with pytest.raises(FigureDataMismatch, match="response durations"):
        Report(realistic.results, realistic.derived, "en", population=fewer).add_duration()


def test_report_verbs_never_mutate_and_pipe_adds_a_step(realistic: Cohort) -> None:
    base = Report(realistic.results, None, "en")
    summary = base.add_summary()
    assert base.blocks == () and len(summary.blocks) >= 2
    branch_a = summary.add_methods()
    branch_b = summary.add_safety()
    assert branch_a.blocks[: len(summary.blocks)] == summary.blocks
    assert branch_b.blocks[: len(summary.blocks)] == summary.blocks
    assert branch_a.blocks != branch_b.blocks

    def count_tables(report: Report, start: int) -> Report:
        return report.add_safety() if report.next_table_number() == start else report

    assert len(base.pipe(count_tables, 1).document().tables()) == 1
    with pytest.raises(ValueError, match="report language"):
        Report(realistic.results, None, "de")


def test_methods_state_the_criteria_overrides(realistic: Cohort) -> None:
    results = dict(realistic.results)
    results["criteria"] = {**results["criteria"], "confirm_days": 28}
    for lang, expected in (
        ("en", "overridden: confirm_days = 28"),
        ("fr", "avec les modifications suivantes : confirm_days = 28"),
    ):
        report = Report(results, None, lang).add_methods().add_reproducibility()
        prose = " ".join(block.text for block in report.blocks if hasattr(block, "parts"))
        assert expected in prose
        assert "Rodeghiero F, Stasi R, Gernsheimer T, et al." in prose
        table = report.document().tables()[-1]
        overridden = [row[0].text for row in table.rows if row[3].text]
        assert overridden == ["confirm_days"]


def test_unknown_criteria_set_is_not_guessed(realistic: Cohort) -> None:
    results = dict(realistic.results, criteria={"name": "local2030", "confirm_days": 14})
    report = Report(results, None, "en").add_methods()
    texts = [block.text for block in report.blocks if hasattr(block, "parts")]
    assert "Criteria set: not available." in texts
