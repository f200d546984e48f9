"""Import benchmark: wall time, peak memory and rows per second of ``itpcohort import``.

``python -m benchmarks.import_bench`` imports a synthetic study of 100,000 patients (written by
``itpcohort synth``: every table, centers with their own delimiters and day-first dates, about 50
platelet counts per patient); add ``--1m`` (or set ``ITPCOHORT_BENCH_1M=1``) for 1,000,000 patients
too, and ``--messy F`` to inject errors into a fraction F of the rows. The study is written first
(not timed), then imported in a fresh child process, so that the peak resident memory is the
import's own. Files go to a temporary folder, deleted afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._measure import measure

DEFAULT_SIZES = (100_000,)
LARGE_SIZE = 1_000_000
CENTERS = 4


def _rows_in(study: Path) -> int:
    """Rows of every CSV file of ``study`` (lines minus headers; files hold no quoted newline)."""
    total = 0
    for path in study.rglob("*.csv"):
        if path.name == "injected_errors.csv":
            continue
        with path.open("rb") as handle:
            total += (
                sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1
            )
    return total


def run(patients: int, messy: float = 0.0) -> str:
    """Write a study of ``patients`` patients, import it in a child process; return a report line."""
    with tempfile.TemporaryDirectory(prefix="itpcohort-bench-import-") as work:
        study = Path(work) / "study"
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from itpcohort.synth import generate_study; "
                f"generate_study(Path(sys.argv[1]), {patients}, {CENTERS}, seed=1, messy={messy})",
                str(study),
            ],
            check=True,
        )
        rows = _rows_in(study)
        size = sum(f.stat().st_size for f in study.rglob("*.csv"))
        out = Path(work) / "out"
        code = (
            "import sys; from itpcohort.cli import program; "
            f"program(['import', {str(study)!r}, '--out', {str(out)!r}])"
        )
        result = measure(f"import {patients:,} patients", code)
        db_size = (out / "study.duckdb").stat().st_size if (out / "study.duckdb").exists() else 0
    return (
        f"{result.line()}  {rows:,} rows ({size / 2**20:,.0f} MiB of CSV, "
        f"database {db_size / 2**20:,.0f} MiB), {rows / result.seconds:,.0f} rows/s"
    )


def main(argv: list[str] | None = None) -> None:
    """Time the sizes asked for and print one line per size."""
    args = sys.argv[1:] if argv is None else argv
    sizes = list(DEFAULT_SIZES)
    if "--1m" in args or os.environ.get("ITPCOHORT_BENCH_1M") == "1":
        sizes.append(LARGE_SIZE)
    messy = float(args[args.index("--messy") + 1]) if "--messy" in args else 0.0
    for patients in sizes:
        print(run(patients, messy), flush=True)


if __name__ == "__main__":
    main()
