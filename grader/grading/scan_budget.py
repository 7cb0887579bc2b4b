"""What one notebook's static scan may cost (:mod:`grader.grading.integrity`): characters and
wall time (:class:`Budget`, which raises :class:`OutOfBudget` when they run out), and the deeper
recursion an AST walk of deeply nested, still compilable code needs (:func:`deep_recursion`)."""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager

__all__ = ["Budget", "OutOfBudget", "deep_recursion"]


class OutOfBudget(Exception):
    pass


class Budget:
    """Characters and wall time left for one notebook's scan."""

    def __init__(self, chars: int, seconds: float):
        self.chars, self.stop_at, self.truncated = chars, time.monotonic() + seconds, False

    def take(self, source: str) -> str:
        """The part of ``source`` within the budget (cut at a line end); raises when none is left."""
        self.tick()
        if self.chars <= 0:
            raise OutOfBudget
        if len(source) > self.chars:  # the rest of the notebook is not scanned
            source, self.truncated, self.chars = source[: max(0, source.rfind("\n", 0, self.chars))], True, 0
        else:
            self.chars -= max(1, len(source))
        return source

    def tick(self) -> None:
        if time.monotonic() > self.stop_at:
            self.truncated = True
            raise OutOfBudget


@contextmanager
def deep_recursion(limit: int = 12_000):
    """AST walks of deeply nested (still compilable) code; Python-to-Python calls use no C stack."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)
