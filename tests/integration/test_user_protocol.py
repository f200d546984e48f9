"""A protocol the user wrote runs end to end with no code change (issue 19, parts 1, 2 and 4).

The protocol changes the course gap, the regimen table, a criterion, the minimum age, the predictors
and the sensitivity runs. Its courses are checked against the plain-Python reference run under the
same protocol (``tests/reference``), and results.json and the report against the protocol's values.
The command line's handling of protocols (``protocols``, ``--protocol``, bad files, exposure courses)
is checked as a user meets it: real processes, exit codes and messages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from tests.golden.golden import report_text
from tests.reference.csv_study import reference_courses

from itpcohort.config import StudyConfig
from itpcohort.criteria import criteria_from_config
from itpcohort.protocols import builtin_names, builtin_protocol, load_protocol
from itpcohort.synth import generate_study

pytestmark = pytest.mark.slow

PROTOCOL = """\
[protocol]
name = "rituximab-wide-gap"
version = "3"
title.en = "Rituximab courses 90 days apart"
title.fr = "Cures de rituximab espacées de 90 jours"

[courses]
kind = "infusions"
agents = ["rituximab"]
course_gap_days = 90

[[courses.regimens]]
name = "weekly"
dose = 375
unit = "mg/m2"
count = 4
label.en = "Weekly 375 mg/m2, 4 doses"
label.fr = "375 mg/m2 hebdomadaire, 4 doses"

[[courses.regimens]]
name = "flat"
dose = 1000
unit = "mg"
label.en = "Flat 1000 mg, any count"
label.fr = "1000 mg fixes, tout nombre"

[criteria]
base = "iwg2009"
baseline_days = 21

[design]
compare = [1, 2]
min_age = 16
predictors = ["response_course1", "sex", "regimen_course2", "interval_months"]
sensitivity = ["ne_excluded", "confirm_days=14"]
"""


def itpcohort(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "itpcohort", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def user_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("user_protocol")
    protocol = root / "wide-gap.toml"
    protocol.write_text(PROTOCOL, encoding="utf-8")
    study = root / "study"
    generate_study(study, patients=250, centers=3, seed=41)
    done = itpcohort("run", study, "--out", root / "out", "--protocol", protocol)
    assert done.returncode == 0, done.stderr
    return protocol, study, root / "out"


def test_courses_equal_the_reference_under_the_user_protocol(
    user_run: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    protocol, study, out = user_run
    criteria = criteria_from_config(replace(StudyConfig(), protocol=load_protocol(str(protocol))))
    expected = tmp_path / "reference_courses.csv"
    n_courses = reference_courses(study, expected, criteria)
    engine = (out / "derived" / "courses.csv").read_text(encoding="utf-8").splitlines()
    reference = expected.read_text(encoding="utf-8").splitlines()
    assert n_courses > 250
    assert len(engine) == len(reference)
    assert [(e, r) for e, r in zip(engine, reference, strict=True) if e != r] == []
    # the regimens are the protocol's (and other/unknown), and the rule met both
    regimens = {line.split(",")[6] for line in engine[1:]}
    header = engine[0].split(",")
    assert header[6] == "regimen"
    assert {"weekly", "flat"} <= regimens <= {"weekly", "flat", "other", "unknown"}


def test_the_wider_gap_merges_courses_the_default_gap_splits(
    user_run: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, study, out = user_run
    default = tmp_path / "default.csv"
    n_default = reference_courses(study, default)
    n_user = len((out / "derived" / "courses.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert n_user < n_default


def test_results_follow_the_protocol_design(user_run: tuple[Path, Path, Path]) -> None:
    _, _, out = user_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["analysis"]["min_age"] == 16
    criteria = results["criteria"]
    assert (criteria["course_gap_days"], criteria["baseline_days"]) == (90, 21)
    assert criteria["overrides"] == {"course_gap_days": 90, "baseline_days": 21}
    assert [row["name"] for row in results["sensitivity"]] == [
        "primary",
        "ne_excluded",
        "confirm_days=14",
    ]
    confirm = results["sensitivity"][2]
    assert confirm["criteria_overrides"] == {"confirm_days": 14} and confirm["status"] == "done"
    factors = [test["factor"] for test in results["predictors"]["univariable"]]
    assert factors == ["response_course1", "sex", "regimen_course2", "interval_months"]
    assert list(results["cohort"]["regimen_course1"]) == ["weekly", "flat", "other", "unknown"]
    assert results["study"]["title"] == "Synthetic rituximab retreatment study (seed 41)"


def test_the_report_prints_the_protocol_and_its_regimen_labels(
    user_run: tuple[Path, Path, Path],
) -> None:
    protocol, _, out = user_run
    html = (out / "report.html").read_text(encoding="utf-8")
    text = report_text(out / "report.html", [])
    assert "Weekly 375 mg/m2, 4 doses" in text  # table 1 rows, from the protocol's labels
    assert "Flat 1000 mg, any count" in text
    assert (
        'class="protocol-print">The study followed the protocol rituximab-wide-gap (version 3)'
        in html
    )
    assert f"Protocol rituximab-wide-gap, version 3 ({protocol})" in html
    for line in (
        "courses.course_gap_days = 90",
        "design.min_age = 16",
        "courses.regimens[2].name = &#34;flat&#34;",
    ):
        assert line in html


def test_protocols_lists_every_built_in_with_every_field() -> None:
    done = itpcohort("protocols")
    assert done.returncode == 0, done.stderr
    for name in builtin_names():
        assert f"{name}" in done.stdout
        for key, value in builtin_protocol(name).fields():
            assert f"  {key} = {value}" in done.stdout
    assert "rituximab-retreatment (default)" in done.stdout


@pytest.mark.parametrize("command", ["synth", "demo"])
def test_exposure_agents_no_generator_simulates_are_refused_in_one_line(
    tmp_path: Path, command: str
) -> None:
    """The switch generator simulates its three agents only: an exposure protocol of another
    agent would get a cohort without a course, so synth and demo refuse it in one line."""
    from itpcohort import protocols as package

    builtin = Path(package.__file__).parent / "builtin" / "tpo-ra-switch.toml"
    text = builtin.read_text(encoding="utf-8")
    user = tmp_path / "fosta.toml"
    user.write_text(
        text.replace('name = "tpo-ra-switch"', 'name = "fosta"').replace(
            'agents = ["eltrombopag", "romiplostim", "avatrombopag"]', 'agents = ["fostamatinib"]'
        ),
        encoding="utf-8",
    )
    extra = ["--patients", "5"] if command == "synth" else []
    done = itpcohort(command, *extra, "--out", tmp_path / "out", "--protocol", user)
    assert done.returncode == 1
    assert "courses.agents: synth and demo simulate exposure courses of" in done.stderr
    assert "not of fostamatinib" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_synth_switch_protocol_declares_it_and_writes_messy_cohorts(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    done = itpcohort("synth", "--protocol", "tpo-ra-switch", "--patients", "30", "--out", out)
    assert done.returncode == 0, done.stderr
    toml = (out / "study.toml").read_text(encoding="utf-8")
    assert '\nprotocol = "tpo-ra-switch"\n' in toml
    drugs = {
        line.split(",")[1]
        for center in out.iterdir()
        if center.is_dir()
        for line in (center / "treatments.csv").read_text().splitlines()[1:]
    }
    assert {"eltrombopag", "romiplostim"} <= drugs
    again = itpcohort("synth", "--protocol", "tpo-ra-switch", "--patients", "30", "--out", out)
    assert again.returncode == 0, again.stderr  # its own synthetic folder is replaced
    messy = itpcohort(
        "synth", "--protocol", "tpo-ra-switch", "--patients", "30", "--messy", "0.1",
        "--out", tmp_path / "m",
    )  # fmt: skip
    assert messy.returncode == 0, messy.stderr
    assert "injected errors listed in" in messy.stdout
    manifest = (tmp_path / "m" / "injected_errors.csv").read_text(encoding="utf-8").splitlines()
    assert manifest[0] == "file,row,column,kind"
    assert len(manifest) > 1


@pytest.mark.parametrize("command", ["validate", "import", "derive", "run"])
def test_a_bad_protocol_file_is_one_line_naming_file_and_key(tmp_path: Path, command: str) -> None:
    study = tmp_path / "study"
    generate_study(study, patients=5, centers=1, seed=3)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        PROTOCOL.replace('agents = ["rituximab"]', 'agents = ["rituxan"]'), encoding="utf-8"
    )
    out = [] if command == "validate" else ["--out", tmp_path / "out"]
    done = itpcohort(command, study, *out, "--protocol", bad)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {bad}: courses.agents: unknown agent 'rituxan'")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_synth_declares_the_protocol_for_the_next_run(tmp_path: Path) -> None:
    protocol = tmp_path / "wide-gap.toml"
    protocol.write_text(PROTOCOL, encoding="utf-8")
    done = itpcohort("synth", "--patients", "5", "--out", tmp_path / "s", "--protocol", protocol)
    assert done.returncode == 0, done.stderr
    toml = (tmp_path / "s" / "study.toml").read_text(encoding="utf-8")
    assert f'protocol = "{protocol.resolve()}"' in toml
