"""Every word of the report, in one catalogue keyed by message id, in English and French.

``MESSAGES[id] = (english, french)``; placeholders are ``str.format`` fields with the same names in
both languages (a test checks that every id has both texts and the same fields). ``Translator(lang)``
returns the text of an id in the report language; codes that come from the data (a center code, a
patient id, a regimen code) are not translated and are shown as they are.

The study's treatment and title come from the protocol (``protocols.md``: the messages that name the
treatment take it from the protocol, en and fr): ``{agents}`` is the protocol's agents as a phrase
("rituximab"; "eltrombopag, romiplostim or avatrombopag"), ``{agents:Cap}`` the same with a capital
first letter (a format spec, so both languages keep the same placeholders), ``{title}`` the
protocol's title; a regimen's label is the protocol's ``label.en``/``label.fr``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any

from itpcohort.protocols import Protocol, default_protocol
from itpcohort.report._format import NumberFormat
from itpcohort.report._messages import MESSAGES

LANGS = ("en", "fr")


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
        """The text of ``message_id`` with its placeholders filled."""
        try:
            texts = MESSAGES[message_id]
        except KeyError:
            raise UnknownMessage(message_id) from None
        text = texts[LANGS.index(self.lang)]
        names = self.protocol_names()
        if placeholders(text) & names.keys():
            return text.format(**names, **fields)
        return text.format(**fields) if fields else text

    def protocol_names(self) -> dict[str, str]:
        """The protocol's words of this language: ``agents`` (``{agents:Cap}`` capitalised) and
        ``title``."""
        phrase = _Phrase(self.protocol.courses.agents_phrase(self.lang))
        return {"agents": phrase, "title": self.protocol.title(self.lang)}

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
    """A phrase whose format spec ``Cap`` gives it a capital first letter."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        if spec == "Cap":
            return self[:1].upper() + self[1:]
        return super().__format__(spec)


def placeholders(text: str) -> set[str]:
    """The ``str.format`` field names of a catalogue text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
