"""Geometry of the figures, read from the matplotlib artists' extents (issue 17 items 13, 15).

Every text stays inside the figure, in English and French, with labels that name their reference
(forest plot) and with every inclusion criterion (flow chart); the flow chart's boxes never touch.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from itpcohort.report import Translator
from itpcohort.report._figures._style import journal_style
from itpcohort.report._figures.forest import draw_forest
from itpcohort.report._predictors import model_term_label

LANGS = ("en", "fr")
TERMS = [
    {"term": "response_course1", "odds_ratio": 14.26, "ci_low": 3.1, "ci_high": 123.4, "p": 4e-4},
    {"term": "prior_lines_course2", "odds_ratio": 0.83, "ci_low": 0.61, "ci_high": 1.12, "p": 0.2},
    {
        "term": "regimen_course2=1000x2",
        "odds_ratio": 1.5,
        "ci_low": 0.0043,
        "ci_high": 4.2,
        "p": 0.4,
    },
    {
        "term": "itp_duration_course2_months",
        "odds_ratio": 0.98,
        "ci_low": 0.9,
        "ci_high": 1.0,
        "p": 1,
    },
    {
        "term": "splenectomy_before_course2",
        "odds_ratio": 2.1,
        "ci_low": 0.8,
        "ci_high": 5.2,
        "p": 0.1,
    },
]


def texts(figure: Figure) -> Iterator[tuple[str, Bbox]]:
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # axis labels take their place at draw time
    renderer = canvas.get_renderer()
    for artist in figure.findobj(Text):
        if artist.get_visible() and artist.get_text().strip():
            yield artist.get_text(), artist.get_window_extent(renderer)


def assert_inside(figure: Figure) -> None:
    bounds = figure.bbox
    for text, box in texts(figure):
        assert box.x0 >= bounds.x0 - 0.5 and box.x1 <= bounds.x1 + 0.5, text
        assert box.y0 >= bounds.y0 - 0.5 and box.y1 <= bounds.y1 + 0.5, text


@pytest.mark.parametrize("lang", LANGS)
def test_forest_labels_name_their_reference_and_stay_inside(lang: str) -> None:
    t = Translator(lang)
    with journal_style():
        figure = draw_forest(TERMS, t, lambda term: model_term_label(t, term))
        assert figure is not None
        drawn = " ".join(text.replace("\n", " ") for text, _ in texts(figure))
        for term in TERMS:
            assert model_term_label(t, str(term["term"])) in drawn
        assert_inside(figure)
        assert "0.00 " not in drawn and "0,00 " not in drawn


def flow_results(reasons: int, later: int) -> dict[str, object]:
    order = [
        "< 2 courses",
        "age < 18 at course 1",
        "age unknown at course 1",
        "no platelet count after course 1",
    ][:reasons]
    return {
        "analysis": {"min_age": 18},
        "flow": {
            "screened": 123456,
            "included": 98765,
            "excluded": {reason: 1000 + i for i, reason in enumerate(order)},
            "exclusion_order": order,
        },
        "cohort": {"n_centers": 12},
        "courses": [
            {"course": 1, "CR": 50000, "R": 20000, "NR": 20000, "NE": 8765, "orr": {"n": 70000}},
            {"course": 2, "CR": 40000, "R": 20000, "NR": 30000, "NE": 8765},
        ],
        "later_courses": [{"course": 3 + i, "n_patients": 100 - i} for i in range(later)],
    }


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("reasons", "later"), [(1, 0), (4, 5)])
def test_flow_boxes_never_touch_and_hold_their_text(lang: str, reasons: int, later: int) -> None:
    """Item 15: boxes apart, each text inside a box, every inclusion criterion stated."""
    from matplotlib.patches import FancyBboxPatch

    from itpcohort.report._figures.flow import draw_flow

    t = Translator(lang)
    with journal_style():
        figure = draw_flow(flow_results(reasons, later), t)
        drawn = list(texts(figure))
        renderer = FigureCanvasAgg(figure).get_renderer()
        boxes = [
            patch.get_window_extent(renderer)
            for patch in figure.findobj(FancyBboxPatch)
            if patch.get_visible()
        ]
    assert len(boxes) == 7 + (1 if later else 0)
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            apart = (
                first.x1 < second.x0 - 2
                or second.x1 < first.x0 - 2
                or first.y1 < second.y0 - 2
                or second.y1 < first.y0 - 2
            )
            assert apart, (first, second)
    for text, extent in drawn:
        assert any(
            box.x0 <= extent.x0
            and extent.x1 <= box.x1
            and box.y0 <= extent.y0 <= extent.y1 <= box.y1
            for box in boxes
        ), text
    assert_inside(figure)
    included = next(
        text
        for text, _ in drawn
        if text.startswith(t("fig.flow.included", n="", centers="", age="")[:5])
    )
    flat = " ".join(included.split())
    criteria = {
        "en": (
            "at least 2 rituximab courses",
            "age ≥ 18 years at course 1",
            "platelet count after course 1",
        ),
        "fr": (
            "au moins 2 cures de rituximab",
            "âge ≥ 18 ans",
            "numération plaquettaire après la première cure",
        ),
    }[lang]
    for criterion in criteria:
        assert criterion in flat, (criterion, flat)
