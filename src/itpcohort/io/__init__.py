"""Readers of center files (CSV folders, xlsx workbooks, REDCap exports) and validation rules."""
