"""Staging models: canonical tables typed, renamed and with documented defaults applied."""
