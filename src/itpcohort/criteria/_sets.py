"""The criteria set as data: every number of ``response-criteria.md`` with its default and range.

Like OHDSI Circe's ``CollapseSettings``/``CustomEraStrategy``, every parameter has an explicit default
and a declared range; a study may override any of them (``study.toml`` ``[criteria]``), and the
overrides are checked here before any derivation runs.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from itpcohort.errors import InputError, Problem

if TYPE_CHECKING:
    from itpcohort.protocols import CourseRules


def _default_courses() -> CourseRules:
    from itpcohort.protocols import default_course_rules

    return default_course_rules()


@dataclass(frozen=True)
class Parameter:
    """One criteria parameter: its kind (``int`` or ``float``), its allowed range and its meaning.

    ``low_open`` makes the lower bound exclusive (a threshold must be > 0, not >= 0);
    ``infusions_only`` marks the parameters that exposure courses do not use (``protocols.md``,
    Exposure courses: eras replace section 1's grouping and regimens, rule 10 replaces section 8's
    365-day and infusion rules).
    """

    name: str
    kind: type
    minimum: float
    maximum: float
    section: str
    meaning: str
    low_open: bool = False
    infusions_only: bool = False

    def range_text(self) -> str:
        """The allowed range as people read it, e.g. ``integer in 1..3650`` or ``number in (0, 2000]``."""
        if self.kind is int:
            return f"integer in {int(self.minimum)}..{int(self.maximum)}"
        low = "(" if self.low_open else "["
        return f"number in {low}{_num(self.minimum)}, {_num(self.maximum)}]"

    def used_by(self, kind: str) -> bool:
        """Whether courses of ``kind`` (``infusions``, ``exposure``) use this parameter."""
        return kind == "infusions" or not self.infusions_only

    def accepts(self, value: float) -> bool:
        """Whether ``value`` lies in the allowed range."""
        above = value > self.minimum if self.low_open else value >= self.minimum
        return above and value <= self.maximum


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


#: every parameter of a criteria set, in the order of ``response-criteria.md``
PARAMETERS: tuple[Parameter, ...] = (
    Parameter("course_gap_days", int, 1, 3650, "1", "largest gap between two administrations of one course", infusions_only=True),
    Parameter("dose_tolerance_pct", int, 0, 50, "1", "tolerance around a regimen's nominal dose, percent, inclusive", infusions_only=True),
    Parameter("persistent_from_months", int, 1, 120, "2", "ITP is persistent from this many months after diagnosis"),
    Parameter("chronic_after_months", int, 1, 240, "2", "ITP is chronic beyond this many months after diagnosis"),
    Parameter("baseline_days", int, 0, 365, "3", "days before a course start searched for its baseline count"),
    Parameter("response_window_days", int, 1, 3650, "4", "length of the response assessment window, days"),
    Parameter("rescue_exclusion_days", int, 0, 365, "4", "days after a rescue exposure ends during which counts are not usable"),
    Parameter("cr_threshold", float, 0, 2000, "5", "complete response threshold, 10^9/L", low_open=True),
    Parameter("r_threshold", float, 0, 2000, "5", "response threshold, 10^9/L", low_open=True),
    Parameter("r_fold", float, 1, 100, "5", "response needs at least this multiple of the baseline count"),
    Parameter("confirm_days", int, 0, 365, "5", "a confirming run spans more than this many days"),
    Parameter("bleeding_min_grade", int, 0, 4, "5", "lowest WHO grade of a bleeding event that voids a run or ends a response"),
    Parameter("loss_confirm_days", int, 0, 365, "6", "two non-qualifying counts more than this many days apart confirm a loss"),
    Parameter("similar_duration_ratio", float, 0, 10, "7", "course-2 duration at least this fraction of course 1 is similar or longer", low_open=True),
    Parameter("ae_attribution_days", int, 0, 3650, "8", "adverse events up to this many days after a course's last infusion belong to it", infusions_only=True),
    Parameter("infusion_reaction_days", int, 0, 30, "8", "an infusion reaction starts at most this many days after an infusion", infusions_only=True),
)  # fmt: skip
PARAMETERS_BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}


@dataclass(frozen=True)
class Criteria:
    """A named, versioned criteria set (``response-criteria.md``); the defaults are ``iwg2009``.

    Frozen: ``with_overrides`` returns a new, checked set and records which parameters differ from
    the named base so that the report can state them. ``courses`` holds the protocol's course rules
    (``protocols.md``): they travel with the criteria into every derivation and every re-derivation
    of a sensitivity run; the default is the default protocol's. They are not criteria parameters
    (``as_dict`` and results.json do not list them; the report prints them with the protocol).
    """

    name: str = "iwg2009"
    version: str = "1"
    course_gap_days: int = 60
    dose_tolerance_pct: int = 10
    persistent_from_months: int = 3
    chronic_after_months: int = 12
    baseline_days: int = 30
    response_window_days: int = 180
    rescue_exclusion_days: int = 28
    cr_threshold: float = 100.0
    r_threshold: float = 30.0
    r_fold: float = 2.0
    confirm_days: int = 7
    bleeding_min_grade: int = 2
    loss_confirm_days: int = 1
    similar_duration_ratio: float = 0.75
    ae_attribution_days: int = 365
    infusion_reaction_days: int = 1
    #: parameters that differ from the named base set, in PARAMETERS order
    overrides: tuple[str, ...] = field(default=())
    courses: CourseRules = field(default_factory=_default_courses, repr=False)

    def with_overrides(self, **values: Any) -> Criteria:
        """A copy with ``values`` replacing parameters, checked (``InputError`` naming key, value, range)."""
        return apply_overrides(self, values, "criteria")

    def parameters(self) -> dict[str, int | float]:
        """Every parameter and its value, in the order of ``response-criteria.md``."""
        return {p.name: getattr(self, p.name) for p in PARAMETERS}

    def as_dict(self) -> dict[str, Any]:
        """Name, version, every parameter, and the overridden parameters with their values."""
        return {
            "name": self.name,
            "version": self.version,
            **self.parameters(),
            "overrides": {name: getattr(self, name) for name in self.overrides},
        }


def apply_overrides(base: Criteria, values: dict[str, Any], source: str) -> Criteria:
    """``base`` with ``values`` replacing parameters, checked; ``source`` names the file in errors.

    Raises ``InputError`` naming each unknown key (with the allowed keys) and each value of the wrong
    type or out of range (with the allowed range), then any contradiction between parameters.
    """
    candidate = _checked(base, values, source)
    named = _criteria_sets().get(base.name, Criteria())
    differing = tuple(
        p.name for p in PARAMETERS if getattr(candidate, p.name) != getattr(named, p.name)
    )
    return replace(candidate, overrides=differing)


def _checked(base: Criteria, values: dict[str, Any], source: str) -> Criteria:
    """``base`` with ``values`` replacing parameters, each value and the whole set checked."""
    problems = [
        Problem(
            source,
            None,
            key,
            str(value),
            f"unknown criteria parameter '{key}'; allowed: {', '.join(PARAMETERS_BY_NAME)}",
        )
        for key, value in values.items()
        if key not in PARAMETERS_BY_NAME
    ]
    checked: dict[str, Any] = {}
    for key, value in values.items():
        parameter = PARAMETERS_BY_NAME.get(key)
        if parameter is None:
            continue
        problem = _check_value(source, parameter, value)
        if problem is not None:
            problems.append(problem)
        else:
            checked[key] = parameter.kind(value)
    if problems:
        raise InputError(
            f"{source}: invalid [criteria]: " + "; ".join(p.reason for p in problems),
            tuple(problems),
        )
    candidate = replace(base, **checked)
    _check_coherence(source, candidate)
    return candidate


def _check_value(source: str, parameter: Parameter, value: Any) -> Problem | None:
    allowed = parameter.range_text()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        reason = f"{parameter.name} = {value!r} is not a number; allowed: {allowed}"
    elif parameter.kind is int and not isinstance(value, int):
        reason = f"{parameter.name} = {value!r} is not an integer; allowed: {allowed}"
    elif not parameter.accepts(value):
        reason = f"{parameter.name} = {value!r} is out of range; allowed: {allowed}"
    else:
        return None
    return Problem(source, None, parameter.name, str(value), reason)


def _check_coherence(source: str, criteria: Criteria) -> None:
    """Contradictions between parameters (Circe-style lint before any derivation runs)."""
    pairs = (
        ("r_threshold", "cr_threshold", criteria.r_threshold <= criteria.cr_threshold),
        (
            "persistent_from_months",
            "chronic_after_months",
            criteria.persistent_from_months <= criteria.chronic_after_months,
        ),
    )
    for low, high, ok in pairs:
        if not ok:
            reason = (
                f"{low} = {getattr(criteria, low)!r} must not exceed "
                f"{high} = {getattr(criteria, high)!r}"
            )
            raise InputError(
                f"{source}: invalid [criteria]: {reason}",
                (Problem(source, None, low, str(getattr(criteria, low)), reason),),
            )


@cache
def _criteria_sets() -> dict[str, Criteria]:
    """The named criteria sets a study may start from: the files ``criteria/sets/NAME.toml``.

    Each file's ``[criteria]`` holds ``name``, ``version`` and every parameter (no default is
    taken from code: a missing or unknown parameter is an error of the package), checked by the
    same range checks as a study's overrides.
    """
    sets: dict[str, Criteria] = {}
    for entry in sorted((files("itpcohort.criteria") / "sets").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        table = dict(tomllib.loads(entry.read_text(encoding="utf-8"))["criteria"])
        name, version = str(table.pop("name")), str(table.pop("version"))
        missing = [p.name for p in PARAMETERS if p.name not in table]
        if missing:
            raise ValueError(f"criteria set file {entry.name} lacks {', '.join(missing)}")
        checked = _checked(Criteria(), table, f"criteria set {entry.name}")
        sets[name] = replace(checked, name=name, version=version, overrides=())
    return sets


def criteria_set_names() -> tuple[str, ...]:
    """The names of the criteria sets (``criteria/sets/*.toml``), in name order."""
    return tuple(_criteria_sets())


def criteria_set(name: str, source: str = "criteria") -> Criteria:
    """The named criteria set (``InputError`` naming the allowed names when unknown)."""
    try:
        return _criteria_sets()[name]
    except KeyError:
        reason = f"unknown criteria set '{name}'; allowed: {', '.join(_criteria_sets())}"
        raise InputError(
            f"{source}: criteria.base: {reason}", (Problem(source, None, "base", name, reason),)
        ) from None


def criteria_field_names() -> tuple[str, ...]:
    """Names of the dataclass fields (used by tests to check PARAMETERS covers every field)."""
    return tuple(f.name for f in fields(Criteria))
