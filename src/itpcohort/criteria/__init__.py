"""Named criteria sets as data (``response-criteria.md``), their checks and the methods prose.

>>> from itpcohort.criteria import Criteria
>>> Criteria().with_overrides(confirm_days=28).confirm_days
28
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from typing import Protocol as Structural

from itpcohort.criteria._prose import methods_prose
from itpcohort.criteria._sets import (
    PARAMETERS,
    PARAMETERS_BY_NAME,
    Criteria,
    Parameter,
    apply_overrides,
    criteria_set,
    criteria_set_names,
)

if TYPE_CHECKING:
    from itpcohort.protocols import Protocol


class StudyCriteria(Structural):
    """What a study's configuration says of its criteria (``config.StudyConfig`` has it): the file
    it came from, its protocol, and its ``[criteria]`` base and overrides. Declared here so that the
    criteria never import the configuration that names them."""

    @property
    def path(self) -> str | None: ...
    @property
    def protocol(self) -> Protocol: ...
    @property
    def criteria_base(self) -> str | None: ...
    @property
    def criteria_overrides(self) -> Mapping[str, Any]: ...


__all__ = [
    "PARAMETERS",
    "PARAMETERS_BY_NAME",
    "Criteria",
    "Parameter",
    "apply_overrides",
    "criteria_from_config",
    "criteria_of",
    "criteria_set",
    "criteria_set_names",
    "methods_prose",
]


def criteria_from_config(config: StudyCriteria) -> Criteria:
    """The criteria a study uses (``protocols.md``, The protocol file): the named base set (the
    study's ``[criteria] base`` if given, else its protocol's) with the protocol's course rules,
    then the protocol's ``course_gap_days`` and ``[criteria]`` overrides, then the study's.

    An unknown base or key, a value of the wrong type or out of range raises ``InputError`` (exit 1)
    naming the file, the key, the value and the allowed keys or range.
    """
    return criteria_of(config.protocol, config)


def criteria_of(protocol: Protocol, config: StudyCriteria | None = None) -> Criteria:
    """The criteria of ``protocol`` with the overrides of ``config`` (``criteria_from_config``)."""
    source = (config.path if config else None) or "study.toml"
    study_base = config.criteria_base if config else None
    base = criteria_set(
        study_base or protocol.criteria_base, source if study_base else protocol.source
    )
    base = dataclasses.replace(base, courses=protocol.courses)
    from_protocol: dict[str, Any] = dict(protocol.criteria_overrides)
    if protocol.courses.kind == "infusions":
        from_protocol["course_gap_days"] = protocol.courses.course_gap_days
    criteria = apply_overrides(base, from_protocol, protocol.source)
    return apply_overrides(criteria, dict(config.criteria_overrides) if config else {}, source)
