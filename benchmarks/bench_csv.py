"""The derived-CSV step timed both ways on one study database (issue 18, item 4).

    python -m benchmarks.bench_csv OUT/study.duckdb [--repeat 3]

Runs the derivation once (its marts stay as temporary tables), then writes every derived CSV file
(a) with DuckDB's ``COPY`` straight from those tables (``store.csv_copy``, what ``derive`` and
``run`` do) and (b) with the Arrow formatter of ``derive.serialize`` over the marts already
executed to Arrow (the former path; the executing to Arrow is not counted). Prints seconds per
way, best of ``--repeat``, and checks that both give the same bytes. Asserts nothing else.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from itpcohort.criteria import criteria_set
from itpcohort.derivation import compile_derivation, run_compiled, temp_table
from itpcohort.derive import MARTS
from itpcohort.derive.serialize import MART_LAYOUTS, derived_csv_bytes
from itpcohort.store import connect_ibis, execute_to_arrow
from itpcohort.store.csv_copy import copy_csv


def main() -> None:
    """Time the two ways of writing the derived CSV files of one database."""
    parser = argparse.ArgumentParser()
    parser.add_argument("database", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    criteria = criteria_set("iwg2009")
    backend = connect_ibis(args.database)
    started = time.perf_counter()
    run_compiled(backend, compile_derivation(criteria))
    print(f"derivation (temp tables)          {time.perf_counter() - started:8.2f} s")
    marts = {
        name: execute_to_arrow(backend.table(temp_table(name), database=("temp", "main")))
        for name in MARTS
    }
    rows = sum(t.num_rows for t in marts.values())
    print(f"marts: {rows:,} rows; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-csv-") as folder:
        copy_dir, arrow_dir = Path(folder) / "copy", Path(folder) / "arrow"
        copy_dir.mkdir()
        arrow_dir.mkdir()
        best_copy = best_arrow = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            for name in MARTS:
                columns, sort_by = MART_LAYOUTS[name]
                source = f'temp.main."{temp_table(name)}"'
                copy_csv(backend.con, source, columns, sort_by, copy_dir / f"{name}.csv")
            best_copy = min(best_copy, time.perf_counter() - started)
            started = time.perf_counter()
            for name in MARTS:
                (arrow_dir / f"{name}.csv").write_bytes(derived_csv_bytes(name, marts[name]))
            best_arrow = min(best_arrow, time.perf_counter() - started)
        same = all(
            (copy_dir / f"{n}.csv").read_bytes() == (arrow_dir / f"{n}.csv").read_bytes()
            for n in MARTS
        )
    print(f"CSV files by DuckDB COPY          {best_copy:8.2f} s  (best of {args.repeat})")
    print(f"CSV files by the Arrow formatter  {best_arrow:8.2f} s  (best of {args.repeat})")
    print(f"same bytes: {same}; load average {os.getloadavg()[0]:.1f}")
    backend.disconnect()


if __name__ == "__main__":
    main()
