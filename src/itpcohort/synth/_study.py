"""Write a whole synthetic multicentre study: one folder per center, ``study.toml``, and with
``messy`` the list of injected errors (``itpcohort synth``).

Patients are simulated and written in chunks of ``CHUNK_PATIENTS`` per center, each chunk from its
own random stream derived from (seed, center, chunk): the output depends only on the arguments,
never on timing or memory, and memory stays bounded whatever the number of patients.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from itpcohort import schema
from itpcohort.errors import UsageError
from itpcohort.synth._centers import MAX_CENTERS, CenterStyle, center_styles, split_patients
from itpcohort.synth._cohort import simulate_chunk
from itpcohort.synth._csvtext import CsvFile
from itpcohort.synth._messy import inject, manifest_lines
from itpcohort.synth._render import CenterText, column_order, id_width, render_chunk

CHUNK_PATIENTS = 20_000
MANIFEST = "injected_errors.csv"
MANIFEST_COLUMNS = ("file", "row", "column", "kind")
_MARKER = "# Synthetic study written by `itpcohort synth`"
#: free-text columns, quoted where they hold the delimiter
_TEXT_COLUMNS = frozenset({"death_cause", "drug_detail", "description", "comment", "value"})


@dataclass(frozen=True)
class SynthSummary:
    """What ``generate_study`` wrote: rows per table (all centers), errors injected, time taken."""

    out_dir: Path
    patients: int
    centers: tuple[str, ...]
    seed: int
    messy: float
    rows: dict[str, int] = field(default_factory=dict)
    injected_errors: int = 0
    elapsed_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        """Data rows written over all tables and centers."""
        return sum(self.rows.values())


def _tables(style: CenterStyle) -> list[str]:
    names = [t.name for t in schema.TABLES]
    if not style.has_biomarkers:
        names.remove("biomarkers")
    if not style.has_investigator_assessments:
        names.remove("investigator_assessments")
    return names


def _study_toml(styles: tuple[CenterStyle, ...], seed: int, protocol: str | None) -> str:
    lines = [
        _MARKER + f" (seed {seed}).",
        "# Centers that write day-first dates or another delimiter declare it here.",
        "",
        "[study]",
        f'title = "Synthetic rituximab retreatment study (seed {seed})"',
    ]
    if protocol is not None:
        lines.append(f"protocol = {json.dumps(protocol)}")
    for style in styles:
        options = []
        if style.strftime is not None:
            options.append(f'date_format = "{style.strftime}"')
        if style.delimiter != ",":
            options.append(f'delimiter = "{style.delimiter}"')
        if options:
            lines += ["", f"[sources.{style.code}]", f'path = "{style.code}"', *options]
    return "\n".join(lines) + "\n"


def _prepare(out_dir: Path) -> None:
    """Create ``out_dir``, or clear a synthetic study written there before; refuse any other
    non-empty folder (its files are not ours to delete)."""
    if not out_dir.exists():
        out_dir.mkdir(parents=True)
        return
    if not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    entries = list(out_dir.iterdir())
    if not entries:
        return
    toml = out_dir / "study.toml"
    ours = toml.is_file() and toml.read_text(encoding="utf-8").startswith(_MARKER)
    tables = {f"{t.name}.csv" for t in schema.TABLES}
    for entry in entries:
        if entry.name in ("study.toml", MANIFEST):
            continue
        if entry.is_dir() and all(f.is_file() and f.name in tables for f in entry.iterdir()):
            continue
        ours = False
    if not ours:
        raise UsageError(
            f"--out {out_dir}: the folder is not empty and does not hold a synthetic study; "
            "choose a new or empty folder"
        )
    for entry in entries:
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _check(patients: int, centers: int, seed: int, messy: float) -> None:
    if centers < 1 or centers > MAX_CENTERS:
        raise UsageError(f"--centers {centers}: must be between 1 and {MAX_CENTERS}")
    if patients < centers:
        raise UsageError(
            f"--patients {patients}: must be at least the number of centers ({centers})"
        )
    if seed < 0:
        raise UsageError(f"--seed {seed}: must be zero or more")
    if not 0.0 <= messy <= 1.0:
        raise UsageError(f"--messy {messy}: must be a fraction between 0 and 1")


def generate_study(
    out_dir: Path,
    patients: int,
    centers: int = 4,
    seed: int = 1,
    messy: float = 0.0,
    protocol: str | None = None,
) -> SynthSummary:
    """Write a synthetic multicentre ITP study of ``patients`` patients in ``centers`` centers.

    The layout is ``data-model.md``'s: ``out_dir/<CENTER>/<table>.csv`` for every table (a center
    may lack the optional ``biomarkers`` and ``investigator_assessments``), ``out_dir/study.toml``
    declaring the centers' date formats and delimiters, and with ``messy`` > 0 ``out_dir/
    injected_errors.csv`` (``file,row,column,kind``; ``row`` is the line in the file, header = 1)
    listing the one problem each injected error gives. Same arguments, same bytes. ``protocol``
    (a built-in name or an absolute protocol path) is declared as ``[study] protocol``.
    """
    _check(patients, centers, seed, messy)
    began = time.perf_counter()
    out_dir = Path(out_dir)
    _prepare(out_dir)
    styles = center_styles(centers)
    (out_dir / "study.toml").write_text(_study_toml(styles, seed, protocol), encoding="utf-8")
    per_center = split_patients(patients, centers)
    rows = {t.name: 0 for t in schema.TABLES}
    manifest = None
    if messy > 0:
        manifest = (out_dir / MANIFEST).open("w", encoding="utf-8", newline="")
        manifest.write(",".join(MANIFEST_COLUMNS) + "\n")
    n_errors = 0
    try:
        for style, n_center in zip(styles, per_center, strict=True):
            written, errors = _write_center(out_dir, style, int(n_center), seed, messy)
            for table, count in written.items():
                rows[table] += count
            if manifest is not None:
                manifest.write(errors)
                n_errors += errors.count("\n")
    finally:
        if manifest is not None:
            manifest.close()
    return SynthSummary(
        out_dir=out_dir,
        patients=patients,
        centers=tuple(s.code for s in styles),
        seed=seed,
        messy=messy,
        rows=rows,
        injected_errors=n_errors,
        elapsed_seconds=time.perf_counter() - began,
    )


def _write_center(
    out_dir: Path, style: CenterStyle, n_patients: int, seed: int, messy: float
) -> tuple[dict[str, int], str]:
    """Write one center's files chunk by chunk; return rows per table and its manifest lines."""
    folder = out_dir / style.code
    folder.mkdir()
    tables = _tables(style)
    files = {
        table: CsvFile(
            folder / f"{table}.csv",
            column_order(table, style),
            style.delimiter,
            style.eol,
            _TEXT_COLUMNS,
        )
        for table in tables
    }
    width = id_width(n_patients)
    problems: dict[str, list[np.ndarray]] = {t: [] for t in tables}
    problem_columns: dict[str, list[np.ndarray]] = {t: [] for t in tables}
    problem_kinds: dict[str, list[np.ndarray]] = {t: [] for t in tables}
    try:
        for chunk_index, first in enumerate(range(0, n_patients, CHUNK_PATIENTS)):
            size = min(CHUNK_PATIENTS, n_patients - first)
            streams = np.random.SeedSequence([seed, style.index, chunk_index]).spawn(3)
            chunk = simulate_chunk(np.random.default_rng(streams[0]), size)
            text = CenterText(style, width, first + 1)
            rendered = render_chunk(chunk, text, np.random.default_rng(streams[1]))
            messy_rng = np.random.default_rng(streams[2])
            spared = np.zeros(size, dtype=bool)
            for table in tables:
                columns = rendered[table]
                csv = files[table]
                if messy > 0:
                    injected = inject(table, chunk, text, columns, messy, spared, messy_rng)
                    columns = injected.columns
                    if injected.order is not None:
                        take = pa.array(injected.order)
                        columns = {name: column.take(take) for name, column in columns.items()}
                    problems[table].append(csv.rows + 2 + injected.line)
                    problem_columns[table].append(injected.column)
                    problem_kinds[table].append(injected.kind)
                    touched = frozenset(str(c) for c in np.unique(injected.column))
                    csv.write(columns, also_quote=touched)
                else:
                    csv.write(columns)
    finally:
        for csv in files.values():
            csv.close()
    lines: list[str] = []
    for table in tables:
        if not problems[table]:
            continue
        lines.append(
            manifest_lines(
                f"{style.code}/{table}.csv",
                np.concatenate(problems[table]),
                np.concatenate(problem_columns[table]),
                np.concatenate(problem_kinds[table]),
            )
        )
    return {t: f.rows for t, f in files.items()}, "".join(lines)


def generate_exposure_study(
    out_dir: Path,
    patients: int,
    centers: int = 4,
    seed: int = 1,
    protocol: str | None = None,
    messy: float = 0.0,
) -> SynthSummary:
    """Write a synthetic multicentre study of exposure courses (``protocols.md``, "The tpo-ra-switch
    analysis plan": ``synth --protocol tpo-ra-switch``) with ``_switch.generate_switch_study``.

    The folder is checked and emptied as ``generate_study`` does, and ``out_dir/study.toml`` (ISO
    dates, commas in every center) declares ``protocol`` as ``[study] protocol`` and no title (the
    report takes the protocol's title, in its language). With ``messy`` > 0 about that fraction of
    the rows get one error each, listed in ``out_dir/injected_errors.csv`` as ``generate_study``
    lists them. Same arguments, same bytes.
    """
    from itpcohort.synth._switch import CENTERS as SWITCH_CENTERS
    from itpcohort.synth._switch import generate_switch_study

    _check(patients, centers, seed, messy)
    if centers > len(SWITCH_CENTERS):
        raise UsageError(
            f"--centers {centers}: exposure cohorts have at most {len(SWITCH_CENTERS)} centers"
        )
    began = time.perf_counter()
    out_dir = Path(out_dir)
    _prepare(out_dir)
    lines = [
        _MARKER + f" (seed {seed}).",
        "",
        "[study]",
    ]
    if protocol is not None:
        lines.append(f"protocol = {json.dumps(protocol)}")
    (out_dir / "study.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    written = generate_switch_study(out_dir, patients, centers=centers, seed=seed, messy=messy)
    if messy > 0:
        (out_dir / MANIFEST).write_text(
            ",".join(MANIFEST_COLUMNS) + "\n" + written.manifest, encoding="utf-8", newline=""
        )
    return SynthSummary(
        out_dir,
        patients,
        written.centers,
        seed,
        messy,
        rows=dict(written.rows),
        injected_errors=written.manifest.count("\n"),
        elapsed_seconds=time.perf_counter() - began,
    )
