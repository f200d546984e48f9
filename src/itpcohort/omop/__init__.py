"""OMOP CDM v5.4 sources and exports (``omop.md``).

- ``cdm``: the CDM tables this project reads and writes (a v5.4 subset, names and types as the
  OHDSI DDL has them);
- ``mapping``: the OMOP -> canonical mapping, a data file shipped in the package (``mapping.toml``)
  and overridable per study;
- ``source``: an ``omop:`` source named on the command line, connected on its own engine;
- ``reader``: the canonical tables of an OMOP source as Ibis expressions on that engine, with the
  rows the mapping rejects and the counts per OMOP table;
- ``export``: a study written as a CDM (``itpcohort export STUDY --format omop``).
"""
