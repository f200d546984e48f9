"""Synthetic multicentre cohorts in the input layout (``data-model.md``)."""
