"""``python -m itpcohort`` runs the command line."""

from itpcohort.cli import program

program()
