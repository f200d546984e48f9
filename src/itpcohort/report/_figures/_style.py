"""Journal style of every figure: fonts, sizes, the Okabe–Ito palette, deterministic output.

Colours come from the Okabe–Ito palette (safe for the common colour-vision deficiencies); every
series also differs by marker, hatch or line style, so the figures read in greyscale. Output is
deterministic: a fixed SVG hash salt, no date in the SVG or PNG metadata, text drawn as paths with
DejaVu Sans (shipped with matplotlib), and figures built with ``matplotlib.figure.Figure`` (no
pyplot global state, Agg for PNG).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

CM = 1 / 2.54
DPI = 300

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

#: response level -> (fill colour, hatch): dark solid CR, light hatched R, hatched NR, dotted NE
RESPONSE_STYLE: dict[str, tuple[str, str]] = {
    "CR": (OKABE_ITO["blue"], ""),
    "R": (OKABE_ITO["sky_blue"], "////"),
    "NR": (OKABE_ITO["vermillion"], "xxx"),
    "NE": (OKABE_ITO["grey"], "..."),
}

#: course number -> (colour, line style, censoring marker)
COURSE_STYLE: dict[int, tuple[str, str, str]] = {
    1: (OKABE_ITO["blue"], "-", "|"),
    2: (OKABE_ITO["orange"], "--", "+"),
}

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 7.5,
    "axes.titlesize": 8,
    "axes.labelsize": 7.5,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.5,
    "hatch.color": "#000000",
    "svg.hashsalt": "itpcohort-report",
    "svg.fonttype": "path",
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "path.simplify": False,
}


@dataclass(frozen=True)
class FigureImage:
    """A rendered figure: its file stem, PNG (300 dpi) and SVG bytes, and its print width."""

    key: str
    png: bytes
    svg: bytes
    width_cm: float


@contextmanager
def journal_style() -> Iterator[None]:
    """Apply the report's rcParams for the duration of a figure's construction and saving."""
    with mpl.rc_context(RC):  # type: ignore[arg-type]
        yield


def new_figure(width_cm: float, height_cm: float) -> Figure:
    """A blank figure of the given print size (no pyplot: nothing global is touched)."""
    return Figure(figsize=(width_cm * CM, height_cm * CM), layout=None)


def render(figure: Figure, key: str, width_cm: float) -> FigureImage:
    """Save ``figure`` as PNG (300 dpi) and SVG, without dates or version stamps."""
    png, svg = io.BytesIO(), io.BytesIO()
    figure.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return FigureImage(key=key, png=png.getvalue(), svg=svg.getvalue(), width_cm=width_cm)
