"""The protocol file (``protocols.md``, The protocol file; issue 19 part 1): the built-ins hold the
spec's values, a user's file is read the same way, and every bad key, type, range or agent is one
error naming the file and the key."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from itpcohort.config import StudyConfig, load_config
from itpcohort.criteria import Criteria, criteria_from_config, criteria_set
from itpcohort.errors import InputError
from itpcohort.protocols import (
    CourseRules,
    Regimen,
    builtin_names,
    builtin_protocol,
    default_protocol,
    load_protocol,
    read_protocol,
)
from itpcohort.schema import DRUGS

USER_PROTOCOL = """\
[protocol]
name = "rituximab-90"
version = "2"
title.en = "Rituximab courses 90 days apart"
title.fr = "Cures de rituximab à 90 jours"

[courses]
kind = "infusions"
agents = ["rituximab"]
course_gap_days = 90

[[courses.regimens]]
name = "500x1"
dose = 500
unit = "mg"
count = 1
label.en = "500 mg once"
label.fr = "500 mg une fois"

[criteria]
base = "iwg2009"
confirm_days = 14

[design]
compare = [1, 2]
min_age = 16
predictors = ["sex", "regimen_course2"]
sensitivity = ["ne_excluded", "baseline_days=14"]
"""


def test_the_built_ins_are_the_default_first_then_the_switch_study() -> None:
    assert builtin_names() == ("rituximab-retreatment", "tpo-ra-switch")
    assert default_protocol() is builtin_protocol("rituximab-retreatment")


def test_rituximab_retreatment_holds_the_seed_study() -> None:
    """response-criteria.md section 1 and flagship-study.md, written out by hand."""
    p = builtin_protocol("rituximab-retreatment")
    assert (p.name, p.version, p.title_en) == (
        "rituximab-retreatment",
        "1",
        "Rituximab retreatment in adult ITP",
    )
    assert p.courses == CourseRules(
        kind="infusions",
        agents=("rituximab",),
        course_gap_days=60,
        regimens=(
            Regimen("375x4", 375.0, "mg/m2", 4, "375 mg/m² × 4", "375 mg/m² × 4"),
            Regimen("1000x2", 1000.0, "mg", 2, "1000 mg × 2", "1000 mg × 2"),
            Regimen("low_dose", 100.0, "mg", None, "Low dose (100 mg)", "Faible dose (100 mg)"),
        ),
    )
    assert p.courses.regimen_names() == ("375x4", "1000x2", "low_dose", "other", "unknown")
    assert p.criteria_base == "iwg2009" and p.criteria_overrides == ()
    assert p.design.compare == (1, 2) and p.design.min_age == 18
    assert p.design.sensitivity == ("ne_excluded", "confirm_days=28", "response_window_days=90")
    assert p.design.predictors[0] == "response_course1"
    assert "regimen_course2" in p.design.predictors


def test_tpo_ra_switch_is_the_spec_example() -> None:
    p = builtin_protocol("tpo-ra-switch")
    assert p.courses.kind == "exposure"
    assert p.courses.agents == ("eltrombopag", "romiplostim", "avatrombopag")
    assert (p.courses.era_gap_days, p.courses.exposure_effect_days) == (30, 14)
    assert p.design.compare == "first_switch"
    assert "stop_reason_course1" in p.design.predictors


def test_the_default_protocol_gives_exactly_the_default_criteria() -> None:
    assert criteria_from_config(StudyConfig()) == Criteria()
    assert criteria_set("iwg2009") == Criteria()
    assert Criteria().courses == default_protocol().courses


def test_the_criteria_set_file_lists_every_parameter_with_its_default() -> None:
    from importlib.resources import files

    text = (files("itpcohort.criteria") / "sets" / "iwg2009.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["criteria"]
    assert table.pop("name") == "iwg2009"
    assert table.pop("version") == "1"
    assert table == Criteria().parameters()


def test_every_field_is_printed_in_file_order() -> None:
    keys = [key for key, _ in builtin_protocol("rituximab-retreatment").fields()]
    assert keys[:4] == [
        "protocol.name",
        "protocol.version",
        "protocol.title.en",
        "protocol.title.fr",
    ]
    assert "courses.regimens[3].label.fr" in keys
    assert keys[-4:] == [
        "design.compare",
        "design.min_age",
        "design.predictors",
        "design.sensitivity",
    ]


def test_a_user_file_is_read_like_a_built_in(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(USER_PROTOCOL, encoding="utf-8")
    p = load_protocol(str(path))
    assert p.courses.course_gap_days == 90
    assert p.courses.regimens == (
        Regimen("500x1", 500.0, "mg", 1, "500 mg once", "500 mg une fois"),
    )
    assert p.design.min_age == 16
    criteria = criteria_from_config(replace(StudyConfig(), protocol=p))
    assert (criteria.course_gap_days, criteria.confirm_days) == (90, 14)
    assert criteria.overrides == ("course_gap_days", "confirm_days")
    assert criteria.courses is p.courses


def test_study_toml_names_a_protocol_file_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "protocols").mkdir()
    (tmp_path / "protocols" / "mine.toml").write_text(USER_PROTOCOL, encoding="utf-8")
    (tmp_path / "study.toml").write_text(
        '[study]\nprotocol = "protocols/mine.toml"\n[criteria]\nconfirm_days = 21\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path / "study.toml")
    assert config.protocol.name == "rituximab-90"
    assert config.study_title == "Rituximab courses 90 days apart"
    assert config.min_age == 16
    # the study's [criteria] comes last: it overrides the protocol's
    assert criteria_from_config(config).confirm_days == 21


def test_study_toml_analysis_min_age_overrides_the_protocol(tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text(
        '[study]\nprotocol = "rituximab-retreatment"\n[analysis]\nmin_age = 21\n', encoding="utf-8"
    )
    assert load_config(tmp_path / "study.toml").min_age == 21


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_protocol(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    return message


def _with(old: str, new: str) -> str:
    assert old in USER_PROTOCOL
    return USER_PROTOCOL.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('version = "2"', 'version = "2"\nauthor = "me"', "protocol.author: unknown key"),
        ("[design]", "[desing]", "desing: unknown key; allowed: courses, criteria, design, protocol"),
        ("course_gap_days = 90", "course_gap_dayz = 90", "courses.course_gap_dayz: unknown key"),
        ("count = 1", "count = 1\nfrequency = 2", "courses.regimens[1].frequency: unknown key"),
        ("course_gap_days = 90", 'course_gap_days = "90"', "courses.course_gap_days: expected an integer"),
        ("course_gap_days = 90", "course_gap_days = 0", "courses.course_gap_days: 0 is out of range; allowed: 1..3650"),
        ("course_gap_days = 90", "course_gap_days = 3651", "courses.course_gap_days: 3651 is out of range"),
        ('agents = ["rituximab"]', 'agents = ["ritux"]', "courses.agents: unknown agent 'ritux'"),
        ('agents = ["rituximab"]', 'agents = "rituximab"', "courses.agents: expected a list of strings"),
        ('agents = ["rituximab"]', "agents = []", "courses.agents: empty"),
        ('kind = "infusions"', 'kind = "tablets"', "courses.kind: 'tablets' is not a kind"),
        ('unit = "mg"', 'unit = "mcg"', "courses.regimens[1].unit: 'mcg' is not a dose unit"),
        ("dose = 500", "dose = -5", "courses.regimens[1].dose: expected a number in (0, 100000]"),
        ("count = 1", "count = 0", "courses.regimens[1].count: 0 is out of range; allowed: 1..100"),
        ('name = "500x1"', 'name = "other"', "courses.regimens[1].name: 'other' is given by the rule"),
        ('label.fr = "500 mg une fois"', "", "courses.regimens[1].label.fr: expected a non-empty string"),
        ("confirm_days = 14", "confirm_days = 400", "confirm_days = 400 is out of range; allowed: integer in 0..365"),
        ("confirm_days = 14", "confirm_dayz = 14", "unknown criteria parameter 'confirm_dayz'"),
        ("confirm_days = 14", "course_gap_days = 30", "criteria.course_gap_days: set it in [courses]"),
        ('base = "iwg2009"', 'base = "iwg2011"', "criteria.base: unknown criteria set 'iwg2011'"),
        ("compare = [1, 2]", "compare = [2, 3]", "design.compare: [2, 3] is not allowed"),
        ("compare = [1, 2]", 'compare = "first_switch"', "design.compare: 'first_switch' is not allowed"),
        ("min_age = 16", "min_age = 130", "design.min_age: 130 is out of range; allowed: 0..120"),
        ("min_age = 16", "min_age = 16.5", "design.min_age: expected an integer"),
        ('"regimen_course2"]', '"stop_reason_course1"]', "design.predictors: unknown predictor 'stop_reason_course1'"),
        ('"baseline_days=14"', '"baseline_days=400"', "design.sensitivity: baseline_days = 400 is out of range"),
        ('"baseline_days=14"', '"nothing"', "design.sensitivity: unknown sensitivity run 'nothing'"),
        ('"ne_excluded", ', '"ne_excluded", "ne_excluded", ', "design.sensitivity: a value is listed twice"),
    ],
)  # fmt: skip
def test_a_bad_protocol_is_one_error_naming_the_file_and_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert expected in _error(tmp_path, _with(old, new))


def test_exposure_rules_refuse_regimens(tmp_path: Path) -> None:
    text = _with(
        'kind = "infusions"\nagents = ["rituximab"]', 'kind = "exposure"\nagents = ["romiplostim"]'
    )
    assert "courses.regimens: regimens apply to kind" in _error(tmp_path, text)


def test_the_drug_vocabulary_is_the_agent_vocabulary(tmp_path: Path) -> None:
    for drug in ("romiplostim", "fostamatinib"):
        assert drug in DRUGS
        path = tmp_path / f"{drug}.toml"
        path.write_text(_with('agents = ["rituximab"]', f'agents = ["{drug}"]'), encoding="utf-8")
        assert read_protocol(path).courses.agents == (drug,)


def test_an_unknown_name_that_is_no_file_names_the_built_ins() -> None:
    with pytest.raises(
        InputError, match=r"neither a built-in protocol \(rituximab-retreatment, tpo-ra-switch\)"
    ):
        load_protocol("rituximab-retreatement")


def test_study_toml_naming_no_protocol_names_its_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text('[study]\nprotocol = "nowhere.toml"\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_config(tmp_path / "study.toml")
    assert str(raised.value).startswith(
        f"{tmp_path / 'study.toml'}: study.protocol: 'nowhere.toml' is neither a built-in protocol"
    )


def test_study_toml_protocol_must_be_a_string(tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text("[study]\nprotocol = 3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"study\.protocol: expected str, found 3"):
        load_config(tmp_path / "study.toml")


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    assert "not a valid TOML file" in _error(tmp_path, "[protocol\nname=")
