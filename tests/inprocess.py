"""Grading trainee-style source in this process, without a kernel: the source is ``exec``-ed
into a fresh namespace (as the notebook's cells would be), the exercise's plan (its
``build(rng)``) runs against it with the probe's own ``_day4_run_plan``, the reference's
outputs come from ``probe.expected_outputs``, and the specs, extra checks and the diagnoser
run as in :func:`grader.grading.grade.grade_parsed` (through :func:`grader.grading.selfcheck.run_selfcheck`,
the same steps). For tests that judge check logic on many styles and mutants quickly.

``run_in_process(exercise, source, seed, lang="ja") -> list[CheckResult]``."""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from grader.grading.results import CheckResult, GradingResult
from grader.grading.selfcheck import run_selfcheck

__all__ = ["namespace_of", "grade_in_process", "run_in_process", "failed_ids"]


def namespace_of(source: str | Sequence[str]) -> dict:
    """The globals of a notebook whose code cells are ``source`` (one string or a list of cells)."""
    cells = [source] if isinstance(source, str) else list(source)
    ns: dict = {"__name__": "__main__"}
    for i, cell in enumerate(cells):
        exec(compile(cell, f"<cell {i}>", "exec"), ns)
    return ns


def grade_in_process(exercise: str, source: str | Sequence[str] | dict, seed: int, lang: str = "ja") -> GradingResult:
    """The :class:`GradingResult` of ``source`` (or of a ready namespace ``dict``) on ``exercise``."""
    ns = source if isinstance(source, dict) else namespace_of(source)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # a wrong trainee function may warn; that is its answer
        return run_selfcheck(exercise, ns, lang=lang, seed=seed)[0]


def run_in_process(exercise: str, source: str | Sequence[str] | dict, seed: int, lang: str = "ja") -> list[CheckResult]:
    """The check results of ``source`` on ``exercise`` under ``seed`` (diagnoses included)."""
    return list(grade_in_process(exercise, source, seed, lang).checks)


def failed_ids(results) -> set[str]:
    return {c.id for c in results if not c.passed}
