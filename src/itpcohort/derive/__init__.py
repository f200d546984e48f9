"""Derivations as Ibis expressions: staging -> intermediate -> marts (``response-criteria.md``)."""
