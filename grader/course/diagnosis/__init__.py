"""Naming the trainee's typical mistake.

When a check fails, the failing graded name is replaced, in this process, by each variant of
the exercise's catalogue (``grader.course.diagnosis.ex4_N``: the reference with one typical mistake)
and the check's probe steps are run again. When the trainee's outputs equal a variant's on
*every* step of the check (the grader's tolerance), and on at least one of them the trainee's
output matches the mistake clearly better than the reference (:func:`grader.grading.compare.clearly_nearer`:
it fails, and is ``POLICY.margin`` tolerances away from the reference or ``margin`` times nearer
the variant; never within rounding of both), the check's hint names the mistake and its details get
``{"diagnosis": "<id>"}``. Otherwise a generic finding may describe the wrong output
(:mod:`.generic`: ``generic.<kind>`` ids), under the same margin. Passed checks, missing
names, code that raised and names flagged for using the reference never get a diagnosis.
"""
from __future__ import annotations

from grader.course.diagnosis.diagnoser import all_mistakes, catalogue, diagnose, title


def __getattr__(name: str):
    if name == "CATALOGUES":  # derived from grader.course.registry when asked, never a list of its own
        from grader.course.diagnosis import diagnoser

        return diagnoser.CATALOGUES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["diagnose", "catalogue", "all_mistakes", "title", "CATALOGUES"]
