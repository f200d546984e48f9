"""The model graph: every derivation, its inputs and its layer, in dependency order (dbt-style).

``derive_all`` walks this list; each model is a function of the tables named in ``inputs`` (plus
the criteria when ``needs_criteria``). Reading the list top to bottom reads the whole derivation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itpcohort.derive.intermediate.int_courses_baselined import int_courses_baselined
from itpcohort.derive.intermediate.int_courses_losses import int_courses_losses
from itpcohort.derive.intermediate.int_courses_rescue_overlaps import int_courses_rescue_overlaps
from itpcohort.derive.intermediate.int_courses_responses import int_courses_responses
from itpcohort.derive.intermediate.int_courses_windowed import int_courses_windowed
from itpcohort.derive.intermediate.int_events_collected_to_days import (
    int_events_collected_to_days,
)
from itpcohort.derive.intermediate.int_infusions_grouped_to_courses import (
    int_infusions_grouped_to_courses,
)
from itpcohort.derive.intermediate.int_infusions_summarised_to_courses import (
    int_infusions_summarised_to_courses,
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
from itpcohort.derive.intermediate.int_treatments_resolved_to_exposures import (
    int_treatments_resolved_to_exposures,
)
from itpcohort.derive.intermediate.int_usable_counts_grouped_to_runs import (
    int_usable_counts_grouped_to_runs,
)
from itpcohort.derive.marts.ae_by_course import ae_by_course
from itpcohort.derive.marts.courses import courses
from itpcohort.derive.marts.investigator_comparison import investigator_comparison
from itpcohort.derive.marts.patient_baseline import patient_baseline
from itpcohort.derive.marts.patient_treatment_events import patient_treatment_events
from itpcohort.derive.marts.retreatment import retreatment
from itpcohort.derive.staging.stg_adverse_events import stg_adverse_events
from itpcohort.derive.staging.stg_bleeding_events import stg_bleeding_events
from itpcohort.derive.staging.stg_investigator_assessments import stg_investigator_assessments
from itpcohort.derive.staging.stg_patients import stg_patients
from itpcohort.derive.staging.stg_platelet_counts import stg_platelet_counts
from itpcohort.derive.staging.stg_treatments import stg_treatments
from itpcohort.derived_schema import MARTS as DECLARED_MARTS
from itpcohort.schema import CANONICAL_COLUMNS


@dataclass(frozen=True)
class Model:
    """One derivation: its name, function, input model names and layer."""

    name: str
    function: Callable[..., Any]
    inputs: tuple[str, ...]
    layer: str
    needs_criteria: bool = False


def _m(name: str, function: Callable[..., Any], *inputs: str, criteria: bool = False) -> Model:
    layer = "staging" if name.startswith("stg_") else "intermediate"
    if not name.startswith(("stg_", "int_")):
        layer = "marts"
    return Model(name, function, inputs, layer, criteria)


#: every model in dependency order; canonical tables are the inputs without a model
MODELS: tuple[Model, ...] = (
    # staging: canonical tables typed, renamed, same-day counts collapsed
    _m("stg_patients", stg_patients, "patients"),
    _m("stg_treatments", stg_treatments, "treatments", "stg_patients", criteria=True),
    _m("stg_platelet_counts", stg_platelet_counts, "platelet_counts", "stg_patients"),
    _m("stg_bleeding_events", stg_bleeding_events, "bleeding_events", "stg_patients"),
    _m("stg_adverse_events", stg_adverse_events, "adverse_events", "stg_patients"),
    _m("stg_investigator_assessments", stg_investigator_assessments, "investigator_assessments"),
    # intermediate: section 1 (courses)
    _m("int_infusions_grouped_to_courses", int_infusions_grouped_to_courses, "stg_treatments", criteria=True),
    _m("int_infusions_summarised_to_courses", int_infusions_summarised_to_courses, "int_infusions_grouped_to_courses", criteria=True),
    # section 2 (exposures, lines, new treatments)
    _m("int_treatments_resolved_to_exposures", int_treatments_resolved_to_exposures, "stg_treatments", "stg_patients"),
    _m("int_line_agents_counted_before_courses", int_line_agents_counted_before_courses, "int_infusions_summarised_to_courses", "int_treatments_resolved_to_exposures"),
    _m("int_treatments_new_for_courses", int_treatments_new_for_courses, "int_infusions_summarised_to_courses", "int_treatments_resolved_to_exposures"),
    # sections 3-6: counts placed in course segments and among voiding events
    _m("int_events_collected_to_days", int_events_collected_to_days, "stg_bleeding_events", "int_treatments_resolved_to_exposures", criteria=True),
    _m("int_platelet_counts_placed_in_segments", int_platelet_counts_placed_in_segments, "stg_platelet_counts", "int_infusions_summarised_to_courses", criteria=True),
    _m("int_platelet_counts_placed_among_events", int_platelet_counts_placed_among_events, "int_platelet_counts_placed_in_segments", "int_events_collected_to_days"),
    _m("int_courses_baselined", int_courses_baselined, "int_infusions_summarised_to_courses", "int_platelet_counts_placed_in_segments", criteria=True),
    _m("int_courses_windowed", int_courses_windowed, "int_infusions_summarised_to_courses", "int_treatments_new_for_courses", "stg_patients", criteria=True),
    _m("int_courses_rescue_overlaps", int_courses_rescue_overlaps, "int_courses_windowed", "int_treatments_resolved_to_exposures", criteria=True),
    _m("int_platelet_counts_assigned_to_courses", int_platelet_counts_assigned_to_courses, "int_platelet_counts_placed_among_events", "int_courses_windowed", "int_courses_baselined", criteria=True),
    _m("int_usable_counts_grouped_to_runs", int_usable_counts_grouped_to_runs, "int_platelet_counts_assigned_to_courses", criteria=True),
    _m("int_courses_responses", int_courses_responses, "int_infusions_summarised_to_courses", "int_usable_counts_grouped_to_runs"),
    _m("int_platelet_counts_paired_for_losses", int_platelet_counts_paired_for_losses, "int_platelet_counts_assigned_to_courses", "int_courses_responses", criteria=True),
    _m("int_courses_losses", int_courses_losses, "int_courses_responses", "int_courses_windowed", "int_platelet_counts_paired_for_losses", "int_events_collected_to_days"),
    # marts
    _m("courses", courses, "int_infusions_summarised_to_courses", "int_courses_windowed", "int_courses_baselined", "int_line_agents_counted_before_courses", "int_courses_responses", "int_courses_losses", "int_courses_rescue_overlaps", "stg_patients", criteria=True),
    _m("patient_baseline", patient_baseline, "stg_patients", "int_infusions_summarised_to_courses", "int_courses_baselined"),
    _m("retreatment", retreatment, "courses", criteria=True),
    _m("ae_by_course", ae_by_course, "stg_adverse_events", "int_infusions_grouped_to_courses", "int_infusions_summarised_to_courses", "stg_patients", criteria=True),
    _m("investigator_comparison", investigator_comparison, "stg_investigator_assessments", "courses"),
    _m("patient_treatment_events", patient_treatment_events, "stg_patients", "int_infusions_summarised_to_courses", "int_treatments_resolved_to_exposures", "int_treatments_new_for_courses"),
)  # fmt: skip

#: the derived tables other layers read, in the order ``derive_all`` returns them
#: (declared in ``derived_schema``)
MARTS: tuple[str, ...] = tuple(mart.name for mart in DECLARED_MARTS)

#: models worth computing once and storing (dbt's ``materialized: table``): every mart and every
#: model read by two models or more; the others are inlined where they are read (views)
TABLE_MODELS: frozenset[str] = frozenset(
    {name for name, uses in Counter(i for m in MODELS for i in m.inputs).items() if uses >= 2}
    - set(CANONICAL_COLUMNS)
) | frozenset(MARTS)


def _materialized_inputs(model: Model, by_name: dict[str, Model]) -> frozenset[str]:
    """The table models ``model`` reads, directly or through the view models it inlines."""
    found: set[str] = set()
    for name in model.inputs:
        if name in TABLE_MODELS:
            found.add(name)
        elif name in by_name:
            found |= _materialized_inputs(by_name[name], by_name)
    return frozenset(found)


def _releases() -> dict[str, tuple[str, ...]]:
    by_name = {m.name: m for m in MODELS}
    last_reader: dict[str, str] = {}
    for model in MODELS:
        if model.name in TABLE_MODELS:
            for name in _materialized_inputs(model, by_name):
                last_reader[name] = model.name
    released: dict[str, list[str]] = {}
    for name, reader in last_reader.items():
        if name not in MARTS:
            released.setdefault(reader, []).append(name)
    return {reader: tuple(sorted(names)) for reader, names in released.items()}


#: once the table model of the key is built, the table models no model still to build reads (the
#: marts excepted, which are read at the end): an executor may free them, so that the 50 million
#: counts of one stage do not stay in memory through every later stage
RELEASED_AFTER: dict[str, tuple[str, ...]] = _releases()
