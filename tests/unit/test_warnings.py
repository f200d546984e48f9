"""Import warnings come from the derivation's rules under the study's criteria
(``data-model.md``, Warnings; ``response-criteria.md`` sections 1 and 3)."""

from __future__ import annotations

from pathlib import Path

from itpcohort import pipeline
from itpcohort.config import StudyConfig
from itpcohort.criteria import criteria_from_config
from itpcohort.derive import derive_all
from itpcohort.store import connect_ibis, execute_to_arrow
from tests.fixtures.io_study import set_cell, valid_tables, write_study


def test_the_baseline_range_of_the_criteria_drives_the_warning(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "platelet_counts", 4, "date", "2018-02-02")  # 31 days before 2018-03-05
    study = write_study(tmp_path / "c", tables)
    narrow = pipeline.validate_inputs([study], StudyConfig())
    assert [(w.row, w.reason) for w in narrow.warnings] == [
        (5, "no platelet count in the 30 days before this rituximab course (baseline missing)")
    ]
    wide = StudyConfig(criteria_overrides={"baseline_days": 31})
    assert pipeline.validate_inputs([study], wide).warnings == ()


def test_a_course_warned_without_baseline_is_a_course_flagged_no_baseline(tmp_path: Path) -> None:
    tables = valid_tables()
    set_cell(tables, "platelet_counts", 4, "date", "2018-02-02")
    set_cell(tables, "treatments", 4, "start_date", "2016-03-20")  # 76 days: a course of its own
    study = write_study(tmp_path / "c", tables)
    config = StudyConfig()
    criteria = criteria_from_config(config)
    out = tmp_path / "out"
    report = pipeline.import_inputs([study], config, out, criteria, command="derive")
    warned = sorted(w.value for w in report.warnings if w.column == "start_date")
    backend = connect_ibis(out / pipeline.DATABASE_NAME)
    try:
        tables_ = {name: backend.table(name) for name in ("patients", "treatments")}
        tables_ |= {"platelet_counts": backend.table("platelet_counts")}
        courses = execute_to_arrow(derive_all(tables_, criteria)["courses"]).to_pylist()
    finally:
        backend.disconnect()
    flagged = sorted(str(c["start_date"]) for c in courses if "no_baseline" in c["flags"])
    assert warned == flagged and len(flagged) == 2
