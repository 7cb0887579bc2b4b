"""Points come from the registry, never from a number written into a test: ``full("4_4")`` is
the exercise's maximum (the sum of its checks' points, :attr:`Exercise.max_points`), so a
change of points is made in the exercise's checks module alone. The maxima themselves are
pinned once, in ``tests/test_registry.py::test_max_points_are_what_the_checks_give``."""
from grader.course import registry


def full(exercise: str) -> float:
    return registry.get(exercise).max_points
