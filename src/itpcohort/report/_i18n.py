"""Every word of the report, in one catalogue keyed by message id, in English and French.

``MESSAGES[id] = (english, french)``; placeholders are ``str.format`` fields with the same names in
both languages (a test checks that every id has both texts and the same fields). ``Translator(lang)``
returns the text of an id in the report language; codes that come from the data (a center code, a
patient id, a regimen code) are not translated and are shown as they are.

The study's treatment and title come from the protocol (``protocols.md``: the messages that name the
treatment take it from the protocol, en and fr): ``{agents}`` is the protocol's agents as a phrase
("rituximab"; "eltrombopag, romiplostim or avatrombopag"), ``{agents:Cap}`` the same with a capital
first letter (a format spec, so both languages keep the same placeholders), ``{agents:de}`` the
French phrase after ``de`` (``de rituximab``, ``d'eltrombopag, ...``), ``{title}`` the protocol's
title; a regimen's label is the protocol's ``label.en``/``label.fr``.

A message that the protocol's design or course kind words differently has variants:
``<id>_switch`` (the ``first_switch`` design) and ``<id>_exposure`` (exposure courses); asked for
``<id>``, the translator gives the variant of the study's protocol (``variant``), so no caller tests
the design itself.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any

from itpcohort.protocols import Protocol, default_protocol
from itpcohort.protocols._courses import french_de, prose_list
from itpcohort.report._format import NumberFormat
from itpcohort.report._messages import MESSAGES
from itpcohort.schema import CENSORING_STOP_REASONS, LOSS_STOP_REASONS

LANGS = ("en", "fr")
#: the placeholders the protocol fills (``Translator.protocol_names``)
PROTOCOL_NAMES = frozenset({"agents", "title", "loss_reasons", "other_reasons"})


class UnknownMessage(KeyError):
    """A message id that the catalogue does not hold (a bug in the report layer)."""


@dataclass(frozen=True)
class Translator:
    """Texts of the catalogue and number formats in one language, naming ``protocol``'s treatment."""

    lang: str
    protocol: Protocol = field(default_factory=default_protocol)

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise ValueError(
                f"report language must be one of {', '.join(LANGS)}, got {self.lang!r}"
            )

    @property
    def fmt(self) -> NumberFormat:
        """Number formats of this language."""
        return NumberFormat(self.lang)

    def __call__(self, message_id: str, **fields: Any) -> str:
        """The text of ``message_id`` (its ``variant`` for the protocol) with its placeholders
        filled."""
        text = self._text(self.variant(message_id))
        if placeholders(text) & PROTOCOL_NAMES:
            return text.format(**self.protocol_names(), **fields)
        return text.format(**fields) if fields else text

    def _text(self, message_id: str) -> str:
        """The catalogue's text of ``message_id`` in this language, placeholders unfilled."""
        try:
            return MESSAGES[message_id][LANGS.index(self.lang)]
        except KeyError:
            raise UnknownMessage(message_id) from None

    def protocol_names(self) -> dict[str, str]:
        """The protocol's words of this language: ``agents`` (``{agents:Cap}`` capitalised),
        ``title``, and the stop reasons after which the next exposure course is a loss of
        response (``loss_reasons``) or not (``other_reasons``; ``protocols.md``, Exposure courses
        rule 9)."""
        phrase = _Phrase(self.protocol.courses.agents_phrase(self.lang))
        return {
            "agents": phrase,
            "title": self.protocol.title(self.lang),
            "loss_reasons": self._reasons(LOSS_STOP_REASONS),
            "other_reasons": self._reasons(CENSORING_STOP_REASONS),
        }

    def _reasons(self, codes: tuple[str, ...]) -> str:
        """Stop reasons in prose: their labels in lower case, ``a, b or c`` (fr ``ou``)."""
        return prose_list([self._text(f"stop_reason.{code}").lower() for code in codes], self.lang)

    def variant(self, message_id: str) -> str:
        """The id of ``message_id`` as the protocol words it (``protocols.md``: the report names the
        protocol's treatment and design): ``<id>_switch`` under the ``first_switch`` design, else
        ``<id>_exposure`` for exposure courses, when the catalogue holds it; else ``message_id``."""
        suffixes = []
        if self.protocol.design.compare == "first_switch":
            suffixes.append("_switch")
        if self.protocol.courses.kind == "exposure":
            suffixes.append("_exposure")
        for suffix in suffixes:
            if message_id + suffix in MESSAGES:
                return message_id + suffix
        return message_id

    def has(self, message_id: str) -> bool:
        """True when the catalogue holds ``message_id``."""
        return message_id in MESSAGES

    def label(self, prefix: str, code: str) -> str:
        """The label of a vocabulary code (``prefix.code``), or the code itself when it has none;
        a regimen of the protocol has the protocol's label."""
        if prefix == "regimen":
            for regimen in self.protocol.courses.regimens:
                if regimen.name == code:
                    return regimen.label(self.lang)
        key = f"{prefix}.{code}"
        return self(key) if key in MESSAGES else code

    def exclusion_reason(self, reason: str) -> str:
        """The label of a flow exclusion reason (``age < 18 at course 1`` keeps its age)."""
        match = re.fullmatch(r"age < (\d+) at course 1", reason)
        if match:
            return self("flow.reason.age", age=match.group(1))
        match = re.fullmatch(r"age < (\d+) at the switch", reason)
        if match:
            return self("flow.reason.age_switch", age=match.group(1))
        key = f"flow.reason.{reason}"
        return self(key) if key in MESSAGES else reason


class _Phrase(str):
    """A phrase whose format spec ``Cap`` gives it a capital first letter and ``de`` the French
    preposition before it."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        if spec == "Cap":
            return self[:1].upper() + self[1:]
        if spec == "de":
            return french_de(str(self))
        return super().__format__(spec)


def placeholders(text: str) -> set[str]:
    """The ``str.format`` field names of a catalogue text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
