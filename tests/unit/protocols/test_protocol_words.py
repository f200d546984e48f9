"""The treatment, regimens, predictors and sensitivity runs come from the protocol (issue 19 parts 2
and 4): the report's messages and the methods prose name the protocol's agents in English and
French, and the analysis takes its factors and runs from ``[design]``."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from itpcohort.analysis.predictors import FACTORS_BY_NAME, plan_factors
from itpcohort.analysis.sensitivity import SENSITIVITY_RUNS_BY_NAME, sensitivity_runs
from itpcohort.criteria import Criteria, methods_prose
from itpcohort.protocols import Regimen, builtin_protocol, default_protocol
from itpcohort.report._i18n import Translator

SWITCH = builtin_protocol("tpo-ra-switch")


def test_messages_name_the_protocol_agents_in_both_languages() -> None:
    en, fr = Translator("en", SWITCH), Translator("fr", SWITCH)
    assert en("fig.swimmer.course") == "Eltrombopag, romiplostim or avatrombopag course (number)"
    # French elides "de" before a vowel: "cure d'eltrombopag", "cure de rituximab"
    assert fr("fig.swimmer.course") == "Cure d'eltrombopag, romiplostim ou avatrombopag (numéro)"
    assert en("t1.regimen", course=2) == (
        "Eltrombopag, romiplostim or avatrombopag regimen of course 2, n (%)"
    )
    assert "au moins une cure d'eltrombopag, romiplostim ou avatrombopag" in fr(
        "results.flow", screened="9", excluded="5", reasons="", included="4", centers="2"
    )


def test_the_default_protocol_words_are_today_s_words() -> None:
    en, fr = Translator("en"), Translator("fr")
    assert en("fig.swimmer.course") == "Rituximab course (number)"
    assert fr("fig.swimmer.course") == "Cure de rituximab (numéro)"
    assert en("t1.n_courses") == "Rituximab courses per patient, median [IQR]"


def test_regimen_labels_are_the_protocol_s() -> None:
    mine = replace(
        default_protocol(),
        courses=replace(
            default_protocol().courses,
            regimens=(Regimen("weekly", 375.0, "mg/m2", 4, "Weekly", "Hebdomadaire"),),
        ),
    )
    assert Translator("fr", mine).label("regimen", "weekly") == "Hebdomadaire"
    assert Translator("en", mine).label("regimen", "other") == "Other regimen"
    assert Translator("en").label("regimen", "low_dose") == "Low dose (100 mg)"


def test_methods_prose_names_the_course_rules_agents() -> None:
    switch = replace(Criteria(), courses=SWITCH.courses)
    english = methods_prose(switch, "en")
    # the exposure courses' sentence, the assessment window and the loss at the next course
    assert english.count("eltrombopag, romiplostim or avatrombopag") == 3
    assert "Treatment rows of each of eltrombopag, romiplostim or avatrombopag" in english
    assert "rituximab" not in english.lower()
    assert "rituximab" not in methods_prose(switch, "fr").lower()
    assert methods_prose(Criteria(), "en").count("rituximab") == 2


def test_sensitivity_runs_keep_the_flagship_names_and_add_new_ones() -> None:
    runs = sensitivity_runs(("ne_excluded", "confirm_days=28", "response_window_days=90"))
    assert [run.name for run in runs] == ["ne_excluded", "confirm_28_days", "window_90_days"]
    assert runs[1] is SENSITIVITY_RUNS_BY_NAME["confirm_28_days"]
    (extra,) = sensitivity_runs(("baseline_days=14",))
    assert extra.name == "baseline_days=14"
    assert extra.criteria_overrides == MappingProxyType({"baseline_days": 14})
    assert extra.needs_rederivation
    (fold,) = sensitivity_runs(("r_fold=2.5",))
    assert dict(fold.criteria_overrides) == {"r_fold": 2.5}


def test_plan_factors_follow_the_design_and_the_first_regimen() -> None:
    default = plan_factors(default_protocol())
    assert tuple(f.name for f in default) == default_protocol().design.predictors
    assert FACTORS_BY_NAME["regimen_course2"].reference == "375x4"
    mine = replace(
        default_protocol(),
        courses=replace(
            default_protocol().courses,
            regimens=(Regimen("flat", 1000.0, "mg", None, "Flat", "Fixe"),),
        ),
        design=replace(default_protocol().design, predictors=("regimen_course2", "sex")),
    )
    factors = plan_factors(mine)
    assert [f.name for f in factors] == ["regimen_course2", "sex"]
    assert factors[0].reference == "flat"
