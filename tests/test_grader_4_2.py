"""Exercise 4_2 graded end to end in real kernels: a correct loop solution, mutants named by
their defect (each fails exactly its expected checks), a missing name, the reference flagged."""
from __future__ import annotations

import numpy as np
import pytest

from grader.course.checks import ex4_2
from grader.grading.grade import PUBLIC_SEED, grade_notebook
from grader.grading.probe import expected_outputs
from points import full
from inprocess import grade_in_process
from nbfactory import by_id, failing, make_notebook

pytestmark = pytest.mark.slow

POOL = '''
import numpy as np

def max_pooling(x, pool_h, pool_w, stride=1, pad=0):
    single = x.ndim == 2
    if single:
        x = x[np.newaxis]
    C, H, W = x.shape
    OH = (H + 2*pad - pool_h) // stride + 1
    OW = (W + 2*pad - pool_w) // stride + 1
    xp = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    out = np.zeros((C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = xp[:, i*stride:i*stride+pool_h, j*stride:j*stride+pool_w]
            out[:, i, j] = np.max(window, axis=(1, 2))
    if single:
        return out[0]
    return out
'''
ALL = {"max_pooling.slide", "max_pooling.defaults", "max_pooling.stride_pad", "max_pooling.rect",
       "max_pooling.channels", "max_pooling.overlap", "max_pooling.padding_never_wins", "max_pooling.float32",
       "max_pooling.integer", "max_pooling.unmodified"}
WITH_STRIDE = {"max_pooling.slide", "max_pooling.stride_pad", "max_pooling.rect", "max_pooling.channels",
               "max_pooling.overlap", "max_pooling.float32", "max_pooling.integer"}

MUTANTS = {
    "pooling_pads_with_zero": (POOL.replace("constant_values=-np.inf", "constant_values=0"),
                               {"max_pooling.padding_never_wins"}),
    "pooling_ignores_stride": (POOL.replace("xp[:, i*stride:i*stride+pool_h, j*stride:j*stride+pool_w]",
                                            "xp[:, i:i+pool_h, j:j+pool_w]"), WITH_STRIDE),
    "pooling_mean_instead_of_max": (POOL.replace("np.max(window", "np.mean(window"), ALL - {"max_pooling.unmodified"}),
    "pooling_pads_int_array_with_inf": (POOL.replace("np.pad(x.astype(np.float64),", "np.pad(x,"),
                                        {"max_pooling.integer"}),
    "pooling_reshapes_input_in_place": (POOL.replace("x = x[np.newaxis]", "x.shape = (1,) + x.shape"),
                                        {"max_pooling.unmodified"}),
    # caught by the plans' fixed boundary cases, whatever the seed
    "pooling_takes_pad_before_stride": (POOL.replace("pool_w, stride=1, pad=0)", "pool_w, pad=0, stride=1)"),
                                        {"max_pooling.stride_pad"}),
    "pooling_square_window_assumed": (POOL.replace("j*stride+pool_w]", "j*stride+pool_h]")
                                      .replace("(W + 2*pad - pool_w)", "(W + 2*pad - pool_h)"), {"max_pooling.rect"}),
}


def test_slide_examples():
    plan, _ = ex4_2.build(np.random.default_rng(PUBLIC_SEED))
    got = expected_outputs(plan).arrays
    assert got["pool_slide6"].tolist() == [[4, 2, 3], [3, 5, 4], [2, 4, 6]]
    assert got["pool_slide4"].tolist() == [[2, 3], [4, 2]]


def test_correct_solution_scores_full_marks(tmp_path):
    nb = make_notebook(tmp_path / "4_2_maxpooling.ipynb", [POOL])
    result = grade_notebook(nb, lang="en")
    assert set(by_id(result)) == ALL
    assert failing(result) == set()
    assert result.score == result.max_score == full("4_2")
    assert result.errors == () and result.flags == ()


@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_mutant_fails_exactly_its_checks(defect):
    pool, expected_failures = MUTANTS[defect]
    # judged in-process (tests/inprocess.py): a kernel adds nothing to a mutant's verdict
    result = grade_in_process("4_2", [pool], PUBLIC_SEED, lang="en")
    assert failing(result) == expected_failures
    for check_id in expected_failures:
        check = by_id(result)[check_id]
        assert check.points == 0 and check.message and check.hint


def test_missing_name_is_missing_not_failed(tmp_path):
    nb = make_notebook(tmp_path / "4_2.ipynb", [POOL.replace("def max_pooling", "def maxpooling")])
    result = grade_notebook(nb, lang="ja")
    assert result.score == 0 and failing(result) == ALL
    assert all(c.status == "missing" and "max_pooling" in c.message for c in result.checks)


def test_reference_is_flagged(tmp_path):
    nb = make_notebook(tmp_path / "4_2.ipynb", ["from reference import max_pooling"])
    result = grade_notebook(nb, lang="en")
    # the grading kernel's reference has no max_pooling (issue 12): the import fails, the static scan names it
    assert [(f.kind, f.name) for f in result.flags] == [("suspicious-code", "reference.max_pooling")]
    assert result.score == 0
