"""``pipeline.derive_marts`` persists the marts while it writes the CSV files: both outputs are
complete and agree with the marts it returns, and a failure on either side is raised."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from itpcohort import pipeline
from itpcohort.criteria import criteria_from_config
from itpcohort.derive import MARTS
from itpcohort.derive.serialize import derived_csv_bytes
from itpcohort.io import resolve_config
from itpcohort.synth import generate_study


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("derive-outputs")
    study = root / "study"
    generate_study(study, patients=120, centers=2, seed=5)
    out = root / "out"
    config = resolve_config([study], None)
    pipeline.import_inputs([study], config, out, criteria_from_config(config), command="derive")
    return study, out


def test_persisted_marts_and_csv_files_match_the_returned_marts(
    imported: tuple[Path, Path],
) -> None:
    study, out = imported
    criteria = criteria_from_config(resolve_config([study], None))
    run = pipeline.derive_marts(out / pipeline.DATABASE_NAME, criteria, persist=True, csv_dir=out)
    written = [p.name for p in run.csv_files]
    expected = [
        f"{name}.csv"
        for name in MARTS
        if run.marts[name].num_rows or name != "investigator_comparison"
    ]
    assert written == expected
    for path in run.csv_files:
        assert path.read_bytes() == derived_csv_bytes(path.stem, run.marts[path.stem])
    with duckdb.connect(str(out / pipeline.DATABASE_NAME), read_only=True) as con:
        for name in MARTS:
            stored = con.sql(f'SELECT * FROM "{name}"').to_arrow_table()
            assert derived_csv_bytes(name, stored) == derived_csv_bytes(name, run.marts[name])


def test_a_csv_failure_is_raised_after_the_marts_are_persisted(
    imported: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    study, out = imported
    criteria = criteria_from_config(resolve_config([study], None))
    db = out / pipeline.DATABASE_NAME
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE IF EXISTS courses")

    def full_disk(*args: object, **kwargs: object) -> list[Path]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "write_derived_csvs", full_disk)
    with pytest.raises(OSError, match="No space left"):
        pipeline.derive_marts(db, criteria, persist=True, csv_dir=out)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM courses").fetchone()[0] > 0  # type: ignore[index]


def test_a_persist_failure_is_raised(
    imported: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    study, out = imported
    criteria = criteria_from_config(resolve_config([study], None))

    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("cannot write the study database (simulated)")

    monkeypatch.setattr(pipeline, "persist_temp_tables", failing)
    with pytest.raises(RuntimeError, match="simulated"):
        pipeline.derive_marts(out / pipeline.DATABASE_NAME, criteria, persist=True, csv_dir=out)
