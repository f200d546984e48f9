"""The publication report: tables, figures, HTML and Word, in English and French."""
