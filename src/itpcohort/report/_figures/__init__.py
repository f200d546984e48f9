"""The report's figures (matplotlib, Agg, journal style, Okabe–Ito palette), one module each."""

from itpcohort.report._figures._style import FigureImage
from itpcohort.report._figures.flow import flow_figure
from itpcohort.report._figures.forest import forest_figure
from itpcohort.report._figures.km import FigureDataMismatch, course_durations, km_figure
from itpcohort.report._figures.swimmer import MAX_PATIENTS, SwimmerImage, swimmer_figure
from itpcohort.report._figures.transitions import transitions_figure

__all__ = [
    "MAX_PATIENTS",
    "FigureDataMismatch",
    "FigureImage",
    "SwimmerImage",
    "course_durations",
    "flow_figure",
    "forest_figure",
    "km_figure",
    "swimmer_figure",
    "transitions_figure",
]
