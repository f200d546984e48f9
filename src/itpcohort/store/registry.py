"""What the study database says about itself: rows per source file, and the provenance of the run.

Read by the pipeline for the report's data-quality and reproducibility sections (``architecture.md``:
the run registry holds input file hashes, criteria, versions and time).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import duckdb

import itpcohort
from itpcohort.schema import CANONICAL_COLUMNS


def rows_by_file(db_path: Path) -> list[dict[str, Any]]:
    """Per source file and table: its center, rows read, loaded and rejected (loaded + rejected = read).

    A file's center is the one center of its loaded rows, ``None`` when it loaded none, or
    ``"(several)"`` when one file holds several centers. Sorted by file and table.
    """
    loaded = " UNION ALL ".join(
        f"""SELECT source_file AS file, '{table}' AS table_name,
                   CASE WHEN count(DISTINCT center) > 1 THEN '(several)' ELSE min(center) END
                       AS center,
                   count(*) AS rows_loaded
            FROM main."{table}" GROUP BY source_file"""
        for table in CANONICAL_COLUMNS
    )
    query = f"""
        WITH loaded AS ({loaded}),
        rejected AS (
            SELECT file, table_name, count(*) AS rows_rejected
            FROM main.rejected_rows GROUP BY file, table_name
        )
        SELECT coalesce(l.file, r.file) AS file,
               coalesce(l.table_name, r.table_name) AS table_name,
               l.center,
               coalesce(l.rows_loaded, 0) + coalesce(r.rows_rejected, 0) AS rows_read,
               coalesce(l.rows_loaded, 0) AS rows_loaded,
               coalesce(r.rows_rejected, 0) AS rows_rejected
        FROM loaded l FULL OUTER JOIN rejected r
            ON l.file = r.file AND l.table_name = r.table_name
        ORDER BY file, table_name
    """
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(query).fetchall()
    keys = ("file", "table", "center", "rows_read", "rows_loaded", "rows_rejected")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def study_provenance(db_path: Path) -> dict[str, Any]:
    """Versions of the software and the inputs (path, SHA-256, bytes) of the latest import run."""
    import ibis

    with duckdb.connect(str(db_path), read_only=True) as con:
        row = con.execute(
            "SELECT run_id, command, inputs FROM main.runs ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
    run_id, command, inputs = row if row is not None else (None, None, "[]")
    return {
        "itpcohort_version": itpcohort.__version__,
        "python": sys.version.split()[0],
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "import_run_id": run_id,
        "import_command": command,
        "inputs": [
            {"path": item["file"], "sha256": item["sha256"], "bytes": item["bytes"]}
            for item in json.loads(inputs)
        ],
    }
