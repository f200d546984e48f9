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
