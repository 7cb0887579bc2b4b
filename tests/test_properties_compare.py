"""Properties of the one numerical policy (grader/grading/compare.py) for *any* expected array:
an array compared with itself passes (NaN and infinities where they are expected included), a
correct result returned in float32 for float64 passes with the ``lower_precision`` note (the
policy's promise that working precision never costs a point), every element off by less than
the tolerance passes, and elements off by more fail, each of them found and marked in the
excerpt. Another shape always fails as a shape. No kernel, no check module: the functions
themselves. (tests/test_numerical_policy.py keeps its hand-picked cases; these add the rest.)
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from grader.grading import compare
from grader.grading.results import CheckResult, GradingResult, Status
from strategies import SOME, seeds

TOL = compare.POLICY.scale_tol
SHAPES = array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5)
FINITE = arrays(np.float64, SHAPES, elements=st.floats(-1e30, 1e30))  # float32 holds every value's magnitude
ANY = arrays(np.float64, SHAPES, elements=st.floats())  # NaN and infinities too
# Expected values in (0, 1e-200) too: a wrong element's relative error |r - e| / |e| overflows
# there, and is reported as float64's largest value (see the tests at the end).
NOT_TINY = arrays(np.float64, SHAPES, elements=st.floats(-1e30, 1e30))


@SOME
@given(x=ANY)
@example(x=np.array([1.0, 2.0, -np.inf]))
@example(x=np.array([1.0, np.nan]))
@example(x=np.zeros((2, 3)))
def test_an_array_compared_with_itself_passes(x):
    cmp = compare.compare_arrays(x.copy(), x)
    assert cmp.ok and "note" not in cmp.fields
    assert compare.scaled_error(x.copy(), x) == 0.0 and not compare.clearly_differ(x.copy(), x)


@SOME
@given(x=FINITE)
@example(x=np.array([1e-30, -3e-45, 1e30, 0.0]))  # float32 subnormal and near its limit
def test_a_correct_result_in_float32_passes_with_a_note(x):
    cmp = compare.compare_arrays(x.astype(np.float32), x)
    assert cmp.ok and cmp.fields["note"] == "lower_precision", cmp.fields


@SOME
@given(expected=NOT_TINY, seed=seeds)
@example(expected=np.zeros((2, 3)), seed=0)  # all zero: the floor is the scale
def test_errors_within_the_tolerance_pass_and_beyond_it_fail_each_marked(expected, seed):
    """Every element moved by up to 0.99 tolerance passes; then some elements moved by
    1.01 to 100 tolerances fail: exactly those are counted, the first is the reported index,
    and the excerpt's marks are exactly the wrong elements of its window."""
    scale = compare.scale_of(expected)
    rng = np.random.default_rng(seed)
    received = expected + rng.uniform(-0.99, 0.99, expected.shape) * TOL * scale
    assert compare.compare_arrays(received, expected).ok
    wrong = rng.random(expected.shape) < 0.2
    wrong.flat[rng.integers(expected.size)] = True
    step = rng.uniform(1.01, 100, expected.shape) * rng.choice([-1, 1], expected.shape) * TOL * scale
    received = np.where(wrong, expected + step, received)
    assume(np.all(np.abs(received[wrong] - expected[wrong]) > TOL * scale))  # not lost to rounding
    cmp = compare.compare_arrays(received, expected)
    assert cmp.reason == "values" and cmp.fields["n_wrong"] == int(wrong.sum())
    assert cmp.fields["index"] == tuple(int(i) for i in np.argwhere(wrong)[0])
    window = cmp.fields["window"]
    (r0, r1), (c0, c1) = window["rows"], window["cols"]
    lead = tuple(window["lead"])
    marks = wrong[lead][r0:r1, c0:c1] if expected.ndim >= 2 else wrong[None, :][:, c0:c1]
    assert np.array_equal(np.array(cmp.fields["diff_mask"], dtype=bool), marks)


@SOME
@given(x=ANY, other=SHAPES)
@example(x=np.zeros((2, 3)), other=(3, 2))
@example(x=np.zeros(3), other=(1, 3))  # broadcastable, still another shape
def test_another_shape_fails_as_a_shape(x, other):
    assume(other != x.shape)
    assert compare.compare_arrays(np.zeros(other), x).reason == "shape"
    assert compare.scaled_error(np.zeros(other), x) == np.inf


# --- found by these properties (h19), fixed in grader/grading/compare.py ------------------------

def test_a_huge_wrong_value_is_judged_without_a_warning():
    """Found as ``expected=[2.2e-309, 44.0]`` (a subnormal expected value); a trainee reaches it
    with any finite huge output: 1.7e308 where 0.5 is expected. The relative error overflows:
    it is reported as float64's largest value (warnings are errors here)."""
    cmp = compare.compare_arrays(np.array([1.7e308]), np.array([0.5]))
    assert cmp.reason == "values" and cmp.fields["max_abs"] == 1.7e308
    assert cmp.fields["max_rel"] == cmp.fields["scaled_error"] == np.finfo(np.float64).max
    tiny = compare.compare_arrays(np.array([2.2e-309, 44.0]), np.array([2.2e-309, 0.0]))
    assert tiny.reason == "values" and np.isfinite(tiny.fields["max_rel"])


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=6), elements=st.floats(-1e3, 1e3)), seeds)
def test_a_failed_comparison_never_reports_a_relative_error_of_zero(expected, seed):
    """Found by the s5 audit (a shift that wraps round, where the fill 0 is expected): an error
    only where 0 is expected was reported as "max rel error 0". Such an error is measured against
    the scale, as the policy measures it, so a failed comparison's relative error is positive."""
    received = expected.copy()
    index = tuple(np.random.default_rng(seed).integers(0, expected.shape))
    expected[index], received[index] = 0.0, 1.0 + abs(float(expected.max(initial=0.0)))
    cmp = compare.compare_arrays(received, expected)
    assert cmp.reason == "values" and cmp.fields["max_rel"] > 0, cmp.fields


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON (RFC 8259)")


@pytest.mark.parametrize("received, expected", [
    ([np.inf, 1.0], [-np.inf, 1.0]),  # +inf where -inf is expected (im2col's constant_values=-inf)
    ([0.0, 1.0], [-np.inf, 1.0]),  # a number where -inf is (a max pooling pad)
    ([1.7e308, 1.0], [-1.7e308, 1.0]),  # a difference beyond float64's range
])
def test_a_failed_comparison_writes_strict_json(received, expected):
    """Before the fix, +inf where -inf is expected gave ``max_abs`` inf and ``max_rel`` NaN
    (inf / inf), and ``to_json`` (``grader check --json``, "exactly one JSON object") wrote the
    tokens ``Infinity`` and ``NaN``, which a strict JSON reader (JavaScript's ``JSON.parse``,
    jq) rejects. Now such a mismatch has no error size: ``values_nonfinite`` says where and what."""
    cmp = compare.compare_arrays(np.array(received), np.array(expected))
    assert cmp.reason == "values_nonfinite" and cmp.fields["index"] == (0,) and cmp.fields["n_wrong"] == 1
    assert cmp.fields["exp_value"] == f"{expected[0]:.6g}" and cmp.fields["got_value"] == f"{received[0]:.6g}"
    details = json.loads(json.dumps(cmp.fields))  # as checks.base.make_result stores them (tuples -> lists)
    result = GradingResult("4_4", "nb.ipynb", (CheckResult("im2col.values", False, 0, 1, "wrong",
                                                           status=Status.FAILED, details=details),))
    assert GradingResult.from_json(result.to_json()) == result  # Python reads it back
    json.loads(result.to_json(), parse_constant=_not_json)
