"""The ``tpo-ra-switch`` protocol end to end (issue 19, "Done means"; ``protocols.md``, The
tpo-ra-switch analysis plan): ``synth --protocol tpo-ra-switch`` then ``run`` in English and in
French on a 150-patient switch study, exit 0, with results.json's ``switch`` keys and a complete
report in each language.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from tests.cli import itpcohort as _itpcohort
from tests.golden.golden import report_text

from itpcohort.analysis.switch import comparison_frames, switch_analysis
from itpcohort.schema import STOP_REASONS

LEVEL_KEYS = {"level", "n", "responders", "orr", "ci_low", "ci_high"}


def test_switch_study_runs_end_to_end_in_english_and_french(tmp_path: Path) -> None:
    study = tmp_path / "study"
    made = _itpcohort("synth", "--protocol", "tpo-ra-switch", "--patients", 150, "--centers", 3)
    assert made.returncode != 0  # --out is required: the command line is checked
    made = _itpcohort(
        "synth", "--protocol", "tpo-ra-switch", "--patients", 150, "--centers", 3, "--seed", 5,
        "--out", study,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    runs = {}
    for lang in ("en", "fr"):
        out = tmp_path / f"run-{lang}"
        done = _itpcohort("run", study, "--out", out, "--lang", lang)  # protocol: study.toml
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        runs[lang] = out
    results = json.loads((runs["en"] / "results.json").read_text(encoding="utf-8"))
    orr = results["retreatment"]["orr_course2"]
    assert (
        f"overall response after course 2 (the agent switched to): {orr['n']}/"
        f"{orr['denominator']} ({orr['pct']:.1f}%"
    ) in done.stdout
    again = json.loads((runs["fr"] / "results.json").read_text(encoding="utf-8"))
    assert {
        k: v for k, v in results.items() if k not in ("generated_at", "provenance", "study")
    } == {k: v for k, v in again.items() if k not in ("generated_at", "provenance", "study")}

    # the flow of the switch plan
    flow = results["flow"]
    assert flow["exclusion_order"] == [
        "no switch",
        "age < 18 at the switch",
        "no platelet count after the first compared course",
    ]
    assert flow["excluded"]["no switch"] > 0
    assert flow["screened"] == 150
    assert flow["included"] == 150 - sum(flow["excluded"].values())

    # switch.*: levels, Fisher p, and the same numbers as the analysis on derived/courses.csv
    switch = results["switch"]
    assert switch["by_reason"] and switch["by_direction"]
    for level in switch["by_reason"] + switch["by_direction"]:
        assert set(level) == LEVEL_KEYS
        assert 0 <= level["responders"] <= level["n"]
    assert [lv["level"] for lv in switch["by_reason"]] == [
        r for r in STOP_REASONS if r in {lv["level"] for lv in switch["by_reason"]}
    ]
    assert sum(lv["n"] for lv in switch["by_reason"]) == flow["included"]
    assert sum(lv["n"] for lv in switch["by_direction"]) == flow["included"]
    assert 0 < switch["fisher_p"] <= 1
    derived = runs["en"] / "derived"
    courses = pd.read_csv(derived / "courses.csv", dtype={"patient_id": str})
    baseline = pd.read_csv(derived / "patient_baseline.csv", dtype={"patient_id": str})
    assert "regimen" not in courses.columns
    assert set(courses["course_type"]) >= {"first", "switch"}
    frames = comparison_frames(
        {"courses": courses, "ae_by_course": pd.read_csv(derived / "ae_by_course.csv")}, 0.7
    )
    compared = frames["courses"]
    # the population of the plan, from derived/courses.csv: a switch, >= 18 at the switch (the
    # third reason excludes nobody in this study: checked below)
    at_switch = compared[(compared["course_number"] == 2) & (compared["age_at_course"] >= 18)]
    keep = set(zip(at_switch["center"], at_switch["patient_id"], strict=True))
    assert flow["excluded"]["no platelet count after the first compared course"] == 0
    assert len(keep) == flow["included"]
    chosen = [k in keep for k in zip(compared["center"], compared["patient_id"], strict=True)]
    recomputed = switch_analysis(
        compared[chosen], ("eltrombopag", "romiplostim", "avatrombopag")
    ).to_json_dict()
    for key in ("by_reason", "by_direction"):
        assert len(recomputed[key]) == len(switch[key])
        for mine, written in zip(recomputed[key], switch[key], strict=True):
            assert (mine["level"], mine["n"], mine["responders"]) == (
                written["level"],
                written["n"],
                written["responders"],
            )
            for number in ("orr", "ci_low", "ci_high"):
                assert abs(mine[number] - written[number]) < 1e-6
    assert abs(recomputed["fisher_p"] - switch["fisher_p"]) < 1e-9
    assert len(baseline) == flow["screened"]

    # retreatment.* is the course-1 vs course-2 comparison of the pair; no regimen in table 1
    assert results["retreatment"]["orr_course2"]["denominator"] == flow["included"]
    assert results["cohort"]["regimen_course1"] == {}
    assert set(results["cohort"]["stop_reason_course1"]) <= set(STOP_REASONS)
    factors = [u["factor"] for u in results["predictors"]["univariable"]]
    assert "stop_reason_course1" in factors and "direction" in factors
    events = {
        e for row in switch["safety_by_course_agent"] for e in row if e not in ("course", "agent")
    }
    assert events == {"patients", "thrombosis", "hepatotoxicity", "bone_marrow_fibrosis"}

    # a complete report in each language, titles from the protocol
    expected = {
        "en": [
            "Switching thrombopoietin receptor agonists in adult ITP",
            "Response to the second agent by switch reason and direction",
            "Overall response (CR + R) to course 2 by switch reason and direction",
            "Adverse events of interest by compared course and agent",
            "Reason course 1 was stopped, n (%)",
            "Switch direction, n (%)",
            "Duration of course 1, months, median [IQR]",
            "no switch",
            "Sensitivity analyses",
            "eltrombopag\u2192romiplostim",
            "at their first switch from one agent to another were included",
            "to another and were included.",
        ],
        "fr": [
            "Changement d'agoniste du récepteur de la thrombopoïétine au cours du PTI de l'adulte",
            "Réponse au second agent selon le motif et le sens du changement",
            "Événements indésirables d'intérêt par cure comparée et par agent",
            "Motif d'arrêt de la première cure, n (%)",
            "Sens du changement, n (%)",
            "pas de changement d'agent",
            "Analyses de sensibilité",
            "lors de leur premier changement d'agent ont été inclus",
        ],
    }
    for lang, out in runs.items():
        html = out / "report.html"
        assert (out / "report.docx").stat().st_size > 10_000
        text = report_text(html, [out, study])
        for phrase in expected[lang]:
            assert phrase in text, (lang, phrase)
        table1 = next((out / "tables").glob("table01_*.csv")).read_text(encoding="utf-8")
        assert "egimen" not in table1 and "Schéma" not in table1  # no regimen rows
        tables = sorted(p.name for p in (out / "tables").glob("*.csv"))
        assert any(name.endswith("_switch.csv") for name in tables)
        assert any(name.endswith("_switch_safety.csv") for name in tables)
    assert "Response to the second agent" not in report_text(
        runs["fr"] / "report.html", [runs["fr"], study]
    )
