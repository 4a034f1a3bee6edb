"""`python -m morsenet` runs the command line."""

from .cli import entry

entry()
