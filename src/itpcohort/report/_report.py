"""``Report``: the publication report built fluently and immutably from results.json.

Each ``add_*`` verb lives in its own module (``_summary``, ``_methods``, ``_population``,
``_outcomes``, ``_predictors``, ``_safety``, ``_quality``) and is attached here as a class
attribute; every verb returns a new ``Report`` with its blocks appended, so chains never mutate and
may branch. ``pipe`` brings a user's own step into the chain. Output is dispatched in one place:
``document()`` gives the blocks, ``as_html``/``as_docx``/``save`` render them.

The report reads only the results.json dict and the executed derived tables: every reported number
comes from ``results``; the derived tables serve the swimmer plot, the Kaplan–Meier step curves and
the lists (``flagship-study.md``, Outputs of run).
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

from itpcohort.analysis import DerivedTables
from itpcohort.analysis.population import Population
from itpcohort.protocols import Protocol, default_protocol
from itpcohort.report import _methods as _methods_section
from itpcohort.report import (
    _outcomes,
    _population,
    _predictors,
    _quality,
    _safety,
    _summary,
    _switch,
)
from itpcohort.report._blocks import Block, Document, Figure, Table
from itpcohort.report._figures import FigureImage, km_figure
from itpcohort.report._i18n import Translator
from itpcohort.report._listings import DEFAULT_LIMITS, ReportLimits, SwimmerArtwork
from itpcohort.report._predictors import forest_image

P = ParamSpec("P")


@dataclass(frozen=True)
class Report:
    """A report under construction: the results, the derived tables, the language and the blocks.

    ``results`` is the results.json dict (``StudyResults.to_json_dict()`` plus ``generated_at`` and,
    when the pipeline provides them, ``study``, ``data_quality`` and ``provenance``); ``derived`` the
    executed derived tables of the primary derivation, or None (then the figures that need them,
    the swimmer plot and the Kaplan–Meier curves, are replaced by a "not available" note);
    ``limits`` caps the parts that grow with the patients (``_listings``); ``protocol`` is the
    study's protocol: the treatment and regimens the report names, printed in full in the methods
    and reproducibility sections (``protocols.md``); ``population`` the included patients the
    analysis selected from ``derived`` (``select_population``), handed over so that the report does
    not select them again (None: selected here when needed); ``drawn_swimmer`` returns the swimmer
    plot of that population drawn ahead (``draw_swimmer``: ``run`` draws it in a forked child
    while it analyses; None: drawn here); ``drawn_figures`` returns the figures of
    ``draw_figures`` drawn ahead, by key (``run`` draws them in a forked child while the report
    reaches them; None: drawn here).
    """

    results: Mapping[str, Any]
    derived: DerivedTables | None = None
    lang: str = "en"
    blocks: tuple[Block, ...] = ()
    limits: ReportLimits = DEFAULT_LIMITS
    protocol: Protocol = field(default_factory=default_protocol)
    population: Population | None = None
    drawn_swimmer: Callable[[], SwimmerArtwork] | None = None
    drawn_figures: Callable[[], Mapping[str, FigureImage | None]] | None = None

    def __post_init__(self) -> None:
        Translator(self.lang)  # checks the language

    @property
    def t(self) -> Translator:
        """The translator of the report language, naming the protocol's treatment."""
        return Translator(self.lang, self.protocol)

    def figure_image(self, key: str, draw: Callable[[], FigureImage | None]) -> FigureImage | None:
        """The figure ``key`` as ``drawn_figures`` drew it ahead, else ``draw()``."""
        drawn = None if self.drawn_figures is None else self.drawn_figures()
        return drawn[key] if drawn is not None and key in drawn else draw()

    def append(self, *blocks: Block) -> Report:
        """A new report with ``blocks`` appended (the verbs' common last step)."""
        return dataclasses.replace(self, blocks=self.blocks + tuple(blocks))

    def next_table_number(self) -> int:
        """The number the next table will carry."""
        return 1 + sum(isinstance(block, Table) for block in self.blocks)

    def next_figure_number(self, series: str = "") -> int:
        """The number the next figure of ``series`` will carry (``S``: supplementary figures).

        The parts of one figure share a number; each series is numbered from 1.
        """
        return 1 + sum(
            isinstance(block, Figure) and block.part == 1 and block.series == series
            for block in self.blocks
        )

    def pipe(
        self, function: Callable[Concatenate[Report, P], Report], *args: P.args, **kwargs: P.kwargs
    ) -> Report:
        """``function(self, *args, **kwargs)``: a user step in the chain, which returns a Report."""
        return function(self, *args, **kwargs)

    # --- the section verbs, one module each ---------------------------------------------------
    add_summary = _summary.add_summary
    add_methods = _methods_section.add_methods
    add_population = _population.add_population
    add_response = _outcomes.add_response
    add_retreatment = _outcomes.add_retreatment
    add_duration = _outcomes.add_duration
    add_predictors = _predictors.add_predictors
    add_safety = _safety.add_safety
    add_switch = _switch.add_switch
    add_sensitivity = _quality.add_sensitivity
    add_agreement = _quality.add_agreement
    add_data_quality = _quality.add_data_quality
    add_reproducibility = _quality.add_reproducibility

    def add_all(self) -> Report:
        """Every section of the flagship report, in the order of a paper's results section."""
        return (
            self.add_summary()
            .add_methods()
            .add_population()
            .add_response()
            .add_retreatment()
            .add_switch()
            .add_duration()
            .add_predictors()
            .add_safety()
            .add_sensitivity()
            .add_agreement()
            .add_data_quality()
            .add_reproducibility()
        )

    # --- output ---------------------------------------------------------------------------------
    def document(self) -> Document:
        """The blocks with the report title and subtitle."""
        t = self.t
        study = self.results.get("study") or {}
        title = study.get("title") or self.protocol.title(self.lang)
        generated = self.results.get("generated_at")
        subtitle = t(
            "report.subtitle",
            version=self.results.get("itpcohort_version") or t("na"),
            generated=generated or t("na"),
        )
        return Document(lang=self.lang, title=str(title), subtitle=subtitle, blocks=self.blocks)

    def as_html(self) -> str:
        """The report as one self-contained HTML page (figures and styles inlined)."""
        from itpcohort.report._html import render_html

        return render_html(self.document())

    def as_docx(self) -> bytes:
        """The report as a Word document (real tables, embedded figures, heading styles)."""
        from itpcohort.report._docx import render_docx

        return render_docx(self.document(), generated_at=self.results.get("generated_at"))

    def save(self, out_dir: Path) -> ReportFiles:
        """Write report.html, report.docx, figures/*.png|svg and tables/*.csv under ``out_dir``.

        ``tables/`` holds one CSV per report table and one per ``DataFile`` (the full data of a
        capped figure or listing).
        """
        from itpcohort.report._csv import write_frame_csv, write_table_csv
        from itpcohort.shared.forked import forked

        out_dir = Path(out_dir)
        figures_dir, tables_dir = out_dir / "figures", out_dir / "tables"
        figures_dir.mkdir(parents=True, exist_ok=True)
        tables_dir.mkdir(parents=True, exist_ok=True)
        document = self.document()
        data_files = document.data_files()
        data = [
            (file.frame, tables_dir / file.file_name)
            for file in data_files
            if file.frame is not None
        ]
        for file in data_files:  # written already (``draw_swimmer``): copied unless in place
            target = tables_dir / file.file_name
            if file.written is not None and file.written.resolve() != target.resolve():
                shutil.copyfile(file.written, target)

        def write_data_files() -> None:
            for frame, path in data:
                write_frame_csv(frame, path)

        # the full data files not written yet are written by a child process while this one
        # writes everything else (the swimmer marks, 1.2 million at 200,000 patients, when
        # they were not written ahead: 1.3-1.5 s; a run writes them ahead, draw_swimmer)
        with forked(write_data_files) if data else contextlib.nullcontext():
            figure_paths: list[Path] = []
            for figure in document.figures():
                for suffix, content in ((".png", figure.png), (".svg", figure.svg)):
                    path = figures_dir / f"{figure.file_stem}{suffix}"
                    path.write_bytes(content)
                    figure_paths.append(path)
            table_paths = []
            for table in document.tables():
                path = tables_dir / f"{table.file_stem}.csv"
                write_table_csv(table, path)
                table_paths.append(path)
            html_path = out_dir / "report.html"
            html_path.write_text(self.as_html(), encoding="utf-8")
            docx_path = out_dir / "report.docx"
            docx_path.write_bytes(self.as_docx())
        data_paths = [tables_dir / file.file_name for file in data_files]
        return ReportFiles(
            html=html_path,
            docx=docx_path,
            figures=tuple(figure_paths),
            tables=tuple(table_paths),
            data=tuple(data_paths),
        )


@dataclass(frozen=True)
class ReportFiles:
    """The paths ``write_report`` wrote."""

    html: Path
    docx: Path
    figures: tuple[Path, ...]
    tables: tuple[Path, ...]
    #: the full data of the capped figures and listings (``tables/<name>.csv``)
    data: tuple[Path, ...] = ()

    def all(self) -> tuple[Path, ...]:
        """Every written file, HTML and Word first."""
        return (self.html, self.docx, *self.figures, *self.tables, *self.data)


def write_report(
    results: Mapping[str, Any],
    derived: DerivedTables | None,
    out_dir: Path,
    lang: str,
    limits: ReportLimits = DEFAULT_LIMITS,
    protocol: Protocol | None = None,
    population: Population | None = None,
    drawn_swimmer: Callable[[], SwimmerArtwork] | None = None,
    drawn_figures: Callable[[], Mapping[str, FigureImage | None]] | None = None,
) -> ReportFiles:
    """Write the publication report of a run (``flagship-study.md``, Outputs of run).

    ``results`` is the results.json dict, ``derived`` the executed derived tables (for the swimmer
    plot, the Kaplan–Meier curves and the lists), ``lang`` ``en`` or ``fr``. Writes
    ``report.html``, ``report.docx``, ``figures/*.png`` (300 dpi) and ``*.svg``, and
    ``tables/*.csv`` (one per report table, and the full data of the capped parts: ``limits``)
    under ``out_dir``. Two calls with the same inputs write the same bytes, except the
    ``generated_at`` timestamp. ``protocol``: the study's (default: the default protocol).
    ``population``: the included patients the analysis selected from ``derived`` under
    results.json's ``analysis.min_age`` (selecting them takes seconds at 200,000 patients); without
    it the report selects them itself. ``drawn_swimmer``: the swimmer plot of that population
    drawn ahead; ``drawn_figures``: the figures of ``draw_figures`` drawn ahead (``Report``).
    """
    chosen = protocol if protocol is not None else default_protocol()
    report = Report(
        results,
        derived,
        lang,
        limits=limits,
        protocol=chosen,
        population=population,
        drawn_swimmer=drawn_swimmer,
        drawn_figures=drawn_figures,
    )
    return report.add_all().save(Path(out_dir))


def draw_figures(
    results: Mapping[str, Any], population: Population, lang: str, protocol: Protocol
) -> dict[str, FigureImage | None]:
    """The report's last figures (``flagship-study.md``, Outputs of run), by key: the
    Kaplan–Meier curves of ``population`` (``km``, ``km_cr``) and the forest plot (``forest``),
    exactly as the report draws them from ``results`` (the results.json dict) in ``lang``.

    ``run`` draws them in a forked child while the report builds its first sections, and hands
    them over (``write_report(drawn_figures=...)``).
    """
    t = Translator(lang, protocol)
    return {
        "km": km_figure(results, population.courses, t, complete=False),
        "km_cr": km_figure(results, population.courses, t, complete=True),
        "forest": forest_image(results, t),
    }
