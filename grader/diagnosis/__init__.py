"""Naming the trainee's typical mistake.

When a check fails, the failing graded name is replaced, in this process, by each variant of
the exercise's catalogue (``grader.diagnosis.ex4_N``: the reference with one typical mistake)
and the check's probe steps are run again. When the trainee's outputs equal a variant's on
*every* step of the check (the grader's tolerance), and the variant differs from the
reference on at least one of them, the check's hint names the mistake and its details get
``{"diagnosis": "<id>"}``. Otherwise a generic finding may describe the wrong output
(:mod:`.generic`: ``generic.<kind>`` ids). Passed checks, missing names, code that raised and
names flagged for using the reference never get a diagnosis.
"""
from __future__ import annotations

from .diagnoser import CATALOGUES, all_mistakes, catalogue, diagnose, title

__all__ = ["diagnose", "catalogue", "all_mistakes", "title", "CATALOGUES"]
