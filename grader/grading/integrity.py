"""Static integrity scan of a notebook's code cells, in the grader process: the source is
parsed (IPython syntax turned into Python first, in one linear pass), never run. Findings are
flags for the instructor (kind ``suspicious-code``), shown in every report; they cost no
points by themselves (what the scores rest on is that the kernel cannot reach the reference's
graded names). What is looked for:

- ``reference``: the reference implementation of a name this exercise grades (imported,
  used, subclassed, reached by ``getattr``/``vars``/``__dict__``/``sys.modules``), a
  wildcard import from ``reference``, or the grader's internals;
- ``dynamic``: ``exec``/``eval``/``compile``/``__import__``, ``importlib``, ``runpy``, and the
  ``%run``/``%load``/``%%writefile`` magics (code the scan cannot see);
- ``tracing``: ``sys.setprofile``/``settrace`` (and ``threading``'s);
- ``ipython``: IPython input transformers, AST transformers, event hooks, magic registration;
- ``patch``: assignments to (or ``setattr``/``del`` on) attributes of ``numpy``, ``sys``,
  ``json``, ``threading``, ``builtins``, ``reference`` or ``grader``;
- ``budget``/``unscannable``: the scan stopped at its budget, or a cell was nested too deeply
  to be analysed (code a human should look at).

The bodies of cell magics (``%%capture``, ``%%time`` ...) and the statements of ``%time`` /
``%timeit`` / ``%prun`` are scanned as code. The scan is bounded: at most ``SCAN_CHARS``
characters and ``seconds`` of wall time per notebook (:func:`grader.grading.grade.grade_parsed`
counts its time in the notebook's deadline). IPython syntax is turned into Python by
:mod:`grader.grading.ipython_syntax`. The rules are the AST visitor of
:mod:`grader.grading.integrity_rules`, the bounds :mod:`grader.grading.scan_budget`; this module
turns findings into the report's flags.
"""
from __future__ import annotations

import dataclasses

from grader.reports.messages import text
from grader.grading.integrity_rules import Finding, Scanner
from grader.grading.results import Flag
from grader.grading.scan_budget import Budget, OutOfBudget

__all__ = ["scan_notebook", "scan_sources", "drop_confirmed", "after_scan", "Finding", "KIND", "MAX_FLAGS",
           "SCAN_CHARS", "SCAN_SECONDS"]

KIND = "suspicious-code"
MAX_FLAGS = 12
SCAN_CHARS = 1024 * 1024  # characters scanned per notebook (course notebooks hold well under 100 KB of code)
SCAN_SECONDS = 10.0  # wall time per notebook at most
MAX_SOURCE = SCAN_CHARS  # the former name


def scan_sources(sources, graded=(), *, chars: int = SCAN_CHARS, seconds: float = SCAN_SECONDS) -> list[Finding]:
    """Findings in the code cells ``sources`` (a list of ``(cell_index, source)``), in order,
    one per ``(rule, what)``. When the budget (``chars`` characters, ``seconds`` of wall time)
    runs out, the scan stops and says so: a ``budget`` finding ``scan-truncated``."""
    budget = Budget(chars, seconds)
    scanner = Scanner(graded, budget)
    try:
        for index, source in sources:
            scanner.cell, scanner.offset = index, 0
            scanner.scan(source)
    except OutOfBudget:
        pass
    if budget.truncated:
        scanner.offset = 0
        scanner.add("budget", "scan-truncated", line=0)
    seen, unique = set(), []
    for finding in scanner.found:
        if (finding.rule, finding.what) not in seen:
            seen.add((finding.rule, finding.what))
            unique.append(finding)
    return unique


def scan_notebook(nb, graded, lang: str, seconds: float = SCAN_SECONDS) -> tuple[Flag, ...]:
    """The findings of the notebook's code cells as flags for the report (the budget's flag
    always kept: it says the rest was not looked at)."""
    sources = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code" and isinstance(c.source, str)]
    findings = scan_sources(sources, graded, seconds=seconds)
    shown = [f for f in findings if f.rule == "budget"] + [f for f in findings if f.rule != "budget"]
    flags = [Flag(KIND, f.what, text(f"integrity_{f.rule}", lang, cell=f.cell, line=f.line, what=f.what))
             for f in shown[:MAX_FLAGS]]
    if len(shown) > MAX_FLAGS:
        flags.append(Flag(KIND, "...", text("integrity_more", lang, count=len(shown) - MAX_FLAGS)))
    return tuple(flags)


def after_scan(limits, seconds: float):
    """``limits`` with the scan's time taken from the notebook's deadline (a scan under half a
    second is left out, so that a prewarmed kernel's limits still match)."""
    if seconds < 0.5:
        return limits
    return dataclasses.replace(limits, deadline=max(1.0, limits.deadline - seconds))


def drop_confirmed(flags, confirmed) -> tuple[Flag, ...]:
    """``flags`` without the static findings of the reference's version of a graded name that
    the probe already flagged (``uses-reference``) while running it: one finding, not two."""
    return tuple(f for f in flags if not (f.name.startswith("reference") and f.name.split(".")[-1] in confirmed))
