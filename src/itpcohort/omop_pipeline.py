"""``validate``, ``derive`` and ``run`` of an OMOP CDM read in place (``omop.md``).

The CDM stays where it is: the mapping (``omop.reader``) builds the canonical tables as Ibis
expressions on the CDM's engine, the derivation runs there (``store.engines.derive_in_place``),
and only the marts, the rejected rows and the counts come back into the local output folder
(``study.duckdb`` holds the marts and ``rejected_rows``); the analysis and the report then run
as for any study (``pipeline.py``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from itpcohort.config import StudyConfig
from itpcohort.criteria import Criteria
from itpcohort.errors import InputError, Problem
from itpcohort.io.import_report import TableCounts, ValidationReport
from itpcohort.io.summary import write_rejected_rows
from itpcohort.omop.mapping import Mapping, load_mapping
from itpcohort.omop.reader import COUNTED_TABLES, CdmRead, read_cdm
from itpcohort.omop.source import OmopSource, cdm_tables, connect_source, parse_source
from itpcohort.outputs import OutputFolder
from itpcohort.pipeline import (
    DATABASE_NAME,
    REJECTED_ROWS_NAME,
    RESULTS_NAME,
    DerivedRun,
    StepCallback,
    sensitivity_criteria,
    write_derived_csvs,
)

#: how many rejected rows results.json lists (all are in rejected_rows.csv)
FIRST_REJECTIONS = 20


class NoPatientInScope(InputError):
    """The CDM holds no patient the study is about (exit status 1, README); ``notes`` say what
    the checks read as empty."""

    def __init__(self, message: str, notes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.notes = notes


@dataclass
class OmopInput:
    """An OMOP source connected and read through the mapping, with what the checks found."""

    source: OmopSource
    mapping: Mapping
    backend: Any
    read: CdmRead
    report: ValidationReport
    tables: Any  # store.engines.workspace: the checked tables kept on the engine

    def close(self) -> None:
        """Drop the tables kept on the engine and close the connection (a Spark session stays
        for the rest of the process)."""
        try:
            self.tables.close()
        finally:
            if self.source.engine != "spark":
                self.backend.disconnect()


def open_omop(text: str | Path, spark_session: Any = None) -> OmopInput:
    """Connect the ``omop:`` source ``text``, check its tables, read it through the mapping and
    count what it gives: rows read, loaded and rejected per OMOP table (``omop.md``, Checks).

    Raises ``NoPatientInScope`` when no person has an ITP condition and a protocol agent.
    """
    source = parse_source(text)
    mapping = load_mapping(source.mapping)
    from itpcohort.engines import workspace

    backend = connect_source(source, spark_session)
    kept = workspace(backend)
    try:
        tables, notes = cdm_tables(backend, source)
        read = read_cdm(tables, mapping, source.name, kept.materialize, kept.load)
        report = _report(backend, source, read, notes)
        if report.count("person").rows_read == 0:
            persons = int(backend.to_pyarrow(read.persons.count().as_table()).column(0)[0].as_py())
            itp = ", ".join(mapping.concept_set("scope", "itp").codes)
            raise NoPatientInScope(
                f"{source.display}: no patient in scope: none of its {persons:,} persons has both "
                f"a condition of the ITP set (ICD10 {itp} mapped to standard concepts, with "
                f"descendants) and an exposure to {' or '.join(mapping.document['scope']['agents'])}",
                report.notes,
            )
    except BaseException:
        kept.close()
        if source.engine != "spark":
            backend.disconnect()
        raise
    return OmopInput(source, mapping, backend, read, report, kept)


def _report(backend: Any, source: OmopSource, read: CdmRead, notes: list[str]) -> ValidationReport:
    """The checks' report: every rejected row as a problem, counts per OMOP table."""
    rejected = backend.to_pyarrow(read.rejected).to_pylist()
    problems = sorted(
        Problem(
            f"{source.display}#{r['table_name']}",
            r["row_id"],
            r["column_name"],
            r["value"],
            r["reason"],
        )
        for r in rejected
        if not r["held_back"]
    )
    held = sorted(
        Problem(
            f"{source.display}#{r['table_name']}",
            r["row_id"],
            r["column_name"],
            r["value"],
            r["reason"],
        )
        for r in rejected
        if r["held_back"]
    )
    import ibis

    labelled = [
        read.selected[t].mutate(table_name=ibis.literal(t, "string")) for t in COUNTED_TABLES
    ]
    union = labelled[0].union(*labelled[1:], distinct=False)
    per_table = union.group_by("table_name").aggregate(n=union.count())
    read_per_table = {
        row["table_name"]: int(row["n"]) for row in backend.to_pyarrow(per_table).to_pylist()
    }
    counts = []
    for table in COUNTED_TABLES:
        read_rows = read_per_table.get(table, 0)
        bad = sum(1 for r in rejected if r["table_name"] == table)
        back = sum(1 for r in rejected if r["table_name"] == table and r["held_back"])
        counts.append(TableCounts(table, read_rows, read_rows - bad, bad, back))
    return ValidationReport(
        tuple(problems),
        tuple(held),
        tuple(sorted(problems + held)),
        (),
        tuple(counts),
        tuple(notes),
    )


def not_carried(mapping: Mapping) -> list[str]:
    """What OMOP cannot carry and how each rule then reads (the report's data quality)."""
    return list(mapping.document.get("not_carried", {}).values())


def derive_omop(omop: OmopInput, criteria_sets: list[Criteria]) -> list[dict[str, pa.Table]]:
    """The marts under each criteria set, derived on the source's engine."""
    from itpcohort.engines import derive_in_place

    return derive_in_place(omop.backend, omop.read.canonical, criteria_sets)


def _write_local(staging: Path, report: ValidationReport, marts: dict[str, pa.Table]) -> None:
    """``study.duckdb`` (the marts and ``rejected_rows``) and ``rejected_rows.csv`` in ``staging``."""
    write_rejected_rows(staging / REJECTED_ROWS_NAME, report)
    rejected = pa.table(
        {
            "file": [p.file for p in report.rejected],
            "row": pa.array([p.row for p in report.rejected], pa.int64()),
            "column": [p.column for p in report.rejected],
            "value": [p.value for p in report.rejected],
            "reason": [p.reason for p in report.rejected],
        }
    )
    with duckdb.connect(str(staging / DATABASE_NAME)) as con:
        con.register("_rows", rejected)
        con.execute("CREATE TABLE rejected_rows AS SELECT * FROM _rows")
        con.unregister("_rows")
        for name, table in marts.items():
            con.register("_mart", table)
            con.execute(f'CREATE TABLE main."{name}" AS SELECT * FROM _mart')
            con.unregister("_mart")


def derive_study(
    omop: OmopInput, criteria: Criteria, out: OutputFolder, step: StepCallback
) -> DerivedRun:
    """``derive omop:...``: the marts derived in place, written as ``derived/*.csv``,
    ``study.duckdb`` and ``rejected_rows.csv`` into ``out`` (swapped in when done)."""
    step(f"deriving on {omop.source.engine} in place")
    (marts,) = derive_omop(omop, [criteria])
    _write_local(out.staging, omop.report, marts)
    written = write_derived_csvs(DerivedRun(criteria, marts), out.staging)
    out.commit()
    return DerivedRun(
        criteria, marts, tuple(out.path / p.relative_to(out.staging) for p in written)
    )


def data_quality(omop: OmopInput) -> dict[str, Any]:
    """results.json's ``data_quality`` of an OMOP source: counts per OMOP table (the source's
    name as center), the first rejections, and what OMOP could not carry."""
    report = omop.report
    return {
        "tables": [
            {
                "file": f"{omop.source.display}#{c.table}",
                "table": c.table,
                "center": omop.source.name,
                "rows_read": c.rows_read,
                "rows_loaded": c.rows_loaded,
                "rows_rejected": c.rows_rejected,
            }
            for c in report.counts
        ],
        "totals": [
            {
                "table": c.table,
                "rows_read": c.rows_read,
                "rows_loaded": c.rows_loaded,
                "rows_rejected": c.rows_rejected,
                "rows_held_back": c.rows_held_back,
            }
            for c in report.counts
        ],
        "first_rejections": [
            {"file": p.file, "row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
            for p in report.rejected[:FIRST_REJECTIONS]
        ],
        "n_rejected": len(report.rejected),
        "n_warnings": 0,
    }


def provenance(omop: OmopInput) -> dict[str, Any]:
    """results.json's ``provenance``: versions, and the source named without any password."""
    import ibis

    import itpcohort

    return {
        "itpcohort_version": itpcohort.__version__,
        "python": sys.version.split()[0],
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "import_run_id": None,
        "import_command": "run",
        "inputs": [
            {"path": omop.source.display, "sha256": "read in place (not hashed)", "bytes": None}
        ],
    }


def run_study(
    omop: OmopInput,
    config: StudyConfig,
    criteria: Criteria,
    out: OutputFolder,
    lang: str,
    accept_rejected: bool,
    step: StepCallback,
) -> tuple[dict[str, Any], Any]:
    """``run omop:...``: derive in place (the primary criteria and every sensitivity run), then
    analyse and report locally as ``pipeline.run_study`` does; returns (results, report files)."""
    from itpcohort.analysis import analyse
    from itpcohort.analysis.results import write_results_document
    from itpcohort.report import write_report

    report = omop.report
    if report.rejected and not accept_rejected:
        write_rejected_rows(out.staging / REJECTED_ROWS_NAME, report)
        out.commit()
        raise InputError(
            f"{len(report.rejected):,} row(s) were rejected (listed in "
            f"{out.path / REJECTED_ROWS_NAME}); correct them, or analyse without them with "
            "--accept-rejected"
        )
    varied = sensitivity_criteria(criteria)
    step(f"deriving on {omop.source.engine} in place")
    marts, *others = derive_omop(omop, [criteria, *varied.values()])
    _write_local(out.staging, report, marts)
    derived = DerivedRun(criteria, marts)
    write_derived_csvs(derived, out.staging)
    sensitivity = {
        name: DerivedRun(c, m).analysis_tables()
        for (name, c), m in zip(varied.items(), others, strict=True)
    }
    step("analysis plan")
    tables = derived.analysis_tables().checked()
    document = analyse(tables, config, sensitivity).to_json_dict()
    document["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    document["study"] = {"title": config.title, "lang": lang}
    document["data_quality"] = data_quality(omop)
    document["provenance"] = provenance(omop)
    document["omop"] = {
        "source": omop.source.display,
        "engine": omop.source.engine,
        "not_carried": not_carried(omop.mapping),
        "mapping": omop.mapping.text(),
    }
    write_results_document(document, out.staging / RESULTS_NAME)
    step("report")
    files = write_report(document, tables, out.staging, lang)
    out.commit()
    return document, files
