"""The report's figures (matplotlib, Agg, journal style, Okabe–Ito palette), one module each."""

from itpcohort.report._figures._style import FigureImage
from itpcohort.report._figures.flow import flow_figure
from itpcohort.report._figures.forest import forest_figure
from itpcohort.report._figures.km import FigureDataMismatch, course_durations, km_figure
from itpcohort.report._figures.swimmer import PAGE_MAX, SwimmerPage, swimmer_figures
from itpcohort.report._figures.transitions import transitions_figure

__all__ = [
    "PAGE_MAX",
    "FigureDataMismatch",
    "FigureImage",
    "SwimmerPage",
    "course_durations",
    "flow_figure",
    "forest_figure",
    "km_figure",
    "swimmer_figures",
    "transitions_figure",
]
