"""Exercises are listed in the course's order everywhere (4_2 before 4_10), never as strings.
``order_key`` for any ids: tests/test_properties_ordering.py."""
from __future__ import annotations

from grader.course.registry import ids
from grader.classroom.standing import compute


def test_the_registry_lists_4_10_after_4_9():
    registered = list(ids("day4-grader"))
    assert registered.index("4_9") < registered.index("4_10")


def test_the_class_standing_orders_exercises_by_number():
    rows = [{"trainee": "a", "exercise": e, "max_score": 10.0, "score": 5.0, "final_score": 5.0, "penalty": 0.0,
             "checks_json": "[]", "flags_json": "[]", "errors_json": "[]", "sha256": "x", "submitted_at": None}
            for e in ("4_10", "4_2", "4_1")]
    assert compute(rows).exercises == ("4_1", "4_2", "4_10")
