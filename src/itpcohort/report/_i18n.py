"""Every word of the report, in one catalogue keyed by message id, in English and French.

``MESSAGES[id] = (english, french)``; placeholders are ``str.format`` fields with the same names in
both languages (a test checks that every id has both texts and the same fields). ``Translator(lang)``
returns the text of an id in the report language; codes that come from the data (a center code, a
patient id, a regimen code) are not translated and are shown as they are.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from itpcohort.report._format import NumberFormat
from itpcohort.report._messages import MESSAGES

LANGS = ("en", "fr")


class UnknownMessage(KeyError):
    """A message id that the catalogue does not hold (a bug in the report layer)."""


@dataclass(frozen=True)
class Translator:
    """Texts of the catalogue and number formats in one language."""

    lang: str

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
        return text.format(**fields) if fields else text

    def has(self, message_id: str) -> bool:
        """True when the catalogue holds ``message_id``."""
        return message_id in MESSAGES

    def label(self, prefix: str, code: str) -> str:
        """The label of a vocabulary code (``prefix.code``), or the code itself when it has none."""
        key = f"{prefix}.{code}"
        return self(key) if key in MESSAGES else code

    def exclusion_reason(self, reason: str) -> str:
        """The label of a flow exclusion reason (``age < 18 at course 1`` keeps its age)."""
        match = re.fullmatch(r"age < (\d+) at course 1", reason)
        if match:
            return self("flow.reason.age", age=match.group(1))
        key = f"flow.reason.{reason}"
        return self(key) if key in MESSAGES else reason


def placeholders(text: str) -> set[str]:
    """The ``str.format`` field names of a catalogue text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
