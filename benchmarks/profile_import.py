"""Where the import spends its time: every SQL statement of ``store.import_study``, grouped by
its text (numbers masked), with its wall time and the CPU time of the process meanwhile.

    python -m benchmarks.profile_import bench-output/synth-100000 [--out DIR] [--top 15]

A CPU/wall ratio under 2 on this 2-core machine shows a statement that leaves a core idle. The
last line splits the whole import into SQL and the rest (opening and scanning the files, Python).
Asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import itpcohort.store.importer as importer
from itpcohort import pipeline
from itpcohort.criteria import criteria_from_config
from itpcohort.io import resolve_config

ROOT = Path(__file__).resolve().parent.parent


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _TimedConnection:
    """A DuckDB connection whose ``execute`` adds its wall and CPU time to ``stats``."""

    def __init__(self, con: Any, stats: dict[str, list[float]]) -> None:
        self._con, self._stats = con, stats

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), _cpu()
        result = self._con.execute(sql, *args, **kwargs)
        key = re.sub(r"\d+", "N", re.sub(r"\s+", " ", sql.strip()))[:64]
        entry = self._stats[key]
        entry[0] += 1
        entry[1] += time.perf_counter() - wall
        entry[2] += _cpu() - cpu
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def profile(study: Path, out: Path, top: int) -> None:
    """Import ``study`` into ``out`` and print the ``top`` statements by wall time."""
    stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    connect = importer.connect
    importer.connect = lambda *a, **k: _TimedConnection(connect(*a, **k), stats)  # type: ignore[assignment]
    try:
        config = resolve_config([study], None)
        shutil.rmtree(out, ignore_errors=True)
        wall, cpu = time.perf_counter(), _cpu()
        pipeline.import_inputs([study], config, out, criteria_from_config(config), command="import")
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    finally:
        importer.connect = connect  # type: ignore[assignment]
    print(f"{'wall':>7} {'cpu':>7} {'cpu/wall':>8} {'n':>4}  statement")
    for key, (n, seconds, cpu_seconds) in sorted(stats.items(), key=lambda kv: -kv[1][1])[:top]:
        print(f"{seconds:7.2f} {cpu_seconds:7.2f} {cpu_seconds / seconds:8.2f} {int(n):4d}  {key}")
    sql_wall = sum(v[1] for v in stats.values())
    sql_cpu = sum(v[2] for v in stats.values())
    print(
        f"import {wall:.2f} s wall, {cpu:.2f} s CPU; SQL {sql_wall:.2f} s wall, {sql_cpu:.2f} s CPU; "
        f"the rest {wall - sql_wall:.2f} s wall"
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and profile one import."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("study", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    out = args.out or ROOT / "bench-output" / f"profile-import-{args.study.name}"
    profile(args.study, out, args.top)


if __name__ == "__main__":
    main()
