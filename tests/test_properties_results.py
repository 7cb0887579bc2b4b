"""Properties of the results' JSON round trip (grader/grading/results.py, the contract's JSON):
*any* GradingResult, whatever its texts (every code point, lone surrogates included), points,
JSON-compatible details (infinities included: a comparison can report them), message keys,
hints, flags, cell errors (capped or not) and notes, comes back from ``to_json`` equal, with
the fields that equality ignores (message keys and fields) too, and writes the same JSON again.

The hand-built results of tests/test_report.py (``_result()``, ``PASSED_ONLY``, ``EMPTY``,
whose round trip ``test_json_is_one_object_and_round_trips`` asserts among other things, so
it stays) are ``@example``\\ s here.
"""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from grader.grading.results import ERRORS_DROPPED, MAX_ERRORS, CellError, CheckResult, Flag, GradingResult, Note, Status
from strategies import FEW
from test_report import EMPTY, PASSED_ONLY, _result

TEXT = st.text(st.characters(codec=None), max_size=12)
KEYS = st.text(st.characters(codec=None), max_size=6)
JSON_SCALARS = (st.none() | st.booleans() | st.integers(-2**63, 2**63) | TEXT
                | st.floats(allow_nan=False))  # NaN is never equal to itself: not a value to compare
JSON = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                    max_leaves=6)
FIELDS = st.dictionaries(KEYS, JSON_SCALARS, max_size=3)
MESSAGE_KEYS = st.none() | st.sampled_from(["err_cell", "note_lower_precision", "msg_missing"]) | TEXT


@st.composite
def checks(draw):
    max_points = draw(st.floats(0, 100))
    return CheckResult(
        id=draw(TEXT), passed=draw(st.booleans()), points=max_points * draw(st.floats(0, 1)), max_points=max_points,
        message=draw(TEXT), hint=draw(st.none() | TEXT), status=draw(st.sampled_from(Status.ALL)),
        details=draw(st.dictionaries(KEYS, JSON, max_size=3)), message_key=draw(MESSAGE_KEYS),
        message_fields=draw(FIELDS), hints=draw(st.none() | st.dictionaries(st.sampled_from(["ja", "en"]), TEXT)))


CELLS = st.none() | st.integers(0, 10**6)
ERRORS = st.builds(CellError, CELLS, st.sampled_from(["error", "timeout", "kernel-died", "deadline", "output-limit",
                                                      ERRORS_DROPPED]) | TEXT, TEXT, MESSAGE_KEYS, FIELDS)
FLAGS = st.builds(Flag, TEXT, TEXT, TEXT, MESSAGE_KEYS, FIELDS)
NOTES = st.builds(Note, TEXT, CELLS, TEXT, MESSAGE_KEYS, FIELDS)

RESULTS = st.builds(
    GradingResult, exercise=TEXT, notebook=TEXT, checks=st.lists(checks(), max_size=3).map(tuple),
    flags=st.lists(FLAGS, max_size=2).map(tuple),
    errors=st.tuples(st.lists(ERRORS, max_size=3), st.sampled_from([0, 0, MAX_ERRORS - 2, MAX_ERRORS + 2])).map(
        lambda drawn_many: (*drawn_many[0], *(CellError(i, "error", f"e{i}") for i in range(drawn_many[1])))),
    seed=st.integers(0, 2**64), grader_version=TEXT, timings=st.dictionaries(KEYS, st.floats(0, 1e6), max_size=3),
    protections=st.dictionaries(KEYS, st.booleans(), max_size=3), notes=st.lists(NOTES, max_size=2).map(tuple))


@FEW
@given(result=RESULTS)
@example(result=_result())
@example(result=PASSED_ONLY)
@example(result=EMPTY)
def test_any_result_survives_its_json_round_trip(result):
    text = result.to_json()
    again = GradingResult.from_json(text)
    assert again == result
    assert again.to_dict() == result.to_dict()  # message keys and fields too (not compared by ==)
    assert again.to_json() == text
    assert (again.score, again.max_score) == (result.score, result.max_score)
    assert sum(e.kind != ERRORS_DROPPED for e in again.errors) <= MAX_ERRORS
