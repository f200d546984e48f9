"""Criteria as data: defaults of ``response-criteria.md``, checked overrides, prose (en, fr)."""

from __future__ import annotations

from pathlib import Path

import pytest

from itpcohort.config import StudyConfig, load_config
from itpcohort.criteria import PARAMETERS, Criteria, criteria_from_config, methods_prose
from itpcohort.errors import InputError

SPEC_DEFAULTS = {
    "course_gap_days": 60,
    "dose_tolerance_pct": 10,
    "persistent_from_months": 3,
    "chronic_after_months": 12,
    "baseline_days": 30,
    "response_window_days": 180,
    "rescue_exclusion_days": 28,
    "cr_threshold": 100,
    "r_threshold": 30,
    "r_fold": 2,
    "confirm_days": 7,
    "bleeding_min_grade": 2,
    "loss_confirm_days": 1,
    "similar_duration_ratio": 0.75,
    "ae_attribution_days": 365,
    "infusion_reaction_days": 1,
}


def test_iwg2009_holds_every_default_of_the_spec() -> None:
    c = Criteria()
    assert c.name == "iwg2009"
    assert c.parameters() == SPEC_DEFAULTS
    assert [p.name for p in PARAMETERS] == list(SPEC_DEFAULTS)


def test_as_dict_has_name_version_parameters_and_overrides() -> None:
    d = Criteria().with_overrides(confirm_days=28).as_dict()
    assert d["name"] == "iwg2009"
    assert d["version"] == "1"
    assert d["confirm_days"] == 28
    assert d["response_window_days"] == 180
    assert d["overrides"] == {"confirm_days": 28}


def test_criteria_are_frozen_and_overrides_return_a_new_set() -> None:
    base = Criteria()
    changed = base.with_overrides(response_window_days=90)
    assert base.response_window_days == 180
    assert changed.response_window_days == 90
    with pytest.raises(AttributeError):
        base.confirm_days = 3  # type: ignore[misc]


def test_an_override_equal_to_the_default_is_not_listed() -> None:
    assert Criteria().with_overrides(confirm_days=7).overrides == ()


def test_float_parameter_accepts_an_integer_and_stores_a_float() -> None:
    c = Criteria().with_overrides(cr_threshold=150)
    assert c.cr_threshold == 150.0
    assert isinstance(c.cr_threshold, float)


def test_unknown_key_is_an_input_error_naming_the_allowed_keys() -> None:
    with pytest.raises(InputError) as error:
        Criteria().with_overrides(confirm_dayz=7)
    (problem,) = error.value.problems
    assert problem.column == "confirm_dayz"
    assert "confirm_days" in problem.reason
    assert "allowed" in problem.reason
    assert error.value.exit_code == 1


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("confirm_days", -1, "integer in 0..365"),
        ("confirm_days", 7.5, "is not an integer"),
        ("confirm_days", "7", "is not a number"),
        ("confirm_days", True, "is not a number"),
        ("cr_threshold", 0, "number in (0, 2000]"),
        ("r_fold", 0.5, "number in [1, 100]"),
        ("bleeding_min_grade", 5, "integer in 0..4"),
        ("similar_duration_ratio", 0, "(0, 10]"),
    ],
)
def test_out_of_range_or_mistyped_value_names_key_value_and_range(
    key: str, value: object, expected: str
) -> None:
    with pytest.raises(InputError) as error:
        Criteria().with_overrides(**{key: value})
    (problem,) = error.value.problems
    assert problem.column == key
    assert problem.value == str(value)
    assert expected in problem.reason


def test_boundaries_of_ranges_are_accepted() -> None:
    c = Criteria().with_overrides(confirm_days=0, bleeding_min_grade=4, cr_threshold=2000)
    assert (c.confirm_days, c.bleeding_min_grade, c.cr_threshold) == (0, 4, 2000.0)


def test_contradictory_thresholds_are_refused() -> None:
    with pytest.raises(InputError, match=r"r_threshold = 150\.0 must not exceed cr_threshold"):
        Criteria().with_overrides(r_threshold=150)


def test_criteria_from_config_applies_study_toml_overrides(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text('[criteria]\nbase = "iwg2009"\nconfirm_days = 28\nr_fold = 1.5\n')
    c = criteria_from_config(load_config(path))
    assert (c.confirm_days, c.r_fold) == (28, 1.5)
    assert c.overrides == ("r_fold", "confirm_days")


def test_criteria_from_config_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text("[criteria]\nwindow_days = 90\n")
    with pytest.raises(InputError) as error:
        criteria_from_config(load_config(path))
    assert error.value.problems[0].file == str(path)
    assert "response_window_days" in error.value.problems[0].reason


def test_unknown_base_set_is_refused() -> None:
    with pytest.raises(InputError, match="unknown criteria set 'iwg2011'; allowed: iwg2009"):
        criteria_from_config(StudyConfig(criteria_base="iwg2011"))


def test_default_config_gives_the_default_criteria() -> None:
    assert criteria_from_config(StudyConfig()) == Criteria()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_methods_prose_states_every_number(lang: str) -> None:
    c = Criteria().with_overrides(confirm_days=28, similar_duration_ratio=0.8)
    text = methods_prose(c, lang)
    for fragment in ("60", "30", "180", "28", "100", "2", "365", "iwg2009"):
        assert fragment in text
    assert ("80%" if lang == "en" else "80 %") in text
    assert "confirm_days = 28" in text


def test_methods_prose_differs_by_language_and_refuses_others() -> None:
    assert "Complete response" in methods_prose(Criteria(), "en")
    assert "réponse complète" in methods_prose(Criteria(), "fr")
    assert "sans modification" in methods_prose(Criteria(), "fr")
    with pytest.raises(ValueError, match="allowed: en, fr"):
        methods_prose(Criteria(), "de")
