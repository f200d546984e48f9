"""Reading and checking a protocol file (``protocols.md``, The protocol file).

Built-in protocols are TOML files shipped in ``itpcohort/protocols/builtin/`` and read by the same
function as a user's file. Every check names the file and the dotted key and says what is allowed:
an unknown section or key, a value of the wrong type, a value out of range, an agent outside the
drug vocabulary (``data-model.md``), an unknown predictor or sensitivity run. The ``[criteria]``
table is checked by ``itpcohort.criteria`` (the same check as ``study.toml``).

Readings of the spec: ``course_gap_days`` is set in ``[courses]`` (not in ``[criteria]``); it is the
default of the criteria parameter of the same name. ``compare = "first_switch"`` needs
``kind = "exposure"`` (infusion courses of one protocol are never a switch of agent in the spec's
plan). Regimen names are unique and never ``other`` or ``unknown``, which the rule itself gives.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from itpcohort.criteria._sets import PARAMETERS_BY_NAME, apply_overrides, criteria_set
from itpcohort.errors import InputError, Problem
from itpcohort.protocols._courses import KINDS, CourseRules, Regimen
from itpcohort.protocols._model import Design, Protocol
from itpcohort.protocols._vocabulary import (
    COMPARE_COURSES,
    COMPARE_FIRST_SWITCH,
    NAMED_SENSITIVITY_RUNS,
    PREDICTORS,
)
from itpcohort.schema import DOSE_UNITS, DRUGS

#: the protocol used when none is named
DEFAULT_PROTOCOL = "rituximab-retreatment"

_SECTIONS = {"protocol": True, "courses": True, "criteria": False, "design": False}
_PROTOCOL_KEYS = {"name", "version", "title"}
_COURSES_KEYS = {
    "kind",
    "agents",
    "course_gap_days",
    "regimens",
    "era_gap_days",
    "exposure_effect_days",
}
_REGIMEN_KEYS = {"name", "dose", "unit", "count", "label"}
_DESIGN_KEYS = {"compare", "min_age", "predictors", "sensitivity"}
_LANG_KEYS = {"en", "fr"}
_DAYS = {"course_gap_days": (1, 3650), "era_gap_days": (0, 3650), "exposure_effect_days": (0, 365)}


class _File:
    """Checks of one protocol file; every error names the file and the dotted key."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, value: Any, reason: str) -> InputError:
        return InputError(
            f"{self.path}: {key}: {reason}", (Problem(self.path, None, key, str(value), reason),)
        )

    def keys(self, table: dict[str, Any], where: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                name = f"{where}.{key}" if where else key
                raise self.fail(name, key, f"unknown key; allowed: {', '.join(sorted(allowed))}")

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, value, f"expected a table, found {value!r}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, value, f"expected a non-empty string, found {value!r}")
        return value

    def integer(self, value: Any, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, value, f"expected an integer in {low}..{high}, found {value!r}")
        if not low <= value <= high:
            raise self.fail(key, value, f"{value} is out of range; allowed: {low}..{high}")
        return value

    def texts(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, value, f"expected a list of strings, found {value!r}")
        if len(set(value)) != len(value):
            raise self.fail(key, value, "a value is listed twice")
        return tuple(value)

    def labels(self, value: Any, key: str) -> tuple[str, str]:
        table = self.table(value, key)
        self.keys(table, key, _LANG_KEYS)
        return (
            self.text(table.get("en"), f"{key}.en"),
            self.text(table.get("fr"), f"{key}.fr"),
        )


def _courses(check: _File, table: dict[str, Any]) -> CourseRules:
    check.keys(table, "courses", _COURSES_KEYS)
    kind = table.get("kind", KINDS[0])
    if kind not in KINDS:
        raise check.fail(
            "courses.kind", kind, f"{kind!r} is not a kind; allowed: {', '.join(KINDS)}"
        )
    if "agents" not in table:
        raise check.fail("courses.agents", "", "missing; list the drugs that make a course")
    agents = check.texts(table["agents"], "courses.agents")
    if not agents:
        raise check.fail("courses.agents", agents, "empty; list the drugs that make a course")
    for agent in agents:
        if agent not in DRUGS:
            raise check.fail(
                "courses.agents",
                agent,
                f"unknown agent {agent!r}; allowed: the drug vocabulary of data-model.md "
                f"({', '.join(DRUGS)})",
            )
    days = {
        key: check.integer(table[key], f"courses.{key}", *_DAYS[key])
        for key in _DAYS
        if key in table
    }
    regimens = table.get("regimens", [])
    if not isinstance(regimens, list):
        raise check.fail("courses.regimens", regimens, "expected [[courses.regimens]] tables")
    if regimens and kind != "infusions":
        raise check.fail("courses.regimens", "", 'regimens apply to kind = "infusions" only')
    return CourseRules(
        kind=kind,
        agents=agents,
        regimens=tuple(_regimen(check, r, n) for n, r in enumerate(regimens, start=1)),
        **days,
    )


def _regimen(check: _File, value: Any, number: int) -> Regimen:
    key = f"courses.regimens[{number}]"
    table = check.table(value, key)
    check.keys(table, key, _REGIMEN_KEYS)
    name = check.text(table.get("name"), f"{key}.name")
    if name in ("other", "unknown"):
        raise check.fail(f"{key}.name", name, f"{name!r} is given by the rule itself")
    dose = table.get("dose")
    if isinstance(dose, bool) or not isinstance(dose, (int, float)) or not 0 < dose <= 100000:
        raise check.fail(f"{key}.dose", dose, f"expected a number in (0, 100000], found {dose!r}")
    unit = table.get("unit")
    if unit not in DOSE_UNITS:
        raise check.fail(
            f"{key}.unit", unit, f"{unit!r} is not a dose unit; allowed: {', '.join(DOSE_UNITS)}"
        )
    count = table.get("count")
    if count is not None:
        count = check.integer(count, f"{key}.count", 1, 100)
    label_en, label_fr = check.labels(table.get("label"), f"{key}.label")
    return Regimen(name, float(dose), unit, count, label_en, label_fr)


def _design(check: _File, table: dict[str, Any], kind: str) -> Design:
    check.keys(table, "design", _DESIGN_KEYS)
    compare: str | tuple[int, ...] = COMPARE_COURSES
    if "compare" in table:
        value = table["compare"]
        if value == COMPARE_FIRST_SWITCH and kind == "exposure":
            compare = COMPARE_FIRST_SWITCH
        elif value == list(COMPARE_COURSES):
            compare = COMPARE_COURSES
        else:
            allowed = f'"{COMPARE_FIRST_SWITCH}" (kind = "exposure") or {list(COMPARE_COURSES)}'
            raise check.fail(
                "design.compare", value, f"{value!r} is not allowed; allowed: {allowed}"
            )
    min_age = check.integer(table.get("min_age", 18), "design.min_age", 0, 120)
    predictors = check.texts(table.get("predictors", list(PREDICTORS[kind])), "design.predictors")
    for predictor in predictors:
        if predictor not in PREDICTORS[kind]:
            raise check.fail(
                "design.predictors",
                predictor,
                f"unknown predictor {predictor!r} for kind = {kind!r}; allowed: "
                f"{', '.join(PREDICTORS[kind])}",
            )
    sensitivity = check.texts(table.get("sensitivity", []), "design.sensitivity")
    for run in sensitivity:
        _sensitivity_run(check, run)
    return Design(compare, min_age, predictors, sensitivity)


def _sensitivity_run(check: _File, run: str) -> None:
    """A named run, or ``parameter=value`` checked as a criteria override (the same check)."""
    if run in NAMED_SENSITIVITY_RUNS:
        return
    name, equals, text = run.partition("=")
    parameter = PARAMETERS_BY_NAME.get(name.strip())
    if not equals or parameter is None:
        raise check.fail(
            "design.sensitivity",
            run,
            f"unknown sensitivity run {run!r}; allowed: {', '.join(NAMED_SENSITIVITY_RUNS)} or "
            "parameter=value with a criteria parameter",
        )
    try:
        value: Any = int(text) if parameter.kind is int else float(text)
    except ValueError:
        value = text
    try:
        apply_overrides(criteria_set("iwg2009"), {parameter.name: value}, check.path)
    except InputError as error:
        raise check.fail("design.sensitivity", run, str(error).split(": ", 2)[-1]) from None


def sensitivity_override(run: str) -> dict[str, Any]:
    """The criteria override of a ``parameter=value`` run (empty for a named run); checked on load."""
    if run in NAMED_SENSITIVITY_RUNS:
        return {}
    name, _, text = run.partition("=")
    parameter = PARAMETERS_BY_NAME[name.strip()]
    return {parameter.name: int(text) if parameter.kind is int else float(text)}


def read_protocol(path: Path, shown: str | None = None) -> Protocol:
    """The protocol of the TOML file ``path``, checked; errors name ``shown`` (default: the path)."""
    check = _File(shown or str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{check.path}: protocol file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{check.path}: not a valid TOML file ({error})") from None
    check.keys(data, "", set(_SECTIONS))
    for section, required in _SECTIONS.items():
        if required and section not in data:
            raise check.fail(f"[{section}]", "", "missing section")
    head = check.table(data["protocol"], "protocol")
    check.keys(head, "protocol", _PROTOCOL_KEYS)
    name = check.text(head.get("name"), "protocol.name")
    version = check.text(head.get("version"), "protocol.version")
    title_en, title_fr = check.labels(head.get("title"), "protocol.title")
    courses = _courses(check, check.table(data["courses"], "courses"))
    criteria = dict(check.table(data.get("criteria", {}), "criteria"))
    base = criteria.pop("base", "iwg2009")
    if not isinstance(base, str):
        raise check.fail("criteria.base", base, f"expected a string, found {base!r}")
    if "course_gap_days" in criteria:
        raise check.fail(
            "criteria.course_gap_days", criteria["course_gap_days"], "set it in [courses]"
        )
    apply_overrides(criteria_set(base, check.path), criteria, check.path)
    design = _design(check, check.table(data.get("design", {}), "design"), courses.kind)
    return Protocol(
        name=name,
        version=version,
        title_en=title_en,
        title_fr=title_fr,
        courses=courses,
        criteria_base=base,
        criteria_overrides=tuple(criteria.items()),
        design=design,
        source=check.path,
    )


def _builtin_dir() -> Any:
    return files("itpcohort.protocols") / "builtin"


def builtin_names() -> tuple[str, ...]:
    """The names of the built-in protocols, default first, then in name order."""
    names = sorted(
        entry.name.removesuffix(".toml")
        for entry in _builtin_dir().iterdir()
        if entry.name.endswith(".toml")
    )
    return (DEFAULT_PROTOCOL, *(n for n in names if n != DEFAULT_PROTOCOL))


@cache
def builtin_protocol(name: str) -> Protocol:
    """The built-in protocol ``name``, read from its package file like any other protocol file."""
    entry = _builtin_dir() / f"{name}.toml"
    protocol = read_protocol(Path(str(entry)), f"built-in protocol {name}")
    if protocol.name != name:
        raise ValueError(f"built-in protocol file {name}.toml names itself {protocol.name!r}")
    return protocol


def default_protocol() -> Protocol:
    """The default protocol (``rituximab-retreatment``)."""
    return builtin_protocol(DEFAULT_PROTOCOL)


def default_course_rules_from_file() -> CourseRules:
    """The ``[courses]`` of the default protocol's file, checked (without its ``[criteria]``)."""
    entry = _builtin_dir() / f"{DEFAULT_PROTOCOL}.toml"
    check = _File(f"built-in protocol {DEFAULT_PROTOCOL}")
    data = tomllib.loads(entry.read_text(encoding="utf-8"))
    return _courses(check, data["courses"])


def load_protocol(spec: str, relative_to: Path | None = None, where: str | None = None) -> Protocol:
    """The protocol named ``spec`` (a built-in name) or read from the file ``spec``.

    A relative path is taken from ``relative_to`` (the folder of ``study.toml``) when given, else
    from the working folder. Neither a built-in name nor a file: ``InputError`` naming the built-ins,
    prefixed by ``where`` (the file and key, or the option, that named it).
    """
    if spec in builtin_names():
        return builtin_protocol(spec)
    path = Path(spec)
    if not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    if path.is_file():
        return read_protocol(path, spec if relative_to is None else str(path))
    prefix = where if where is not None else f"protocol {spec!r}"
    raise InputError(
        f"{prefix}: {spec!r} is neither a built-in protocol ({', '.join(builtin_names())}) "
        "nor a protocol file"
    )
