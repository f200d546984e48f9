"""The ``itpcohort`` command line (``flagship-study.md``, Command line).

Exit status: 0 success; 1 invalid input (every problem printed as ``file:row: column: reason``);
2 wrong usage. A traceback is a bug.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from itpcohort.config import StudyConfig
from itpcohort.errors import ItpcohortError, UsageError

if TYPE_CHECKING:
    from itpcohort.criteria import Criteria

app = typer.Typer(
    name="itpcohort",
    help="Multicentre retrospective cohort studies of ITP treatments, from center data to a report.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
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


class Engine(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


InputsArg = Annotated[
    list[Path],
    typer.Argument(help="Study folder, center folder, .xlsx workbook or REDCap export."),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Study configuration (study.toml).")
]


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("demo-output"),
) -> None:
    """Generate a synthetic multicentre cohort and write the full report."""
    from itpcohort.criteria import criteria_from_config
    from itpcohort.io import resolve_config
    from itpcohort.synth import generate_study

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    cohort = out_dir / "input"
    summary = generate_study(cohort, patients=DEMO_PATIENTS, centers=DEMO_CENTERS, seed=DEMO_SEED)
    out.print(
        f"synthetic study: {DEMO_PATIENTS} patients in {DEMO_CENTERS} centers, "
        f"{sum(summary.rows.values()):,} rows, written to {cohort}",
        soft_wrap=True,
    )
    study = resolve_config([cohort], None)
    html = _run_and_print(
        [cohort], study, criteria_from_config(study), out_dir, study.lang, accept_rejected=False
    )
    out.print(f"[bold]open the report:[/] {escape(str(html.resolve()))}", soft_wrap=True)


@app.command()
def synth(
    patients: Annotated[int, typer.Option("--patients", min=1, help="Number of patients.")],
    out_dir: OutOpt,
    centers: Annotated[int, typer.Option("--centers", min=1, help="Number of centers.")] = 4,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes).")] = 1,
    messy: Annotated[
        float,
        typer.Option("--messy", min=0.0, max=1.0, help="Fraction of rows given realistic errors."),
    ] = 0.0,
) -> None:
    """Write a realistic synthetic multicentre study in the input layout, one folder per center."""
    from itpcohort.synth import MANIFEST, generate_study

    summary = generate_study(out_dir, patients, centers=centers, seed=seed, messy=messy)
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


@app.command()
def validate(
    inputs: InputsArg,
    config: ConfigOpt = None,
) -> None:
    """Check the input only: list every problem and warning; no database is written."""
    from itpcohort.io import resolve_config, validate_inputs
    from itpcohort.io.summary import print_validation

    study = resolve_config(inputs, config)
    report = validate_inputs(inputs, study)
    print_validation(report, out, err)
    if not report.ok:
        raise typer.Exit(1)


@app.command("import")
def import_(
    inputs: InputsArg,
    out_dir: OutOpt,
    config: ConfigOpt = None,
) -> None:
    """Validate and import the input into DIR/study.duckdb; rejected rows go to rejected_rows.csv."""
    from itpcohort.io import resolve_config
    from itpcohort.io.summary import print_import, write_rejected_rows
    from itpcohort.store import import_study

    study = resolve_config(inputs, config)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    report = import_study(inputs, study, out_dir / "study.duckdb", command="import")
    write_rejected_rows(out_dir / "rejected_rows.csv", report)
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


def _prepare(
    inputs: list[Path], out_dir: Path, config: Path | None
) -> tuple[StudyConfig, Criteria]:
    from itpcohort.criteria import criteria_from_config
    from itpcohort.io import resolve_config

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    study = resolve_config(inputs, config)
    return study, criteria_from_config(study)


@app.command()
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
) -> None:
    """Import, then derive courses, baselines, responses and durations (no analysis)."""
    from itpcohort import pipeline
    from itpcohort.io.summary import print_import

    study, criteria = _prepare(inputs, out_dir, config)
    with _steps(2) as step, pipeline.compiling_derivation(criteria) as compiling:
        step("importing and validating")
        report = pipeline.import_inputs(inputs, study, out_dir, criteria, command="derive")
        step(f"deriving courses and responses on {engine}")
        if engine != Engine.duckdb:
            from itpcohort.store.engines import derive_study_on

            marts = derive_study_on(engine, out_dir / pipeline.DATABASE_NAME, criteria)
            run = pipeline.DerivedRun(criteria, marts)
            derived = pipeline.DerivedRun(
                criteria, marts, tuple(pipeline.write_derived_csvs(run, out_dir))
            )
        else:
            derived = pipeline.derive_marts(
                out_dir / pipeline.DATABASE_NAME,
                criteria,
                persist=True,
                csv_dir=out_dir,
                compiled=compiling[0].result(),
            )
    print_import(report, out_dir, out, err)
    courses = derived.marts["courses"]
    out.print(
        f"derived {courses.num_rows:,} course(s) under criteria {criteria.name}; "
        f"wrote {', '.join(str(p) for p in derived.csv_files)}",
        soft_wrap=True,
    )


@app.command()
def run(
    inputs: InputsArg,
    out_dir: OutOpt,
    config: ConfigOpt = None,
    lang: Annotated[Lang | None, typer.Option("--lang", help="Report language.")] = None,
    accept_rejected: Annotated[
        bool, typer.Option("--accept-rejected", help="Analyse even when rows were rejected.")
    ] = False,
) -> None:
    """Import, derive, analyse and write results.json and the report."""
    study, criteria = _prepare(inputs, out_dir, config)
    language = lang.value if lang is not None else study.lang
    _run_and_print(inputs, study, criteria, out_dir, language, accept_rejected)


def _run_and_print(
    inputs: list[Path],
    study: StudyConfig,
    criteria: Criteria,
    out_dir: Path,
    language: str,
    accept_rejected: bool,
) -> Path:
    from itpcohort import pipeline
    from itpcohort.io.summary import print_import

    try:
        with _steps(5) as step:
            done = pipeline.run_study(
                inputs, study, criteria, out_dir, language, accept_rejected, step
            )
    except pipeline.RejectedRowsError as refused:
        print_import(refused.report, out_dir, out, err)
        raise
    print_import(done.import_report, out_dir, out, err)
    flow = done.results["flow"]
    out.print(
        f"{flow['included']:,} of {flow['screened']:,} patients included; "
        f"results: {out_dir / 'results.json'}",
        soft_wrap=True,
    )
    out.print(f"report: {done.report.html} and {done.report.docx}", soft_wrap=True)
    return done.report.html


@app.command()
def crf(
    format_: Annotated[CrfFormat, typer.Option("--format", help="xlsx workbook or REDCap.")],
    out_file: Annotated[Path, typer.Option("--out", help="Output file.")],
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the workbook.")] = Lang.en,
) -> None:
    """Write a data-collection workbook or a REDCap data dictionary."""
    from itpcohort.crf import write_crf

    for line in write_crf(format_.value, out_file, lang.value):
        out.print(line, markup=False, soft_wrap=True)


@app.command()
def export(
    study: Annotated[Path, typer.Argument(help="A run's study.duckdb or its folder.")],
    format_: Annotated[CrfFormat, typer.Option("--format", help="xlsx workbook or REDCap.")],
    out_file: Annotated[Path, typer.Option("--out", help="Output file.")],
) -> None:
    """Write an imported study back as a workbook or a REDCap import file."""
    from itpcohort.crf.export import export_study

    for line in export_study(study, format_.value, out_file):
        out.print(line, markup=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Run the command line; expected errors become one message and an exit status.

    Typer's standalone mode turns usage errors into exit status 2; our own errors are caught here.
    """
    try:
        app(args=argv)
    except ItpcohortError as error:
        err.print(f"[bold red]error:[/] {escape(str(error))}", soft_wrap=True)
        for problem in getattr(error, "problems", ())[:200]:
            err.print(str(problem), soft_wrap=True, markup=False)
        sys.exit(error.exit_code)
