"""``python -m ampyre`` runs the ``ampyre`` command."""

from ampyre.cli import app

app()
