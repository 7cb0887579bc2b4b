"""The registry of exercises: one module of checks per exercise, one line each here."""
from __future__ import annotations

from importlib import import_module

__all__ = ["REGISTRY", "load"]

REGISTRY = {
    "4_1": "grader.checks.ex4_1",
    "4_2": "grader.checks.ex4_2",
    "4_3": "grader.checks.ex4_3",
    "4_4": "grader.checks.ex4_4",
    "4_5": "grader.checks.ex4_5",
    "4_6": "grader.checks.ex4_6",
    "4_7": "grader.checks.ex4_7",
}


def load(exercise: str):
    """The checks module of ``exercise`` (``EXERCISE``, ``GRADED``, ``build(rng)``, and
    optionally ``LIMITS`` and ``extra_checks(ctx, ...)``)."""
    return import_module(REGISTRY[exercise])
