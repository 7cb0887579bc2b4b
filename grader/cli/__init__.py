"""The command line (``grader``): :mod:`.commands` parses and calls, :mod:`.ci` checks a course
repository's materials, :mod:`.release` writes trainee notebooks, :mod:`.pytest_plugin`
collects notebooks as pytest items."""
from grader.cli.commands import main

__all__ = ["main"]
