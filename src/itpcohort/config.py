"""The study configuration, ``study.toml`` (``flagship-study.md``, Study configuration).

Everything has a default; a study file only says what differs. Unknown sections and keys are errors
naming the key and the allowed keys, so a typo never silently changes an analysis. The ``[criteria]``
overrides are kept here as given and checked against the named criteria set by ``itpcohort.criteria``.
``[study] protocol`` names a built-in protocol or a protocol file (relative to ``study.toml``), read
and checked here (``protocols.md``, The protocol file); without it the study runs the default protocol.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itpcohort.errors import InputError, Problem
from itpcohort.protocols import Protocol, default_protocol, load_protocol

LANGS = ("en", "fr")


@dataclass(frozen=True)
class SourceOptions:
    """How to read one source (a center code or an input path): declared date format, encoding, delimiter."""

    key: str
    path: str | None = None
    date_format: str | None = None
    encoding: str = "utf-8"
    delimiter: str = ","


@dataclass(frozen=True)
class AnalysisOptions:
    """Settings of the analysis plan that a study may change."""

    selection_p: float = 0.20
    min_age: int | None = None


@dataclass(frozen=True)
class StudyConfig:
    """A whole study configuration; ``StudyConfig()`` is the configuration with every default.

    ``title`` None: the protocol's English title. ``criteria_base`` None: the protocol's base set.
    ``analysis.min_age`` None: the protocol's ``design.min_age``.
    """

    title: str | None = None
    lang: str = "en"
    criteria_base: str | None = None
    criteria_overrides: dict[str, Any] = field(default_factory=dict)
    sources: tuple[SourceOptions, ...] = ()
    analysis: AnalysisOptions = AnalysisOptions()
    path: str | None = None
    protocol: Protocol = field(default_factory=default_protocol)

    @property
    def study_title(self) -> str:
        """The study's title: ``[study] title`` when given, else the protocol's English title."""
        return self.title if self.title is not None else self.protocol.title_en

    @property
    def min_age(self) -> int:
        """The minimum age at the later compared course: ``[analysis]`` when given, else the
        protocol's ``design.min_age``."""
        given = self.analysis.min_age
        return given if given is not None else self.protocol.design.min_age

    def source_options(self, center: str | None, input_path: Path | None) -> SourceOptions | None:
        """The declared options of a source, matched by center code or by input path (or None)."""
        for source in self.sources:
            if center is not None and source.key == center:
                return source
            if input_path is not None and source.path is not None:
                declared = Path(source.path)
                if not declared.is_absolute() and self.path is not None:
                    declared = Path(self.path).parent / declared
                if declared.resolve() == input_path.resolve():
                    return source
        return None


_STUDY_KEYS = {"title", "lang", "protocol"}
_SOURCE_KEYS = {"path", "date_format", "encoding", "delimiter"}
_ANALYSIS_KEYS = {"selection_p", "min_age"}
_SECTIONS = {"study", "criteria", "sources", "analysis"}


def _unknown(file: str, where: str, key: str, allowed: set[str]) -> Problem:
    return Problem(
        file,
        None,
        key,
        key,
        f"unknown key '{key}' in {where}; allowed: {', '.join(sorted(allowed))}",
    )


def _check_type(
    file: str, where: str, key: str, value: Any, expected: type | tuple[type, ...]
) -> None:
    if isinstance(value, bool) or not isinstance(value, expected):
        names = (
            expected.__name__
            if isinstance(expected, type)
            else " or ".join(t.__name__ for t in expected)
        )
        raise InputError(
            f"{file}: {where}.{key}: expected {names}, found {value!r}",
            (Problem(file, None, key, str(value), f"expected {names}"),),
        )


def load_config(path: Path | None) -> StudyConfig:
    """Read ``study.toml`` (or return the defaults when ``path`` is None); unknown keys are errors."""
    if path is None:
        return StudyConfig()
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{file}: configuration file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{file}: not a valid TOML file ({error})") from None

    problems = [_unknown(file, "the file", k, _SECTIONS) for k in data if k not in _SECTIONS]
    study = data.get("study", {})
    problems += [_unknown(file, "[study]", k, _STUDY_KEYS) for k in study if k not in _STUDY_KEYS]
    analysis = data.get("analysis", {})
    problems += [
        _unknown(file, "[analysis]", k, _ANALYSIS_KEYS) for k in analysis if k not in _ANALYSIS_KEYS
    ]
    sources_table = data.get("sources", {})
    for key, options in sources_table.items():
        if not isinstance(options, dict):
            problems.append(
                Problem(file, None, key, str(options), "each [sources.KEY] must be a table")
            )
            continue
        problems += [
            _unknown(file, f"[sources.{key}]", k, _SOURCE_KEYS)
            for k in options
            if k not in _SOURCE_KEYS
        ]
    if problems:
        raise InputError(f"{file}: invalid configuration", tuple(problems))

    title = study.get("title")
    if title is not None:
        _check_type(file, "study", "title", title, str)
    protocol_spec = study.get("protocol")
    if protocol_spec is not None:
        _check_type(file, "study", "protocol", protocol_spec, str)
        protocol = load_protocol(protocol_spec, path.parent, f"{file}: study.protocol")
    else:
        protocol = default_protocol()
    lang = study.get("lang", "en")
    if lang not in LANGS:
        raise InputError(
            f"{file}: study.lang: '{lang}' is not a report language; allowed: {', '.join(LANGS)}"
        )
    criteria = dict(data.get("criteria", {}))
    base = criteria.pop("base", None)
    if base is not None:
        _check_type(file, "criteria", "base", base, str)

    sources = []
    for key, options in sorted(sources_table.items()):
        for name in _SOURCE_KEYS:
            if name in options:
                _check_type(file, f"sources.{key}", name, options[name], str)
        delimiter = options.get("delimiter", ",")
        if len(delimiter) != 1:
            raise InputError(
                f"{file}: sources.{key}.delimiter: must be one character, found {delimiter!r}"
            )
        encoding = options.get("encoding", "utf-8")
        try:
            "".encode(encoding)
        except LookupError:
            raise InputError(
                f"{file}: sources.{key}.encoding: unknown encoding {encoding!r}"
            ) from None
        sources.append(
            SourceOptions(
                key=key,
                path=options.get("path"),
                date_format=options.get("date_format"),
                encoding=encoding,
                delimiter=delimiter,
            )
        )

    selection_p = analysis.get("selection_p", AnalysisOptions.selection_p)
    _check_type(file, "analysis", "selection_p", selection_p, (int, float))
    if not 0 < selection_p <= 1:
        raise InputError(f"{file}: analysis.selection_p: must be in (0, 1], found {selection_p}")
    min_age = analysis.get("min_age")
    if min_age is not None:
        _check_type(file, "analysis", "min_age", min_age, int)
        if not 0 <= min_age <= 120:
            raise InputError(f"{file}: analysis.min_age: must be in 0..120, found {min_age}")

    return StudyConfig(
        title=title,
        lang=lang,
        criteria_base=base,
        criteria_overrides=criteria,
        sources=tuple(sources),
        analysis=AnalysisOptions(selection_p=float(selection_p), min_age=min_age),
        path=file,
        protocol=protocol,
    )
