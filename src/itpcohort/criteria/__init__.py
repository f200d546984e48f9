"""Named criteria sets as data (``response-criteria.md``), their checks and the methods prose.

>>> from itpcohort.criteria import Criteria
>>> Criteria().with_overrides(confirm_days=28).confirm_days
28
"""

from __future__ import annotations

from itpcohort.config import StudyConfig
from itpcohort.criteria._prose import methods_prose
from itpcohort.criteria._sets import (
    CRITERIA_SETS,
    PARAMETERS,
    PARAMETERS_BY_NAME,
    Criteria,
    Parameter,
    apply_overrides,
    criteria_set,
)

__all__ = [
    "CRITERIA_SETS",
    "PARAMETERS",
    "PARAMETERS_BY_NAME",
    "Criteria",
    "Parameter",
    "apply_overrides",
    "criteria_from_config",
    "criteria_set",
    "methods_prose",
]


def criteria_from_config(config: StudyConfig) -> Criteria:
    """The criteria a study uses: its named base set with its ``[criteria]`` overrides, checked.

    An unknown base or key, a value of the wrong type or out of range raises ``InputError`` (exit 1)
    naming the key, the value and the allowed keys or range.
    """
    source = config.path or "study.toml"
    base = criteria_set(config.criteria_base, source)
    return apply_overrides(base, dict(config.criteria_overrides), source)
