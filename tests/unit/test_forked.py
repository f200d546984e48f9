"""``shared.forked``: work done in a forked child process is done, and its error reaches the
parent as the same error (a full disk stays one clear line)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from itpcohort.shared.forked import forked, start_forked


def test_the_child_does_the_work_with_the_parents_memory(tmp_path: Path) -> None:
    rows = [f"row {i}" for i in range(1000)]  # not pickled: the child reads it as forked
    parent = os.getpid()
    seen: list[int] = []

    def work() -> None:
        seen.append(os.getpid())  # in the child's memory only
        (tmp_path / "out.txt").write_text("\n".join(rows))
        (tmp_path / "pid").write_text(str(os.getpid()))

    with forked(work):
        pass
    assert (tmp_path / "out.txt").read_text().splitlines() == rows
    assert int((tmp_path / "pid").read_text()) != parent
    assert seen == []


def test_the_childs_error_is_raised_in_the_parent() -> None:
    def work() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "tables/swimmer_data.csv")

    wait = start_forked(work)
    with pytest.raises(OSError) as raised:
        wait()
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == "tables/swimmer_data.csv"


def test_the_blocks_own_error_wins_and_the_child_is_waited_for(tmp_path: Path) -> None:
    def work() -> None:
        (tmp_path / "done").write_text("yes")
        raise ValueError("the child's")

    with pytest.raises(KeyError, match="the block's"), forked(work):
        raise KeyError("the block's")
    assert (tmp_path / "done").read_text() == "yes"


def test_a_child_that_dies_without_a_result_is_an_error() -> None:
    wait = start_forked(lambda: os._exit(3))
    with pytest.raises(RuntimeError, match="exit status 3"):
        wait()


def test_waiting_again_gives_the_same_value_or_error_without_a_second_child() -> None:
    wait = start_forked(lambda: os.getpid())
    child = wait()
    assert child != os.getpid()
    assert wait() == child  # the same child's value, received once

    def work() -> None:
        raise ValueError("once")

    failing = start_forked(work)
    for _ in range(2):
        with pytest.raises(ValueError, match="once"):
            failing()
