"""The ``itpcohort`` command line (``flagship-study.md``, Command line).

Exit status: 0 success; 1 invalid input (every problem printed as ``file:row: column: reason``);
2 wrong usage. A traceback is a bug.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from itpcohort import __version__
from itpcohort.config import StudyConfig
from itpcohort.errors import ItpcohortError, UsageError
from itpcohort.outputs import OutputFolder, storage_problem

if TYPE_CHECKING:
    from itpcohort.criteria import Criteria


def _as_flags(params: list[Any]) -> list[Any]:
    """Show flags as flags in the help (no ``<bool>`` beside ``--help`` or ``--accept-rejected``)."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    """A command whose help shows flags as flags and its usage as ``[OPTIONS] INPUT...``."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _as_flags(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        # Typer writes a required argument as {INPUT}...; a person expects INPUT...
        return [
            piece.strip("{}").replace("}...", "...") for piece in super().collect_usage_pieces(ctx)
        ]


class _Group(TyperGroup):
    """The ``itpcohort`` group, with the same help conventions as its commands."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _as_flags(super().get_params(ctx))


app = typer.Typer(
    name="itpcohort",
    cls=_Group,
    help="Multicentre retrospective cohort studies of ITP treatments, from center data to a report.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        out.print(f"itpcohort {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _itpcohort(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Multicentre retrospective cohort studies of ITP treatments, from center data to a report."""


out = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


#: the demo study: big enough for every analysis to have numbers, small enough for 30 s
DEMO_PATIENTS = 400
DEMO_CENTERS = 4
DEMO_SEED = 2026


class Lang(StrEnum):
    en = "en"
    fr = "fr"


class CrfFormat(StrEnum):
    xlsx = "xlsx"
    redcap = "redcap"


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    redcap = "redcap"
    omop = "omop"


class Engine(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


InputsArg = Annotated[
    list[Path],
    typer.Argument(
        metavar="INPUT", help="Study folder, center folder, .xlsx workbook or REDCap export."
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Study configuration (study.toml).")
]
ProtocolOpt = Annotated[
    str | None,
    typer.Option(
        "--protocol",
        metavar="NAME|PATH",
        help="Study protocol: a built-in name (see `itpcohort protocols`) or a protocol file; "
        "replaces [study] protocol of study.toml.",
    ),
]


def _study(inputs: list[Path], config: Path | None, protocol: str | None) -> StudyConfig:
    """The study configuration, with the protocol of ``--protocol`` when given (checked)."""
    from itpcohort.io import resolve_config

    study = resolve_config(inputs, config)
    return _with_protocol(study, protocol)


def _with_protocol(study: StudyConfig, protocol: str | None) -> StudyConfig:
    from dataclasses import replace

    from itpcohort.protocols import load_protocol

    if protocol is None:
        return study
    return replace(study, protocol=load_protocol(protocol, where=f"--protocol {protocol}"))


@app.command(cls=_Command)
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("demo-output"),
    protocol: ProtocolOpt = None,
) -> None:
    """Generate a synthetic multicentre cohort and write the full report."""
    from itpcohort.criteria import criteria_from_config
    from itpcohort.protocols import default_protocol, load_protocol
    from itpcohort.synth import (
        check_protocol,
        generate_exposure_study,
        generate_study,
        simulates_exposures,
    )

    chosen = (
        load_protocol(protocol, where=f"--protocol {protocol}")
        if protocol is not None
        else default_protocol()
    )
    check_protocol(chosen)
    generate = generate_exposure_study if simulates_exposures(chosen) else generate_study

    with OutputFolder(out_dir) as folder:
        # the synthetic input is written where it stays (DIR/input), so that the report names it
        # as the user sees it, and carried into the new outputs when the run is done
        cohort = folder.keep("input")
        summary = generate(cohort, patients=DEMO_PATIENTS, centers=DEMO_CENTERS, seed=DEMO_SEED)
        out.print(
            f"synthetic study: {DEMO_PATIENTS} patients in {DEMO_CENTERS} centers, "
            f"{sum(summary.rows.values()):,} rows, written to {escape(str(out_dir / 'input'))}",
            soft_wrap=True,
        )
        study = _study([cohort], None, protocol)
        html = _run_and_print(
            [cohort], study, criteria_from_config(study), folder, study.lang, accept_rejected=False
        )
    out.print(f"[bold]open the report:[/] {escape(str(html.resolve()))}", soft_wrap=True)


@app.command(cls=_Command)
def synth(
    patients: Annotated[int, typer.Option("--patients", min=1, help="Number of patients.")],
    out_dir: OutOpt,
    centers: Annotated[int, typer.Option("--centers", min=1, help="Number of centers.")] = 4,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes).")] = 1,
    messy: Annotated[
        float,
        typer.Option("--messy", min=0.0, max=1.0, help="Fraction of rows given realistic errors."),
    ] = 0.0,
    protocol: ProtocolOpt = None,
) -> None:
    """Write a realistic synthetic multicentre study in the input layout, one folder per center."""
    from itpcohort.protocols import load_protocol
    from itpcohort.synth import (
        MANIFEST,
        check_protocol,
        generate_exposure_study,
        generate_study,
        simulates_exposures,
    )

    declared = None
    exposures = False
    if protocol is not None:
        chosen = load_protocol(protocol, where=f"--protocol {protocol}")
        check_protocol(chosen)
        exposures = simulates_exposures(chosen)
        declared = protocol if not Path(protocol).is_file() else str(Path(protocol).resolve())
    if exposures:
        summary = generate_exposure_study(
            out_dir, patients, centers=centers, seed=seed, protocol=declared, messy=messy
        )
    else:
        summary = generate_study(
            out_dir, patients, centers=centers, seed=seed, messy=messy, protocol=declared
        )
    table = Table(title=f"Synthetic study: {summary.patients} patients, seed {summary.seed}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in summary.rows.items():
        table.add_row(name, f"{count:,}")
    table.add_row("[bold]total[/]", f"[bold]{summary.total_rows:,}[/]")
    out.print(table)
    out.print(f"centers: {', '.join(summary.centers)}")
    if messy > 0:
        out.print(
            f"{summary.injected_errors:,} injected errors listed in "
            f"{escape(str(summary.out_dir / MANIFEST))}"
        )
    out.print(
        f"written to {escape(str(summary.out_dir))} in {summary.elapsed_seconds:.1f} s "
        "(one folder per center, study.toml declares their formats)"
    )


@app.command(cls=_Command)
def validate(
    inputs: InputsArg,
    config: ConfigOpt = None,
    protocol: ProtocolOpt = None,
) -> None:
    """Check the input only: list every problem and warning; no database is written."""
    from itpcohort.io.summary import print_validation
    from itpcohort.pipeline import validate_inputs

    if _omop_input(inputs) is not None:
        _validate_omop(inputs, config)
        return
    study = _study(inputs, config, protocol)
    _criteria(study)  # the same check of [criteria] as derive and run
    report = validate_inputs(inputs, study)
    print_validation(report, out, err)
    if not report.ok:
        raise typer.Exit(1)


@app.command("import", cls=_Command)
def import_(
    inputs: InputsArg,
    out_dir: OutOpt,
    config: ConfigOpt = None,
    protocol: ProtocolOpt = None,
) -> None:
    """Validate and import the input into DIR/study.duckdb; rejected rows go to rejected_rows.csv."""
    from itpcohort.derivation import compile_warnings
    from itpcohort.io.summary import print_import, write_rejected_rows
    from itpcohort.store import import_study

    if _omop_input(inputs) is not None:
        raise UsageError(
            "an omop: source is read in place, never imported: use validate, derive or run "
            "(only the derived tables come back)"
        )
    study = _study(inputs, config, protocol)
    warnings_sql = compile_warnings(_criteria(study))
    _check_out(inputs, out_dir)
    with OutputFolder(out_dir) as folder:
        report = import_study(
            inputs,
            study,
            folder.staging / "study.duckdb",
            command="import",
            previous=folder.path / "study.duckdb",
            warnings_sql=warnings_sql,
        )
        write_rejected_rows(folder.staging / "rejected_rows.csv", report)
        folder.commit()
    print_import(report, out_dir, out, err)


@contextmanager
def _steps(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar over the named steps of a command, on standard error (hidden when not a tty)."""
    with Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        # not started where no one sees it (its refresh thread would still build the bar)
        disable=not err.is_terminal,
        refresh_per_second=4,
    ) as progress:
        task = progress.add_task("starting", total=total)
        started = False

        def step(name: str) -> None:
            nonlocal started
            if started:
                progress.advance(task)
            started = True
            progress.update(task, description=name)

        yield step
        progress.update(task, completed=total)


def _criteria(study: StudyConfig) -> Criteria:
    """The study's criteria set with its ``[criteria]`` overrides, checked (one check, every command)."""
    from itpcohort.criteria import criteria_from_config

    return criteria_from_config(study)


def _check_out(inputs: list[Path], out_dir: Path) -> None:
    """Refuse an output folder that holds an input: replacing the folder would delete it."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    folder = out_dir.resolve()
    for path in inputs:
        if path.resolve().is_relative_to(folder):
            raise UsageError(
                f"--out {out_dir}: holds the input {path}; the output folder is replaced whole, "
                "so choose another one"
            )


def _prepare(
    inputs: list[Path], out_dir: Path, config: Path | None, protocol: str | None
) -> tuple[StudyConfig, Criteria]:
    from itpcohort.derived_schema import check_buildable

    _check_out(inputs, out_dir)
    study = _study(inputs, config, protocol)
    criteria = _criteria(study)
    check_buildable(criteria.courses.kind)
    return study, criteria


@app.command(cls=_Command)
def derive(
    inputs: InputsArg,
    out_dir: OutOpt,
    config: ConfigOpt = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="Engine that derives (postgres: server and credentials from PGHOST, PGUSER, "
            "PGSERVICE, PGPASSFILE...; spark: local).",
        ),
    ] = Engine.duckdb,
    protocol: ProtocolOpt = None,
) -> None:
    """Import, then derive courses, baselines, responses and durations (no analysis)."""
    from itpcohort import pipeline
    from itpcohort.io.summary import print_import

    if _omop_input(inputs) is not None:
        _derive_omop(inputs, out_dir, config, engine.value, protocol)
        return
    study, criteria = _prepare(inputs, out_dir, config, protocol)
    with _steps(2) as step, OutputFolder(out_dir) as folder:
        report, derived = pipeline.derive_study(
            inputs, study, criteria, folder, step, engine=engine.value
        )
    print_import(report, out_dir, out, err)
    courses = derived.marts["courses"]
    out.print(
        f"derived {courses.num_rows:,} course(s) under criteria {criteria.name}; "
        f"wrote {', '.join(str(p) for p in derived.csv_files)}",
        soft_wrap=True,
    )


@app.command(cls=_Command)
def run(
    inputs: InputsArg,
    out_dir: OutOpt,
    config: ConfigOpt = None,
    lang: Annotated[Lang | None, typer.Option("--lang", help="Report language.")] = None,
    accept_rejected: Annotated[
        bool, typer.Option("--accept-rejected", help="Analyse even when rows were rejected.")
    ] = False,
    protocol: ProtocolOpt = None,
) -> None:
    """Import, derive, analyse and write results.json and the report."""
    study, criteria = _prepare(inputs, out_dir, config, protocol)
    language = lang.value if lang is not None else study.lang
    if _omop_input(inputs) is not None:
        _run_omop(inputs, study, criteria, out_dir, language, accept_rejected)
        return
    with OutputFolder(out_dir) as folder:
        _run_and_print(inputs, study, criteria, folder, language, accept_rejected)


def _run_and_print(
    inputs: list[Path],
    study: StudyConfig,
    criteria: Criteria,
    folder: OutputFolder,
    language: str,
    accept_rejected: bool,
) -> Path:
    from itpcohort import pipeline
    from itpcohort.io.summary import print_import

    try:
        with _steps(4) as step:
            done = pipeline.run_study(
                inputs, study, criteria, folder, language, accept_rejected, step
            )
    except pipeline.RejectedRowsError as refused:
        print_import(refused.report, folder.path, out, err)
        raise
    print_import(done.import_report, folder.path, out, err)
    results_path = folder.path / pipeline.RESULTS_NAME
    for line in headline(done.results, results_path, done.report.html, done.report.docx):
        out.print(escape(line), soft_wrap=True)
    return done.report.html


def _omop_input(inputs: list[Path]) -> Path | None:
    """The one ``omop:`` source among ``inputs``, or None; mixed with files it is wrong usage."""
    from itpcohort.omop.source import is_omop

    found = [p for p in inputs if is_omop(p)]
    if found and len(inputs) > 1:
        raise UsageError("an omop: source is read alone: give it as the only input")
    return found[0] if found else None


def _validate_omop(inputs: list[Path], config: Path | None) -> None:
    """``validate omop:...``: the CDM checked in place (``omop.md``, Checks)."""
    from itpcohort.io import resolve_config
    from itpcohort.io.summary import print_validation
    from itpcohort.omop_pipeline import NoPatientInScope, open_omop

    _criteria(resolve_config([], config))
    try:
        omop = open_omop(inputs[0])
    except NoPatientInScope as nobody:
        for note in nobody.notes:  # what the checks read as empty, before the one error line
            out.print(f"note: {note}", markup=False, soft_wrap=True)
        raise
    omop.close()
    print_validation(omop.report, out, err)
    if not omop.report.ok:
        raise typer.Exit(1)


def _derive_omop(
    inputs: list[Path], out_dir: Path, config: Path | None, engine: str, protocol: str | None
) -> None:
    """``derive omop:...``: derived on the source's own engine; only the marts come back."""
    from itpcohort.io.summary import print_validation
    from itpcohort.omop.source import parse_source
    from itpcohort.omop_pipeline import derive_study, open_omop

    _, criteria = _prepare(inputs, out_dir, config, protocol)
    source = parse_source(inputs[0])
    if engine not in ("duckdb", source.engine):
        raise UsageError(
            f"--engine {engine}: an omop: source is derived on its own engine ({source.engine})"
        )
    with _steps(2) as step, OutputFolder(out_dir) as folder:
        step(f"reading {source.engine} in place")
        omop = open_omop(inputs[0])
        try:
            derived = derive_study(omop, criteria, folder, step)
        finally:
            omop.close()
    print_validation(omop.report, out, err)
    out.print(
        f"derived {derived.marts['courses'].num_rows:,} course(s) on {source.engine} in place "
        f"under criteria {criteria.name}; wrote {', '.join(str(p) for p in derived.csv_files)}",
        soft_wrap=True,
        markup=False,
    )


def _run_omop(
    inputs: list[Path],
    study: StudyConfig,
    criteria: Criteria,
    out_dir: Path,
    language: str,
    accept_rejected: bool,
) -> None:
    """``run omop:...``: derived in place, analysed and reported locally."""
    from itpcohort.io.summary import print_validation
    from itpcohort.omop_pipeline import open_omop, run_study

    with _steps(4) as step, OutputFolder(out_dir) as folder:
        step("reading the OMOP source in place")
        omop = open_omop(inputs[0])
        try:
            print_validation(omop.report, out, err)
            document, files = run_study(
                omop, study, criteria, folder, language, accept_rejected, step
            )
        finally:
            omop.close()
    html = folder.path / files.html.relative_to(folder.staging)
    docx = folder.path / files.docx.relative_to(folder.staging)
    for line in headline(document, folder.path / "results.json", html, docx):
        out.print(escape(line), soft_wrap=True)


def _proportion(value: dict[str, Any] | None) -> str:
    """``35/58 (60.3%, 95% CI 46.6–72.4)`` from a results.json proportion; ``none`` when empty."""
    if not value or not value.get("denominator"):
        return "none (no patient assessed)"
    text = f"{value['n']:,}/{value['denominator']:,}"
    if value.get("pct") is None:
        return text
    text += f" ({value['pct']:.1f}%"
    if value.get("ci_low") is not None and value.get("ci_high") is not None:
        text += f", 95% CI {value['ci_low']:.1f}–{value['ci_high']:.1f}"
    return text + ")"


def headline(results: dict[str, Any], results_path: Path, html: Path, docx: Path) -> list[str]:
    """The lines ``run`` ends with: patients included, ORR and CR after course 2 with their 95%
    CIs (``flagship-study.md``, primary outcome; in a switch study course 2 is the agent switched
    to, ``protocols.md``), and where results.json and the report are.
    """
    flow = results.get("flow", {})
    retreatment = results.get("retreatment", {})
    # a switch study compares the agent switched to (its course 2) with the one before
    # (protocols.md, tpo-ra-switch)
    course2 = "course 2 (the agent switched to)" if results.get("switch") else "course 2"
    return [
        f"{flow.get('included', 0):,} of {flow.get('screened', 0):,} patients included",
        f"overall response after {course2}: {_proportion(retreatment.get('orr_course2'))}",
        f"complete response after {course2}: {_proportion(retreatment.get('cr_course2'))}",
        f"results: {results_path}",
        f"report: {html} and {docx}",
    ]


@app.command(cls=_Command)
def protocols() -> None:
    """List the built-in protocols, each field and its value (the defaults of a protocol file)."""
    from itpcohort.protocols import DEFAULT_PROTOCOL, builtin_names, builtin_protocol

    for name in builtin_names():
        protocol = builtin_protocol(name)
        default = " (default)" if name == DEFAULT_PROTOCOL else ""
        out.print(f"[bold]{escape(name)}[/]{default}: {escape(protocol.title_en)}")
        for key, value in protocol.fields():
            out.print(f"  {key} = {value}", markup=False, soft_wrap=True)
        out.print("")


@app.command(cls=_Command)
def crf(
    format_: Annotated[CrfFormat, typer.Option("--format", help="xlsx workbook or REDCap.")],
    out_file: Annotated[Path, typer.Option("--out", help="Output file.")],
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the workbook.")] = Lang.en,
) -> None:
    """Write a data-collection workbook or a REDCap data dictionary."""
    from itpcohort.crf import write_crf

    for line in write_crf(format_.value, out_file, lang.value):
        out.print(line, markup=False, soft_wrap=True)


@app.command(cls=_Command)
def export(
    study: Annotated[
        Path, typer.Argument(metavar="STUDY", help="A run's study.duckdb or its folder.")
    ],
    format_: Annotated[
        ExportFormat,
        typer.Option("--format", help="xlsx workbook, REDCap, or an OMOP CDM (a folder)."),
    ],
    out_file: Annotated[Path, typer.Option("--out", help="Output file (a folder for omop).")],
) -> None:
    """Write an imported study back as a workbook, a REDCap import file or an OMOP CDM."""
    if format_ is ExportFormat.omop:
        from itpcohort.omop.lines_export import export_omop_lines

        for line in export_omop_lines(study, out_file):
            out.print(line, markup=False, soft_wrap=True)
        return
    from itpcohort.crf.export import export_study

    for line in export_study(study, format_.value, out_file):
        out.print(line, markup=False, soft_wrap=True)


#: the collector's first threshold: new container objects between two collections (``main``)
GC_THRESHOLD = 10_000


def main(argv: list[str] | None = None) -> None:
    """Run the command line; expected errors become one message and an exit status.

    Typer's standalone mode turns usage errors into exit status 2; our own errors are caught here,
    and so are failures of the disk or file system (full, read-only: exit 1), after which the
    previous outputs are as they were (``outputs.OutputFolder``).
    """
    # A command loads large libraries and builds many small objects: at Python's default
    # threshold (700 new objects) the collector of reference cycles ran some 750 times during a
    # 50-patient run, five of them over every live object (0.7 s); at 10,000, some 50 times
    # (0.3 s), with the same peak memory.
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    try:
        app(args=argv)
    except ItpcohortError as error:
        message = str(error)
        err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
        for problem in getattr(error, "problems", ())[:200]:
            if problem.reason not in message:  # said once: the message may already hold it
                err.print(str(problem), soft_wrap=True, markup=False)
        sys.exit(error.exit_code)
    except Exception as error:
        line = storage_problem(error)
        if line is None:
            raise
        err.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
        sys.exit(1)


def program(argv: list[str] | None = None) -> None:
    """The ``itpcohort`` program (its console script and ``python -m itpcohort``): ``main``, as
    the last thing the process does.

    The process ends right after: its objects are then frozen (``gc.freeze``), so that Python's
    last collections do not walk every object the command left only for the memory the system
    takes back anyway (0.5-0.6 s at the end of a 50-patient ``run``; 0.08 s frozen). Every
    output is written and closed by then; exit handlers still run. ``main`` alone is for callers
    that go on after it (tests).
    """
    try:
        main(argv)
    finally:
        gc.freeze()
