"""Round trips through the CRF forms: a synthetic study imported from its CSV folders, written back by
``itpcohort export`` as a REDCap import file or a CRF workbook, and imported again from that file
gives the same canonical tables and the same ``derived/courses.csv`` (``data-model.md``, REDCap
projects). Commands run in-process through ``itpcohort.cli.main`` (an unexpected exception would
escape it and fail the test; ``test_redcap_import`` runs one as a real process).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from itpcohort.cli import main
from itpcohort.schema import CANONICAL_COLUMNS
from itpcohort.store import connect_ibis, execute_to_arrow
from itpcohort.synth import generate_study


def run_cli(*args: str) -> int:
    """Run ``itpcohort ARGS`` in-process; return its exit status."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    code = exit_info.value.code
    return code if isinstance(code, int) else 1


def derive(inputs: Path, out: Path, config: Path) -> Path:
    assert run_cli("derive", str(inputs), "--out", str(out), "--config", str(config)) == 0
    # nothing rejected: rejected_rows.csv holds its header only
    assert (out / "rejected_rows.csv").read_text(encoding="utf-8").count("\n") == 1
    return out


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 50-patient, 3-center synthetic study derived from its CSV folders: (run folder, config)."""
    root = tmp_path_factory.mktemp("round_trip")
    generate_study(root / "synth", patients=50, centers=3, seed=23)
    config = root / "synth" / "study.toml"
    return derive(root / "synth", root / "from_csv", config), config


def canonical(run: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every canonical column of every table (provenance source_file/source_row left out), sorted."""
    backend = connect_ibis(run / "study.duckdb", read_only=True)
    tables = {}
    for name, columns in CANONICAL_COLUMNS.items():
        names = [c for c, _ in columns]
        rows = execute_to_arrow(backend.table(name).select(names)).to_pylist()
        tables[name] = sorted(
            (tuple(row[c] for c in names) for row in rows), key=lambda r: [repr(v) for v in r]
        )
    return tables


@pytest.mark.parametrize(("format_", "suffix"), [("redcap", "csv"), ("xlsx", "xlsx")])
def test_exported_study_reimports_to_the_same_tables_and_courses(
    original: tuple[Path, Path], format_: str, suffix: str, tmp_path: Path
) -> None:
    run, config = original
    exported = tmp_path / f"study_export.{suffix}"
    assert run_cli("export", str(run), "--format", format_, "--out", str(exported)) == 0
    again = derive(exported, tmp_path / "again", config)

    before, after = canonical(run), canonical(again)
    for name in CANONICAL_COLUMNS:
        assert after[name] == before[name], name
    assert len(before["patients"]) == 50
    assert all(before[name] for name in CANONICAL_COLUMNS)  # every table has rows

    courses = (run / "derived" / "courses.csv").read_bytes()
    assert (again / "derived" / "courses.csv").read_bytes() == courses
    assert courses.count(b"\n") > 50  # a real cohort of courses, not an empty file


def test_redcap_export_rows_keep_the_export_line_as_provenance(
    original: tuple[Path, Path], tmp_path: Path
) -> None:
    """Each imported row points at the line of the export it came from."""
    run, config = original
    exported = tmp_path / "records.csv"
    assert run_cli("export", str(run), "--format", "redcap", "--out", str(exported)) == 0
    again = tmp_path / "again"
    assert run_cli("import", str(exported), "--out", str(again), "--config", str(config)) == 0
    lines = exported.read_text(encoding="utf-8").split("\n")
    backend = connect_ibis(again / "study.duckdb", read_only=True)
    counts = execute_to_arrow(
        backend.table("platelet_counts").select("date", "platelets_as_given", "source_row")
    ).to_pylist()
    for count in counts[:: max(1, len(counts) // 50)]:
        cells = lines[count["source_row"] - 1].split(",")
        assert cells[1] == "platelet_counts"
        assert count["date"].isoformat() in cells and count["platelets_as_given"] in cells
