"""The `pepy` command line."""

from pepy.infrastructure.cli.commands import main

__all__ = ["main"]
