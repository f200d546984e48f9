"""Failures of the disk become one line (issue 17, item 10): real errors, their messages."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from itpcohort.outputs import storage_problem

pytestmark = pytest.mark.skipif(
    not Path("/dev/full").exists(), reason="/dev/full: a device that is always full (Linux)"
)


def test_a_full_disk_while_python_writes_is_one_line() -> None:
    with pytest.raises(OSError) as caught, open("/dev/full", "w", encoding="utf-8") as handle:
        handle.write("x")
        handle.flush()
    assert storage_problem(caught.value) == "No space left on device (the disk is full)"


def test_a_full_disk_while_duckdb_writes_is_one_line() -> None:
    with duckdb.connect() as con, pytest.raises(duckdb.Error) as caught:
        con.execute("COPY (SELECT range FROM range(1000000)) TO '/dev/full' (FORMAT csv)")
    line = storage_problem(caught.value)
    assert line is not None and "\n" not in line
    assert line.startswith("the study database could not be written")


def test_an_error_that_is_not_the_disks_is_left_alone() -> None:
    assert storage_problem(ValueError("a bug")) is None
