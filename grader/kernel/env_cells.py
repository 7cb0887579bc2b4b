"""Environment lines of a trainee's notebook, neutralised before grading (outside the kernel).

Trainees' notebooks carry lines that set up *their* environment: Google Colab's
(``from google.colab import drive``, ``drive.mount(...)``, ``files.upload()``, ``%cd
/content/drive/...``), package installs (``!pip install``, ``%pip install``, ``!apt-get``,
``%conda install``) and interactive matplotlib backends (``%matplotlib widget``). In the
grading kernel they would fail (no Colab, no network, a read-only file system) and take the
rest of their cell, and so the graded names defined there, with them.

:func:`neutralise` replaces exactly those lines (a multi-line statement as a whole) with
``pass`` at the same indentation, so the rest of a mixed cell still runs and blocks stay
valid; :func:`neutralise_notebook` does it to every code cell and reports what it skipped
(cell index and the first skipped line), for an informational "environment cell skipped"
entry of the result. Pure functions: no I/O, no kernel.
"""
from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

__all__ = ["Skipped", "neutralise", "neutralise_notebook", "REPLACEMENT"]

REPLACEMENT = "pass"
_MAX_STATEMENT_LINES = 30  # a Colab statement continued over more lines than this is left alone

# IPython lines (never valid Python): shell escapes and line magics that install or use Colab.
_INSTALLERS = r"(?:sudo\s+)?(?:pip3?|python3?\s+-m\s+pip|\{sys\.executable\}\s+-m\s+pip|apt(?:-get)?|conda|mamba|yum|brew)\b"
_IPYTHON_LINE = re.compile(
    r"""^\s*(?:
        !\s*""" + _INSTALLERS + r"""           # !pip install x, !apt-get install y, !sudo apt ...
      | %\s*(?:pip|conda|mamba)\b              # %pip install x, %conda install y
      | %\s*cd\s+['"]?/content\b               # %cd /content/drive/MyDrive/...
      | !\s*(?:cp|ls|unzip|mkdir)\b.*/content/drive   # copying from the trainee's Drive
      | %\s*matplotlib\s+(?!inline\b|agg\b|notebook\b|nbagg\b)\w+   # %matplotlib widget / qt / tk ...
    )""", re.VERBOSE)

# Python statements that only work on Colab.
_COLAB_STATEMENT = re.compile(
    r"""^\s*(?:
        from\s+google\.colab(?:\.\w+)*\s+import\b
      | import\s+google\.colab\b
      | (?:\w+\s*=\s*)?(?:drive\.(?:mount|flush_and_unmount)|files\.(?:upload|download)|auth\.authenticate_user
                          |output\.(?:enable|disable)_custom_widget_manager|userdata\.get)\s*\(
      | os\.chdir\s*\(\s*['"]/content\b
    )""", re.VERBOSE)


@dataclass(frozen=True)
class Skipped:
    """Lines of one cell neutralised: ``cell`` (0-based index), ``line`` (the first one,
    stripped), ``count`` (how many lines or statements were replaced)."""

    cell: int
    line: str
    count: int


def _statement_end(lines: list[str], start: int) -> int | None:
    """The index after the last line of the Python statement starting at ``lines[start]``
    (brackets and backslashes may continue it), or ``None`` when no prefix parses."""
    for end in range(start + 1, min(len(lines), start + _MAX_STATEMENT_LINES) + 1):
        chunk = textwrap.dedent("\n".join(lines[start:end]))
        try:
            ast.parse(chunk)
        except SyntaxError:
            continue
        return end
    return None


_COLAB_IMPORT = re.compile(r"^\s*(?:from\s+google\.colab\b|import\s+google\.colab\b)")
# in a ``try:`` block, a Colab import fails as it does outside Colab, so ``except ImportError:``
# (``IN_COLAB = False``) runs as it would on the trainee's own machine
_NOT_COLAB = 'raise ModuleNotFoundError("No module named \'google.colab\' (grading runs outside Colab)")'


def _in_try(lines: list[str], start: int) -> bool:
    """Whether ``lines[start]`` is in the body of a ``try:`` (the nearest less indented line)."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    for line in reversed(lines[:start]):
        if line.strip() and not line.lstrip().startswith("#") and len(line) - len(line.lstrip()) < indent:
            return line.strip().startswith("try") and line.strip().rstrip().endswith(":")
    return False


def _blank_out(lines: list[str], start: int, end: int) -> None:
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    colab_import_in_try = bool(_COLAB_IMPORT.match(lines[start])) and _in_try(lines, start)
    lines[start] = indent + (_NOT_COLAB if colab_import_in_try else REPLACEMENT)
    for i in range(start + 1, end):
        lines[i] = ""


def neutralise(source: str) -> tuple[str, list[str]]:
    """``source`` with its environment lines replaced by ``pass`` (a Colab import inside a
    ``try:`` by raising ``ModuleNotFoundError``, so its ``except`` runs as outside Colab); and
    those lines (the first line of each replaced statement, stripped), in order. Unchanged
    when there are none."""
    lines = source.split("\n")
    found: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _IPYTHON_LINE.match(line):
            end = i + 1
            while lines[end - 1].rstrip().endswith("\\") and end < len(lines):  # a continued shell line
                end += 1
        elif _COLAB_STATEMENT.match(line):
            end = _statement_end(lines, i)
            if end is None:
                i += 1
                continue
        else:
            i += 1
            continue
        found.append(line.strip())
        _blank_out(lines, i, end)
        i = end
    return ("\n".join(lines) if found else source), found


def neutralise_notebook(nb) -> list[Skipped]:
    """Neutralise every code cell of ``nb`` (an nbformat notebook, modified in place);
    returns one :class:`Skipped` per cell that had environment lines."""
    skipped = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        new, found = neutralise(cell.source)
        if found:
            cell.source = new
            skipped.append(Skipped(index, found[0][:200], len(found)))
    return skipped
