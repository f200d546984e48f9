"""Import benchmark: wall time, peak memory and rows per second of ``itpcohort import``.

Writes a bulk study (one center folder per center, valid rows, ``counts_per_patient`` platelet
counts per patient) with vectorised numpy/pyarrow, then imports it in a child process so that its
peak resident memory can be measured alone. Sizes: ``ITPCOHORT_BENCH_PATIENTS`` (default 100,000)
and ``ITPCOHORT_BENCH_COUNTS`` (counts per patient, default 50).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

EPOCH = np.datetime64("2000-01-01")


def _text(values: object) -> pa.Array:
    """Strings as one Arrow array (large offsets: 50 million dates pass 2 GiB)."""
    return pa.array(values, pa.large_string())


def _dates(days: np.ndarray) -> pa.Array:
    return _text((EPOCH + days.astype("timedelta64[D]")).astype(str))


def write_bulk_study(root: Path, patients: int, counts_per_patient: int, centers: int = 4) -> int:
    """Write a valid bulk study under ``root``; return the number of rows written."""
    rng = np.random.default_rng(20240601)
    if root.exists():
        shutil.rmtree(root)
    total = 0
    per_center = np.array_split(np.arange(patients), centers)
    for index, ids in enumerate(per_center):
        code = f"C{index + 1:02d}"
        folder = root / code
        folder.mkdir(parents=True)
        n = len(ids)
        pid = _text([f"{code}-{i:07d}" for i in ids])
        birth = rng.integers(0, 365 * 30, n) - 365 * 40
        diagnosis = rng.integers(0, 365 * 5, n)
        followup = diagnosis + 365 * 8
        pacsv.write_csv(
            pa.table(
                {
                    "patient_id": pid,
                    "center": _text([code] * n),
                    "sex": _text(np.where(rng.random(n) < 0.6, "F", "M")),
                    "birth_date": _dates(birth),
                    "diagnosis_date": _dates(diagnosis),
                    "itp_type": _text(["primary"] * n),
                    "secondary_cause": _text([""] * n),
                    "last_followup_date": _dates(followup),
                    "death_date": _text([""] * n),
                    "death_cause": _text([""] * n),
                }
            ),
            folder / "patients.csv",
            pacsv.WriteOptions(quoting_style="none"),
        )
        # two rituximab courses of four infusions and one steroid exposure per patient
        offsets = np.array([0, 7, 14, 21, 700, 707, 714, 721])
        rtx_days = (diagnosis[:, None] + 400 + offsets[None, :]).ravel()
        treatments = pa.table(
            {
                "patient_id": pa.concat_arrays([pid.take(np.repeat(np.arange(n), 8)), pid]),
                "drug": _text(["rituximab"] * (8 * n) + ["prednisone"] * n),
                "start_date": pa.concat_arrays([_dates(rtx_days), _dates(diagnosis)]),
                "end_date": pa.concat_arrays([_text([""] * (8 * n)), _dates(diagnosis + 30)]),
                "dose": _text(["375"] * (8 * n) + ["60"] * n),
                "dose_unit": _text(["mg/m2"] * (8 * n) + ["mg"] * n),
                "rescue": _text(["no"] * (9 * n)),
            }
        )
        pacsv.write_csv(
            treatments, folder / "treatments.csv", pacsv.WriteOptions(quoting_style="none")
        )
        m = n * counts_per_patient
        count_days = diagnosis.repeat(counts_per_patient) + rng.integers(0, 365 * 8, m)
        pacsv.write_csv(
            pa.table(
                {
                    "patient_id": pid.take(np.repeat(np.arange(n), counts_per_patient)),
                    "date": _dates(count_days),
                    "platelets": _text(rng.integers(1, 400, m).astype(str)),
                    "unit": _text(np.where(rng.random(m) < 0.5, "G/L", "")),
                }
            ),
            folder / "platelet_counts.csv",
            pacsv.WriteOptions(quoting_style="none"),
        )
        total += n + 9 * n + m
    return total


def run_import(study: Path, out: Path) -> tuple[float, float]:
    """Import ``study`` into ``out`` in a child process; return (seconds, peak RSS in MiB)."""
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "itpcohort", "import", str(study), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode != 0:
        raise RuntimeError(f"import failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return seconds, max(peak, before) / 1024


def main(work: Path | None = None) -> None:
    """Write the bulk study and print the import's wall time, peak RSS and rows per second."""
    patients = int(os.environ.get("ITPCOHORT_BENCH_PATIENTS", "100000"))
    counts = int(os.environ.get("ITPCOHORT_BENCH_COUNTS", "50"))
    work = work or Path("bench-output") / "import"
    study = work / "study"
    start = time.perf_counter()
    rows = write_bulk_study(study, patients, counts)
    written = time.perf_counter() - start
    size = sum(f.stat().st_size for f in study.rglob("*.csv"))
    seconds, peak_mib = run_import(study, work / "out")
    print(
        f"import: {patients:,} patients, {rows:,} rows ({size / 2**20:,.0f} MiB of CSV, "
        f"written in {written:.1f} s): {seconds:.1f} s wall, peak RSS {peak_mib:,.0f} MiB, "
        f"{rows / seconds:,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
