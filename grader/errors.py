"""Typed errors that carry the command line's exit status, and their message in both languages.

``str(error)`` stays the English text (logs, problems recorded in a gradebook, other tools);
:meth:`GraderError.in_lang` is what a person reads: the message rendered from its key of
:mod:`grader.reports.messages` in ``"ja"`` or ``"en"``. Build a keyed error with
``UsageError.keyed("err_workers")`` or ``NotebookError(path, problem, key=..., **fields)``."""
from __future__ import annotations

__all__ = ["GraderError", "UsageError", "NotebookError"]


class GraderError(Exception):
    """Base class: ``exit_code`` is what the command line exits with; ``key`` and ``fields``
    (optional) name the message in :mod:`grader.reports.messages`."""

    exit_code = 2
    key: str | None = None
    fields: dict = {}

    @classmethod
    def keyed(cls, key: str, **fields) -> "GraderError":
        """An error whose ``str`` is the English message ``key`` and that reads in either language."""
        from grader.reports.messages import text

        error = cls(text(key, "en", **fields))
        error.key, error.fields = key, dict(fields)
        return error

    def in_lang(self, lang: str) -> str:
        """The message in ``lang`` (the English ``str`` when the error has no key)."""
        if not self.key:
            return str(self)
        from grader.reports.messages import text

        try:
            return text(self.key, lang, **self.fields)
        except (KeyError, IndexError, ValueError):
            return str(self)


class UsageError(GraderError):
    """Wrong arguments, e.g. an unknown exercise."""


class NotebookError(GraderError):
    """A notebook that cannot be read: message names the file and the problem. ``key`` and
    ``fields``: the problem's message in :mod:`grader.reports.messages` (``{path}`` is filled in)."""

    def __init__(self, path, problem: str, key: str | None = None, **fields):
        self.path = str(path)
        self.problem = problem
        self.key = key
        self.fields = dict(fields, path=self.path) if key else {}
        super().__init__(f"{path}: {problem}")

    def in_lang(self, lang: str) -> str:
        """``<path>: <the problem in lang>``."""
        said = super().in_lang(lang)
        return f"{self.path}: {said}" if self.key else said

    def __reduce__(self):  # crosses process boundaries (worker pools, Dask) intact
        return _notebook_error, (self.path, self.problem, self.key, {k: v for k, v in self.fields.items() if k != "path"})


def _notebook_error(path, problem, key, fields):
    return NotebookError(path, problem, key, **fields)
