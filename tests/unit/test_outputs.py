"""The output folder of a command is one set: written beside, swapped in whole, locked (issue 17).

In-process tests of ``outputs.OutputFolder``; the command line's behaviour (two processes, a run
killed midway, a full disk) is in ``tests/integration/test_cli_outputs.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from itpcohort.errors import UsageError
from itpcohort.outputs import MARKER, OutputFolder, OutputFolderError


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _write(out: Path, files: dict[str, str]) -> None:
    with OutputFolder(out) as folder:
        for name, text in files.items():
            (folder.staging / name).parent.mkdir(parents=True, exist_ok=True)
            (folder.staging / name).write_text(text, encoding="utf-8")
        folder.commit()


def test_a_commit_leaves_exactly_the_new_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, {"a.txt": "1", "figures/part-1.png": "x", "figures/part-2.png": "y"})
    _write(out, {"a.txt": "2", "figures/part-1.png": "z"})
    assert set(_files(out)) == {MARKER, "a.txt", "figures/part-1.png"}
    assert _files(out)["a.txt"] == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_a_failure_leaves_the_previous_set_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write(out, {"a.txt": "1"})
    before = _files(out)
    with pytest.raises(RuntimeError), OutputFolder(out) as folder:
        (folder.staging / "a.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_a_second_command_into_the_folder_is_refused_while_the_first_holds_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with OutputFolder(out) as first:
        with pytest.raises(OutputFolderError, match="another itpcohort command"):
            OutputFolder(out).__enter__()
        first.commit()
    _write(out, {"b.txt": "ok"})  # released: the next command may write
    assert set(_files(out)) == {MARKER, "b.txt"}


def test_a_folder_with_the_users_own_files_is_refused_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_text("mine", encoding="utf-8")
    (out / "z.csv").write_text("mine too", encoding="utf-8")
    with pytest.raises(UsageError, match=r"not itpcohort outputs \('thesis.docx' and 1 more\)"):
        _write(out, {"a.txt": "1"})
    assert _files(out) == {"thesis.docx": "mine", "z.csv": "mine too"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_outputs_written_before_the_marker_existed_are_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    for name in ("study.duckdb", "report.html", ".DS_Store", "figures/figureS1_swimmer-6.png"):
        (out / name).write_text("old", encoding="utf-8")
    _write(out, {"results.json": "new"})
    assert _files(out) == {MARKER: _files(out)[MARKER], "results.json": "new"}


def test_folders_of_dead_commands_are_removed_and_a_killed_swap_is_undone(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    _write(out, {"a.txt": "1"})
    # killed between the two renames of a commit: the previous outputs are aside, the new beside
    out.rename(tmp_path / "out.old-999999")
    (tmp_path / "out.partial-999998").mkdir()
    (tmp_path / "out.partial-999998" / MARKER).write_text("", encoding="utf-8")
    user_folder = tmp_path / "out.partial-notes"  # not ours: no process id, no marker
    user_folder.mkdir()
    with OutputFolder(out) as folder:
        assert _files(out)["a.txt"] == "1"  # put back before anything else
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            ".out.lock",
            "out",
            folder.staging.name,
            "out.partial-notes",
        ]


def test_a_kept_folder_is_written_in_place_and_carried_into_the_new_set(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    with OutputFolder(out) as folder:
        kept = folder.keep("input")
        kept.mkdir()
        (kept / "patients.csv").write_text("rows", encoding="utf-8")
        assert (out / "input" / "patients.csv").is_file()  # named where it stays
        (folder.staging / "report.html").write_text("r", encoding="utf-8")
        folder.commit()
    assert set(_files(out)) == {MARKER, "input/patients.csv", "report.html"}


def test_a_file_given_as_the_output_folder_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("a file", encoding="utf-8")
    with pytest.raises(UsageError, match="not a folder"):
        _write(out, {})
