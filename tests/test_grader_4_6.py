"""Exercise 4_6 graded end to end in real kernels: correct MaxPooling layers (on the course's
im2col/col2im, and fully self-written), mutants named by their defect (each fails exactly the
checks of what it breaks), the reference's layer passed off as the trainee's, and a missing class."""
from __future__ import annotations

import pytest

from grader.grading.grade import PUBLIC_SEED, grade_notebook
from inprocess import grade_in_process
from nbfactory import by_id, failing, make_notebook

pytestmark = pytest.mark.slow

# the textbook layer on the course's im2col/col2im, padding with -inf
COURSE = '''
import numpy as np
from reference import im2col, col2im

class MaxPooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = int(1 + (H + 2*self.pad - self.pool_h) / self.stride)
        out_w = int(1 + (W + 2*self.pad - self.pool_w) / self.stride)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad, constant_values=-np.inf)
        col = col.reshape(-1, self.pool_h*self.pool_w)
        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        self.arg_max = arg_max
        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        dx = col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
        return dx
'''
# written from scratch: one strided slice per offset inside the window
OWN = '''
import numpy as np

class MaxPooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        p, s = self.pad, self.stride
        out_h = (H + 2*p - self.pool_h) // s + 1
        out_w = (W + 2*p - self.pool_w) // s + 1
        xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        windows = np.zeros((N, C, out_h, out_w, self.pool_h * self.pool_w))
        for i in range(self.pool_h):
            for j in range(self.pool_w):
                windows[..., i*self.pool_w + j] = xp[:, :, i:i + s*out_h:s, j:j + s*out_w:s]
        self.arg_max = np.argmax(windows, axis=-1)
        self.x_shape = x.shape
        return windows.max(axis=-1)

    def backward(self, dout):
        N, C, H, W = self.x_shape
        p, s = self.pad, self.stride
        out_h, out_w = dout.shape[2], dout.shape[3]
        dmax = np.zeros(dout.shape + (self.pool_h * self.pool_w,))
        np.put_along_axis(dmax, self.arg_max[..., None], dout[..., None], axis=-1)
        dxp = np.zeros((N, C, H + 2*p, W + 2*p))
        for i in range(self.pool_h):
            for j in range(self.pool_w):
                dxp[:, :, i:i + s*out_h:s, j:j + s*out_w:s] += dmax[..., i*self.pool_w + j]
        return dxp[:, :, p:p + H, p:p + W]
'''
ALL = {f"MaxPooling.{aspect}" for aspect in (
    "forward", "backward", "overlap", "ties", "padding_forward", "padding_backward", "non_square",
    "float32", "repeated", "integer_input", "unmodified")}
# every check that compares a backward with windows that do not overlap and have no ties
ROUTED = {"MaxPooling.backward", "MaxPooling.padding_backward", "MaxPooling.non_square", "MaxPooling.float32",
          "MaxPooling.repeated", "MaxPooling.integer_input"}


def _mutate(source: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


MUTANTS = {
    "backward_spreads_to_whole_window": (
        _mutate(COURSE, ("dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()",
                         "dmax[:, :] = dout.flatten()[:, np.newaxis]")),
        ROUTED | {"MaxPooling.overlap", "MaxPooling.ties"}),
    "backward_overwrites_overlaps": (
        _mutate(OWN, ("] += dmax[", "] = dmax[")),
        {"MaxPooling.overlap"}),
    "pooling_pads_with_zero": (
        _mutate(COURSE, (", constant_values=-np.inf)", ")")),
        {"MaxPooling.padding_forward", "MaxPooling.padding_backward"}),
    "tie_goes_to_last_max": (
        _mutate(COURSE, ("arg_max = np.argmax(col, axis=1)",
                         "arg_max = col.shape[1] - 1 - np.argmax(col[:, ::-1], axis=1)")),
        {"MaxPooling.ties"}),
    "tie_goes_to_every_max": (  # a mask x == max instead of the argmax
        _mutate(OWN, ("np.put_along_axis(dmax, self.arg_max[..., None], dout[..., None], axis=-1)",
                      "dmax = (self.windows == self.windows.max(axis=-1, keepdims=True)) * dout[..., None]"),
                ("self.x_shape = x.shape", "self.x_shape = x.shape\n        self.windows = windows")),
        {"MaxPooling.ties"}),
    "pool_h_and_pool_w_swapped": (
        _mutate(COURSE, ("out_h = int(1 + (H + 2*self.pad - self.pool_h) / self.stride)",
                         "out_h = int(1 + (H + 2*self.pad - self.pool_w) / self.stride)"),
                ("out_w = int(1 + (W + 2*self.pad - self.pool_w) / self.stride)",
                 "out_w = int(1 + (W + 2*self.pad - self.pool_h) / self.stride)")),
        {"MaxPooling.non_square"}),
    "modifies_x": (  # "frees" the input once it is unrolled
        _mutate(COURSE, ("        col = col.reshape(-1, self.pool_h*self.pool_w)\n",
                         "        col = col.reshape(-1, self.pool_h*self.pool_w)\n        x[...] = 0\n")),
        {"MaxPooling.unmodified"}),
    # caught by the plans' fixed boundary cases, whatever the seed
    "takes_pad_before_stride": (
        _mutate(OWN, ("def __init__(self, pool_h, pool_w, stride=1, pad=0):",
                      "def __init__(self, pool_h, pool_w, pad=0, stride=1):")),
        {"MaxPooling.non_square"}),
    "stride_must_divide": (
        _mutate(OWN, ("        out_h = (H + 2*p - self.pool_h) // s + 1\n",
                      "        assert (H + 2*p - self.pool_h) % s == 0\n"
                      "        out_h = (H + 2*p - self.pool_h) // s + 1\n")),
        ALL - {"MaxPooling.overlap", "MaxPooling.float32"}),
}


@pytest.mark.parametrize("source", [COURSE, OWN], ids=["course_im2col", "own"])
def test_correct_solution_scores_full_marks(tmp_path, source):
    nb = make_notebook(tmp_path / "4_6_maxpooling_layer_trainee.ipynb", [source])
    result = grade_notebook(nb, lang="en")
    assert set(by_id(result)) == ALL
    assert failing(result) == set(), [c.message for c in result.checks if not c.passed]
    assert result.score == result.max_score == len(ALL)
    assert result.errors == () and result.flags == ()


@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_mutant_fails_exactly_its_checks(defect):
    source, expected_failures = MUTANTS[defect]
    # judged in-process (tests/inprocess.py): a kernel adds nothing to a mutant's verdict
    result = grade_in_process("4_6", [source], PUBLIC_SEED, lang="en")
    assert failing(result) == expected_failures, {c.id: c.message for c in result.checks if not c.passed}
    for check_id in expected_failures:
        check = by_id(result)[check_id]
        assert check.points == 0 and check.message and check.hint
    assert result.flags == ()


def test_tie_failure_names_the_call_and_the_cause(tmp_path):
    nb = make_notebook(tmp_path / "4_6.ipynb", [MUTANTS["tie_goes_to_last_max"][0]])
    check = by_id(grade_notebook(nb, lang="ja"))["MaxPooling.ties"]
    assert check.status == "failed" and "MaxPooling(2, 2, stride=2).backward(" in check.message
    assert "値が違います" in check.message and "argmax" in check.hint


@pytest.mark.parametrize("source", [
    "import numpy as np\nfrom reference import MaxPooling",
    "import numpy as np\nimport reference\nclass MaxPooling:\n    def __init__(self, *args, **kwargs):\n"
    "        self.layer = reference.MaxPooling(*args, **kwargs)\n    def forward(self, x):\n"
    "        return self.layer.forward(x)\n    def backward(self, dout):\n        return self.layer.backward(dout)",
], ids=["imported", "wrapped"])
def test_reference_layer_is_flagged_and_scores_zero(tmp_path, source):
    nb = make_notebook(tmp_path / "4_6.ipynb", [source])
    result = grade_notebook(nb, lang="en")
    # the grading kernel's reference has no MaxPooling (issue 12): refused there, named by the static scan
    assert [(f.kind, f.name) for f in result.flags] == [("suspicious-code", "reference.MaxPooling")]
    assert result.score == 0 and set(by_id(result)) == ALL


def test_missing_class_is_reported_missing(tmp_path):
    nb = make_notebook(tmp_path / "4_6.ipynb", [COURSE.replace("class MaxPooling", "class MaxPool")])
    result = grade_notebook(nb, lang="en")
    assert result.score == 0 and result.errors == () and result.flags == ()
    assert {c.status for c in result.checks} == {"missing"}
    assert all("`MaxPooling` is not defined" in c.message for c in result.checks)
