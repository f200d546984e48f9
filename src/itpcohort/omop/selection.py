"""The OMOP rows each rule of the mapping selects (``omop.md``, Mapping), as Ibis expressions:
drug exposures by RxNorm ingredient, procedures, platelet counts, conditions of a concept set,
and the concept sets themselves, resolved once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from itpcohort.omop.mapping import CODE_COLUMNS, Mapping, code_rows, resolve_all
from itpcohort.schema import AE_EVENTS, DRUG_CLASSES


def _null(kind: str) -> ir.Value:
    return ibis.null().cast(kind)


def selected_drugs(
    cdm: dict[str, ir.Table], doc: dict[str, Any], keep: Callable[[str, ir.Table], ir.Table]
) -> ir.Table:
    """drug_exposure rows whose drug reaches, through concept_ancestor, an RxNorm Ingredient the
    mapping knows, with the canonical drug (the ingredient's lower-cased name, or its renaming)
    and the dose from quantity x drug_strength's amount when its unit is a known one. The drug
    concepts below the known ingredients are computed once (``keep``)."""
    settings = doc["treatments"]
    concept, ancestor, strength = cdm["concept"], cdm["concept_ancestor"], cdm["drug_strength"]
    ingredient = concept.filter(
        (concept.vocabulary_id == settings["ingredient_vocabulary"])
        & (concept.concept_class_id == settings["ingredient_class"])
    )
    name = ingredient.concept_name.lower()
    ingredient = ingredient.select(
        ingredient_concept_id=ingredient.concept_id,
        drug=name.substitute(dict(settings["ingredient_names"]), else_=name),
    )
    known = [d for d in DRUG_CLASSES if d not in settings["procedures"] and d != "other"]
    ingredient = ingredient.filter(ingredient.drug.isin(known))
    below = (
        ancestor.join(ingredient, ancestor.ancestor_concept_id == ingredient.ingredient_concept_id)
        .select(
            drug_concept_id=ancestor.descendant_concept_id,
            ingredient_concept_id=ingredient.ingredient_concept_id,
            drug=ingredient.drug,
        )
        .distinct()
    )
    below = keep("omop_drug_concepts", below)
    exposure = cdm["drug_exposure"]
    rows = exposure.join(below, "drug_concept_id").select(
        exposure.drug_exposure_id,
        exposure.person_id,
        below.drug,
        below.ingredient_concept_id,
        exposure.drug_concept_id,
        exposure.quantity,
        exposure.verbatim_end_date,
        exposure.drug_exposure_end_date,
        start_date=exposure.drug_exposure_start_date,
    )
    units = concept.filter(concept.vocabulary_id == "UCUM").select(
        amount_unit_concept_id=concept.concept_id, amount_unit=concept.concept_code
    )
    amounts = strength.join(units, "amount_unit_concept_id").select(
        strength.drug_concept_id,
        strength.ingredient_concept_id,
        strength.amount_value,
        units.amount_unit,
    )
    rows = rows.left_join(amounts, ["drug_concept_id", "ingredient_concept_id"]).select(
        rows, amounts.amount_value, amounts.amount_unit
    )
    dose_unit = rows.amount_unit.substitute(dict(settings["dose_units"]), else_=_null("string"))
    known_dose = dose_unit.notnull() & rows.quantity.notnull() & rows.amount_value.notnull()
    return rows.mutate(
        dose=ibis.ifelse(known_dose, rows.quantity * rows.amount_value, _null("float64")),
        dose_unit=ibis.ifelse(known_dose, dose_unit, _null("string")),
    )


def concept_sets(
    vocab: dict[str, ir.Table], mapping: Mapping, load: Callable[[str, pa.Table], ir.Table]
) -> ir.Table:
    """Every concept set of the mapping resolved in one pass (``mapping.resolve_all``), as rows
    (``section``, ``value``, ``concept_id``): read by every table's rule. ``load`` puts the
    mapping's codes on the CDM's engine."""
    sections = {
        "scope": {"itp": mapping.concept_set("scope", "itp")},
        "secondary_causes": mapping.sets("secondary_causes"),
        "treatments.procedures": mapping.sets("treatments.procedures"),
        "platelet_counts": {"concepts": mapping.concept_set("platelet_counts", "concepts")},
        "bleeding_events": mapping.sets("bleeding_events"),
        "adverse_events": {
            k: v for k, v in mapping.sets("adverse_events").items() if k in AE_EVENTS
        },
    }
    schema = ibis.schema(CODE_COLUMNS).to_pyarrow()
    codes = pa.Table.from_pylist(code_rows(sections), schema=schema)
    return resolve_all(vocab, load("omop_codes", codes))


def members(sets: ir.Table, section: str, label: str = "value") -> ir.Table:
    """The concepts of ``section`` (``concept_id``, and its canonical value as ``label``)."""
    rows = sets.filter(sets.section == section)
    return rows.select("concept_id", **{label: rows.value})


def procedure_rows(cdm: dict[str, ir.Table], sets: ir.Table) -> ir.Table:
    """procedure_occurrence rows of the mapping's procedure sets (splenectomy...), as treatments."""
    po = cdm["procedure_occurrence"]
    return po.join(sets, po.procedure_concept_id == sets.concept_id).select(
        po.procedure_occurrence_id, po.person_id, sets.drug, start_date=po.procedure_date
    )


def platelet_rows(cdm: dict[str, ir.Table], counts: ir.Table, mapping: Mapping) -> ir.Table:
    """measurement rows of the platelet concept set, with their unit's UCUM code read: the
    canonical unit and the factor to 10^9/L (null for a unit the mapping does not know)."""
    m, concept = cdm["measurement"], cdm["concept"]
    rows = m.join(counts, m.measurement_concept_id == counts.concept_id).select(
        m.measurement_id, m.person_id, m.measurement_date, m.value_as_number, m.unit_concept_id
    )
    ucum = concept.filter(concept.vocabulary_id == "UCUM").select(
        unit_concept_id=concept.concept_id, ucum=concept.concept_code
    )
    rows = rows.left_join(ucum, "unit_concept_id").select(rows, ucum.ucum)
    units = mapping.document["platelet_counts"]["units"]
    return rows.mutate(
        canonical_unit=rows.ucum.substitute(
            {k: v[0] for k, v in units.items()}, else_=_null("string")
        ),
        factor=rows.ucum.substitute(
            {k: float(v[1]) for k, v in units.items()}, else_=_null("float64")
        ),
    )


def secondary_causes(co: ir.Table, sets: ir.Table, scope: ir.Table) -> ir.Table:
    """Per person in scope, the secondary cause whose condition is recorded first before the
    first course (ties: the first in alphabetical order): columns person_id, secondary_cause."""
    rows = co.join(sets, co.condition_concept_id == sets.concept_id).select(
        co.person_id, co.condition_start_date, sets.secondary_cause
    )
    rows = rows.join(scope, "person_id")
    rows = rows.filter(rows.condition_start_date < rows.first_course)
    earliest = rows.group_by("person_id").aggregate(first_date=rows.condition_start_date.min())
    rows = rows.join(
        earliest,
        (rows.person_id == earliest.person_id) & (rows.condition_start_date == earliest.first_date),
    ).select(rows.person_id, rows.secondary_cause)
    return rows.group_by("person_id").aggregate(secondary_cause=rows.secondary_cause.min())


def condition_rows(co: ir.Table, resolved: ir.Table) -> ir.Table:
    """condition_occurrence rows of the concepts ``resolved`` (``concept_id`` and one label
    column: the canonical value), with that label and the condition's start as ``date``."""
    label = next(c for c in resolved.columns if c != "concept_id")
    return co.join(resolved, co.condition_concept_id == resolved.concept_id).select(
        co.condition_occurrence_id, co.person_id, resolved[label], date=co.condition_start_date
    )
