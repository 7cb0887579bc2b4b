"""Exercise 4_5 graded end to end in real kernels: correct Convolution layers (on the course's
im2col/col2im, and fully self-written), mutants named by their defect (each fails exactly the
checks of what it breaks), the reference's layer passed off as the trainee's, and a missing class."""
from __future__ import annotations

import pytest

from grader.grading.grade import PUBLIC_SEED, grade_notebook
from inprocess import grade_in_process
from nbfactory import by_id, failing, make_notebook

pytestmark = pytest.mark.slow

HELPERS = "import numpy as np\nfrom reference import im2col, col2im\n"
OWN_HELPERS = '''
import numpy as np
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2*pad - filter_h)//stride + 1
    out_w = (W + 2*pad - filter_w)//stride + 1
    img = np.pad(input_data, [(0,0), (0,0), (pad, pad), (pad, pad)], 'constant')
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        for x in range(filter_w):
            col[:, :, y, x, :, :] = img[:, :, y:y + stride*out_h:stride, x:x + stride*out_w:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N*out_h*out_w, -1)

def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2*pad - filter_h)//stride + 1
    out_w = (W + 2*pad - filter_w)//stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2*pad + stride - 1, W + 2*pad + stride - 1))
    for y in range(filter_h):
        for x in range(filter_w):
            img[:, :, y:y + stride*out_h:stride, x:x + stride*out_w:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]
'''
LAYER = '''
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = 1 + (H + 2*self.pad - FH) // self.stride
        out_w = 1 + (W + 2*self.pad - FW) // self.stride
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        return dx
'''
ALL = {f"Convolution.{aspect}" for aspect in (
    "forward", "dx", "dW", "db", "repeated_forward", "repeated_backward", "float32_forward",
    "float32_backward", "integer_input", "unmodified")}
BACKWARD = {"Convolution.repeated_backward", "Convolution.float32_backward"}


def _mutate(*edits: tuple[str, str]) -> str:
    source = LAYER
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


MUTANTS = {
    "forward_ignores_bias": (
        _mutate(("np.dot(col, col_W) + self.b", "np.dot(col, col_W)")),
        {"Convolution.forward", "Convolution.repeated_forward", "Convolution.float32_forward",
         "Convolution.integer_input"}),
    "db_not_summed": (  # summed over N only, before the reshape: shape (FN, OH, OW)
        _mutate(("        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n        self.db = np.sum(dout, axis=0)\n",
                 "        self.db = np.sum(dout, axis=0)\n        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)\n")),
        {"Convolution.db"} | BACKWARD),
    "dw_not_reshaped": (  # left as (C*FH*FW, FN)
        _mutate(("        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n", "")),
        {"Convolution.dW"} | BACKWARD),
    "dw_reshaped_without_transpose": (
        _mutate((".transpose(1, 0).reshape(FN, C, FH, FW)", ".reshape(FN, C, FH, FW)")),
        {"Convolution.dW"} | BACKWARD),
    "dx_col2im_wrong_shape": (  # pads x itself and gives col2im the padded shape: dx keeps the border
        _mutate(("col = im2col(x, FH, FW, self.stride, self.pad)",
                 "x = np.pad(x, [(0, 0), (0, 0), (self.pad, self.pad), (self.pad, self.pad)])\n"
                 "        col = im2col(x, FH, FW, self.stride, 0)"),
                ("col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)",
                 "col2im(dcol, self.x.shape, FH, FW, self.stride, 0)")),
        {"Convolution.dx"} | BACKWARD),
    "caches_first_batch": (
        _mutate(("        self.x, self.col, self.col_W = x, col, col_W\n",
                 "        if self.x is None:\n            self.x, self.col, self.col_W = x, col, col_W\n")),
        {"Convolution.repeated_backward"}),
    "modifies_x": (  # "frees" the input once it is unrolled
        _mutate(("        col_W = self.W.reshape(FN, -1).T\n",
                 "        col_W = self.W.reshape(FN, -1).T\n        x[...] = 0\n")),
        {"Convolution.unmodified"}),
    # caught by the plans' fixed boundary cases, whatever the seed
    "stride_must_divide": (
        _mutate(("        out_h = 1 + (H + 2*self.pad - FH) // self.stride\n",
                 "        assert (H + 2*self.pad - FH) % self.stride == 0, 'the stride must divide'\n"
                 "        out_h = 1 + (H + 2*self.pad - FH) // self.stride\n")),
        {"Convolution.forward", "Convolution.dx", "Convolution.dW", "Convolution.db", "Convolution.integer_input"}),
    "takes_pad_before_stride": (
        _mutate(("def __init__(self, W, b, stride=1, pad=0):", "def __init__(self, W, b, pad=0, stride=1):")),
        {"Convolution.forward", "Convolution.dx", "Convolution.dW", "Convolution.db"}),
}


@pytest.mark.parametrize("helpers", [HELPERS, OWN_HELPERS], ids=["course_im2col", "own_im2col"])
def test_correct_solution_scores_full_marks(tmp_path, helpers):
    nb = make_notebook(tmp_path / "4_5_convolution_layer_trainee.ipynb", [helpers, LAYER])
    result = grade_notebook(nb, lang="en")
    assert set(by_id(result)) == ALL
    assert failing(result) == set(), [c.message for c in result.checks if not c.passed]
    assert result.score == result.max_score == len(ALL)
    assert result.errors == () and result.flags == ()


@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_mutant_fails_exactly_its_checks(defect):
    layer, expected_failures = MUTANTS[defect]
    # judged in-process (tests/inprocess.py): a kernel adds nothing to a mutant's verdict
    result = grade_in_process("4_5", [HELPERS, layer], PUBLIC_SEED, lang="en")
    assert failing(result) == expected_failures, {c.id: c.message for c in result.checks if not c.passed}
    for check_id in expected_failures:
        check = by_id(result)[check_id]
        assert check.points == 0 and check.message and check.hint
    assert result.flags == ()


def test_failure_messages_name_the_call_and_the_cause(tmp_path):
    nb = make_notebook(tmp_path / "4_5.ipynb", [HELPERS, MUTANTS["dw_not_reshaped"][0]])
    result = grade_notebook(nb, lang="ja")
    check = by_id(result)["Convolution.dW"]
    assert "Convolution(" in check.message and ".dW" in check.message and "stride=2, pad=1" in check.message
    assert "形状" in check.message and ("transpose" in check.hint or ".T" in check.hint)
    assert check.details.get("diagnosis") == "dW_not_reshaped"
    assert by_id(result)["Convolution.repeated_backward"].status == "failed"


@pytest.mark.parametrize("source", [
    "import numpy as np\nfrom reference import Convolution",
    "import numpy as np\nimport reference\nclass Convolution(reference.Convolution):\n    pass",
    HELPERS + "import reference\nclass Convolution:\n    def __init__(self, W, b, stride=1, pad=0):\n"
    "        self.layer = reference.Convolution(W, b, stride, pad)\n    def forward(self, x):\n"
    "        return self.layer.forward(x)\n    def backward(self, dout):\n        dx = self.layer.backward(dout)\n"
    "        self.dW, self.db = self.layer.dW, self.layer.db\n        return dx",
], ids=["imported", "subclassed", "wrapped"])
def test_reference_layer_is_flagged_and_scores_zero(tmp_path, source):
    nb = make_notebook(tmp_path / "4_5.ipynb", [source])
    result = grade_notebook(nb, lang="en")
    # the grading kernel's reference has no Convolution (issue 12): refused there, named by the static scan
    assert [(f.kind, f.name) for f in result.flags] == [("suspicious-code", "reference.Convolution")]
    assert result.score == 0 and set(by_id(result)) == ALL


def test_missing_class_is_reported_missing(tmp_path):
    nb = make_notebook(tmp_path / "4_5.ipynb", [HELPERS, LAYER.replace("class Convolution", "class Convolusion")])
    result = grade_notebook(nb, lang="en")
    assert result.score == 0 and result.errors == () and result.flags == ()
    assert {c.status for c in result.checks} == {"missing"}
    assert all("`Convolution` is not defined" in c.message for c in result.checks)
