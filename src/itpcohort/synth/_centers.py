"""Centers of a synthetic study and the file-format habits each one has.

Real centers export the same data model in different ways; a synthetic study reproduces the common
ones so that every import path is exercised (``data-model.md``, Conventions): platelets per mm3 with a
``unit`` column, ``oui``/``non`` booleans, capitalised drug names, day-first dates and a ``;``
delimiter declared in ``study.toml``, Windows line ends, another column order, an extra free-text
column, optional tables left out. The habits are fixed by the center's index, so the same
``--centers K`` always gives the same formats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: center codes of French university hospitals, in the order centers are created
CENTER_CODES = (
    "TLS",
    "PAR",
    "LYO",
    "MRS",
    "BDX",
    "LIL",
    "NAN",
    "STR",
    "MTP",
    "REN",
    "NCE",
    "GRE",
    "DIJ",
    "ANG",
    "BRS",
    "CAE",
    "CLF",
    "LIM",
    "REI",
    "ROU",
    "TRS",
    "AMI",
    "BES",
    "POI",
    "NMS",
    "STE",
    "NCY",
    "MTZ",
    "ORL",
    "PRP",
)
MAX_CENTERS = 999


@dataclass(frozen=True)
class CenterStyle:
    """How one center writes its files.

    ``platelet_unit`` None means no ``unit`` column (counts in 10^9/L); ``/mm3`` means counts are
    written per mm3 (45000). ``booleans`` is the (true, false) spelling; with ``fill_false`` False
    the center leaves a false boolean empty (the documented default). ``drug_case`` is ``lower``,
    ``capitalised`` or ``upper``. ``reorder`` writes the columns in another order than the data
    model's. ``comment`` adds a harmless free-text ``comment`` column to treatments and counts.
    """

    code: str
    index: int
    date_format: str = "iso"  # "iso" or "dmy" (dd/mm/yyyy, declared in study.toml)
    delimiter: str = ","
    eol: str = "\n"
    platelet_unit: str | None = None
    booleans: tuple[str, str] = ("yes", "no")
    fill_false: bool = True
    drug_case: str = "lower"
    center_in_child_tables: bool = False
    reorder: bool = False
    comment: bool = False
    dose_unit_filled: bool = True
    has_biomarkers: bool = True
    has_investigator_assessments: bool = True

    @property
    def strftime(self) -> str | None:
        """The date format to declare in ``study.toml`` (None for ISO dates)."""
        return "%d/%m/%Y" if self.date_format == "dmy" else None


_HABITS: tuple[dict[str, object], ...] = (
    {},
    {
        "platelet_unit": "G/L",
        "booleans": ("oui", "non"),
        "fill_false": False,
        "drug_case": "capitalised",
        "center_in_child_tables": True,
    },
    {
        "date_format": "dmy",
        "delimiter": ";",
        "eol": "\r\n",
        "booleans": ("oui", "non"),
        "drug_case": "capitalised",
        "dose_unit_filled": False,
    },
    {
        "platelet_unit": "/mm3",
        "booleans": ("1", "0"),
        "reorder": True,
        "comment": True,
        "has_biomarkers": False,
        "has_investigator_assessments": False,
    },
    {
        "eol": "\r\n",
        "booleans": ("Y", "N"),
        "fill_false": False,
        "drug_case": "upper",
        "center_in_child_tables": True,
    },
    {
        "date_format": "dmy",
        "platelet_unit": "G/L",
        "drug_case": "capitalised",
        "fill_false": False,
        "has_investigator_assessments": False,
    },
    {"delimiter": ";", "booleans": ("true", "false"), "reorder": True},
    {"platelet_unit": "10^9/L", "comment": True, "center_in_child_tables": True},
)


def center_code(index: int) -> str:
    """The code of the center number ``index`` (0-based): a city code, then ``C031``, ``C032``..."""
    return CENTER_CODES[index] if index < len(CENTER_CODES) else f"C{index + 1:03d}"


def center_styles(n_centers: int) -> tuple[CenterStyle, ...]:
    """The ``n_centers`` centers of a study with their format habits (cycling through 8 habits)."""
    styles = []
    for index in range(n_centers):
        habits = _HABITS[index % len(_HABITS)]
        styles.append(CenterStyle(code=center_code(index), index=index, **habits))  # type: ignore[arg-type]
    return tuple(styles)


def split_patients(n_patients: int, n_centers: int) -> np.ndarray:
    """Patients per center: uneven (weights 1/(i+1)^0.6, as large centers recruit more), every
    center at least one patient, total exactly ``n_patients``; deterministic (largest remainders)."""
    if n_centers < 1 or n_patients < n_centers:
        raise ValueError("need at least one patient per center")
    weights = 1.0 / np.arange(1, n_centers + 1) ** 0.6
    spare = n_patients - n_centers
    exact = spare * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = spare - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts + 1
