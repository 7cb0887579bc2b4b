"""Exercise 4_3 graded end to end in real kernels: a correct solution, mutants named by their
defect (each fails exactly the checks of the broken name), a missing name."""
from __future__ import annotations

import pytest

from grader.grading.grade import PUBLIC_SEED, grade_notebook
from points import full
from inprocess import grade_in_process
from nbfactory import by_id, failing, make_notebook

pytestmark = pytest.mark.slow

PAD = '''
import numpy as np

def pad_hw(x, pad, constant_values=0):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant', constant_values=constant_values)
'''
FILTERS = '''
def filters_to_matrix(W):
    FN = W.shape[0]
    return W.reshape(FN, -1).T
'''
TO_NCHW = '''
def matrix_to_nchw(out, N, OH, OW):
    FN = out.shape[1]
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
'''
TO_MATRIX = '''
def nchw_to_matrix(dout):
    FN = dout.shape[1]
    return dout.transpose(0, 2, 3, 1).reshape(-1, FN)
'''
CORRECT = [PAD, FILTERS, TO_NCHW, TO_MATRIX]
CHECKS = {
    "pad_hw": {"pad_hw.values", "pad_hw.constant_values", "pad_hw.dtypes", "pad_hw.unmodified"},
    "filters_to_matrix": {"filters_to_matrix.values", "filters_to_matrix.dtypes", "filters_to_matrix.unmodified"},
    "matrix_to_nchw": {"matrix_to_nchw.values", "matrix_to_nchw.dtypes", "matrix_to_nchw.unmodified"},
    "nchw_to_matrix": {"nchw_to_matrix.values", "nchw_to_matrix.dtypes", "nchw_to_matrix.unmodified"},
}
ALL = set().union(*CHECKS.values())


def _with(index, source):
    cells = list(CORRECT)
    cells[index] = source
    return cells


MUTANTS = {
    "pad_hw_pads_all_axes": (*_with(0, PAD.replace("((0, 0), (0, 0), (pad, pad), (pad, pad))", "pad")),
                             CHECKS["pad_hw"] - {"pad_hw.unmodified"}),
    "filters_to_matrix_transposed": (*_with(1, FILTERS.replace("W.reshape(FN, -1).T", "W.reshape(-1, FN)")),
                                     {"filters_to_matrix.values", "filters_to_matrix.dtypes"}),
    "filters_to_matrix_reshapes_in_place": (*_with(1, FILTERS.replace("return W.reshape(FN, -1).T",
                                                                      "W.shape = (FN, -1)\n    return W.T")),
                                            {"filters_to_matrix.unmodified"}),
    "matrix_to_nchw_wrong_axes": (*_with(2, TO_NCHW.replace("transpose(0, 3, 1, 2)", "transpose(0, 3, 2, 1)")),
                                  {"matrix_to_nchw.values", "matrix_to_nchw.dtypes"}),
    "nchw_to_matrix_no_transpose": (*_with(3, TO_MATRIX.replace("dout.transpose(0, 2, 3, 1).reshape", "dout.reshape")),
                                    {"nchw_to_matrix.values", "nchw_to_matrix.dtypes"}),
}


def test_correct_solution_scores_full_marks(tmp_path):
    nb = make_notebook(tmp_path / "4_3_padding_reshape_transpose.ipynb", CORRECT)
    result = grade_notebook(nb, lang="en")
    assert set(by_id(result)) == ALL
    assert failing(result) == set()
    assert result.score == result.max_score == full("4_3")
    assert result.errors == () and result.flags == ()


@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_mutant_fails_exactly_its_checks(defect):
    *cells, expected_failures = MUTANTS[defect]
    # judged in-process (tests/inprocess.py): a kernel adds nothing to a mutant's verdict
    result = grade_in_process("4_3", cells, PUBLIC_SEED, lang="en")
    assert failing(result) == expected_failures
    for check_id in expected_failures:
        check = by_id(result)[check_id]
        assert check.points == 0 and check.message and check.hint


def test_missing_name_is_missing_not_failed(tmp_path):
    nb = make_notebook(tmp_path / "4_3.ipynb", CORRECT[:3])
    result = grade_notebook(nb, lang="en")
    assert failing(result) == CHECKS["nchw_to_matrix"]
    assert all(by_id(result)[c].status == "missing" for c in CHECKS["nchw_to_matrix"])
