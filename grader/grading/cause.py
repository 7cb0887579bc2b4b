"""Pointing a check's error at its cause: when a graded call raises ``NameError`` or
``ImportError`` for a name that an earlier cell would have defined, and that cell failed, the
message names that cell (index, first line, its error) and the algorithm's hint is dropped: the
trainee's algorithm is not what went wrong. The same for a graded name that is missing because
the cell defining it failed. Pure functions of the notebook's sources and its cell errors.
"""
from __future__ import annotations

import ast
import dataclasses
import re

from grader.reports.messages import text
from grader.grading.results import CellError, CheckResult, Status

__all__ = ["FailedCell", "defined_names", "failed_cells", "missing_name", "attribute_causes"]

_MAGIC_LINE = re.compile(r"^\s*[%!]")
_NAME_ERROR = re.compile(r"NameError: name '([^']+)' is not defined")
_CANNOT_IMPORT = re.compile(r"ImportError: cannot import name '([^']+)'")
_NO_MODULE = re.compile(r"(?:ModuleNotFoundError|ImportError): No module named '([^'.]+)")
_FAILED_KINDS = ("error", "timeout", "kernel-died", "output-limit")


@dataclasses.dataclass(frozen=True)
class FailedCell:
    """A cell that did not finish, with the top-level names it would have defined."""

    index: int
    first_line: str
    error: str
    names: frozenset


def _parse(source: str):
    """The cell's AST; IPython magics and shell lines are blanked first (they define nothing
    the grader can see). ``None`` when it still does not parse."""
    if source.lstrip().startswith("%%"):
        return None
    lines = ["" if _MAGIC_LINE.match(line) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _targets(node) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
    return names


def defined_names(source: str) -> set[str]:
    """Names a cell binds at module level: imports (``import a.b`` binds ``a``), assignments,
    ``def``/``class``, ``for``/``with`` targets, also inside top-level ``if``/``try`` blocks."""
    tree = _parse(source)
    if tree is None:
        return set()
    names: set[str] = set()
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names |= _targets(target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            names |= _targets(node.target)
            pending.extend(node.body + node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    names |= _targets(item.optional_vars)
            pending.extend(node.body)
        elif isinstance(node, (ast.If, ast.While)):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                pending.extend(handler.body)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.NamedExpr):
            names |= _targets(node.value.target)
    return names


def _first_line(source: str, limit: int = 80) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[:limit - 1] + "…"
    return ""


def _last_line(message: str, limit: int = 200) -> str:
    lines = [line for line in message.strip().splitlines() if line.strip()]
    line = lines[-1].strip() if lines else message.strip()
    return line if len(line) <= limit else line[:limit - 1] + "…"


def failed_cells(sources: list[str | None], errors) -> list[FailedCell]:
    """The cells of ``sources`` (code cells' sources by cell index; ``None`` for other cells)
    that raised, timed out or died, in notebook order."""
    found: dict[int, FailedCell] = {}
    for error in errors:
        if not isinstance(error, CellError) or error.cell is None or error.kind not in _FAILED_KINDS:
            continue
        if not 0 <= error.cell < len(sources) or sources[error.cell] is None or error.cell in found:
            continue
        source = sources[error.cell]
        found[error.cell] = FailedCell(error.cell, _first_line(source), _last_line(error.message),
                                       frozenset(defined_names(source)))
    return [found[i] for i in sorted(found)]


def missing_name(message: str) -> str | None:
    """The name a ``NameError`` / ``ImportError`` in ``message`` is about, else ``None``."""
    for pattern in (_NAME_ERROR, _CANNOT_IMPORT, _NO_MODULE):
        match = pattern.search(message)
        if match:
            return match.group(1)
    return None


def _culprit(name: str, cells: list[FailedCell]) -> FailedCell | None:
    """The last failed cell that would have defined ``name``."""
    for cell in reversed(cells):
        if name in cell.names:
            return cell
    return None


def _with_cause(check: CheckResult, cell: FailedCell, name: str, lang: str) -> CheckResult:
    cause = text("caused_by_cell", lang, name=name, cell=cell.index, first_line=cell.first_line,
                 error=cell.error)
    details = dict(check.details)
    details["caused_by"] = {"cell": cell.index, "name": name, "first_line": cell.first_line, "error": cell.error}
    return dataclasses.replace(check, message=f"{check.message}\n{cause}", hint=None, details=details)


def attribute_causes(results, sources: list[str | None], errors, lang: str) -> list[CheckResult]:
    """``results`` with each ERROR or MISSING check explained by the failed cell that would
    have defined the name it lacks (for a MISSING check, its graded name)."""
    cells = failed_cells(sources, errors)
    out = []
    for check in results:
        if check.status == Status.ERROR:
            name = missing_name(check.message)
            culprit = _culprit(name, cells) if name else None
            if culprit is not None:
                check = _with_cause(check, culprit, name, lang)
            elif name is not None:  # a NameError no cell explains: still not the algorithm's fault
                check = dataclasses.replace(check, hint=None)
        elif check.status == Status.MISSING:
            name = check.name
            culprit = _culprit(name, cells)
            if culprit is not None:
                check = _with_cause(check, culprit, name, lang)
        out.append(check)
    return out
