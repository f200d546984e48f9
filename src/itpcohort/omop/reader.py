"""The canonical tables of an OMOP CDM, as Ibis expressions on the CDM's own engine (``omop.md``,
Mapping; ``data-model.md`` for the canonical tables).

``read_cdm`` never executes anything: it returns the seven canonical tables (the columns and types
of ``schema.CANONICAL_COLUMNS``), the rows the mapping rejects and, per OMOP table, the rows it
selected, all as expressions of the source's backend, so that the derivation runs where the data
is. Every row the mapping selects ends in a canonical table or in the rejected rows, with its OMOP
table, its row id (``measurement_id``...), the column and the reason (``omop.md``, Checks); the
rows of a rejected person are held back, as a file source holds back a rejected patient's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from itpcohort.omop.mapping import Mapping
from itpcohort.omop.selection import (
    concept_sets,
    condition_rows,
    members,
    platelet_rows,
    procedure_rows,
    secondary_causes,
    selected_drugs,
)
from itpcohort.schema import (
    CANONICAL_COLUMNS,
    DRUG_CLASSES,
    PLATELET_MAX,
    RESCUE_CLASSES,
    SINGLE_DAY_DRUGS,
)

#: the OMOP tables whose rows the mapping selects, in the order counts are reported
COUNTED_TABLES = (
    "person",
    "drug_exposure",
    "procedure_occurrence",
    "measurement",
    "condition_occurrence",
)
REJECTED_COLUMNS = ("table_name", "row_id", "column_name", "value", "reason", "held_back")
_IBIS_OF_SQL = {
    "VARCHAR": "string",
    "DATE": "date",
    "DOUBLE": "float64",
    "BOOLEAN": "boolean",
    "INTEGER": "int32",
}


@dataclass(frozen=True)
class CdmRead:
    """What an OMOP CDM gives through the mapping: canonical tables, rejected rows (columns
    ``REJECTED_COLUMNS``), the selected rows of each counted OMOP table (one column ``row_id``),
    and the persons of the CDM (for "no patient in scope")."""

    canonical: dict[str, ir.Table]
    rejected: ir.Table
    selected: dict[str, ir.Table]
    persons: ir.Table


def _null(kind: str) -> ir.Value:
    return ibis.null().cast(kind)


def _canonical(table: ir.Table, name: str) -> ir.Table:
    """``table`` with exactly the columns and types of the canonical table ``name``."""
    return table.select(
        **{
            column: (table[column] if column in table.columns else _null(_IBIS_OF_SQL[sql])).cast(
                _IBIS_OF_SQL[sql]
            )
            for column, sql in CANONICAL_COLUMNS[name]
        }
    )


def _rejections(rows: ir.Table, table: str, id_column: str) -> ir.Table:
    """The rows of ``rows`` with a ``_reason``, as rejected rows of the OMOP ``table``."""
    bad = rows.filter(rows._reason.notnull())
    return bad.select(
        table_name=ibis.literal(table, "string"),
        row_id=bad[id_column].cast("int64"),
        column_name=bad._column.cast("string"),
        value=bad._value.cast("string"),
        reason=bad._reason.cast("string"),
        held_back=bad._held_back.cast("boolean"),
    )


def _checked(
    name: str,
    keep: Callable[[str, ir.Table], ir.Table],
    rows: ir.Table,
    rejected_persons: ir.Table,
    checks: list[tuple[Any, str, Any, str]],
) -> ir.Table:
    """``rows`` with ``_reason``/``_column``/``_value``/``_held_back``: held back when its person
    was rejected, else the first failing check ``(condition, column, value, reason)`` (condition
    and value are functions of the table, or value None)."""
    rejected = rejected_persons.select(_rejected_person=rejected_persons.person_id)
    flagged = rows.left_join(rejected, rows.person_id == rejected._rejected_person)
    flagged = flagged.select(*rows.columns, _held=flagged._rejected_person.notnull())
    held = flagged._held
    bound = [
        (cond(flagged), col, None if val is None else val(flagged), text)
        for cond, col, val, text in checks
    ]
    reason = ibis.cases(
        (held, ibis.literal("held back: its person was rejected", "string")),
        *((cond, ibis.literal(text, "string")) for cond, _, _, text in bound),
        else_=_null("string"),
    )
    column = ibis.cases(
        (held, _null("string")),
        *((cond, ibis.literal(col, "string")) for cond, col, _, _ in bound),
        else_=_null("string"),
    )
    value = ibis.cases(
        (held, _null("string")),
        *(
            (cond, val.cast("string") if val is not None else _null("string"))
            for cond, _, val, _ in bound
        ),
        else_=_null("string"),
    )
    return keep(name, flagged.mutate(_reason=reason, _column=column, _value=value, _held_back=held))


def read_cdm(
    cdm: dict[str, ir.Table],
    mapping: Mapping,
    source_name: str,
    keep: Callable[[str, ir.Table], ir.Table] | None = None,
    load: Callable[[str, pa.Table], ir.Table] | None = None,
) -> CdmRead:
    """The canonical tables, rejected rows and selected rows of the CDM tables ``cdm``
    (``source.cdm_tables``) under ``mapping`` (``omop.md``, Mapping: every rule of its table).

    ``keep(name, expression)`` is called on each checked table (persons, exposures, procedures,
    counts, bleeding and adverse events) and returns the table to read instead (the caller
    computes it once on the engine, as ``derive_models`` does with its table models);
    ``load(name, arrow)`` puts a small table of the mapping (its codes) on the engine.
    """
    keep = keep or (lambda _name, table: table)
    load = load or (lambda _name, rows: ibis.memtable(rows))
    doc = mapping.document
    vocab = {
        name: cdm[name]
        for name in ("concept", "concept_relationship", "concept_ancestor", "drug_strength")
    }
    concept = cdm["concept"]
    co = cdm["condition_occurrence"]

    # -- scope: an ITP condition and an exposure to a protocol agent -------------------------
    sets = keep("omop_concept_sets", concept_sets(vocab, mapping, load))
    itp = members(sets, "scope").select("concept_id")
    itp_rows = co.join(itp, co.condition_concept_id == itp.concept_id).select(
        co.person_id, co.condition_start_date
    )
    diagnosis = itp_rows.group_by("person_id").aggregate(
        diagnosis_date=itp_rows.condition_start_date.min()
    )
    drugs = selected_drugs(cdm, doc, keep)
    agents = drugs.filter(drugs.drug.isin(list(doc["scope"]["agents"])))
    first = agents.group_by("person_id").aggregate(first_course=agents.start_date.min())
    scope = diagnosis.join(first, "person_id")

    # -- patients ---------------------------------------------------------------------------
    person = cdm["person"].join(scope, "person_id")
    gender = concept.filter(concept.vocabulary_id == "Gender").select(
        gender_concept_id=concept.concept_id, gender_code=concept.concept_code
    )
    person = person.left_join(gender, "gender_concept_id").select(person, gender.gender_code)
    site = cdm["care_site"]
    person = person.left_join(site, person.care_site_id == site.care_site_id).select(
        person, site.care_site_name
    )
    obs = cdm["observation_period"]
    last = obs.group_by("person_id").aggregate(
        last_followup_date=obs.observation_period_end_date.max()
    )
    death = cdm["death"]
    died = death.group_by("person_id").aggregate(
        death_date=death.death_date.min(), death_cause=death.cause_source_value.min()
    )
    person = person.left_join(last, "person_id").select(person, last.last_followup_date)
    person = person.left_join(died, "person_id").select(person, died.death_date, died.death_cause)
    cause = secondary_causes(co, members(sets, "secondary_causes", "secondary_cause"), scope)
    person = person.left_join(cause, "person_id").select(person, cause.secondary_cause)
    sex = person.gender_code.substitute(dict(doc["patients"]["sex"]), else_=_null("string"))
    person = person.mutate(sex=sex)
    patient_checks = [
        (
            person.sex.isnull(),
            "gender_concept_id",
            person.gender_concept_id,
            "gender concept is not the Gender vocabulary's F or M: the sex is unknown",
        ),
        (
            person.last_followup_date.isnull(),
            "observation_period_end_date",
            None,
            "no observation_period: no last follow-up date",
        ),
        (
            person.last_followup_date < person.diagnosis_date,
            "observation_period_end_date",
            person.last_followup_date,
            "last follow-up (latest observation_period_end_date) before the ITP diagnosis",
        ),
        (
            person.death_date < person.diagnosis_date,
            "death_date",
            person.death_date,
            "death before the ITP diagnosis",
        ),
    ]
    reason = ibis.cases(
        *((c, ibis.literal(t, "string")) for c, _, _, t in patient_checks), else_=_null("string")
    )
    column = ibis.cases(
        *((c, ibis.literal(k, "string")) for c, k, _, _ in patient_checks), else_=_null("string")
    )
    value = ibis.cases(
        *(
            (c, v.cast("string") if v is not None else _null("string"))
            for c, _, v, _ in patient_checks
        ),
        else_=_null("string"),
    )
    person = keep(
        "omop_person",
        person.mutate(_reason=reason, _column=column, _value=value, _held_back=ibis.literal(False)),
    )
    rejected_persons = person.filter(person._reason.notnull()).select("person_id")
    good = person.filter(person._reason.isnull())
    month, day = good.month_of_birth, good.day_of_birth
    precision = ibis.cases(
        (month.notnull() & day.notnull(), "day"), (month.notnull(), "month"), else_="year"
    )
    birth = ibis.cases(
        (precision == "day", ibis.date(good.year_of_birth, month, day)),
        (precision == "month", ibis.date(good.year_of_birth, month, 15)),
        else_=ibis.date(good.year_of_birth, 7, 1),
    )
    patients = good.mutate(
        center=good.care_site_name.fill_null(source_name),
        patient_id=good.person_id.cast("string"),
        birth_date=birth,
        birth_date_precision=precision,
        diagnosis_date_precision=ibis.literal("day"),
        itp_type=ibis.ifelse(good.secondary_cause.notnull(), "secondary", "primary"),
    )
    keys = person.select(
        "person_id",
        "last_followup_date",
        "death_date",
        center=person.care_site_name.fill_null(source_name),
        patient_id=person.person_id.cast("string"),
    )

    # -- treatments -------------------------------------------------------------------------
    drug_rows = drugs.join(keys, "person_id")
    end = ibis.coalesce(
        drug_rows.verbatim_end_date,
        ibis.ifelse(
            drug_rows.drug_exposure_end_date >= drug_rows.last_followup_date,
            _null("date"),
            drug_rows.drug_exposure_end_date,
        ),
    )
    drug_class = drug_rows.drug.substitute(DRUG_CLASSES, else_=_null("string"))
    single_day = drug_rows.drug.isin(list(SINGLE_DAY_DRUGS)) | drug_class.isin(list(RESCUE_CLASSES))
    end = ibis.ifelse(single_day & (end == drug_rows.start_date), _null("date"), end)
    drug_rows = drug_rows.mutate(
        end_date=end, drug_class=drug_class, rescue=drug_class.isin(list(RESCUE_CLASSES))
    )
    drug_rows = _checked(
        "omop_drug_exposure",
        keep,
        drug_rows,
        rejected_persons,
        [
            (
                lambda t: t.end_date < t.start_date,
                "drug_exposure_end_date",
                lambda t: t.end_date,
                "end before start",
            ),
            (
                lambda t: t.start_date > t.death_date,
                "drug_exposure_start_date",
                lambda t: t.start_date,
                "starts after death",
            ),
        ],
    )
    procedures = procedure_rows(cdm, members(sets, "treatments.procedures", "drug")).join(
        keys, "person_id"
    )
    procedures = procedures.mutate(
        drug_class=procedures.drug.substitute(DRUG_CLASSES, else_=_null("string")),
    )
    procedures = procedures.mutate(rescue=procedures.drug_class.isin(list(RESCUE_CLASSES)))
    procedures = _checked(
        "omop_procedure_occurrence",
        keep,
        procedures,
        rejected_persons,
        [
            (
                lambda t: t.start_date > t.death_date,
                "procedure_date",
                lambda t: t.start_date,
                "after death",
            )
        ],
    )
    treatments = _canonical(drug_rows.filter(drug_rows._reason.isnull()), "treatments").union(
        _canonical(procedures.filter(procedures._reason.isnull()), "treatments")
    )

    # -- platelet counts --------------------------------------------------------------------
    counts = platelet_rows(cdm, members(sets, "platelet_counts"), mapping).join(keys, "person_id")
    allowed = ", ".join(doc["platelet_counts"]["units"])
    counts = _checked(
        "omop_measurement",
        keep,
        counts,
        rejected_persons,
        [
            (
                lambda t: t.value_as_number.isnull(),
                "value_as_number",
                None,
                "no value (value_as_number is empty)",
            ),
            (
                lambda t: t.unit_concept_id.isnull() | (t.unit_concept_id == 0),
                "unit_concept_id",
                lambda t: t.unit_concept_id,
                "no unit (unit_concept_id is empty or 0): a count is never read without its unit",
            ),
            (
                lambda t: t.factor.isnull(),
                "unit_concept_id",
                lambda t: t.unit_concept_id,
                f"not a platelet count unit (UCUM codes read: {allowed})",
            ),
            (
                lambda t: (
                    (t.value_as_number * t.factor < 0)
                    | (t.value_as_number * t.factor > PLATELET_MAX)
                ),
                "value_as_number",
                None,
                f"outside 0..{PLATELET_MAX:g} x10^9/L after unit conversion",
            ),
            (
                lambda t: t.measurement_date > t.last_followup_date,
                "measurement_date",
                lambda t: t.measurement_date,
                "after the last follow-up (latest observation_period_end_date)",
            ),
            (
                lambda t: t.measurement_date > t.death_date,
                "measurement_date",
                lambda t: t.measurement_date,
                "after death",
            ),
        ],
    )
    good_counts = counts.filter(counts._reason.isnull())
    platelet_counts = _canonical(
        good_counts.mutate(
            date=good_counts.measurement_date,
            platelets=good_counts.value_as_number * good_counts.factor,
            unit=good_counts.canonical_unit,
        ),
        "platelet_counts",
    )

    # -- bleeding and adverse events ----------------------------------------------------------
    bleeding = condition_rows(co, members(sets, "bleeding_events", "site")).join(keys, "person_id")
    severe = {site: bool(v.get("severe", False)) for site, v in doc["bleeding_events"].items()}
    bleeding = bleeding.mutate(severe=bleeding.site.substitute(severe, else_=ibis.literal(False)))
    bleeding = _checked(
        "omop_bleeding",
        keep,
        bleeding,
        rejected_persons,
        [
            (
                lambda t: t.date > t.death_date,
                "condition_start_date",
                lambda t: t.date,
                "after death",
            )
        ],
    )
    adverse = condition_rows(co, members(sets, "adverse_events", "event")).join(keys, "person_id")
    adverse = _checked(
        "omop_adverse",
        keep,
        adverse,
        rejected_persons,
        [
            (
                lambda t: t.date > t.death_date,
                "condition_start_date",
                lambda t: t.date,
                "after death",
            )
        ],
    )
    bleeding_events = _canonical(bleeding.filter(bleeding._reason.isnull()), "bleeding_events")
    good_adverse = adverse.filter(adverse._reason.isnull())
    adverse_events = _canonical(good_adverse.mutate(onset_date=good_adverse.date), "adverse_events")

    nothing = patients.filter(ibis.literal(False))
    canonical = {
        "patients": _canonical(patients, "patients"),
        "treatments": treatments,
        "platelet_counts": platelet_counts,
        "bleeding_events": bleeding_events,
        "adverse_events": adverse_events,
        "biomarkers": _canonical(nothing, "biomarkers"),
        "investigator_assessments": _canonical(nothing, "investigator_assessments"),
    }
    rejected = (
        _rejections(person, "person", "person_id")
        .union(_rejections(drug_rows, "drug_exposure", "drug_exposure_id"))
        .union(_rejections(procedures, "procedure_occurrence", "procedure_occurrence_id"))
        .union(_rejections(counts, "measurement", "measurement_id"))
        .union(_rejections(bleeding, "condition_occurrence", "condition_occurrence_id"))
        .union(_rejections(adverse, "condition_occurrence", "condition_occurrence_id"))
    )
    selected = {
        "person": person.select(row_id=person.person_id.cast("int64")),
        "drug_exposure": drug_rows.select(row_id=drug_rows.drug_exposure_id.cast("int64")),
        "procedure_occurrence": procedures.select(
            row_id=procedures.procedure_occurrence_id.cast("int64")
        ),
        "measurement": counts.select(row_id=counts.measurement_id.cast("int64")),
        "condition_occurrence": bleeding.select(
            row_id=bleeding.condition_occurrence_id.cast("int64")
        ).union(
            adverse.select(row_id=adverse.condition_occurrence_id.cast("int64")), distinct=False
        ),
    }
    return CdmRead(canonical, rejected, selected, cdm["person"].select("person_id"))
