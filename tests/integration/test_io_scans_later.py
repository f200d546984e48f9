"""A CSV file's scan (hash, encoding, line ends) runs when its rows are read, for a child file by the
thread that copies it while the store checks the file before (``loading._copied_ahead``); a file it
finds unreadable is still a file-level problem, listed with every other one, in file order, as the
scan done before any loading gives it (``open_csv_text`` scanning at once: the reference here).
Nothing is written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from tests.fixtures.io_study import valid_tables, write_center, write_study

from itpcohort.cli import main
from itpcohort.config import StudyConfig
from itpcohort.errors import InputError
from itpcohort.io.csv_reader import open_csv_text
from itpcohort.io.sources import discover_sources

#: (center, table) of each file made unreadable: in file order (centers, then tables) the first
#: comes first; in the order the store reads them (patients, then each table) the second does
BROKEN = (("LYO", "adverse_events"), ("TLS", "platelet_counts"))


def _study(root: Path) -> Path:
    study = write_study(root)
    write_center(study / "LYO", valid_tables())
    return study


def _broken_study(root: Path) -> tuple[Path, list[str]]:
    """A two-center study with the ``BROKEN`` files, and their problems as scanned at once."""
    study = _study(root)
    _break_encoding(study)
    return study, _scanned_at_once(study)


def _break_encoding(study: Path) -> None:
    for center, table in BROKEN:
        path = study / center / f"{table}.csv"
        lines = path.read_bytes().split(b"\n")
        lines[2] += b"\xe8"  # latin-1 'è' on line 3: not UTF-8
        path.write_bytes(b"\n".join(lines))


def _scanned_at_once(study: Path) -> list[str]:
    """The printed problem of each file a scan before any loading finds unreadable, file order."""
    lines = []
    for source in discover_sources([study], StudyConfig()).sources:
        for file in source.files:
            try:
                open_csv_text(file.path, file.display, file.relative)
            except InputError as error:
                lines += [str(problem) for problem in error.problems]
    return lines


def _import(study: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(study), "--out", str(out)])
    err = capsys.readouterr().err
    return int(exit_info.value.code or 0), [line for line in err.splitlines() if str(study) in line]


def test_files_found_unreadable_while_loading_are_all_listed_in_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study, expected = _broken_study(tmp_path / "cohort")
    assert [line.split(str(study))[1][1:4] for line in expected] == [c for c, _ in BROKEN]
    code, problems = _import(study, tmp_path / "out", capsys)
    assert code == 1
    assert problems == expected
    assert not (tmp_path / "out" / "study.duckdb").exists()


def test_an_unreadable_file_is_listed_beside_a_header_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study, expected = _broken_study(tmp_path / "cohort")
    treatments = study / "LYO" / "treatments.csv"
    treatments.write_bytes(treatments.read_bytes().replace(b"start_date", b"begun", 1))
    code, problems = _import(study, tmp_path / "out", capsys)
    assert code == 1
    assert len(problems) == len(BROKEN) + 1
    assert [p for p in problems if "treatments.csv" in p] == [
        f"{treatments}: start_date: required column 'start_date' missing from the header"
    ]
    assert [p for p in problems if "treatments.csv" not in p] == expected


def test_a_scan_later_gives_what_a_scan_at_once_gives(tmp_path: Path) -> None:
    study = write_study(tmp_path / "cohort")
    paths = sorted((study / "TLS").glob("*.csv"))
    later = [open_csv_text(p, str(p), p.name, scan_later=True) for p in paths]
    assert all(text.scan is None for text in later)  # not scanned until needed
    for path, text in zip(paths, later, strict=True):
        at_once = open_csv_text(path, str(path), path.name)
        assert text.sha256 == at_once.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert text.scanned() == at_once.scanned()
        assert text.line_reader_ok == at_once.line_reader_ok
        assert text.header == at_once.header


def test_the_registry_holds_each_file_hash_after_a_scan_in_the_background(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path / "cohort")
    with pytest.raises(SystemExit) as exit_info:
        main(["import", str(study), "--out", str(tmp_path / "out")])
    assert exit_info.value.code in (0, None)
    con = duckdb.connect(str(tmp_path / "out" / "study.duckdb"), read_only=True)
    try:
        (inputs,) = con.execute("SELECT inputs FROM runs").fetchall()[0]
    finally:
        con.close()
    recorded = {entry["file"]: entry["sha256"] for entry in json.loads(inputs)}
    files = sorted((study / "TLS").glob("*.csv"))
    assert len(recorded) == len(files)
    for path in files:
        assert recorded[str(path)] == hashlib.sha256(path.read_bytes()).hexdigest()
