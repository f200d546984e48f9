"""Readers of center files (CSV folders, xlsx workbooks, REDCap exports) and the input contract.

``resolve_config(inputs, config_path)`` finds a study's sources and configuration; the store
(``store.validate_study``, ``store.import_study``) reads them through this package and returns the
``ValidationReport`` / ``ImportReport`` declared in ``io.import_report``.
"""

from itpcohort.io.sources import resolve_config

__all__ = ["resolve_config"]
