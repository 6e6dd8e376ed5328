"""`python -m kronos` is the `kronos` command."""

from kronos.cli import app

app(prog_name="kronos")
