"""Deliberately wrong trainee implementations ("mutants"), one or more per catalogue entry of
:mod:`grader.course.diagnosis`, named by their defect. They are written the way trainees write (loops,
their own helpers) and independently of the catalogue's variants, which derive from the
reference; a mutant is the source of the notebook cells a trainee would hand in.

``expected`` is the catalogue id the mutant must be diagnosed with, ``generic.<kind>`` for a
mutant that only a generic finding can explain, or ``None`` for an unrelated wrong answer
that must get no catalogue diagnosis."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module

__all__ = ["Mutant", "MUTANTS", "BASES", "namespace", "cells"]

PRELUDE = "import numpy as np\n"


@dataclass(frozen=True)
class Mutant:
    exercise: str
    expected: str | None
    sources: tuple[str, ...]


def _collect():
    mutants, bases = {}, {}
    for exercise in ("4_1", "4_2", "4_3", "4_4", "4_5", "4_6", "4_7", "4_8", "4_9", "4_10"):
        module = import_module(f"mutants.ex{exercise}")
        bases[exercise] = tuple(module.BASE.values())
        for defect, (expected, overrides) in module.MUTANTS.items():
            unknown = set(overrides) - set(module.BASE)
            assert not unknown, f"{defect}: {unknown} not in BASE"
            mutants[defect] = Mutant(exercise, expected, tuple({**module.BASE, **overrides}.values()))
    return mutants, bases


MUTANTS, BASES = _collect()


def cells(sources) -> list[str]:
    """The code cells of a notebook made of ``sources``."""
    return [PRELUDE, *sources]


@lru_cache(maxsize=None)
def _compiled(source: str, name: str):
    """The code object of one cell (immutable: compiled once, run in as many fresh namespaces as asked)."""
    return compile(source, name, "exec")


def namespace(sources) -> dict:
    """The globals of a notebook made of ``sources`` (run in order, as cells, in a fresh namespace)."""
    ns: dict = {"__name__": "__main__"}
    exec(_compiled(PRELUDE, "<prelude>"), ns)
    for i, source in enumerate(sources):
        exec(_compiled(source, f"<cell {i}>"), ns)
    return ns
