"""Building small notebooks for grader tests: real notebooks, run in real kernels."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def make_notebook(path: Path, cells: list[str], exercise: str | None = None) -> Path:
    """Write a notebook whose code cells are ``cells`` (a cell starting with ``#md`` becomes
    markdown) and, when given, ``metadata.grader.exercise``."""
    nb = new_notebook()
    nb.cells = [new_markdown_cell(c[3:]) if c.startswith("#md") else new_code_cell(c) for c in cells]
    if exercise:
        nb.metadata["grader"] = {"exercise": exercise}
    nbformat.write(nb, str(path))
    return Path(path)


def by_id(result) -> dict:
    return {c.id: c for c in result.checks}


def failing(result) -> set[str]:
    return {c.id for c in result.checks if not c.passed}
