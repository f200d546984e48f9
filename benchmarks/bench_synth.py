"""Benchmark of ``itpcohort synth``: wall time, rows written and peak memory.

``python -m benchmarks.bench_synth`` times 100,000 patients; add ``--1m`` (or set
``ITPCOHORT_BENCH_1M=1``) to time 1,000,000 patients too. Each size runs in its own process so
that its peak resident memory is its own. Files go to a temporary folder, deleted afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_SIZES = (100_000,)
LARGE_SIZE = 1_000_000
CENTERS = 4


def _measure(patients: int, out_dir: str) -> None:
    """Generate one study and print its figures as JSON (run in a child process)."""
    from itpcohort.synth import generate_study

    summary = generate_study(Path(out_dir) / "study", patients, CENTERS, seed=1)
    size = sum(f.stat().st_size for f in (Path(out_dir) / "study").rglob("*.csv"))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "patients": patients,
                "seconds": summary.elapsed_seconds,
                "rows": summary.total_rows,
                "counts": summary.rows["platelet_counts"],
                "bytes": size,
                "peak_rss_mib": peak_kib / 1024,
            }
        )
    )


def run(patients: int) -> dict[str, float]:
    """Generate ``patients`` patients in a child process; return its figures."""
    with tempfile.TemporaryDirectory(prefix="itpcohort-bench-synth-") as out_dir:
        code = f"from benchmarks.bench_synth import _measure; _measure({patients}, {out_dir!r})"
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> None:
    """Time the sizes asked for and print one line per size."""
    args = sys.argv[1:] if argv is None else argv
    sizes = list(DEFAULT_SIZES)
    if "--1m" in args or os.environ.get("ITPCOHORT_BENCH_1M") == "1":
        sizes.append(LARGE_SIZE)
    for patients in sizes:
        f = run(patients)
        print(
            f"synth {f['patients']:>9,} patients, {CENTERS} centers: {f['seconds']:6.1f} s, "
            f"{f['rows']:,.0f} rows ({f['counts']:,.0f} platelet counts), "
            f"{f['bytes'] / 2**20:,.0f} MiB written, peak RSS {f['peak_rss_mib']:,.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
