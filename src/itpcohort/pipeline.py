"""The layers wired together for ``derive``, ``run`` and ``demo`` (``architecture.md``).

io/store import the center files into ``study.duckdb``; derive/ builds the marts as Ibis expressions,
executed here, at the edge; analysis/ turns the executed tables into results; report/ writes the
documents. Each step reads only what the step before it wrote.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from itpcohort.config import StudyConfig
from itpcohort.criteria import Criteria
from itpcohort.derivation import (
    CompiledDerivation,
    compile_derivation,
    compile_warnings,
    read_by,
    run_compiled,
    sharing,
    temp_table,
)
from itpcohort.derived_schema import mart_names
from itpcohort.errors import InputError
from itpcohort.io.import_report import ImportReport, ValidationReport
from itpcohort.io.summary import write_rejected_rows
from itpcohort.outputs import OutputFolder
from itpcohort.shared.forked import start_forked
from itpcohort.store import (
    check_stored_study,
    connect_sql,
    import_study,
    persist_temp_tables,
    rows_by_file,
    study_provenance,
    validate_study,
)

if TYPE_CHECKING:  # analysis/ and report/ load scipy, lifelines and matplotlib (1.2 s): the
    # derive command, which needs neither, imports them only when it analyses
    from itpcohort.analysis import DerivedTables
    from itpcohort.analysis.sensitivity import SensitivityRow
    from itpcohort.report import ReportFiles, SwimmerArtwork
    from itpcohort.report._figures import FigureImage

DATABASE_NAME = "study.duckdb"
RESULTS_NAME = "results.json"
DERIVED_DIR = "derived"
REJECTED_ROWS_NAME = "rejected_rows.csv"

_Value = TypeVar("_Value")

#: a step callback: called with the name of each step as it starts (for a progress display)
StepCallback = Callable[[str], None]


def _no_progress(_step: str) -> None:
    return None


@dataclass(frozen=True)
class DerivedRun:
    """The executed marts of one derivation (one criteria set), as Arrow tables by mart name."""

    criteria: Criteria
    marts: dict[str, pa.Table]
    #: the derived CSV files written (``derive_marts(csv_dir=...)``), in mart order
    csv_files: tuple[Path, ...] = ()
    #: the marts of each sensitivity run derived with it (``derive_marts(sensitivity=...)``)
    sensitivity: Mapping[str, DerivedRun] = dataclasses.field(default_factory=dict)

    def analysis_tables(self) -> DerivedTables:
        """The marts as the pandas frames the analysis layer reads."""
        from itpcohort.analysis import DerivedTables

        frames = {name: table.to_pandas() for name, table in self.marts.items()}
        first_switch = self.criteria.courses.kind == "exposure"
        if first_switch:  # the compared pair as courses 1 and 2 (protocols.md, tpo-ra-switch)
            from itpcohort.analysis.switch import comparison_frames

            frames = comparison_frames(frames, self.criteria.similar_duration_ratio)
        investigator = frames["investigator_comparison"]
        return DerivedTables(
            courses=frames["courses"],
            patient_baseline=frames["patient_baseline"],
            retreatment=frames["retreatment"],
            ae_by_course=frames["ae_by_course"],
            investigator_comparison=investigator if len(investigator) else None,
            criteria=self.criteria.as_dict(),
            treatment_events=frames["patient_treatment_events"],
            first_switch=first_switch,
        )


def import_inputs(
    inputs: list[Path],
    config: StudyConfig,
    out_dir: Path,
    criteria: Criteria,
    command: str,
    previous: Path | None = None,
    warnings_sql: str | Callable[[], str] | None = None,
) -> ImportReport:
    """Import ``inputs`` into ``out_dir/study.duckdb`` and write ``rejected_rows.csv`` beside it.

    ``previous``: the output folder whose database's run registry is carried over (the folder a
    staging folder will replace, ``outputs.OutputFolder``); by default ``out_dir`` itself.
    ``warnings_sql``: the query of the warnings under ``criteria`` when the caller has compiled
    it already, or a call that gives it once the rows are loaded (``derivation.compile_warnings``);
    by default it is compiled here.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    report = import_study(
        inputs,
        config,
        out_dir / DATABASE_NAME,
        command=command,
        criteria=criteria.as_dict(),
        previous=None if previous is None else previous / DATABASE_NAME,
        warnings_sql=compile_warnings(criteria) if warnings_sql is None else warnings_sql,
    )
    write_rejected_rows(out_dir / REJECTED_ROWS_NAME, report)
    return report


def validate_inputs(inputs: list[Path], config: StudyConfig) -> ValidationReport:
    """Every row-level problem, held-back row, warning and per-table count of ``inputs``, as an
    import would find them (``data-model.md``); no database is written (``itpcohort validate``).

    The warnings follow the study's criteria (``config``'s criteria set and overrides): the
    courses and baseline range of the derivation. Raises InputError for file-level problems
    (missing table or column, identifier column, empty or unreadable file) and bad criteria.
    """
    from itpcohort.criteria import criteria_from_config

    warnings_sql = compile_warnings(criteria_from_config(config))
    return validate_study(inputs, config, warnings_sql)


def derive_marts(
    db_path: Path,
    criteria: Criteria,
    persist: bool = False,
    on_model: Callable[[str, float], None] | None = None,
    csv_dir: Path | None = None,
    compiled: CompiledDerivation | None = None,
    sensitivity: Mapping[str, CompiledDerivation] | None = None,
) -> DerivedRun:
    """Build every mart from the canonical tables of ``db_path`` under ``criteria`` and execute it.

    ``compiled`` is the derivation already compiled under ``criteria``
    (``compile_derivations``, run in a forked child while the import loads the data); without
    it, it is compiled here.
    With ``persist``, the marts are also written into the study database (the primary derivation;
    sensitivity re-derivations are not stored). With ``csv_dir``, the derived CSV files are
    then written there by DuckDB from the tables that hold the marts (``write_derived_csvs``).
    ``sensitivity``: the derivation of each sensitivity run (``flagship-study.md``, 7), compiled
    on its own, by run name; each is then derived on the same connection, reading the tables of
    every model its overrides leave unchanged (``derivation.sharing``), into the run's
    ``sensitivity``. ``on_model(name, seconds)`` is told how long each materialised model took
    (``benchmarks/profile_stages.py``).
    """
    if compiled is None:
        compiled = compile_derivation(criteria)
    if compiled.criteria != criteria:
        raise ValueError("the compiled derivation is not that of these criteria")
    runs = {name: sharing(compiled, c, f"{name}__") for name, c in (sensitivity or {}).items()}
    backend = connect_sql(db_path)  # only SQL runs here: Ibis is not loaded
    written: list[Path] = []
    try:
        check_stored_study(backend.con, db_path)
        # the models read twice or more are computed once (derive.TABLE_MODELS), as temp tables
        # that vanish with the connection; those a sensitivity run reads are kept for it
        run_compiled(backend, compiled, on_model, kept=read_by(runs.values()))
        run = _executed(backend, compiled)
        if persist:
            marts = mart_names(criteria.courses.kind)
            persist_temp_tables(backend, {name: temp_table(name) for name in marts})
        if csv_dir is not None:  # after the persisting: a full disk leaves the marts stored
            written = write_derived_csvs(run, csv_dir, backend.con, persisted=persist)
        derived_runs = {}
        for name, varied in runs.items():
            run_compiled(backend, varied)
            derived_runs[name] = _executed(backend, varied, run)
    finally:
        backend.disconnect()
    return DerivedRun(criteria, run.marts, tuple(written), derived_runs)


def _executed(
    backend: Any, compiled: CompiledDerivation, primary: DerivedRun | None = None
) -> DerivedRun:
    """The marts of ``compiled``, once run on ``backend``, as Arrow tables. A mart ``compiled``
    shares with the ``primary`` derivation (``derivation.sharing``: the same table) is the
    primary's Arrow table, not fetched again. DuckDB fetches each table itself: the first
    execution through Ibis costs 0.2 s of set-up."""
    return DerivedRun(
        compiled.criteria,
        {
            name: primary.marts[name]
            if primary is not None and name in compiled.shared
            else backend.con.sql(f'SELECT * FROM temp."{compiled.table(name)}"').to_arrow_table()
            for name in mart_names(compiled.criteria.courses.kind)
        },
    )


def compile_derivations(criteria_sets: Sequence[Criteria]) -> list[CompiledDerivation]:
    """The derivation compiled under each criteria set, in order (``derivation.compile_derivation``).

    ``derive`` and ``run`` call it in a forked child process while they import the data (and
    ``run`` loads its libraries): compiling is Python's work, which a thread would do on this
    process's one interpreter lock, in turns with the import's own Python work. A model that an
    earlier criteria set built the same is not compiled again (``compile_derivation``'s
    ``compiled_before``).
    """
    compiled_before: dict[tuple[str, Any], tuple[str, ...]] = {}
    return [compile_derivation(criteria, compiled_before) for criteria in criteria_sets]


def write_derived_csvs(
    run: DerivedRun, out_dir: Path, con: Any = None, persisted: bool = False
) -> list[Path]:
    """Write each mart as ``out_dir/derived/<mart>.csv`` (``response-criteria.md`` formats,
    ``derive.serialize.MART_LAYOUTS``); return the paths written.

    DuckDB's ``COPY`` writes each file (``store.csv_copy``): from the temporary table of the mart
    when ``con`` is the connection that derived it, or, once the marts are ``persisted`` in its
    study database, from their tables there, two files at a time (``con`` writes the courses, a
    second connection the other marts meanwhile: a ``COPY`` keeps under two cores busy); else
    from ``run``'s Arrow table (the marts of another engine). ``investigator_comparison.csv`` is
    written only when the study has investigator assessments.
    """
    from itpcohort.derived_schema import marts_of_kind
    from itpcohort.store.csv_copy import arrow_csv_bytes, copy_csv

    folder = out_dir / DERIVED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for mart in marts_of_kind(run.criteria.courses.kind):
        path = folder / f"{mart.name}.csv"
        if mart.name == "investigator_comparison" and run.marts[mart.name].num_rows == 0:
            path.unlink(missing_ok=True)
            continue
        if con is None:
            path.write_bytes(arrow_csv_bytes(run.marts[mart.name], mart.names, mart.sort_by))
        written.append((path, mart))
    if con is not None:
        schema = "main" if persisted else "temp.main"

        def copy(connection: Any, jobs: list[tuple[Path, Any]]) -> None:
            for path, mart in jobs:
                table = mart.name if persisted else temp_table(mart.name)
                copy_csv(connection, f'{schema}."{table}"', mart.names, mart.sort_by, path)

        if not persisted:
            copy(con, written)
        else:
            second = con.cursor()
            try:
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="itpcohort-csv") as pool:
                    others = pool.submit(copy, second, written[1:])
                    copy(con, written[:1])
                    others.result()
            finally:
                second.close()
    return [path for path, _ in written]


def sensitivity_criteria(
    criteria: Criteria, entries: Sequence[str] | None = None
) -> dict[str, Criteria]:
    """The criteria of each sensitivity run that re-derives (``flagship-study.md``, 7), by run;
    ``entries``: the protocol's ``design.sensitivity`` (default: the default protocol's)."""
    from itpcohort.analysis.sensitivity import sensitivity_runs
    from itpcohort.protocols import default_protocol

    chosen = default_protocol().design.sensitivity if entries is None else entries
    return {
        run.name: criteria.with_overrides(**dict(run.criteria_overrides))
        for run in sensitivity_runs(chosen)
        if run.needs_rederivation
    }


def sensitivity_rows(
    runs: Mapping[str, DerivedRun], config: StudyConfig
) -> dict[str, SensitivityRow]:
    """The results row of each sensitivity run that re-derives (``flagship-study.md``, 7), from
    its marts (``derive_marts(sensitivity=...)``): ``analysis.rederived_sensitivity_row``.
    ``run`` calls it in a forked child process while it analyses the primary derivation."""
    from itpcohort.analysis.plan import rederived_sensitivity_row
    from itpcohort.analysis.sensitivity import sensitivity_runs

    defined = {run.name: run for run in sensitivity_runs(config.protocol.design.sensitivity)}
    return {
        name: rederived_sensitivity_row(defined[name], run.analysis_tables(), config.min_age)
        for name, run in runs.items()
    }


class Pending(Mapping[str, _Value]):
    """The value of each name while ``wait`` computes them all: the names are known at once,
    reading a value waits for the computation (and raises its error). ``wait`` gives the same
    values each time it is called (``shared.forked.start_forked``'s does)."""

    def __init__(self, names: tuple[str, ...], wait: Callable[[], dict[str, _Value]]) -> None:
        self._names = names
        self._wait = wait

    def __getitem__(self, name: str) -> _Value:
        if name not in self._names:
            raise KeyError(name)
        return self.computed()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def computed(self) -> dict[str, _Value]:
        """Every value by name, waiting for them the first time."""
        return self._wait()


def data_quality(report: ImportReport, db_path: Path, first: int = 20) -> dict[str, Any]:
    """Rows read, loaded and rejected per source file (with its center) and table, and the first rejections."""
    return {
        "tables": rows_by_file(db_path),
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
            for p in report.rejected[:first]
        ],
        "n_rejected": len(report.rejected),
        "n_warnings": len(report.warnings),
    }


def study_extras(
    config: StudyConfig, report: ImportReport, db_path: Path, lang: str
) -> dict[str, Any]:
    """The keys ``run`` adds to results.json: study, data quality and provenance.

    The study's title is ``[study] title`` when given, else the protocol's title in ``lang``
    (``protocols.md``: the report names the protocol in English and French).
    """
    title = config.title if config.title is not None else config.protocol.title(lang)
    return {
        "study": {"title": title, "lang": lang},
        "data_quality": data_quality(report, db_path),
        "provenance": study_provenance(db_path),
    }


@dataclass(frozen=True)
class StudyRun:
    """What ``run`` produced: the import report, the results document and the report files."""

    import_report: ImportReport
    results: dict[str, Any]
    report: ReportFiles


def derive_study(
    inputs: list[Path],
    config: StudyConfig,
    criteria: Criteria,
    out: OutputFolder,
    step: StepCallback = _no_progress,
    engine: str = "duckdb",
) -> tuple[ImportReport, DerivedRun]:
    """``derive``: import and derive into the output folder ``out``, swapped in when done.

    Writes ``study.duckdb`` (with the marts), ``rejected_rows.csv`` and ``derived/*.csv``;
    the CSV paths of the returned run are those of the committed folder. ``engine`` other than
    ``duckdb`` (``engines.ENGINES``) derives there and brings back only the marts.
    """
    staging = out.staging
    step("importing and validating")
    report, (compiled,) = _import_while_compiling(inputs, config, out, "derive", (criteria,))
    step(f"deriving courses and responses on {engine}")
    if engine == "duckdb":
        derived = derive_marts(
            staging / DATABASE_NAME, criteria, persist=True, csv_dir=staging, compiled=compiled
        )
    else:
        from itpcohort.engines import derive_study_on

        marts = derive_study_on(engine, staging / DATABASE_NAME, criteria)
        run = DerivedRun(criteria, marts)
        derived = DerivedRun(criteria, marts, tuple(write_derived_csvs(run, staging)))
    out.commit()
    return report, DerivedRun(
        criteria, derived.marts, _rebased(derived.csv_files, staging, out.path)
    )


def run_study(
    inputs: list[Path],
    config: StudyConfig,
    criteria: Criteria,
    out: OutputFolder,
    lang: str,
    accept_rejected: bool = False,
    step: StepCallback = _no_progress,
) -> StudyRun:
    """Import, derive, re-derive the sensitivity runs, analyse and write results.json and the report.

    Everything is written into ``out.staging`` and swapped in as ``out.path`` at the end
    (``outputs.OutputFolder``): a run that fails leaves the previous outputs as they were.
    Input with rejected rows is refused (``RejectedRowsError``, an ``InputError``) unless
    ``accept_rejected`` (``flagship-study.md``, Command line); the refused run's outputs,
    ``study.duckdb`` and the ``rejected_rows.csv`` to correct, are swapped in before it is raised.
    """
    staging = out.staging
    db_path = staging / DATABASE_NAME
    varied = sensitivity_criteria(criteria, config.protocol.design.sensitivity)
    step("importing and validating")
    report, (primary, *sensitivity_compiled) = _import_while_compiling(
        inputs, config, out, "run", (criteria, *varied.values()), libraries=True
    )
    if report.rejected and not accept_rejected:
        out.commit()
        raise RejectedRowsError(
            f"{len(report.rejected):,} row(s) were rejected (listed in "
            f"{out.path / REJECTED_ROWS_NAME}); correct them, or analyse without them with "
            "--accept-rejected",
            report,
        )
    from itpcohort.analysis import analyse
    from itpcohort.analysis.population import select_population
    from itpcohort.analysis.results import write_results_document
    from itpcohort.report import Translator, draw_figures, draw_swimmer, write_report

    step("deriving courses and responses")
    # the sensitivity runs are derived on the primary derivation's connection, after it,
    # building only the models their overrides change (derivation.sharing)
    derived = derive_marts(
        db_path,
        criteria,
        persist=True,
        csv_dir=staging,
        compiled=primary,
        sensitivity=dict(zip(varied, sensitivity_compiled, strict=True)),
    )
    step("sensitivity runs and analysis plan")
    # Their populations and results rows (Python's work) are computed in a forked child while
    # the primary analysis runs here, on the other core (no DuckDB connection is open now)
    sensitivity = Pending(
        tuple(varied), start_forked(partial(sensitivity_rows, derived.sensitivity, config))
    )
    drawn_swimmer: Callable[[], SwimmerArtwork] | None = None
    drawn_figures: Callable[[], Mapping[str, FigureImage | None]] | None = None
    try:
        # checked once here, for the analysis and the report alike
        tables = derived.analysis_tables().checked()
        # selected once, for the analysis and the report alike (seconds at 200,000 patients)
        population = select_population(tables, config.min_age)
        # the swimmer plot needs only the population: drawn by another forked child while the
        # analysis runs here, its data file written straight into the report's tables/
        drawn_swimmer = start_forked(
            partial(
                draw_swimmer,
                population,
                tables.treatment_events,
                Translator(lang, config.protocol),
                tables_dir=staging / "tables",
            )
        )
        try:
            document = analyse(tables, config, sensitivity, population).to_json_dict()
        finally:
            with contextlib.suppress(BaseException):  # the child is waited for, even on an error
                sensitivity.computed()
        document["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        document.update(study_extras(config, report, db_path, lang))
        # the report's last figures (Kaplan-Meier curves, forest plot) are drawn by a forked
        # child while the report builds its first sections here
        drawn_figures = start_forked(
            partial(draw_figures, document, population, lang, config.protocol)
        )
        write_results_document(document, staging / RESULTS_NAME)
        step("report")
        files = write_report(
            document,
            tables,
            staging,
            lang,
            protocol=config.protocol,
            population=population,
            drawn_swimmer=drawn_swimmer,
            drawn_figures=drawn_figures,
        )
    finally:
        for drawn in (drawn_swimmer, drawn_figures):
            if drawn is not None:  # waited for, even on an error (a second wait is free)
                with contextlib.suppress(BaseException):
                    drawn()
    out.commit()
    return StudyRun(report, document, _moved(files, staging, out.path))


def _import_while_compiling(
    inputs: list[Path],
    config: StudyConfig,
    out: OutputFolder,
    command: str,
    criteria_sets: Sequence[Criteria],
    libraries: bool = False,
) -> tuple[ImportReport, list[CompiledDerivation]]:
    """Import ``inputs`` into ``out.staging`` under the first of ``criteria_sets``
    (``import_inputs``) while a forked child compiles the warnings' query and the derivation
    under each of them (``_compile_for_import``); return the import's report and the compiled
    derivations.

    With ``libraries``, the analysis's and the report's libraries (scipy, lifelines,
    firthmodels, matplotlib, python-docx: over a second of imports) load in a thread meanwhile
    (``run``): DuckDB lets go of the interpreter lock while the import's statements run. The
    child and the thread are waited for, even on an error.
    """
    # forked where no DuckDB connection is open and no other thread runs; Ibis is loaded there
    compiling = start_forked(partial(_compile_for_import, tuple(criteria_sets)))
    loading = None
    if libraries:
        loading = threading.Thread(target=_load_analysis_and_report, name="itpcohort-imports")
        loading.start()
    try:
        report = import_inputs(
            inputs,
            config,
            out.staging,
            criteria_sets[0],
            command,
            previous=out.path,
            warnings_sql=lambda: compiling()[0],  # by the time the rows are loaded
        )
    finally:
        if loading is not None:
            loading.join()  # before any fork: a child is forked from one thread only
        with contextlib.suppress(BaseException):  # the child is waited for, even on an error
            compiling()
    return report, compiling()[1]  # the same value again, or the child's error


def _compile_for_import(criteria_sets: Sequence[Criteria]) -> tuple[str, list[CompiledDerivation]]:
    """The warnings' query under the first of ``criteria_sets`` (``compile_warnings``) and the
    derivation compiled under each (``compile_derivations``)."""
    return compile_warnings(criteria_sets[0]), compile_derivations(criteria_sets)


def _load_analysis_and_report() -> None:
    """Import the analysis and report layers (``run_study`` does it in a thread). An import that
    fails here is left to fail again, with its error, where the run imports them itself."""
    with contextlib.suppress(Exception):
        import itpcohort.analysis.plan
        import itpcohort.report  # noqa: F401


def _rebased(value: Any, staging: Path, final: Path) -> Any:
    """``value`` (a path, or a tuple of them) as named once ``staging`` is swapped in as ``final``."""
    if isinstance(value, Path) and value.is_relative_to(staging):
        return final / value.relative_to(staging)
    if isinstance(value, tuple):
        return tuple(_rebased(item, staging, final) for item in value)
    return value


def _moved(files: ReportFiles, staging: Path, final: Path) -> ReportFiles:
    """The report ``files`` as named once the staging folder is swapped in as ``final``."""
    return dataclasses.replace(
        files,
        **{
            field.name: _rebased(getattr(files, field.name), staging, final)
            for field in dataclasses.fields(files)
        },
    )


class RejectedRowsError(InputError):
    """``run`` was given input with rejected rows and no ``--accept-rejected`` (exit 1)."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report
