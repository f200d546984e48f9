"""itpcohort: a multicentre retrospective cohort study of ITP treatments, from raw center data to a report.

Layers (``architecture.md``): ``io`` reads and validates center files, ``store`` holds the canonical
tables in DuckDB, ``derive`` computes courses and responses, ``analysis`` runs the analysis plan and
``report`` writes the publication report.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
