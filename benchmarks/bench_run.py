"""Benchmark of ``itpcohort run`` (report included) against ``itpcohort derive`` (issue 17, item 19).

For each size it prints the wall time and peak RSS of ``derive`` and of ``run`` on the same
synthetic study, their ratio, and what the report weighs: ``report.html``, ``report.docx``, the
number and size of the figure files and of ``tables/``. The report's cost must not grow with the
cohort: the target is ``run`` in well under twice the time of ``derive`` at 200,000 patients.
A small study's ``run`` is mostly fixed costs (start-up, libraries, planning): issue 18's target
is ``run`` of 50 patients in at most 5 s on this machine.

Sizes: ``--sizes 200000`` or ``ITPCOHORT_BENCH_SIZES`` (shared with ``bench_derive``); by
default 50 and 5,000 patients and the target's 200,000 (about 85 s for the commands on this
machine, plus generating the studies the first time). Studies are generated once (seed 1,
4 centers) under ``bench-output/`` and reused; each step runs in its own process.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from benchmarks._measure import measure
from benchmarks.bench_derive import MEMORY_LIMIT, OUTPUT, _sizes, _study

DEFAULT_SIZES = (50, 5_000, 200_000)


def _megabytes(paths: list[Path]) -> float:
    return sum(path.stat().st_size for path in paths) / 1e6


def bench(patients: int) -> None:
    """Time ``derive`` and ``run`` on one study size and print the size of the report."""
    study = _study(patients)
    steps = {}
    for command in ("derive", "run"):
        out = OUTPUT / f"{command}-report-{patients}"
        shutil.rmtree(out, ignore_errors=True)
        steps[command] = measure(
            f"itpcohort {command}, {patients:,} patients",
            f"from itpcohort.cli import program; program([{command!r}, {str(study)!r}, '--out', "
            f"{str(out)!r}])",
            env={"ITPCOHORT_MEMORY_LIMIT": MEMORY_LIMIT},
        )
        print(steps[command].line(), flush=True)
    ratio = steps["run"].seconds / steps["derive"].seconds
    print(f"{'  ratio run / derive':<48} {ratio:9.2f} x", flush=True)
    out = OUTPUT / f"run-report-{patients}"
    if steps["run"].returncode:
        return
    for name in ("report.html", "report.docx"):
        print(f"{'  ' + name:<48} {_megabytes([out / name]):9.1f} MB")
    for folder in ("figures", "tables"):
        files = sorted((out / folder).iterdir())
        print(f"{f'  {folder}/ ({len(files)} files)':<48} {_megabytes(files):9.1f} MB")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark for every requested size."""
    argv = sys.argv[1:] if argv is None else argv
    for patients in _sizes(argv, DEFAULT_SIZES):
        bench(patients)


if __name__ == "__main__":
    main()
