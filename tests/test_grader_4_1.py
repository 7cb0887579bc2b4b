"""Exercise 4_1 graded end to end in real kernels: a correct loop solution, mutants named by
their defect (each fails exactly its expected checks), a missing name, the reference flagged."""
from __future__ import annotations

import numpy as np
import pytest

from grader.grading import kernel_probe
from grader.course.checks import ex4_1
from grader.course.checks.base import Context
from grader.grading.grade import PUBLIC_SEED, grade_notebook
from grader.grading.probe import ProbeOutputs, expected_outputs
from points import full
from inprocess import grade_in_process
from nbfactory import by_id, failing, make_notebook

pytestmark = pytest.mark.slow

SIZE = '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size + 2*pad - filter_size) // stride + 1
'''
CONV = '''
import numpy as np

def convolution(x, w, b=0.0, stride=1, pad=0):
    if x.ndim == 2:
        x = x[np.newaxis]
        w = w[np.newaxis]
    C, H, W = x.shape
    _, FH, FW = w.shape
    OH = (H + 2*pad - FH) // stride + 1
    OW = (W + 2*pad - FW) // stride + 1
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[i, j] = np.sum(xp[:, i*stride:i*stride+FH, j*stride:j*stride+FW] * w) + b
    return out
'''
SIZE_CHECKS = {"conv_output_size.slide", "conv_output_size.stride_pad", "conv_output_size.rect",
               "conv_output_size.int_type"}
CONV_CHECKS = {"convolution.slide", "convolution.bias", "convolution.pad", "convolution.stride_pad",
               "convolution.channels", "convolution.float32", "convolution.integer", "convolution.unmodified"}
ALL = SIZE_CHECKS | CONV_CHECKS

MUTANTS = {
    "convolution_flips_filter": (SIZE, CONV.replace("    C, H, W = x.shape", "    w = w[:, ::-1, ::-1]\n    C, H, W = x.shape"),
                                 CONV_CHECKS - {"convolution.unmodified"}),
    "bias_forgotten": (SIZE, CONV.replace(" * w) + b", " * w)"), {"convolution.bias"}),
    "output_size_float": (SIZE.replace(") // stride", ") / stride"), CONV,
                          {"conv_output_size.stride_pad", "conv_output_size.int_type"}),
    "padding_ignored": (SIZE, CONV.replace(" + 2*pad - F", " - F").replace("np.pad(x, ((0, 0), (pad, pad), (pad, pad)))", "x"),
                        {"convolution.pad", "convolution.stride_pad", "convolution.channels", "convolution.float32",
                         "convolution.integer"}),
    "channels_not_summed": (SIZE, CONV.replace("out = np.zeros((OH, OW))", "out = np.zeros((C, OH, OW))")
                            .replace("out[i, j] = np.sum(", "out[:, i, j] = np.sum(")
                            .replace(" * w) + b", " * w, axis=(1, 2)) + b")
                            .replace("    return out", "    return out[0] if C == 1 else out"),
                            {"convolution.bias", "convolution.channels"}),
    "convolution_reshapes_input_in_place": (SIZE, CONV.replace("x = x[np.newaxis]", "x.shape = (1,) + x.shape"),
                                            {"convolution.unmodified"}),
    # caught by the plans' fixed boundary cases, whatever the seed
    "stride_must_divide": (SIZE, CONV.replace("    OH = (H + 2*pad - FH) // stride + 1\n",
                                              "    assert (H + 2*pad - FH) % stride == 0, 'stride does not fit'\n"
                                              "    OH = (H + 2*pad - FH) // stride + 1\n"),
                           {"convolution.integer", "convolution.stride_pad", "convolution.unmodified"}),
    "convolution_takes_pad_before_stride": (SIZE, CONV.replace("def convolution(x, w, b=0.0, stride=1, pad=0):",
                                                               "def convolution(x, w, b=0.0, pad=0, stride=1):"),
                                            {"convolution.stride_pad"}),
    "output_size_takes_stride_before_pad": (SIZE.replace("pad=0, stride=1", "stride=1, pad=0"), CONV,
                                            {"conv_output_size.stride_pad"}),
}


def test_slide_examples_match_the_contract():
    plan, _ = ex4_1.build(np.random.default_rng(PUBLIC_SEED))
    got = expected_outputs(plan).arrays
    assert [int(got[k]) for k in ("size_slide", "size_slide_pad", "size_slide_stride")] == [2, 4, 3]
    assert got["conv_slide"].tolist() == [[15, 16], [6, 15]]
    assert got["conv_slide_bias"].tolist() == [[18, 19], [9, 18]]
    assert got["conv_slide_pad"].tolist() == [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]]


def _size_raises_when_filter_too_big(input_size, filter_size, pad=0, stride=1):
    if filter_size > input_size:
        raise ValueError("filter too big")
    return (input_size + 2*pad - filter_size) // stride + 1


@pytest.mark.parametrize("returned, status", [
    (lambda i, f, pad=0, stride=1: np.int64((i + 2*pad - f) // stride + 1), "passed"),
    (lambda i, f, pad=0, stride=1: np.floor((i + 2*pad - f) / stride) + 1, "failed"),
    (lambda i, f, pad=0, stride=1: [(i + 2*pad - f) // stride + 1], "failed"),
    (lambda i, f, pad=0, stride=1: 1 / 0, "error"),
    (_size_raises_when_filter_too_big, "passed"),
], ids=["numpy_int", "numpy_floor", "list", "always_raises", "raises_once"])
def test_int_type_check(returned, status):
    """The extra check alone, in this process: NumPy integers are ints, a call that raised
    costs only its value check unless every call raised."""
    plan, _ = ex4_1.build(np.random.default_rng(PUBLIC_SEED))
    arrays, got = kernel_probe._day4_run_plan(dict(plan.as_json(), reference_dir=None), plan.arrays,
                                              {"conv_output_size": returned})
    ctx = Context(plan, ProbeOutputs(arrays, got), expected_outputs(plan), "en")
    [check] = ex4_1.extra_checks(ctx)
    assert check.id == "conv_output_size.int_type" and check.status == status


def test_correct_solution_scores_full_marks(tmp_path):
    nb = make_notebook(tmp_path / "4_1_convolution.ipynb", [SIZE, CONV])
    result = grade_notebook(nb, lang="en")
    assert set(by_id(result)) == ALL
    assert failing(result) == set()
    assert result.score == result.max_score == full("4_1")
    assert result.errors == () and result.flags == ()


@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_mutant_fails_exactly_its_checks(defect):
    size, conv, expected_failures = MUTANTS[defect]
    # judged in-process (tests/inprocess.py): a kernel adds nothing to a mutant's verdict
    result = grade_in_process("4_1", [size, conv], PUBLIC_SEED, lang="en")
    assert failing(result) == expected_failures
    for check_id in expected_failures:
        check = by_id(result)[check_id]
        assert check.points == 0 and check.message and check.hint


def test_float_size_message_names_the_call_and_the_type(tmp_path):
    nb = make_notebook(tmp_path / "4_1.ipynb", [SIZE.replace(") // stride", ") / stride"), CONV])
    check = by_id(grade_notebook(nb, lang="ja"))["conv_output_size.int_type"]
    assert check.status == "failed" and "conv_output_size(4, 3)" in check.message
    assert "float" in check.message and "2.0" in check.message
    assert "//" in check.hint


def test_missing_name_is_missing_not_failed(tmp_path):
    nb = make_notebook(tmp_path / "4_1.ipynb", [CONV])
    result = grade_notebook(nb, lang="en")
    assert failing(result) == SIZE_CHECKS
    assert all(by_id(result)[c].status == "missing" and "conv_output_size" in by_id(result)[c].message
               for c in SIZE_CHECKS)


def test_reference_is_flagged_for_both_names(tmp_path):
    wrapper = "import reference\ndef convolution(*a, **k):\n    return reference.convolution(*a, **k)"
    nb = make_notebook(tmp_path / "4_1.ipynb", ["from reference import conv_output_size", wrapper])
    result = grade_notebook(nb, lang="en")
    # the grading kernel's reference has neither name (issue 12): the import and the call fail; the scan names them
    assert sorted(f.name for f in result.flags) == ["reference.conv_output_size", "reference.convolution"]
    assert result.score == 0 and failing(result) == ALL
