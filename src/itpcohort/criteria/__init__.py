"""Named criteria sets as data (``response-criteria.md``), their checks and the methods prose."""
