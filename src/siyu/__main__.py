"""`python -m siyu` runs the command line."""

from siyu.cli.main import app

app()
