"""`itpcohort run --protocol tpo-ra-switch --accept-rejected` on messy synthetic switch studies runs
to the end (issue 19: `synth --protocol tpo-ra-switch --messy F`).

The switch generator's rows get the flagship's kinds of injected errors (misspelled TPO-RAs, stop
reasons and adverse events, bad dates, an end before the start, duplicated and unknown
patients...). The run must finish with results.json and the report and conserve every row: per
table, loaded + rejected = read, where read is counted from the input files themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from input_rows import rows_read

from itpcohort.synth import generate_exposure_study


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "messy"), [(41, 0.02), (42, 0.06)])
def test_messy_switch_study_runs_to_the_end_and_conserves_every_row(
    tmp_path: Path, seed: int, messy: float
) -> None:
    study = tmp_path / "study"
    summary = generate_exposure_study(study, patients=300, centers=3, seed=seed, messy=messy)
    assert summary.injected_errors > 0
    read = rows_read(study)
    assert set(read) == {"patients", "treatments", "platelet_counts", "adverse_events"}

    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable, "-m", "itpcohort", "run", str(study), "--out", str(out),
            "--protocol", "tpo-ra-switch", "--accept-rejected",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    for name in ("results.json", "report.html", "report.docx", "rejected_rows.csv"):
        assert (out / name).is_file(), name
    results = json.loads((out / "results.json").read_text("utf-8"))
    assert results["switch"]["by_reason"]

    totals = {row["table"]: row for row in results["data_quality"]["totals"]}
    for table, n in read.items():
        assert totals[table]["rows_read"] == n, table
        assert totals[table]["rows_loaded"] + totals[table]["rows_rejected"] == n, table
    assert sum(totals[t]["rows_rejected"] for t in read) >= summary.injected_errors
