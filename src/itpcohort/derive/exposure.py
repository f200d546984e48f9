"""Exposure courses (``protocols.md``, "Exposure courses"): the model graph and its entry point.

``derive_exposure`` builds the marts of an exposure protocol from the canonical tables, the
protocol's ``ExposureRules`` and the study's ``Criteria``, as unexecuted Ibis expressions. It
reuses every model of the infusion graph (``_models.MODELS``) whose rule is the same (staging,
exposures, new treatments and lines, counts placed in course segments, usable counts, runs,
responses, loss pairs, rescue overlaps, patient baseline, investigator comparison, treatment
events); the models of its own are rules 1–10 of the spec.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._models import MODELS, Model
from itpcohort.derive.exposure_rules import ExposureRules
from itpcohort.derive.intermediate.int_agent_rows_grouped_to_eras import (
    int_agent_rows_grouped_to_eras,
)
from itpcohort.derive.intermediate.int_agent_rows_open_before_later import (
    int_agent_rows_open_before_later,
)
from itpcohort.derive.intermediate.int_agent_rows_resolved_to_last_days import (
    int_agent_rows_resolved_to_last_days,
)
from itpcohort.derive.intermediate.int_courses_baselined import int_courses_baselined
from itpcohort.derive.intermediate.int_courses_rescue_overlaps import int_courses_rescue_overlaps
from itpcohort.derive.intermediate.int_courses_responses import int_courses_responses
from itpcohort.derive.intermediate.int_eras_summarised_to_courses import (
    int_eras_summarised_to_courses,
)
from itpcohort.derive.intermediate.int_exposure_courses_baselined import (
    int_exposure_courses_baselined,
)
from itpcohort.derive.intermediate.int_exposure_courses_losses import (
    int_exposure_courses_losses,
)
from itpcohort.derive.intermediate.int_exposure_courses_windowed import (
    int_exposure_courses_windowed,
)
from itpcohort.derive.intermediate.int_exposures_relined_for_agents import (
    int_exposures_relined_for_agents,
)
from itpcohort.derive.intermediate.int_line_agents_counted_before_courses import (
    int_line_agents_counted_before_courses,
)
from itpcohort.derive.intermediate.int_platelet_counts_assigned_to_courses import (
    int_platelet_counts_assigned_to_courses,
)
from itpcohort.derive.intermediate.int_platelet_counts_paired_for_losses import (
    int_platelet_counts_paired_for_losses,
)
from itpcohort.derive.intermediate.int_platelet_counts_placed_among_events import (
    int_platelet_counts_placed_among_events,
)
from itpcohort.derive.intermediate.int_platelet_counts_placed_in_segments import (
    int_platelet_counts_placed_in_segments,
)
from itpcohort.derive.intermediate.int_treatments_new_for_courses import (
    int_treatments_new_for_courses,
)
from itpcohort.derive.intermediate.int_usable_counts_grouped_to_runs import (
    int_usable_counts_grouped_to_runs,
)
from itpcohort.derive.marts.ae_by_exposure_course import ae_by_exposure_course
from itpcohort.derive.marts.exposure_courses import exposure_courses
from itpcohort.derive.marts.investigator_comparison import investigator_comparison
from itpcohort.derive.marts.patient_baseline import patient_baseline
from itpcohort.derive.marts.patient_treatment_events import patient_treatment_events
from itpcohort.schema import CANONICAL_COLUMNS

__all__ = [
    "EXPOSURE_MARTS",
    "ExposureRules",
    "derive_exposure",
    "exposure_built",
    "exposure_models",
    "exposure_released_after",
    "exposure_row_warnings",
]

#: the derived tables of an exposure protocol, in the order ``derive_exposure`` returns them
EXPOSURE_MARTS: tuple[str, ...] = (
    "courses",
    "patient_baseline",
    "ae_by_course",
    "investigator_comparison",
    "patient_treatment_events",
)

#: the staging models and section-2 exposures, taken from the infusion graph unchanged
_SHARED = (
    "stg_patients",
    "stg_treatments",
    "stg_platelet_counts",
    "stg_bleeding_events",
    "stg_adverse_events",
    "stg_investigator_assessments",
    "int_treatments_resolved_to_exposures",
    "int_events_collected_to_days",
)


def _m(name: str, function: Callable[..., Any], *inputs: str, criteria: bool = False) -> Model:
    layer = "marts" if name in EXPOSURE_MARTS else "intermediate"
    return Model(name, function, inputs, layer, criteria)


def exposure_models(rules: ExposureRules) -> tuple[Model, ...]:
    """Every model of an exposure protocol in dependency order (``rules`` bound where read)."""
    by_name = {m.name: m for m in MODELS}
    r = partial
    return (
        *(by_name[name] for name in _SHARED),
        # rules 1-5: rows, eras, courses
        _m("int_agent_rows_resolved_to_last_days", r(int_agent_rows_resolved_to_last_days, rules=rules), "stg_treatments", "stg_patients"),
        _m("int_agent_rows_grouped_to_eras", r(int_agent_rows_grouped_to_eras, rules=rules), "int_agent_rows_resolved_to_last_days"),
        _m("int_eras_summarised_to_courses", int_eras_summarised_to_courses, "int_agent_rows_grouped_to_eras"),
        # rule 8: lines and new treatments
        _m("int_exposures_relined_for_agents", r(int_exposures_relined_for_agents, rules=rules), "int_treatments_resolved_to_exposures"),
        _m("int_line_agents_counted_before_courses", int_line_agents_counted_before_courses, "int_eras_summarised_to_courses", "int_exposures_relined_for_agents"),
        _m("int_treatments_new_for_courses", int_treatments_new_for_courses, "int_eras_summarised_to_courses", "int_exposures_relined_for_agents"),
        # sections 3-6 on exposure courses; rules 6, 7, 9
        _m("int_platelet_counts_placed_in_segments", int_platelet_counts_placed_in_segments, "stg_platelet_counts", "int_eras_summarised_to_courses", criteria=True),
        _m("int_platelet_counts_placed_among_events", int_platelet_counts_placed_among_events, "int_platelet_counts_placed_in_segments", "int_events_collected_to_days"),
        _m("int_courses_baselined", int_courses_baselined, "int_eras_summarised_to_courses", "int_platelet_counts_placed_in_segments", criteria=True),
        _m("int_exposure_courses_baselined", r(int_exposure_courses_baselined, rules=rules), "int_eras_summarised_to_courses", "int_courses_baselined"),
        _m("int_exposure_courses_windowed", r(int_exposure_courses_windowed, rules=rules), "int_eras_summarised_to_courses", "int_treatments_new_for_courses", "stg_patients", criteria=True),
        _m("int_courses_rescue_overlaps", int_courses_rescue_overlaps, "int_exposure_courses_windowed", "int_treatments_resolved_to_exposures", criteria=True),
        _m("int_platelet_counts_assigned_to_courses", int_platelet_counts_assigned_to_courses, "int_platelet_counts_placed_among_events", "int_exposure_courses_windowed", "int_exposure_courses_baselined", criteria=True),
        _m("int_usable_counts_grouped_to_runs", int_usable_counts_grouped_to_runs, "int_platelet_counts_assigned_to_courses", criteria=True),
        _m("int_courses_responses", int_courses_responses, "int_eras_summarised_to_courses", "int_usable_counts_grouped_to_runs"),
        _m("int_platelet_counts_paired_for_losses", int_platelet_counts_paired_for_losses, "int_platelet_counts_assigned_to_courses", "int_courses_responses", criteria=True),
        _m("int_exposure_courses_losses", int_exposure_courses_losses, "int_courses_responses", "int_exposure_courses_windowed", "int_platelet_counts_paired_for_losses", "int_events_collected_to_days", "int_eras_summarised_to_courses"),
        # marts (rule 10: adverse events)
        _m("courses", exposure_courses, "int_eras_summarised_to_courses", "int_exposure_courses_windowed", "int_exposure_courses_baselined", "int_line_agents_counted_before_courses", "int_courses_responses", "int_exposure_courses_losses", "int_courses_rescue_overlaps", "stg_patients", criteria=True),
        _m("patient_baseline", patient_baseline, "stg_patients", "int_eras_summarised_to_courses", "int_courses_baselined"),
        _m("ae_by_course", r(ae_by_exposure_course, rules=rules), "stg_adverse_events", "int_eras_summarised_to_courses", "stg_patients"),
        _m("investigator_comparison", investigator_comparison, "stg_investigator_assessments", "courses"),
        _m("patient_treatment_events", patient_treatment_events, "stg_patients", "int_eras_summarised_to_courses", "int_exposures_relined_for_agents", "int_treatments_new_for_courses"),
    )  # fmt: skip


def _table_models(models: tuple[Model, ...]) -> frozenset[str]:
    """Marts and models read by two models or more (worth computing once)."""
    uses = Counter(i for m in models for i in m.inputs)
    shared = {name for name, n in uses.items() if n >= 2} - set(CANONICAL_COLUMNS)
    return frozenset(shared) | frozenset(EXPOSURE_MARTS)


def exposure_released_after(rules: ExposureRules) -> dict[str, tuple[str, ...]]:
    """Once the table model of the key is built, the table models of the exposure graph that no
    model still to build reads (the marts excepted), as ``_models.RELEASED_AFTER``."""
    models = exposure_models(rules)
    table_models = _table_models(models)
    by_name = {m.name: m for m in models}

    def materialized(model: Model) -> set[str]:
        found: set[str] = set()
        for name in model.inputs:
            if name in table_models:
                found.add(name)
            elif name in by_name:
                found |= materialized(by_name[name])
        return found

    last_reader: dict[str, str] = {}
    for model in models:
        if model.name in table_models:
            for name in materialized(model):
                last_reader[name] = model.name
    released: dict[str, list[str]] = {}
    for name, reader in last_reader.items():
        if name not in EXPOSURE_MARTS:
            released.setdefault(reader, []).append(name)
    return {reader: tuple(sorted(names)) for reader, names in released.items()}


def exposure_built(
    tables: Mapping[str, ir.Table],
    rules: ExposureRules,
    criteria: Criteria,
    materialize: Callable[[str, ir.Table], ir.Table] | None = None,
    release: Callable[[str], None] | None = None,
) -> dict[str, ir.Table]:
    """Every model of ``exposure_models(rules)`` (canonical tables included) by name, built as
    ``derive_exposure`` builds them; ``release(name)`` is called as ``derive.derive_models``
    calls it, after each table model, for the tables no later model reads."""
    from itpcohort.derive import _canonical  # the canonical typing of ``derive_models``

    keep = materialize or (lambda _name, table: table)
    models = exposure_models(rules)
    table_models = _table_models(models)
    releases = exposure_released_after(rules) if release is not None else {}
    built: dict[str, ir.Table] = {
        name: _canonical(tables, name) for name in CANONICAL_COLUMNS if name != "biomarkers"
    }
    for model in models:
        args: list[object] = [built[name] for name in model.inputs]
        if model.needs_criteria:
            args.append(criteria)
        expression = model.function(*args)
        if model.name not in table_models:
            built[model.name] = expression
            continue
        built[model.name] = keep(model.name, expression)
        if release is not None:
            for name in releases.get(model.name, ()):
                release(name)
    return built


def derive_exposure(
    tables: Mapping[str, ir.Table],
    rules: ExposureRules,
    criteria: Criteria,
    materialize: Callable[[str, ir.Table], ir.Table] | None = None,
) -> dict[str, ir.Table]:
    """The derived tables of an exposure protocol (``EXPOSURE_MARTS``), unexecuted.

    ``tables`` maps canonical table names to Ibis tables (absent optional tables: none recorded);
    ``materialize(name, expression)``, when given, is called for each mart and each model read
    twice or more, in dependency order, and returns the table to read instead.
    """
    built = exposure_built(tables, rules, criteria, materialize)
    return {name: built[name] for name in EXPOSURE_MARTS}


def exposure_row_warnings(
    tables: Mapping[str, ir.Table], rules: ExposureRules, criteria: Criteria | None = None
) -> ir.Table:
    """Open-ended rows of the protocol's agents followed by a later row of the same agent
    (``protocols.md``: a data-quality warning), one row each: ``center, patient_id, agent,
    start_date, later_start_date``. ``criteria``: the study's (default: the default set); the rows
    read do not depend on it."""
    from itpcohort.derive import _canonical

    criteria = criteria if criteria is not None else Criteria()

    by_name = {m.name: m for m in MODELS}
    patients = by_name["stg_patients"].function(_canonical(tables, "patients"))
    treatments = by_name["stg_treatments"].function(
        _canonical(tables, "treatments"), patients, criteria
    )
    rows = int_agent_rows_resolved_to_last_days(treatments, patients, rules=rules)
    return int_agent_rows_open_before_later(rows, patients)
