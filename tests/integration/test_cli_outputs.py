"""Outputs as one set, the lock, settings as SQL parameters and one line instead of a traceback
(issue 17, items 3, 7, 8 and 10), as a user runs the commands: real processes, real exit codes.

The full disk is a file size limit (``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored so that a write
fails with ``EFBIG`` as it fails with ``ENOSPC``): it needs no privilege, so it runs in CI. The
read-only folder is a folder without write permission; as root, the command runs without the
capabilities that let root write anywhere (``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``,
``CAP_FOWNER``), dropped from its bounding set before it starts.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from itpcohort.synth import generate_study

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and limits")


def itpcohort(
    *args: str | Path,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        preexec_fn=preexec_fn,
        cwd=cwd,
    )


def start(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "itpcohort", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command prints, checked to be one line with no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(out.name))


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def synthetic(factory: pytest.TempPathFactory, name: str, patients: int, seed: int) -> Path:
    study = factory.mktemp(name) / "study"
    generate_study(study, patients=patients, centers=1 + patients // 50, seed=seed)
    return study


@pytest.fixture(scope="module")
def small_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic(tmp_path_factory, "small", patients=23, seed=3)


@pytest.fixture(scope="module")
def large_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study whose swimmer plot has several parts (at most 50 included patients each)."""
    return synthetic(tmp_path_factory, "large", patients=150, seed=4)


@pytest.fixture
def earlier(small_study: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An output folder holding the outputs of an earlier import, and their snapshot."""
    out = tmp_path / "out"
    assert itpcohort("import", small_study, "--out", out).returncode == 0
    return out, snapshot(out)


@pytest.fixture(scope="module")
def small_run(
    small_study: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("fresh") / "out"
    result = itpcohort("run", small_study, "--out", out)
    assert result.returncode == 0, result.stderr
    return result, out


def test_a_second_run_into_a_folder_leaves_exactly_its_own_files(
    large_study: Path,
    small_study: Path,
    small_run: tuple[subprocess.CompletedProcess[str], Path],
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    assert itpcohort("run", large_study, "--out", out).returncode == 0
    assert (out / "figures" / "figureS1_swimmer-2.png").is_file()
    result = itpcohort("run", small_study, "--out", out)
    assert result.returncode == 0, result.stderr
    # the same files as the same run into a new folder: no swimmer part of the larger study
    assert set(snapshot(out)) == set(snapshot(small_run[1]))
    assert not (out / "figures" / "figureS1_swimmer-2.png").exists()
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["flow"]["screened"] == 23
    assert siblings(out) == ["out"]  # no staging or old folder left beside it


def test_run_ends_with_the_headline(
    small_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, out = small_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    orr = results["retreatment"]["orr_course2"]
    cr = results["retreatment"]["cr_course2"]
    flow = results["flow"]
    lines = result.stdout.splitlines()
    assert lines[-5:] == [
        f"{flow['included']} of {flow['screened']} patients included",
        f"overall response after course 2: {orr['n']}/{orr['denominator']} ({orr['pct']:.1f}%, "
        f"95% CI {orr['ci_low']:.1f}–{orr['ci_high']:.1f})",
        f"complete response after course 2: {cr['n']}/{cr['denominator']} ({cr['pct']:.1f}%, "
        f"95% CI {cr['ci_low']:.1f}–{cr['ci_high']:.1f})",
        f"results: {out / 'results.json'}",
        f"report: {out / 'report.html'} and {out / 'report.docx'}",
    ]


def test_a_run_killed_midway_leaves_the_earlier_outputs_intact(
    earlier: tuple[Path, dict[str, str]], small_study: Path, large_study: Path, tmp_path: Path
) -> None:
    out, before = earlier
    process = start("run", large_study, "--out", out)
    staging = tmp_path / f"out.partial-{process.pid}"
    try:
        wait_for(lambda: (staging / "derived" / "courses.csv").exists(), process)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(out) == before
    assert staging.is_dir()  # what it was writing
    # the next command clears what the killed one left
    assert itpcohort("import", small_study, "--out", out).returncode == 0
    assert siblings(out) == ["out"]


def test_a_run_that_fails_leaves_the_earlier_outputs_intact(
    earlier: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    out, before = earlier
    broken = tmp_path / "broken"
    generate_study(broken, patients=10, centers=1, seed=5)
    next(broken.rglob("platelet_counts.csv")).unlink()
    result = itpcohort("run", broken, "--out", out)
    assert result.returncode == 1
    assert "platelet_counts" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(out) == before
    assert siblings(out) == ["out"]


def _full_disk() -> None:
    """In the child: files cannot grow past 1 MiB, and a write past it fails (EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))


def test_a_run_on_a_full_disk_is_one_line_and_leaves_the_earlier_outputs_intact(
    earlier: tuple[Path, dict[str, str]], large_study: Path
) -> None:
    out, before = earlier
    result = itpcohort("run", large_study, "--out", out, preexec_fn=_full_disk)
    assert result.returncode == 1
    line = one_error_line(result)
    assert "File too large" in line or "could not be written" in line, line
    assert line.endswith(f"the outputs in {out} are as they were")
    assert snapshot(out) == before
    assert siblings(out) == ["out"]


def _without_root_powers() -> None:
    """In the child: root obeys file permissions (capabilities dropped before it starts)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@contextmanager
def read_only(*folders: Path) -> Iterator[None]:
    for folder in folders:
        folder.chmod(0o555)
    try:
        yield
    finally:
        for folder in folders:
            folder.chmod(0o755)


def test_a_read_only_output_folder_is_one_line_and_left_intact(
    earlier: tuple[Path, dict[str, str]], small_study: Path, tmp_path: Path
) -> None:
    out, before = earlier
    with read_only(out):
        result = itpcohort("import", small_study, "--out", out, preexec_fn=_without_root_powers)
    assert result.returncode == 1
    assert "read-only" in one_error_line(result)
    assert snapshot(out) == before
    parent = tmp_path / "locked"
    parent.mkdir()
    with read_only(parent):
        result = itpcohort(
            "run", small_study, "--out", parent / "out", preexec_fn=_without_root_powers
        )
    assert result.returncode == 1
    assert "Permission denied" in one_error_line(result)
    assert list(parent.iterdir()) == []


def test_a_concurrent_run_into_the_same_folder_is_refused(
    small_study: Path, large_study: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = start("run", large_study, "--out", out)
    try:
        wait_for(lambda: (tmp_path / f"out.partial-{first.pid}").is_dir(), first)
        second = itpcohort("run", small_study, "--out", out)
    finally:
        _, stderr = first.communicate(timeout=600)
    assert second.returncode == 1
    line = one_error_line(second)
    assert "another itpcohort command is writing into this folder" in line
    assert f"process {first.pid}" in line
    assert first.returncode == 0, stderr
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["flow"]["screened"] == 150


def test_an_output_folder_named_with_a_quote_works_end_to_end(
    small_study: Path, tmp_path: Path
) -> None:
    out = tmp_path / "l'étude"
    result = itpcohort("run", small_study, "--out", out)
    assert result.returncode == 0, result.stderr
    assert (out / "results.json").is_file() and (out / "report.html").is_file()


def test_a_memory_limit_that_is_not_a_size_is_refused_and_never_reaches_sql(
    small_study: Path, tmp_path: Path
) -> None:
    result = itpcohort(
        "import",
        small_study,
        "--out",
        tmp_path / "out",
        env={"ITPCOHORT_MEMORY_LIMIT": "1GB'; ATTACH 'x.db"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "ITPCOHORT_MEMORY_LIMIT=" in one_error_line(result)
    assert not (tmp_path / "x.db").exists()
    assert not (tmp_path / "out").exists()


def test_a_thread_count_that_is_not_a_number_is_one_line(small_study: Path, tmp_path: Path) -> None:
    result = itpcohort(
        "import", small_study, "--out", tmp_path / "out", env={"ITPCOHORT_THREADS": "abc"}
    )
    assert result.returncode == 2
    assert "ITPCOHORT_THREADS='abc'" in one_error_line(result)


def test_a_folder_holding_the_users_files_is_refused_and_left_alone(
    small_study: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = itpcohort("import", small_study, "--out", out)
    assert result.returncode == 2
    assert "not itpcohort outputs ('notes.txt')" in one_error_line(result)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_an_output_folder_holding_the_input_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate_study(out / "input", patients=5, centers=1, seed=6)
    result = itpcohort("run", out / "input", "--out", out)
    assert result.returncode == 2
    assert "holds the input" in one_error_line(result)
    assert (out / "input").is_dir()


def test_a_bad_criteria_key_fails_validate_as_it_fails_derive_and_is_printed_once(
    small_study: Path, tmp_path: Path
) -> None:
    config = tmp_path / "study.toml"
    config.write_text("[criteria]\nconfirm_day = 14\n", encoding="utf-8")
    for command in (["validate"], ["derive", "--out", str(tmp_path / "out")]):
        result = itpcohort(*command, small_study, "--config", config)
        assert result.returncode == 1, command
        assert "Traceback" not in result.stderr
        assert result.stderr.count("'confirm_day'") == 1, result.stderr
