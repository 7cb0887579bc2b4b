"""The package layout keeps its promises (DESIGN.md, "Small modules"; issue 13, "a package layout
that shows the architecture"):

- **Small modules.** A module under ``grader/`` or ``reference/`` has at most ``MAX_LINES`` (300) lines, or states
  why it is one module: a line of its module docstring starts with one of ``REASON_MARKERS``
  (``Long because ...``, or the older wording ``Longer than the usual ~300 lines ...``), e.g.::

      \"\"\"Every text a trainee reads, in Japanese and English.

      Long because one table holds every message in both languages, so a missing translation
      is one place to look.\"\"\"

  A module that grows past that without a reason is two modules.
- **Layering.** Only ``grader/cli/`` (and the entry point ``grader/__main__.py``) imports the
  command line ``grader.cli``; every other subpackage (kernel, grading, course, classroom,
  reports) works without it. Every import statement counts, also one inside a function or
  under ``if TYPE_CHECKING:``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "grader"
MAX_LINES = 300
REASON_MARKERS = ("Long because", "Longer than the usual ~300 lines")
CLI = "grader.cli"
MAY_IMPORT_CLI = ("grader/cli/", "grader/__main__.py")  # the CLI itself and `python -m grader`

MODULES = sorted(PACKAGE.rglob("*.py"))
SIZED = MODULES + sorted((ROOT / "reference").rglob("*.py"))  # the reference keeps the same rule


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def has_reason(source: str) -> bool:
    """A line of the module docstring starts with a reason marker."""
    doc = ast.get_docstring(ast.parse(source)) or ""
    return any(line.strip().startswith(REASON_MARKERS) for line in doc.splitlines())


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module an import statement of ``source`` (the code of ``module``) names, relative
    imports resolved; ``from a import b`` counts as ``a`` and ``a.b``."""
    found = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def _imports_cli(path: Path) -> list[str]:
    names = imported_modules(path.read_text(encoding="utf-8"), _module_of(path), path.name == "__init__.py")
    return sorted(n for n in names if n == CLI or n.startswith(CLI + "."))


def test_the_package_has_modules():
    assert len(MODULES) > 50 and (PACKAGE / "cli" / "commands.py") in MODULES


@pytest.mark.parametrize("path", SIZED, ids=_name)
def test_a_long_module_says_why_at_its_top(path):
    if _lines(path) > MAX_LINES:
        assert has_reason(path.read_text(encoding="utf-8")), (
            f"{_name(path)} has {_lines(path)} lines (more than {MAX_LINES}): split it into modules that each own "
            f"one thing, or start a line of its module docstring with {REASON_MARKERS[0]!r} and say why it is one")


@pytest.mark.parametrize("path", [p for p in MODULES if not _name(p).startswith(MAY_IMPORT_CLI)], ids=_name)
def test_only_the_cli_imports_the_cli(path):
    assert _imports_cli(path) == [], f"{_name(path)} imports {_imports_cli(path)}: only grader/cli may"


@pytest.mark.parametrize("source, expected", [
    ('"""Tables.\n\nLong because one table holds every message."""\n', True),
    ('"""Tables.\n\nLonger than the usual ~300 lines on purpose: one table."""\n', True),
    ('"""Tables, long because of one table."""\n', False),  # not at the start of a line
    ('# Long because of one table.\nx = 1\n', False),  # a comment is not the docstring
    ('x = 1\n"""Long because of one table."""\n', False),  # nor is a later string
])
def test_the_reason_marker_is_read_from_the_module_docstring(source, expected):
    assert has_reason(source) is expected


@pytest.mark.parametrize("source, module, is_package, expected", [
    ("from grader.cli.ci import Case", "grader.reports.ci_report", False, True),
    ("import grader.cli.commands", "grader.kernel.x", False, True),
    ("from grader import cli", "grader.grading.x", False, True),
    ("def f():\n    from ..cli import release", "grader.course.registry", False, True),  # relative, in a function
    ("from . import release", "grader.cli", True, True),  # grader/cli/__init__.py
    ("from grader.client import x\nimport grader.classroom", "grader.reports.x", False, False),  # prefix only
    ("from ..kernel import execute", "grader.grading.grade", False, False),
])
def test_an_import_of_the_cli_is_recognised(source, module, is_package, expected):
    names = imported_modules(source, module, is_package)
    assert any(n == CLI or n.startswith(CLI + ".") for n in names) is expected, names
