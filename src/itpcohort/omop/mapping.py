"""The OMOP -> canonical mapping as data (``omop.md``, Mapping), and its concept sets resolved
through a CDM's own vocabulary tables.

The default mapping is ``mapping.toml`` in this package; a study may give its own file, whose
top-level sections replace the default ones whole. No concept id is written anywhere: a concept
set names vocabulary codes, ``resolve_all`` finds them in ``concept``, follows ``concept_relationship``
'Maps to' to standard concepts and, with ``descendants``, ``concept_ancestor`` below them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

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


#: the columns of ``code_rows``: one row per (concept set, vocabulary, code), how a code matches
CODE_COLUMNS = {
    "section": "string",
    "value": "string",
    "set_order": "int64",
    "role": "string",  # "include" or "exclude"
    "vocabulary_id": "string",
    "exact": "string",  # concept_code equal to it
    "prefix": "string",  # concept_code starting with it (an ICD10 code and its sub-codes)
    "low": "string",  # a range of ICD10 categories: the code's first three characters
    "high": "string",
    "descendants": "boolean",
}


def code_rows(sections: dict[str, dict[str, ConceptSet]]) -> list[dict[str, Any]]:
    """The codes of every concept set of ``sections`` (section -> value -> set), as rows of
    ``CODE_COLUMNS``: the data ``resolve_all`` joins with ``concept`` in one pass."""
    rows: list[dict[str, Any]] = []
    for section, sets in sections.items():
        for order, (value, concepts) in enumerate(sets.items()):
            for role, codes in (("include", concepts.codes), ("exclude", concepts.excluded)):
                for vocabulary in concepts.vocabularies:
                    for code in codes:
                        row = {
                            "section": section,
                            "value": value,
                            "set_order": order,
                            "role": role,
                            "vocabulary_id": vocabulary,
                            "exact": None,
                            "prefix": None,
                            "low": None,
                            "high": None,
                            "descendants": concepts.descendants or role == "exclude",
                        }
                        if "-" in code and code[:1].isalpha():
                            row["low"], row["high"] = code.split("-", 1)
                        elif code[:1].isalpha() and "." not in code:
                            row["exact"], row["prefix"] = code, code + "."
                        elif code[:1].isalpha():
                            row["prefix"] = code
                        else:
                            row["exact"] = code
                        rows.append(row)
    return rows


def resolve_all(vocab: dict[str, ir.Table], codes: ir.Table) -> ir.Table:
    """Every concept set of ``codes`` (``code_rows`` as a table of the CDM's backend) resolved in
    one pass: rows (``section``, ``value``, ``concept_id``) of standard concepts, through
    ``concept``, 'Maps to' and, with descendants, ``concept_ancestor``; a set's ``except`` codes
    are left out; a concept in two sets of one section keeps the first (``omop.md``, Mapping)."""
    concept, relationship = vocab["concept"], vocab["concept_relationship"]
    ancestor = vocab["concept_ancestor"]
    code = concept.concept_code
    matches = (
        (code == codes.exact)
        | (codes.prefix.notnull() & code.startswith(codes.prefix))
        | (
            codes.low.notnull()
            & (code.substr(0, 3) >= codes.low)
            & (code.substr(0, 3) <= codes.high)
        )
    )
    keys = ("section", "value", "set_order", "role", "descendants")
    found = codes.join(concept, (concept.vocabulary_id == codes.vocabulary_id) & matches).select(
        *(codes[k] for k in keys), concept.concept_id, concept.standard_concept
    )
    own = found.filter(found.standard_concept == "S").select(*keys, "concept_id")
    maps = relationship.filter(relationship.relationship_id == "Maps to")
    mapped = found.join(maps, found.concept_id == maps.concept_id_1).select(
        *(found[k] for k in keys), concept_id=maps.concept_id_2
    )
    standard = own.union(mapped).distinct()
    wide = standard.filter(standard.descendants)
    below = wide.join(ancestor, wide.concept_id == ancestor.ancestor_concept_id).select(
        *(wide[k] for k in keys), concept_id=ancestor.descendant_concept_id
    )
    every = standard.union(below).distinct()
    kept = every.filter(every.role == "include")
    left_out = every.filter(every.role == "exclude").select("section", "value", "concept_id")
    kept = kept.anti_join(left_out, ["section", "value", "concept_id"])
    first = kept.group_by("section", "concept_id").aggregate(set_order=kept.set_order.min())
    return (
        kept.join(first, ["section", "concept_id", "set_order"])
        .select("section", "value", "concept_id")
        .distinct()
    )
