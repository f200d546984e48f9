"""Benchmark of import + derivation (issue 4): ``itpcohort derive`` on synthetic studies.

For each size it prints the wall time and peak RSS of

* the bare DuckDB pass over the same CSV files (``bare_duckdb_pass``: read every table as text, sort
  the counts by patient and date, one lag window), twice — the faster run is the yardstick;
* ``itpcohort derive`` (validated import into DuckDB + every derived table + the CSV files), with
  DuckDB's memory limit set by ``ITPCOHORT_MEMORY_LIMIT``: by default here 6GB, the bare pass's
  own limit (issue 18; at 1M the peak RSS was 5.4 GiB with it, against 4.1 GiB and 10 % more time
  with the program's default of 4GB);
* at 100,000 patients or fewer, the plain-Python reference reading the same files
  (``tests/reference/csv_study.py``), and whether its courses.csv equals the engine's byte for byte;

and the ratios. Sizes: ``--sizes 100000,200000,1000000`` or ``ITPCOHORT_BENCH_SIZES``; the default
is 100,000. Studies are generated once (seed 1, 4 centers) under ``bench-output/`` and reused.
Targets (issue 4): 1M patients in ≤ 4× the bare pass with ≤ 6 GiB peak; ≥ 8× faster than the
reference at 100k. Each step runs in its own process so that its peak memory is its own.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from benchmarks._measure import Measurement, measure

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench-output"
DEFAULT_SIZES = (100_000,)
REFERENCE_MAX = 100_000
#: the bare pass's limit (``bare_duckdb_pass.bare_pass``), so that both spill alike
MEMORY_LIMIT = os.environ.get("ITPCOHORT_MEMORY_LIMIT", "6GB")


def _sizes(argv: list[str], default: tuple[int, ...] = DEFAULT_SIZES) -> tuple[int, ...]:
    text = os.environ.get("ITPCOHORT_BENCH_SIZES", "")
    if "--sizes" in argv:
        text = argv[argv.index("--sizes") + 1]
    return tuple(int(s) for s in text.split(",") if s) or default


def _study(patients: int) -> Path:
    study = OUTPUT / f"synth-{patients}"
    if not (study / "study.toml").exists():
        shutil.rmtree(study, ignore_errors=True)
        step = measure(
            f"synth {patients:,} patients",
            "from pathlib import Path; from itpcohort.synth import generate_study; "
            f"generate_study(Path({str(study)!r}), {patients}, 4, seed=1)",
        )
        print(step.line(), flush=True)
    return study


def bench(patients: int) -> None:
    """Measure the bare pass, the engine and (small sizes) the reference on one study size."""
    study = _study(patients)
    out = OUTPUT / f"derive-{patients}"
    shutil.rmtree(out, ignore_errors=True)
    # the bare pass varies by a third between runs at 1M (17.5 s and 23.5 s were seen): its
    # faster run of two is the yardstick, which makes the ratio the stricter of the two
    bare_runs = [
        measure(
            f"bare DuckDB pass, {patients:,} patients, run {run}",
            "from pathlib import Path; from benchmarks.bare_duckdb_pass import bare_pass; "
            f"bare_pass(Path({str(study)!r}))",
        )
        for run in (1, 2)
    ]
    for run in bare_runs:
        print(run.line(), flush=True)
    bare = min(bare_runs, key=lambda run: run.seconds)
    engine = measure(
        f"itpcohort derive, {patients:,} patients",
        f"from itpcohort.cli import program; program(['derive', {str(study)!r}, '--out', {str(out)!r}])",
        env={"ITPCOHORT_MEMORY_LIMIT": MEMORY_LIMIT},
    )
    print(engine.line(), flush=True)
    print(f"{'  ratio to the bare pass':<48} {engine.seconds / bare.seconds:9.2f} x", flush=True)
    if patients > REFERENCE_MAX:
        return
    reference_csv = OUTPUT / f"reference-courses-{patients}.csv"
    reference = measure(
        f"plain-Python reference, {patients:,} patients",
        "from pathlib import Path; from tests.reference.csv_study import reference_courses; "
        f"reference_courses(Path({str(study)!r}), Path({str(reference_csv)!r}))",
    )
    print(reference.line(), flush=True)
    print(
        f"{'  engine speed-up over the reference':<48} {reference.seconds / engine.seconds:9.2f} x",
        flush=True,
    )
    _compare(out / "derived" / "courses.csv", reference_csv, engine, reference)


def _compare(engine_csv: Path, reference_csv: Path, *steps: Measurement) -> None:
    if any(step.returncode for step in steps):
        print("  courses.csv not compared: a step failed")
        return
    same = engine_csv.read_bytes() == reference_csv.read_bytes()
    lines = engine_csv.read_bytes().count(b"\n") - 1
    print(f"  courses.csv ({lines:,} courses) equal to the reference: {'yes' if same else 'NO'}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark for every requested size."""
    argv = sys.argv[1:] if argv is None else argv
    for patients in _sizes(argv):
        bench(patients)


if __name__ == "__main__":
    main()
