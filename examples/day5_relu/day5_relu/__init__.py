"""Exercise 5_1 (ReLU) of an example DAY5: everything the grader needs to know about it.

Registered in this package's ``pyproject.toml``::

    [project.entry-points."day4_grader.exercises"]
    "5_1" = "day5_relu:EXERCISE"
"""
from grader.course.registry import Exercise

EXERCISE = Exercise(
    id="5_1",
    title_ja="ReLU 関数と ReLU 層",
    title_en="The ReLU function and layer",
    notebook="5_1_relu.ipynb",  # the source notebook (solutions inside); released under the same name
    checks="day5_relu.checks",  # GRADED, build(rng), and optionally LIMITS, extra_checks(ctx)
    diagnosis="day5_relu.mistakes",  # MISTAKES: typical mistakes named in the hints
    reference="day5_relu.solution",  # the correct implementation the expected outputs come from
    course="DAY5",  # its LMS grade item is "DAY5 5_1"
)
