"""WSGI entry point: builds the application and nothing else."""

from exchange import create_app

app = create_app()
