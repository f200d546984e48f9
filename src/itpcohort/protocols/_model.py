"""The protocol as a frozen value (``protocols.md``, The protocol file).

A protocol is everything that makes one study what it is: its name, version and title, how courses
are built (``CourseRules``), the criteria set it starts from with its overrides, and the analysis
design (compared courses, minimum age, predictors, sensitivity runs). ``fields`` lists every field
with its value, in file order, for ``itpcohort protocols`` and the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itpcohort.protocols._courses import CourseRules


@dataclass(frozen=True)
class Design:
    """The analysis design: ``compare`` is ``"first_switch"`` or ``(1, 2)``; ``min_age`` applies at
    the later compared course; ``sensitivity`` holds named runs and ``parameter=value`` overrides."""

    compare: str | tuple[int, ...]
    min_age: int
    predictors: tuple[str, ...]
    sensitivity: tuple[str, ...]


@dataclass(frozen=True)
class Protocol:
    """One study protocol, loaded and checked from its TOML file (``source``: the file read)."""

    name: str
    version: str
    title_en: str
    title_fr: str
    courses: CourseRules
    criteria_base: str
    criteria_overrides: tuple[tuple[str, Any], ...]
    design: Design
    source: str

    @property
    def is_builtin(self) -> bool:
        """Whether the protocol was read from the package's built-in files."""
        return self.source == f"built-in protocol {self.name}"

    def title(self, lang: str) -> str:
        """The study title in ``lang`` (``en`` or ``fr``)."""
        return self.title_fr if lang == "fr" else self.title_en

    def fields(self) -> list[tuple[str, str]]:
        """Every field of the protocol as (dotted key, value as written in TOML), in file order."""
        c, d = self.courses, self.design
        rows: list[tuple[str, str]] = [
            ("protocol.name", _toml(self.name)),
            ("protocol.version", _toml(self.version)),
            ("protocol.title.en", _toml(self.title_en)),
            ("protocol.title.fr", _toml(self.title_fr)),
            ("courses.kind", _toml(c.kind)),
            ("courses.agents", _toml(list(c.agents))),
            ("courses.course_gap_days", _toml(c.course_gap_days)),
        ]
        for number, regimen in enumerate(c.regimens, start=1):
            key = f"courses.regimens[{number}]"
            rows += [
                (f"{key}.name", _toml(regimen.name)),
                (f"{key}.dose", _toml(regimen.dose)),
                (f"{key}.unit", _toml(regimen.unit)),
                (f"{key}.count", _toml(regimen.count) if regimen.count is not None else "any"),
                (f"{key}.label.en", _toml(regimen.label_en)),
                (f"{key}.label.fr", _toml(regimen.label_fr)),
            ]
        rows += [
            ("courses.era_gap_days", _toml(c.era_gap_days)),
            ("courses.exposure_effect_days", _toml(c.exposure_effect_days)),
            ("criteria.base", _toml(self.criteria_base)),
        ]
        rows += [(f"criteria.{key}", _toml(value)) for key, value in self.criteria_overrides]
        compare = d.compare if isinstance(d.compare, str) else list(d.compare)
        rows += [
            ("design.compare", _toml(compare)),
            ("design.min_age", _toml(d.min_age)),
            ("design.predictors", _toml(list(d.predictors))),
            ("design.sensitivity", _toml(list(d.sensitivity))),
        ]
        return rows


def _toml(value: Any) -> str:
    """A value as TOML writes it (strings quoted, lists bracketed)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return repr(value) if isinstance(value, float) else str(value)
