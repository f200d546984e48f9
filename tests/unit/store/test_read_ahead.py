"""The import reads the next chunk while DuckDB loads the current one (``staging.ReadAhead``):
the chunks, the fast reader's ``DISCARD`` and a reader's error reach the loader in file order, and
the reading thread stops whenever the import does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from itpcohort.config import StudyConfig
from itpcohort.errors import InputError, Problem
from itpcohort.store import import_study
from itpcohort.store import loading as pipeline_module
from itpcohort.store.intake import DISCARD, ReadAhead
from tests.fixtures.io_study import valid_tables, write_study


@dataclass
class _Staged:
    display: str


@dataclass
class _File:
    """Stands for an ``OpenedFile``: what ReadAhead uses of it is ``chunks()`` and its name."""

    name: str
    items: list[Any]
    error: BaseException | None = None
    given: list[Any] = field(default_factory=list)

    @property
    def staged(self) -> _Staged:
        return _Staged(self.name)

    def chunks(self) -> Iterator[Any]:
        for item in self.items:
            self.given.append(item)
            yield item
        if self.error is not None:
            raise self.error


def _reading_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "itpcohort-read-ahead"]


def test_chunks_come_per_file_in_order_with_the_discard_mark() -> None:
    a = _File("a.csv", ["a1", "a2", DISCARD, "a1 again"])
    b = _File("b.csv", [])
    c = _File("c.csv", ["c1"])
    read_ahead = ReadAhead([a, b, c])  # type: ignore[list-item]
    try:
        got = {f.name: list(read_ahead.chunks_of(f)) for f in (a, b, c)}  # type: ignore[arg-type]
    finally:
        read_ahead.close()
    assert got == {"a.csv": ["a1", "a2", DISCARD, "a1 again"], "b.csv": [], "c.csv": ["c1"]}


def test_a_reader_error_comes_after_the_chunks_before_it_and_the_next_file_still_comes() -> None:
    error = InputError("bad", (Problem("a.csv", 7, None, None, "cannot be read as CSV"),))
    a = _File("a.csv", ["a1"], error=error)
    b = _File("b.csv", ["b1"])
    read_ahead = ReadAhead([a, b])  # type: ignore[list-item]
    got: list[Any] = []
    try:
        with pytest.raises(InputError) as raised:
            for chunk in read_ahead.chunks_of(a):  # type: ignore[arg-type]
                got.append(chunk)
        assert raised.value is error
        assert got == ["a1"]
        assert list(read_ahead.chunks_of(b)) == ["b1"]  # type: ignore[arg-type]
    finally:
        read_ahead.close()


def test_close_stops_the_reading_midway() -> None:
    long = _File("long.csv", [f"chunk {i}" for i in range(1000)])
    read_ahead = ReadAhead([long])  # type: ignore[list-item]
    first = next(iter(read_ahead.chunks_of(long)))  # type: ignore[arg-type]
    started = time.perf_counter()
    read_ahead.close()
    assert first == "chunk 0"
    assert time.perf_counter() - started < 5
    assert not _reading_threads()
    assert len(long.given) < 10  # one chunk ahead, not the whole file


def test_no_reading_thread_outlives_an_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_study([write_study(tmp_path / "ok")], StudyConfig(), tmp_path / "ok.duckdb")
    assert not _reading_threads()

    original = pipeline_module.insert_canonical

    def failing(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(pipeline_module, "insert_canonical", failing)
    study = write_study(tmp_path / "failing", valid_tables())
    with pytest.raises(RuntimeError, match="simulated"):
        import_study([study], StudyConfig(), tmp_path / "failing.duckdb")
    assert not _reading_threads()
