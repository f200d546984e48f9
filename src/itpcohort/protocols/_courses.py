"""The course rules of a protocol: which drugs make a course and how (``protocols.md``, Infusion
courses and Exposure courses; ``response-criteria.md`` section 1).

They travel with the criteria set (``Criteria.courses``) into every derivation, so that a compiled
derivation, a sensitivity re-derivation and every engine build courses by the same rules. The
default rules are those of the default protocol's file, read when first needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

#: course kinds (``protocols.md``, The protocol file)
KINDS = ("infusions", "exposure")


@dataclass(frozen=True)
class Regimen:
    """One named regimen of infusion courses (``[[courses.regimens]]``; ``count`` None: any count)."""

    name: str
    dose: float
    unit: str
    count: int | None
    label_en: str
    label_fr: str

    def label(self, lang: str) -> str:
        """The regimen's label in ``lang`` (``en`` or ``fr``)."""
        return self.label_fr if lang == "fr" else self.label_en


@dataclass(frozen=True)
class CourseRules:
    """How courses are built: ``kind``, the ``agents`` (drug vocabulary values) and their parameters.

    ``course_gap_days`` (infusions) is also the criteria parameter of the same name: the protocol
    gives its default and ``[criteria]`` of ``study.toml`` may override it, so the derivation reads
    it from the criteria set (one value). ``era_gap_days`` and ``exposure_effect_days`` apply to
    exposure courses only.
    """

    kind: str
    agents: tuple[str, ...]
    course_gap_days: int = 60
    regimens: tuple[Regimen, ...] = ()
    era_gap_days: int = 30
    exposure_effect_days: int = 14

    def agents_phrase(self, lang: str) -> str:
        """The agents as the report's prose names them: ``a``, ``a or b``, ``a, b or c`` (fr ``ou``)."""
        return prose_list(self.agents, lang)

    def regimen_names(self) -> tuple[str, ...]:
        """Every value of a course's ``regimen``: the table's names in order, then ``other``,
        ``unknown`` (``protocols.md``, Infusion courses)."""
        return (*(r.name for r in self.regimens), "other", "unknown")


def prose_list(words: Sequence[str], lang: str) -> str:
    """``words`` as prose lists them: ``a``, ``a or b``, ``a, b or c`` (fr ``ou``)."""
    if len(words) <= 1:
        return "".join(words)
    word = " ou " if lang == "fr" else " or "
    return ", ".join(words[:-1]) + word + words[-1]


def french_de(phrase: str) -> str:
    """``de`` + ``phrase`` as French writes it: ``d'`` before a vowel or an h, else ``de ``."""
    return f"d'{phrase}" if phrase[:1].lower() in "aeiouyhéèêàâîôû" and phrase else f"de {phrase}"


@cache
def default_course_rules() -> CourseRules:
    """The course rules of the default protocol (its file's ``[courses]``), loaded once."""
    # only [courses] is read here: the whole protocol checks its [criteria] against criteria sets,
    # whose values carry these rules
    from itpcohort.protocols._load import default_course_rules_from_file

    return default_course_rules_from_file()
