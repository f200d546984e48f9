"""The analysis plan of the flagship study (``flagship-study.md``, Analyses)."""
