"""Exercise 4_4 graded end to end in real kernels: a correct solution, mutants named by their
defect (each fails exactly the checks of the broken name), and broken notebooks."""
from __future__ import annotations

import json

import pytest

from grader.cli.commands import main
from grader.grading.grade import PUBLIC_SEED, grade_notebook
from points import full
from inprocess import grade_in_process
from nbfactory import by_id, failing, make_notebook

pytestmark = pytest.mark.slow

IM2COL = '''
import numpy as np
def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2*pad - filter_h)//stride + 1
    out_w = (W + 2*pad - filter_w)//stride + 1
    img = np.pad(input_data, [(0,0), (0,0), (pad, pad), (pad, pad)], 'constant', constant_values=constant_values)
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=img.dtype)
    for y in range(filter_h):
        for x in range(filter_w):
            col[:, :, y, x, :, :] = img[:, :, y:y + stride*out_h:stride, x:x + stride*out_w:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N*out_h*out_w, -1)
'''
COL2IM = '''
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
ALL = {"im2col.slide", "im2col.stride_pad", "im2col.float32", "im2col.constant_values", "im2col.unmodified",
       "col2im.slide", "col2im.overlap", "col2im.stride_pad", "col2im.float32", "col2im.unmodified"}
COL2IM_VALUES = {"col2im.slide", "col2im.overlap", "col2im.stride_pad", "col2im.float32"}

MUTANTS = {
    "col2im_overwrites": (IM2COL, COL2IM.replace("] += col[", "] = col["),
                          {"col2im.overlap", "col2im.stride_pad", "col2im.float32"}),
    "col2im_keeps_padding": (IM2COL, COL2IM.replace("img[:, :, pad:H + pad, pad:W + pad]", "img[:, :, :H, :W]"),
                             {"col2im.stride_pad"}),
    "im2col_columns_fh_fw_c": (IM2COL.replace("transpose(0, 4, 5, 1, 2, 3)", "transpose(0, 4, 5, 2, 3, 1)"), COL2IM,
                               {"im2col.slide", "im2col.stride_pad", "im2col.float32", "im2col.constant_values"}),
    "im2col_modifies_input": (IM2COL.replace("    N, C, H, W = input_data.shape", "    N, C, H, W = input_data.shape\n    input_data *= 1.5"),
                              COL2IM, {"im2col.slide", "im2col.stride_pad", "im2col.float32", "im2col.constant_values",
                                       "im2col.unmodified"}),
    "im2col_ignores_constant": (IM2COL.replace("constant_values=constant_values)", "constant_values=0)"), COL2IM,
                                {"im2col.constant_values"}),
    # caught by the plans' fixed boundary cases, whatever the seed
    "im2col_stride_must_divide": (IM2COL.replace("    out_h = (H + 2*pad - filter_h)//stride + 1\n",
                                                 "    assert (H + 2*pad - filter_h) % stride == 0\n"
                                                 "    out_h = (H + 2*pad - filter_h)//stride + 1\n"),
                                  COL2IM, {"im2col.stride_pad"}),
    "col2im_stride_must_divide": (IM2COL, COL2IM.replace("    out_w = (W + 2*pad - filter_w)//stride + 1\n",
                                                         "    out_w = (W + 2*pad - filter_w)//stride + 1\n"
                                                         "    assert (W + 2*pad - filter_w) % stride == 0\n"),
                                  {"col2im.stride_pad"}),
    "im2col_takes_pad_before_stride": (IM2COL.replace("filter_w, stride=1, pad=0,", "filter_w, pad=0, stride=1,"),
                                       COL2IM, {"im2col.stride_pad", "im2col.constant_values"}),
}


def test_correct_solution_scores_full_marks(tmp_path):
    nb = make_notebook(tmp_path / "4_4_im2col_col2im_trainee.ipynb", [IM2COL, COL2IM])
    result = grade_notebook(nb, lang="en")
    assert set(by_id(result)) == ALL
    assert failing(result) == set()
    assert result.score == result.max_score == full("4_4")
    assert result.errors == () and result.flags == ()


@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_mutant_fails_exactly_its_checks(defect):
    im2col, col2im, expected_failures = MUTANTS[defect]
    # judged in-process (tests/inprocess.py): a kernel adds nothing to a mutant's verdict
    result = grade_in_process("4_4", [im2col, col2im], PUBLIC_SEED, lang="en")
    assert failing(result) == expected_failures
    for check_id in expected_failures:
        check = by_id(result)[check_id]
        assert check.points == 0 and check.message


def test_broken_cell_costs_only_what_depends_on_it(tmp_path):
    nb = make_notebook(tmp_path / "tanaka_4_4.ipynb", [IM2COL, "raise ValueError('oops')", COL2IM.replace("def col2im", "1/0\ndef col2im")])
    result = grade_notebook(nb, lang="ja")
    assert {e.cell for e in result.errors} == {1, 2}
    assert all(by_id(result)[c].passed for c in ALL if c.startswith("im2col"))
    col = [c for c in result.checks if c.name == "col2im"]
    assert all(c.status == "missing" and "col2im" in c.message for c in col)


def test_wrong_return_type_is_a_failed_check(tmp_path):
    nb = make_notebook(tmp_path / "4_4.ipynb", [IM2COL.replace("return col.transpose", "return None and col.transpose"), COL2IM])
    check = by_id(grade_notebook(nb, lang="en"))["im2col.slide"]
    assert check.status == "failed" and "NoneType" in check.message


def test_reference_implementation_is_flagged(tmp_path):
    nb = make_notebook(tmp_path / "4_4.ipynb", ["from reference import im2col", COL2IM.replace("def col2im", "import numpy as np\ndef col2im")])
    result = grade_notebook(nb, lang="en")
    # the grading kernel's reference has no im2col (issue 12): the import fails, the static scan names it
    assert [(f.kind, f.name) for f in result.flags] == [("suspicious-code", "reference.im2col")]
    assert all(c.points == 0 for c in result.checks if c.name == "im2col")
    assert all(c.passed for c in result.checks if c.name == "col2im")


def test_wrapping_the_reference_is_flagged(tmp_path):
    wrapper = "import numpy as np\nimport reference\ndef im2col(*a, **k):\n    return reference.im2col(*a, **k)"
    nb = make_notebook(tmp_path / "4_4.ipynb", [wrapper, COL2IM])
    result = grade_notebook(nb, lang="en")
    assert [f.name for f in result.flags] == ["reference.im2col"]  # refused in the kernel, named by the scan


def test_cli_json_matches_the_contract(tmp_path, capsys):
    nb = make_notebook(tmp_path / "4_4_im2col_col2im_trainee.ipynb", [IM2COL, COL2IM.replace("+=", "=")])
    assert main(["check", str(nb), "--json", "--seed", "7"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"exercise", "notebook", "score", "max_score", "checks", "flags", "errors", "seed", "grader_version"}
    assert data["exercise"] == "4_4" and data["seed"] == 7 and data["max_score"] == full("4_4")
    for check in data["checks"]:
        assert set(check) >= {"id", "passed", "points", "max_points", "message", "hint"}
        assert check["id"].split(".")[0] in ("im2col", "col2im")
    assert any(c["hint"] for c in data["checks"] if not c["passed"])


def test_cli_unreadable_notebook_exits_2(tmp_path, capsys):
    bad = tmp_path / "4_4.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "JSON" in err
