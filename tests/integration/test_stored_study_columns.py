"""A study database imported by an earlier itpcohort, without a canonical column declared since
(``treatments.stop_reason``), is refused by every reader of a stored study in one line naming the
database, the table, the column and what to do, exit 1, no traceback (``architecture.md``:
errors are for people); ``derive`` and ``run`` import their inputs again, so an old database in
their output folder is simply replaced."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.cli import itpcohort as _itpcohort

from itpcohort.config import load_config
from itpcohort.criteria import criteria_from_config
from itpcohort.engines import derive_study_on
from itpcohort.errors import InputError
from itpcohort.pipeline import derive_marts
from itpcohort.store.stored import stored_study_problem
from itpcohort.synth import generate_exposure_study

AGAIN = "(imported by an earlier itpcohort); import the inputs again"


@pytest.fixture()
def old_study(tmp_path: Path) -> tuple[Path, Path]:
    """(inputs, output folder) where the folder's study.duckdb lacks treatments.stop_reason."""
    study = tmp_path / "study"
    generate_exposure_study(study, patients=12, centers=1, seed=5, protocol="tpo-ra-switch")
    out = tmp_path / "out"
    assert _itpcohort("import", study, "--out", out).returncode == 0
    with duckdb.connect(str(out / "study.duckdb")) as con:
        con.execute("ALTER TABLE treatments DROP COLUMN stop_reason")
    return study, out


@pytest.mark.parametrize(
    ("format_", "target"), [("xlsx", "x.xlsx"), ("redcap", "x.csv"), ("omop", "exported")]
)
def test_export_of_an_old_database_is_one_line(
    old_study: tuple[Path, Path], tmp_path: Path, format_: str, target: str
) -> None:
    _, out = old_study
    done = _itpcohort("export", out, "--format", format_, "--out", tmp_path / target)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"error: {out / 'study.duckdb'}: table treatments has no column stop_reason {AGAIN}"
    ]
    assert not (tmp_path / target).exists()


def test_deriving_an_old_database_is_refused_before_any_query(
    old_study: tuple[Path, Path],
) -> None:
    study, out = old_study
    criteria = criteria_from_config(load_config(study / "study.toml"))
    expected = f"{out / 'study.duckdb'}: table treatments has no column stop_reason {AGAIN}"
    with pytest.raises(InputError) as refused:
        derive_marts(out / "study.duckdb", criteria)
    assert str(refused.value) == expected
    # on another engine too, before the engine is reached (no server is needed to refuse)
    with pytest.raises(InputError) as refused:
        derive_study_on("postgres", out / "study.duckdb", criteria)
    assert str(refused.value) == expected


def test_derive_into_a_folder_holding_an_old_database_imports_again(
    old_study: tuple[Path, Path],
) -> None:
    study, out = old_study
    done = _itpcohort("derive", study, "--out", out)
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(out / "study.duckdb"), read_only=True) as con:
        assert stored_study_problem(con, out / "study.duckdb") is None
        runs = con.execute("SELECT command FROM runs ORDER BY run_id").fetchall()
    assert runs == [("import",), ("derive",)]  # the registry is carried over


def test_the_problem_names_every_missing_column_or_table(tmp_path: Path) -> None:
    database = tmp_path / "study.duckdb"
    with duckdb.connect(str(database)) as con:
        assert stored_study_problem(con, database) == (
            f"{database}: not an imported study (missing tables: patients, treatments, "
            "platelet_counts, bleeding_events, adverse_events, biomarkers, "
            "investigator_assessments)"
        )
        con.execute("CREATE TABLE patients (center VARCHAR, patient_id VARCHAR)")
        problem = stored_study_problem(con, database)
        assert problem is not None
        assert problem.startswith(f"{database}: table patients has no columns sex, birth_date")
        assert problem.endswith(AGAIN)
