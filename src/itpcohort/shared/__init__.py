"""Low-level helpers every layer may import (``architecture.md``): spreadsheet-safe CSV and
the REDCap field names of the data model."""
