"""Where ``itpcohort derive`` spends its time: the import, then each materialised model, the
persistence of the marts and the CSV files (issue 4: "profile before optimising").

    python -m benchmarks.profile_stages bench-output/synth-1000000 [--out DIR] [--skip-import]

It runs ``pipeline.import_inputs``, ``derivation.compile_derivation`` (timed apart: ``derive`` and
``run`` overlap it with the import) and ``pipeline.derive_marts`` (which reports how long each
``TABLE_MODELS`` model took; a model that is inlined is counted in the model that reads it), which
also persists the marts and writes the CSV files. ``--skip-import`` reuses the study database
already in ``--out`` (default ``bench-output/profile-<study name>``). Prints seconds per stage and
the peak RSS; asserts nothing. DuckDB's memory limit is ``ITPCOHORT_MEMORY_LIMIT`` (default 4GB).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

from itpcohort import pipeline
from itpcohort.criteria import criteria_from_config
from itpcohort.derivation import compile_derivation
from itpcohort.io import resolve_config

ROOT = Path(__file__).resolve().parent.parent


def _line(label: str, seconds: float) -> None:
    print(f"{label:<58} {seconds:8.2f} s", flush=True)


def profile(study: Path, out: Path, skip_import: bool) -> None:
    """Run import + derivation + CSVs on ``study`` into ``out``, printing the time of each stage."""
    config = resolve_config([study], None)
    criteria = criteria_from_config(config)
    if not skip_import:
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        pipeline.import_inputs([study], config, out, criteria, command="derive")
        _line("import (validate + load canonical tables)", time.perf_counter() - started)
    started = time.perf_counter()
    # derive and run compile in a thread during the import; timed apart here, so that the line
    # of the outputs below holds the outputs only
    compiled = compile_derivation(criteria)
    _line("compile the derivation (during the import in derive/run)", time.perf_counter() - started)
    started = time.perf_counter()
    models = 0.0

    def on_model(name: str, seconds: float) -> None:
        nonlocal models
        models += seconds
        _line(f"  {name}", seconds)

    pipeline.derive_marts(
        out / pipeline.DATABASE_NAME,
        criteria,
        persist=True,
        on_model=on_model,
        csv_dir=out,
        compiled=compiled,
    )
    total = time.perf_counter() - started
    _line("  marts read back, persisted, CSV files written", total - models)
    _line("derive: the models and the outputs above", total)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{'peak RSS':<58} {peak:8.2f} GiB")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and profile one study."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("study", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "bench-output" / f"profile-{args.study.name}"
    profile(args.study, out, args.skip_import)


if __name__ == "__main__":
    main()
