"""Typed errors that carry the command line's exit status."""
from __future__ import annotations

__all__ = ["GraderError", "UsageError", "NotebookError"]


class GraderError(Exception):
    """Base class: ``exit_code`` is what the command line exits with."""

    exit_code = 2


class UsageError(GraderError):
    """Wrong arguments, e.g. an unknown exercise."""


class NotebookError(GraderError):
    """A notebook that cannot be read: message names the file and the problem."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self):  # crosses process boundaries (worker pools, Dask) intact
        return type(self), (self.path, self.problem)
