"""Benchmark of the exposure protocol (issue 19, Benchmark): import + derive of a synthetic
``tpo-ra-switch`` study against the flagship's on a study of the same number of patients.

For each size it prints the wall time and peak RSS of ``itpcohort derive`` on a flagship study
(``synth.generate_study``, infusion courses) and on a switch study
(``synth.generate_exposure_study``, exposure courses; ``[study] protocol = "tpo-ra-switch"``), each
in its own process with DuckDB's memory limit ``ITPCOHORT_MEMORY_LIMIT`` (default here 4GB), and the
switch/flagship ratios (goal: within 1.5× in wall time). Sizes: ``--sizes 20000,100000`` or
``ITPCOHORT_SWITCH_BENCH_SIZES``; the default, used by ``make bench``, is 20,000 (the switch
generator loops over patients, about 3 ms each: 100,000 takes some minutes to write). Studies are
generated once (seed 1, 4 centers) under ``bench-output/`` and reused.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from benchmarks._measure import Measurement, measure

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench-output"
DEFAULT_SIZES = (20_000,)
MEMORY_LIMIT = os.environ.get("ITPCOHORT_MEMORY_LIMIT", "4GB")
PROTOCOL = "tpo-ra-switch"


def _sizes(argv: list[str]) -> tuple[int, ...]:
    text = os.environ.get("ITPCOHORT_SWITCH_BENCH_SIZES", "")
    if "--sizes" in argv:
        text = argv[argv.index("--sizes") + 1]
    return tuple(int(s) for s in text.split(",") if s) or DEFAULT_SIZES


def _study(kind: str, patients: int) -> Path:
    """The study of ``kind`` (``flagship`` or ``switch``) with ``patients`` patients, made once."""
    study = OUTPUT / f"synth-{patients}" if kind == "flagship" else OUTPUT / f"switch-{patients}"
    if (study / "study.toml").exists():
        return study
    shutil.rmtree(study, ignore_errors=True)
    if kind == "flagship":
        code = (
            "from pathlib import Path; from itpcohort.synth import generate_study; "
            f"generate_study(Path({str(study)!r}), {patients}, 4, seed=1)"
        )
    else:
        code = (
            "from pathlib import Path; from itpcohort.synth import generate_exposure_study; "
            f"generate_exposure_study(Path({str(study)!r}), {patients}, 4, seed=1, "
            f"protocol={PROTOCOL!r})"
        )
    print(measure(f"synth {kind} {patients:,} patients", code).line(), flush=True)
    return study


def _derive(kind: str, patients: int) -> Measurement:
    study = _study(kind, patients)
    out = OUTPUT / f"derive-{kind}-{patients}"
    shutil.rmtree(out, ignore_errors=True)
    step = measure(
        f"itpcohort derive, {kind}, {patients:,} patients",
        f"from itpcohort.cli import program; program(['derive', {str(study)!r}, '--out', {str(out)!r}])",
        env={"ITPCOHORT_MEMORY_LIMIT": MEMORY_LIMIT},
    )
    print(step.line(), flush=True)
    return step


def bench(patients: int) -> tuple[Measurement, Measurement]:
    """Import + derive of the flagship and of the switch study of ``patients`` patients."""
    flagship = _derive("flagship", patients)
    switch = _derive("switch", patients)
    if flagship.returncode or switch.returncode:
        print("  ratios not computed: a step failed", flush=True)
        return flagship, switch
    print(
        f"{'  switch / flagship, wall time':<48} {switch.seconds / flagship.seconds:9.2f} x",
        flush=True,
    )
    print(
        f"{'  switch / flagship, peak RSS':<48} "
        f"{switch.peak_rss_mib / flagship.peak_rss_mib:9.2f} x",
        flush=True,
    )
    return flagship, switch


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark for every requested size."""
    argv = sys.argv[1:] if argv is None else argv
    for patients in _sizes(argv):
        bench(patients)


if __name__ == "__main__":
    main()
