"""The OMOP -> canonical mapping as data (``omop.md``, Mapping), and its concept sets resolved
through a CDM's own vocabulary tables.

The default mapping is ``mapping.toml`` in this package; a study may give its own file, whose
top-level sections replace the default ones whole. No concept id is written anywhere: a concept
set names vocabulary codes, ``resolve`` finds them in ``concept``, follows ``concept_relationship``
'Maps to' to standard concepts and, with ``descendants``, ``concept_ancestor`` below them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from itpcohort.errors import UsageError

MAPPING_RESOURCE = "mapping.toml"


@dataclass(frozen=True)
class ConceptSet:
    """Vocabulary codes (``A-B``: an ICD10 range of categories), with or without descendants."""

    vocabularies: tuple[str, ...]
    codes: tuple[str, ...]
    descendants: bool = True
    excluded: tuple[str, ...] = ()

    @classmethod
    def from_toml(cls, value: dict[str, Any]) -> ConceptSet:
        """A concept set from its TOML table (``vocabularies``, ``codes``, ``descendants``, ``except``)."""
        return cls(
            tuple(value["vocabularies"]),
            tuple(value["codes"]),
            bool(value.get("descendants", True)),
            tuple(value.get("except", ())),
        )


@dataclass(frozen=True)
class Mapping:
    """The mapping file, read: the raw document (printed in the report) and where it came from."""

    document: dict[str, Any]
    origin: str

    def concept_set(self, section: str, key: str) -> ConceptSet:
        """The concept set ``[section].key`` (``[scope].itp``, ``[bleeding_events].epistaxis``)."""
        node: Any = self.document
        for part in section.split("."):
            node = node[part]
        return ConceptSet.from_toml(node[key])

    def sets(self, section: str) -> dict[str, ConceptSet]:
        """Every concept set of ``[section]``, by canonical value, in file order."""
        node: Any = self.document
        for part in section.split("."):
            node = node[part]
        return {key: ConceptSet.from_toml(value) for key, value in node.items()}

    def text(self) -> str:
        """The mapping as printed in the report's reproducibility section (TOML-like lines)."""
        lines = [f"# mapping: {self.origin}"]
        lines.extend(_lines(self.document, ()))
        return "\n".join(lines)


def _lines(node: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    scalars = {k: v for k, v in node.items() if not _is_table(v)}
    tables = {k: v for k, v in node.items() if _is_table(v)}
    if path and scalars:
        out.append(f"[{'.'.join(path)}]")
    for key, value in scalars.items():
        out.append(f"{key} = {value!r}" if not path else f"{key} = {_flat(value)}")
    for key, value in tables.items():
        out.extend(_lines(value, (*path, key)))
    return out


def _is_table(value: Any) -> bool:
    """A section (a table of tables or of scalars), not an inline concept set."""
    return (
        isinstance(value, dict)
        and "codes" not in value
        and not all(isinstance(v, str | int | float | list) for v in value.values())
    )


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def load_mapping(override: Path | None = None) -> Mapping:
    """The default mapping (``omop.md``), with the top-level sections of ``override`` replacing
    the default ones. An unreadable or malformed override is wrong usage (exit 2)."""
    text = resources.files("itpcohort.omop").joinpath(MAPPING_RESOURCE).read_text("utf-8")
    document = tomllib.loads(text)
    origin = "itpcohort default (omop/mapping.toml)"
    if override is not None:
        try:
            given = tomllib.loads(override.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise UsageError(f"{override}: cannot read the OMOP mapping ({error})") from None
        unknown = sorted(set(given) - set(document))
        if unknown:
            raise UsageError(
                f"{override}: unknown section(s) {', '.join(unknown)}; known: {', '.join(document)}"
            )
        document.update(given)
        origin = f"itpcohort default, sections {', '.join(given)} from {override.name}"
    return Mapping(document, origin)


def _code_matches(code: ir.StringValue, given: str) -> ir.BooleanValue:
    """``code`` is ``given``, one of its sub-codes, or (``A-B``) in that range of categories."""
    if "-" in given and given.split("-")[0][:1].isalpha():
        low, high = given.split("-", 1)
        category = code.substr(0, 3)
        return (category >= low) & (category <= high)
    if given[:1].isalpha() and "." not in given:  # an ICD10 category: itself and its sub-codes
        return (code == given) | code.startswith(given + ".")
    if given[:1].isalpha():  # an ICD10 sub-code: itself and longer ones (D68.6 -> D68.61)
        return code.startswith(given)
    return code == given


def _source_concepts(
    vocab: dict[str, ir.Table], codes: tuple[str, ...], vocabularies: tuple[str, ...]
) -> ir.Table:
    concept = vocab["concept"]
    matches = ibis.or_(*(_code_matches(concept.concept_code, c) for c in codes))
    return concept.filter(concept.vocabulary_id.isin(list(vocabularies)) & matches).select(
        "concept_id", "standard_concept"
    )


def _standard(vocab: dict[str, ir.Table], found: ir.Table) -> ir.Table:
    """The standard concepts of ``found``: themselves when standard, else what they 'Maps to'."""
    relationship = vocab["concept_relationship"]
    own = found.filter(found.standard_concept == "S").select(concept_id=found.concept_id)
    maps = relationship.filter(relationship.relationship_id == "Maps to")
    mapped = maps.join(found, maps.concept_id_1 == found.concept_id).select(
        concept_id=maps.concept_id_2
    )
    return own.union(mapped)


def resolve(vocab: dict[str, ir.Table], concepts: ConceptSet) -> ir.Table:
    """The standard concept ids of ``concepts`` (one column ``concept_id``, distinct), resolved
    through ``concept``, 'Maps to' and, with descendants, ``concept_ancestor``; the ``except``
    codes' concepts (with their descendants) are left out (``omop.md``, Mapping)."""
    standard = _standard(vocab, _source_concepts(vocab, concepts.codes, concepts.vocabularies))
    if concepts.descendants:
        standard = _with_descendants(vocab, standard)
    if concepts.excluded:
        left_out = _with_descendants(
            vocab,
            _standard(vocab, _source_concepts(vocab, concepts.excluded, concepts.vocabularies)),
        )
        standard = standard.difference(left_out)
    return standard.distinct()


def _with_descendants(vocab: dict[str, ir.Table], standard: ir.Table) -> ir.Table:
    ancestor = vocab["concept_ancestor"]
    below = ancestor.join(standard, ancestor.ancestor_concept_id == standard.concept_id).select(
        concept_id=ancestor.descendant_concept_id
    )
    return standard.union(below).distinct()


def resolve_labelled(
    vocab: dict[str, ir.Table], sets: dict[str, ConceptSet], label: str = "value"
) -> ir.Table:
    """Every set of ``sets`` resolved, as rows (``concept_id``, ``label``): a concept in two sets
    keeps the first set's value in file order (``order`` column: the set's position)."""
    parts = [
        resolve(vocab, concepts).mutate(
            **{label: ibis.literal(value, "string"), "set_order": ibis.literal(index, "int64")}
        )
        for index, (value, concepts) in enumerate(sets.items())
    ]
    table = parts[0]
    for part in parts[1:]:
        table = table.union(part)
    first = table.group_by("concept_id").aggregate(set_order=table.set_order.min())
    return table.join(first, ["concept_id", "set_order"]).select("concept_id", label)
