"""Messages that point at the cause: a check that errors with NameError / ImportError because
an earlier cell failed names that cell and shows no algorithm hint; a graded name missing because
its cell failed says so. And file names as Japanese trainees type them (NFKC, copies)."""
from __future__ import annotations

import pytest

from grader.grading.cause import attribute_causes, defined_names, failed_cells, missing_name
from grader.grading.grade import grade_notebook
from grader.grading.notebook import exercise_from_filename
from grader.grading.results import CellError, CheckResult, Status
from nbfactory import by_id, make_notebook


@pytest.mark.parametrize("source, names", [
    ("import numpy as np", {"np"}),
    ("%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt", {"np", "plt"}),
    ("import os, sys\nsys.path.append(os.pardir)\nfrom common.util import im2col, col2im as c2i",
     {"os", "sys", "im2col", "c2i"}),
    ("from common.layers import *", set()),
    ("def f():\n    inner = 1\nclass K:\n    pass\nx, (y, z) = 1, (2, 3)\nw: int = 4\nv += 1", {"f", "K", "x", "y", "z", "w", "v"}),
    ("try:\n    import cupy as xp\nexcept ImportError:\n    import numpy as xp", {"xp"}),
    ("if True:\n    import numpy as np\nfor i in range(3):\n    k = i", {"np", "i", "k"}),
    ("with open('f') as fh:\n    data = fh.read()", {"fh", "data"}),
    ("%%capture\nimport numpy as np", set()),
    ("def broken(:\n", set()),
    ("!pip install japanize-matplotlib\nimport japanize_matplotlib", {"japanize_matplotlib"}),
])
def test_defined_names(source, names):
    assert defined_names(source) == names


@pytest.mark.parametrize("message, name", [
    ("NameError: name 'np' is not defined", "np"),
    ("ImportError: cannot import name 'im2col' from 'common.util' (/x/common/util.py)", "im2col"),
    ("ModuleNotFoundError: No module named 'common'", "common"),
    ("ModuleNotFoundError: No module named 'google.colab'", "google"),
    ("ValueError: operands could not be broadcast together", None),
])
def test_missing_name(message, name):
    assert missing_name(message) == name


def _check(status, message, hint="algorithm hint"):
    return CheckResult(id="convolution.slide", passed=False, points=0, max_points=1, message=message,
                       hint=hint, status=status)


SOURCES = ["%matplotlib inline\nimport numpy as np", None, "def convolution(x, w):\n    return np.zeros(1)"]


def test_name_error_points_at_the_failed_import_cell():
    errors = [CellError(0, "error", "ModuleNotFoundError: No module named 'matplotlib'")]
    [check] = attribute_causes([_check(Status.ERROR, "convolution(...) raised an error: NameError: name 'np' "
                                       "is not defined")], SOURCES, errors, "en")
    assert check.hint is None
    assert "cell 0" in check.message and "%matplotlib inline" in check.message
    assert "No module named 'matplotlib'" in check.message
    assert check.details["caused_by"] == {"cell": 0, "name": "np", "first_line": "%matplotlib inline",
                                          "error": "ModuleNotFoundError: No module named 'matplotlib'"}


def test_japanese_cause_message():
    errors = [CellError(0, "error", "ModuleNotFoundError: No module named 'matplotlib'")]
    [check] = attribute_causes([_check(Status.ERROR, "NameError: name 'np' is not defined")], SOURCES, errors, "ja")
    assert "セル 0" in check.message and "原因" in check.message


def test_missing_graded_name_points_at_its_failed_cell():
    sources = ["import numpy as np", "from common.util import im2col\ndef convolution(x, w):\n    pass"]
    errors = [CellError(1, "error", "ModuleNotFoundError: No module named 'common'")]
    [check] = attribute_causes([_check(Status.MISSING, "`convolution` is not defined.", hint=None)],
                               sources, errors, "en")
    assert "cell 1" in check.message and check.details["caused_by"]["name"] == "convolution"


def test_unexplained_name_error_drops_the_hint_only():
    [check] = attribute_causes([_check(Status.ERROR, "NameError: name 'np' is not defined")], SOURCES, [], "en")
    assert check.hint is None and "caused_by" not in check.details


def test_wrong_answers_and_other_errors_keep_their_hint():
    errors = [CellError(0, "error", "ModuleNotFoundError: No module named 'matplotlib'")]
    failed = _check(Status.FAILED, "wrong values")
    raised = _check(Status.ERROR, "ValueError: shapes (3,4) and (5,) not aligned")
    assert attribute_causes([failed, raised], SOURCES, errors, "en") == [failed, raised]


def test_failed_cells_ignore_the_probe_and_markdown():
    errors = [CellError(None, "error", "x"), CellError(1, "error", "y"), CellError(0, "timeout", "30")]
    cells = failed_cells(SOURCES, errors)
    assert [c.index for c in cells] == [0]


@pytest.mark.parametrize("name, exercise", [
    ("４_４_im2col_col2im_trainee.ipynb", "4_4"),
    ("４＿５_convolution_layer_trainee.ipynb", "4_5"),
    ("４－６ (1).ipynb", "4_6"),
    ("Copy of 4_5_convolution_layer_trainee.ipynb", "4_5"),
    ("4_6_maxpooling_layer_trainee のコピー.ipynb", "4_6"),
    ("4_3 (1).ipynb", "4_3"),
    ("4_4_im2col_col2im_trainee-Copy1.ipynb", "4_4"),
    ("tanaka_4_4.ipynb", "4_4"),
    ("山田_４_７.ipynb", "4_7"),
    ("4_10_katakana_groupwork.ipynb", "4_10"),  # never 4_1
    ("4_4_and_4_5.ipynb", None),
    ("notes.ipynb", None),
])
def test_exercise_from_japanese_file_names(name, exercise):
    assert exercise_from_filename(name) == exercise


@pytest.mark.slow
def test_failed_import_cell_is_named_in_a_real_kernel(tmp_path):
    """The first cell fails before it imports numpy; every convolution check then errors with
    NameError: np, and says which cell to fix, with no algorithm hint."""
    first = "import a_module_no_course_has_xyz\nimport numpy as np"
    size = "def conv_output_size(input_size, filter_size, pad=0, stride=1):\n" \
           "    return (input_size + 2*pad - filter_size) // stride + 1"
    conv = ("def convolution(x, w, b=0.0, stride=1, pad=0):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    return np.zeros((1, 1))")
    nb = make_notebook(tmp_path / "４_１_convolution のコピー.ipynb", [first, size, conv])
    result = grade_notebook(nb, lang="en")
    assert result.exercise == "4_1"
    checks = by_id(result)
    assert checks["conv_output_size.slide"].passed
    slide = checks["convolution.slide"]
    assert slide.status == "error" and slide.hint is None
    assert "cell 0" in slide.message and "a_module_no_course_has_xyz" in slide.message
    assert slide.details["caused_by"]["name"] == "np"
