"""The command line (``grader``): :mod:`.commands` parses and calls, :mod:`.parser` declares the
arguments, :mod:`.ci` checks a course repository's materials, :mod:`.release` writes trainee
notebooks, :mod:`.pytest_plugin` collects notebooks as pytest items."""

__all__ = ["main"]


def main(argv=None) -> int:
    """The ``grader`` command (:func:`grader.cli.commands.main`), imported when called, so that
    ``python -m grader.cli.commands`` runs without importing itself twice."""
    from grader.cli.commands import main as run

    return run(argv)
