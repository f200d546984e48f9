"""The exposure model graph follows the derivation's contract: one file per model with its grain
and spec section, inputs built before they are read, every reused infusion model unchanged, and
the same rows whether the shared models are materialised or inlined."""

from __future__ import annotations

import ast
import inspect
from functools import partial
from pathlib import Path

from itpcohort.derive import MODELS, ExposureRules
from itpcohort.derive.exposure import EXPOSURE_MARTS, exposure_models
from itpcohort.schema import CANONICAL_COLUMNS
from tests.reference.canonical import run_exposure_engine
from tests.unit.test_hand_worked_exposure_timelines import CASES, DEFAULT, TPO_RA
from tests.unit.timeline_builders import merge

RULES = ExposureRules(TPO_RA)


def test_every_exposure_model_is_one_file_with_grain_and_spec_section() -> None:
    for model in exposure_models(RULES):
        function = model.function.func if isinstance(model.function, partial) else model.function
        path = Path(inspect.getsourcefile(function) or "")
        assert path.stem in (model.name, function.__name__), model.name
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "Grain:" in doc, model.name
        assert ".md" in doc, model.name


def test_inputs_come_first_and_infusion_models_are_reused_as_they_are() -> None:
    built = set(CANONICAL_COLUMNS)
    infusion = {m.name: m for m in MODELS}
    for model in exposure_models(RULES):
        assert set(model.inputs) <= built, model.name
        built.add(model.name)
        if model.name in infusion and model.name not in EXPOSURE_MARTS:
            assert model.function is infusion[model.name].function, model.name
    assert set(EXPOSURE_MARTS) <= built


def test_materialised_and_single_query_runs_agree() -> None:
    rows = merge(*(rows for rules, rows, _ in CASES.values() if rules == DEFAULT))
    assert run_exposure_engine(rows, RULES, materialize=True) == run_exposure_engine(
        rows, RULES, materialize=False
    )
