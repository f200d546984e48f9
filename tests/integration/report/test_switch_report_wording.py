"""The switch report speaks of the switch, not of the flagship's infusions and retreatment (issue 19;
``protocols.md``: the report's messages name the protocol's treatment and design, en and fr).

A small ``tpo-ra-switch`` study is synthesised and run in English and French; the visible text of
report.html and of report.docx must hold none of the flagship's wording (its section title
"Retreatment comparisons", infusions, retreated responders, rituximab, the first two courses, an
age limit at course 1) and must state the switch design's rules instead. The flagship's outputs
staying byte-identical is ``tests/golden``'s job.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from tests.golden.golden import report_text
from tests.integration.report.report_helpers import docx_text

from itpcohort.protocols import builtin_protocol
from itpcohort.report import Report
from itpcohort.report._blocks import Paragraph
from itpcohort.report._i18n import Translator

SWITCH = builtin_protocol("tpo-ra-switch")
#: the flagship's wording, case-insensitive; each of these was in the switch report before
FORBIDDEN = {
    "en": [
        "retreatment",
        "retreated",
        "infusion",
        "rituximab",
        "minimum age at course 1",
    ],
    "fr": [
        "retraitement",
        "retraité",
        "perfusion",
        "rituximab",
        "deux premières cures",
        "âge minimal à la première cure",
        # French elides "de" before an agent that starts with a vowel
        *(f"de {agent}" for agent in SWITCH.courses.agents if agent[0] in "aeiouy"),
    ],
}
#: what the switch report says instead
EXPECTED = {
    "en": [
        "Second agent compared with the first",
        "before its start, a count on the start day being taken as pre-treatment",
        "until 14 days after the course end",
        "after a course stopped for inefficacy, loss of response, platelet fluctuation or an "
        "unknown reason, the next eltrombopag, romiplostim or avatrombopag course",
        "Adverse events were attributed to the course during which they began",
        "Minimum age at the first switch (years)",
        "the next course counts as a loss of response when the course's stop reason was "
        "inefficacy, loss of response, platelet fluctuation or unknown",
    ],
    "fr": [
        "Comparaison du second agent au premier",
        "précédant son début, une numération du jour du début étant considérée comme antérieure",
        "jusqu'à 14 jours après la fin de la cure",
        "la cure d'eltrombopag, romiplostim ou avatrombopag suivante",
        "Âge minimal au premier changement d'agent (ans)",
        "Les événements indésirables ont été attribués à la cure pendant laquelle ils ont débuté",
    ],
}


def _itpcohort(*args: object) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "itpcohort", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def switch_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The visible text of the switch report (HTML, then Word) in each language."""
    root = tmp_path_factory.mktemp("switch-wording")
    study = root / "study"
    _itpcohort("synth", "--protocol", SWITCH.name, "--patients", 40, "--centers", 2, "--out", study)
    texts = {}
    for lang in ("en", "fr"):
        out = root / lang
        _itpcohort("run", study, "--out", out, "--lang", lang)
        html = report_text(out / "report.html", [out, study])
        texts[lang] = html + docx_text(out / "report.docx")
    return texts


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_switch_report_holds_none_of_the_flagship_wording(
    switch_reports: dict[str, str], lang: str
) -> None:
    text = switch_reports[lang].lower()
    found = {word: text.count(word.lower()) for word in FORBIDDEN[lang] if word.lower() in text}
    assert not found, found


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_switch_report_states_the_switch_design_s_rules(
    switch_reports: dict[str, str], lang: str
) -> None:
    text = " ".join(switch_reports[lang].split())  # one space, as the prose wraps in the HTML
    missing = [phrase for phrase in EXPECTED[lang] if " ".join(phrase.split()) not in text]
    assert not missing, missing


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_flow_figure_states_the_switch_inclusion_criteria(lang: str) -> None:
    """The flow diagram's text is drawn (not in the HTML text): its inclusion box is checked here."""
    text = Translator(lang, SWITCH)("fig.flow.included", n="40", centers="2", age="18")
    assert not re.search(r"at least 2|au moins 2|course 1|première cure\b(?! comparée)", text)
    assert ("at the switch" if lang == "en" else "au changement") in text
    flagship = Translator(lang)("fig.flow.included", n="40", centers="2", age="18")
    assert ("at least 2 rituximab" if lang == "en" else "au moins 2 cures de rituximab") in flagship


def _table_number(text: str, caption: str) -> str:
    match = re.search(r"Table (\d+)\. " + re.escape(caption), text)
    assert match, caption
    return match.group(1)


def test_the_text_cites_the_numbers_the_tables_carry(switch_reports: dict[str, str]) -> None:
    """The switch design adds a table before the durations: every later citation follows it."""
    text = switch_reports["en"]
    duration = _table_number(text, "Time to response and duration of response by course")
    univariable = _table_number(text, "Univariable analysis of the factors of response")
    firth = _table_number(text, "Firth penalized logistic regression of response to course 2")
    safety = _table_number(text, "Adverse events by course")
    sensitivity = _table_number(text, "Sensitivity analyses")
    assert int(duration) > 6  # after the table by switch reason and direction
    cited = [
        f"after course 2 (Table {duration}, Figures 3–5)",
        f"those of Table {duration}; curves",
        f"response to course 2 are in Table {univariable};",
        f"multivariable Firth model (Table {firth}, Figure 6)",
        f"confidence intervals (Table {firth}).",
        f"Adverse events by course are in Table {safety}.",
        f"Table {sensitivity} gives the main results",
    ]
    flat = " ".join(text.split())
    assert [c for c in cited if c not in flat] == []


@pytest.mark.parametrize(
    ("p", "en", "fr"),
    [
        (0.282, "was not significantly associated", "n'était pas significativement associée"),
        (None, "was not significantly associated", "n'était pas significativement associée"),
        (0.0004, "was associated", "était associée"),
    ],
)
def test_the_summary_says_associated_only_below_the_5_percent_level(
    p: float | None, en: str, fr: str
) -> None:
    """A hematologist reads "associated" as significant: p = 0.282 must not be called so."""
    firth = {"odds_ratio": 1.75, "ci_low": 0.63, "ci_high": 4.91, "p": p}
    results = {"predictors": {"response_course1_firth": firth}}
    for lang, phrase in (("en", en), ("fr", fr)):
        summary = Report(results, None, lang, protocol=SWITCH).add_summary()
        text = " ".join(b.text for b in summary.blocks if isinstance(b, Paragraph))
        assert f"{'Response to course 1' if lang == 'en' else 'première cure'} {phrase}" in text
