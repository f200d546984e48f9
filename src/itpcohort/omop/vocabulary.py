"""The vocabulary rows of a CDM written by ``export --format omop`` (``omop.md``, Test data):
synthetic but shaped as OHDSI's. ICD10 source codes 'Maps to' standard SNOMED concepts, the ITP
diagnosis is a SNOMED descendant of the concept D69.3 maps to, drugs are RxNorm clinical drug
forms below their Ingredient in concept_ancestor with a drug_strength row (1 mg per unit), counts
are LOINC with UCUM units, sex is the Gender vocabulary's F / M. Every code comes from the mapping
file; concept ids are numbered from 2,000,000,001 (OMOP's range for local concepts) in the order
they are first used."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from itpcohort.omop.mapping import Mapping

FIRST_CONCEPT_ID = 2_000_000_001
VALID_FROM = dt.date(1970, 1, 1)
VALID_TO = dt.date(2099, 12, 31)
#: standard SNOMED codes written for the ITP diagnosis (a descendant of what D69.3 maps to)
ITP_SNOMED = ("32273002", "Immune thrombocytopenic purpura")
CHRONIC_ITP_SNOMED = ("1006901000000101", "Chronic immune thrombocytopenia")

Row = dict[str, Any]


@dataclass
class Vocabulary:
    """The concept rows a CDM uses, numbered in the order they are first asked for."""

    concepts: list[Row] = field(default_factory=list)
    relationships: list[Row] = field(default_factory=list)
    ancestors: list[Row] = field(default_factory=list)
    strengths: list[Row] = field(default_factory=list)
    ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def concept(
        self, vocabulary: str, code: str, name: str, domain: str, klass: str, standard: str | None
    ) -> int:
        """The id of (``vocabulary``, ``code``), its concept row written on first use."""
        key = (vocabulary, code)
        if key not in self.ids:
            self.ids[key] = FIRST_CONCEPT_ID + len(self.ids)
            self.concepts.append(
                {
                    "concept_id": self.ids[key],
                    "concept_name": name,
                    "domain_id": domain,
                    "vocabulary_id": vocabulary,
                    "concept_class_id": klass,
                    "standard_concept": standard,
                    "concept_code": code,
                    "valid_start_date": VALID_FROM,
                    "valid_end_date": VALID_TO,
                    "invalid_reason": None,
                }
            )
            if standard == "S":
                self.ancestor(self.ids[key], self.ids[key], 0)
        return self.ids[key]

    def maps_to(self, source: int, standard: int) -> None:
        """'Maps to' from ``source`` to ``standard`` and its reverse 'Mapped from'."""
        for one, two, kind in ((source, standard, "Maps to"), (standard, source, "Mapped from")):
            row = {"concept_id_1": one, "concept_id_2": two, "relationship_id": kind}
            if row | valid_dates() not in self.relationships:
                self.relationships.append(row | valid_dates())

    def ancestor(self, ancestor: int, descendant: int, level: int) -> None:
        """A concept_ancestor row (``level`` of separation)."""
        row = {
            "ancestor_concept_id": ancestor,
            "descendant_concept_id": descendant,
            "min_levels_of_separation": level,
            "max_levels_of_separation": level,
        }
        if row not in self.ancestors:
            self.ancestors.append(row)


def valid_dates() -> Row:
    """The validity columns of a vocabulary row written here (always valid, never invalidated)."""
    return {"valid_start_date": VALID_FROM, "valid_end_date": VALID_TO, "invalid_reason": None}


def first_code(codes: Iterable[str]) -> str:
    """The code written for a concept set: its first code (the low end of a range)."""
    first = next(iter(codes))
    return first.split("-")[0] if "-" in first and first[:1].isalpha() else first


class VocabularyWriter:
    """Turns the canonical rows of one study into CDM rows, building the vocabulary as it goes."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.vocab = Vocabulary()
        self.ingredient_of = {
            v: k for k, v in mapping.document["treatments"]["ingredient_names"].items()
        }

    def condition(self, code: str) -> int:
        """The standard SNOMED concept the ICD10 ``code`` maps to (both rows written)."""
        source = self.vocab.concept("ICD10", code, f"ICD10 {code}", "Condition", "ICD10 code", None)
        standard = self.vocab.concept(
            "SNOMED",
            f"itpc-{code}",
            f"Condition of ICD10 {code}",
            "Condition",
            "Clinical Finding",
            "S",
        )
        self.vocab.maps_to(source, standard)
        return standard

    def itp(self) -> tuple[int, int]:
        """(the chronic ITP concept the diagnosis is recorded with, the ICD10 D69.3 source concept)."""
        code = first_code(self.mapping.concept_set("scope", "itp").codes)
        source = self.vocab.concept(
            "ICD10", code, "Immune thrombocytopenic purpura", "Condition", "ICD10 code", None
        )
        parent = self.vocab.concept(
            "SNOMED", ITP_SNOMED[0], ITP_SNOMED[1], "Condition", "Clinical Finding", "S"
        )
        self.vocab.maps_to(source, parent)
        child = self.vocab.concept(
            "SNOMED",
            CHRONIC_ITP_SNOMED[0],
            CHRONIC_ITP_SNOMED[1],
            "Condition",
            "Clinical Finding",
            "S",
        )
        self.vocab.ancestor(parent, child, 1)
        return child, source

    def drug(self, drug: str) -> int:
        """The RxNorm clinical drug of canonical ``drug``, below its Ingredient, with its strength."""
        name = self.ingredient_of.get(drug, drug)
        ingredient = self.vocab.concept(
            "RxNorm", f"itpc-{drug}", name.title(), "Drug", "Ingredient", "S"
        )
        clinical = self.vocab.concept(
            "RxNorm",
            f"itpc-{drug}-form",
            f"{name} injectable product",
            "Drug",
            "Clinical Drug Form",
            "S",
        )
        self.vocab.ancestor(ingredient, clinical, 1)
        if not any(s["drug_concept_id"] == clinical for s in self.vocab.strengths):
            self.vocab.strengths.append(
                {
                    "drug_concept_id": clinical,
                    "ingredient_concept_id": ingredient,
                    "amount_value": 1.0,
                    "amount_unit_concept_id": self.unit("mg"),
                    "numerator_value": None,
                    "numerator_unit_concept_id": None,
                    "denominator_value": None,
                    "denominator_unit_concept_id": None,
                    "box_size": None,
                }
                | valid_dates()
            )
        return clinical

    def procedure(self, drug: str) -> int:
        """The standard SNOMED procedure of ``drug`` (``splenectomy``, ``platelet_transfusion``)."""
        code = first_code(self.mapping.concept_set("treatments.procedures", drug).codes)
        return self.vocab.concept(
            "SNOMED", code, drug.replace("_", " ").title(), "Procedure", "Procedure", "S"
        )

    def unit(self, ucum: str) -> int:
        """The UCUM concept of ``ucum``."""
        return self.vocab.concept("UCUM", ucum, ucum, "Unit", "Unit", "S")

    def gender(self, sex: str) -> int:
        """The Gender concept of ``F`` / ``M``."""
        return self.vocab.concept(
            "Gender", sex, {"F": "FEMALE", "M": "MALE"}[sex], "Gender", "Gender", "S"
        )

    def platelets(self) -> int:
        """The LOINC concept of a platelet count (the mapping's first code, 777-3)."""
        code = first_code(self.mapping.concept_set("platelet_counts", "concepts").codes)
        return self.vocab.concept(
            "LOINC",
            code,
            "Platelets [#/volume] in Blood by Automated count",
            "Measurement",
            "Lab Test",
            "S",
        )
