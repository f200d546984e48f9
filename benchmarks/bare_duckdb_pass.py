"""The yardstick of the derivation benchmark (issue 4): a bare DuckDB pass over the same CSV files.

It reads every table of every center as text, sorts the platelet counts by patient and date and
computes one lag window, which is the least any derivation of responses has to do. The derivation
benchmark reports its own time as a ratio to this pass, measured in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

TABLES = (
    "patients",
    "treatments",
    "platelet_counts",
    "bleeding_events",
    "adverse_events",
    "biomarkers",
    "investigator_assessments",
)


def bare_pass(study_dir: Path, memory_limit: str = "6GB") -> int:
    """Read all tables as text, sort counts by patient and date, one lag window; return rows read.

    Each file is read on its own so that DuckDB detects its dialect (centers differ in delimiter).
    """
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET enable_progress_bar = false")  # it would print over the benchmark's lines
    total = 0
    for table in TABLES:
        files = sorted(study_dir.glob(f"*/{table}.csv")) or sorted(study_dir.glob(f"{table}.csv"))
        if not files:
            continue
        parts = [f"select * from read_csv('{f}', all_varchar = true, header = true)" for f in files]
        con.execute(f"create table {table} as " + " union all by name ".join(parts))
        total += con.execute(f"select count(*) from {table}").fetchone()[0]  # type: ignore[index]
    con.execute(
        """
        select count(*), count(previous) from (
            select lag("date") over (partition by center, patient_id order by "date") as previous
            from (select coalesce(center, '') as center, patient_id, "date" from platelet_counts)
        )
        """
    ).fetchall()
    return total


if __name__ == "__main__":
    print(bare_pass(Path(sys.argv[1])))
