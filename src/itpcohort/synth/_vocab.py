"""Indices into the ``schema`` vocabularies, and the free texts synthetic centers write."""

from __future__ import annotations

from itpcohort import schema

DRUG = {name: i for i, name in enumerate(schema.DRUGS)}
DOSE_UNIT = {name: i for i, name in enumerate(schema.DOSE_UNITS)}
SITE = {name: i for i, name in enumerate(schema.BLEEDING_SITES)}
EVENT = {name: i for i, name in enumerate(schema.AE_EVENTS)}
TEST = {name: i for i, name in enumerate(schema.BIOMARKER_TESTS)}
RESPONSE = {name: i for i, name in enumerate(schema.RESPONSES)}
CAUSE = {name: i for i, name in enumerate(schema.SECONDARY_CAUSES)}

#: free text of the ``other`` drug (new agents given in trials)
OTHER_DRUG_DETAILS = ("efgartigimod (trial)", "rilzabrutinib (trial)", "interleukin-11")
#: free text of ``death_cause``
DEATH_CAUSES = (
    "intracranial haemorrhage",
    "sepsis",
    "myocardial infarction",
    "lung cancer",
    "stroke",
    "unknown",
)
DEATH_CAUSE_P = (0.12, 0.25, 0.2, 0.18, 0.1, 0.15)
#: free text of adverse-event ``description``, by event
AE_DESCRIPTIONS = (
    "fever, chills",
    "rash",
    "frissons, fièvre",
    "pneumonia",
    "urinary tract infection",
    "herpes zoster",
    "IgG 4.2 g/L",
    "late-onset neutropenia",
    'reported as "serum sickness-like"',
    "deep vein thrombosis",
    "cause of death",
)
