"""Protocols as data (``protocols.md``): a study's course rules, criteria base and design in one
versioned TOML document, checked when read; built-ins ship as package files.

>>> from itpcohort.protocols import load_protocol
>>> load_protocol("rituximab-retreatment").design.compare
(1, 2)
"""

from __future__ import annotations

from itpcohort.protocols._courses import KINDS, CourseRules, Regimen, default_course_rules
from itpcohort.protocols._load import (
    DEFAULT_PROTOCOL,
    builtin_names,
    builtin_protocol,
    default_protocol,
    load_protocol,
    read_protocol,
    sensitivity_override,
)
from itpcohort.protocols._model import Design, Protocol

__all__ = [
    "DEFAULT_PROTOCOL",
    "KINDS",
    "CourseRules",
    "Design",
    "Protocol",
    "Regimen",
    "builtin_names",
    "builtin_protocol",
    "default_course_rules",
    "default_protocol",
    "load_protocol",
    "read_protocol",
    "sensitivity_override",
]
