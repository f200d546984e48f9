"""Data-collection forms: CRF workbook and REDCap data dictionary."""
