"""The exercise notebooks: every source runs in a real kernel, every released trainee notebook
stops only at its placeholders, releasing is deterministic and the committed trainee
notebooks and samples are exactly what the release and make_samples.py write."""
from __future__ import annotations

import ast
import re
import runpy
from pathlib import Path

import nbformat
import pytest

from grader.cli.release import (
    PLACEHOLDER_COMMENT, exercise_id, release_all, release_code, release_notebook, write_notebook_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "exercises" / "source"
TRAINEE_DIR = ROOT / "exercises" / "trainee"
SAMPLES_DIR = ROOT / "exercises" / "samples"

# The graded names of CONTRACT.md, as the placeholders of each trainee notebook name them.
GRADED = {
    "4_1_convolution": {"conv_output_size", "convolution"},
    "4_2_maxpooling": {"max_pooling"},
    "4_3_padding_reshape_transpose": {"pad_hw", "filters_to_matrix", "matrix_to_nchw", "nchw_to_matrix"},
    "4_4_im2col_col2im_trainee": {"im2col", "col2im"},
    "4_5_convolution_layer_trainee": {"Convolution.forward", "Convolution.backward"},
    "4_6_maxpooling_layer_trainee": {"MaxPooling.forward", "MaxPooling.backward"},
    "4_7_simpleconvnet_trainee": {"SimpleConvNet.__init__", "SimpleConvNet.predict", "SimpleConvNet.loss",
                                  "SimpleConvNet.accuracy", "SimpleConvNet.gradient"},
    # 4_8: bilinear_sample is the trainee's own helper (not graded itself; rotate and zoom use it)
    "4_8_Augmentor": {"flip_left_right", "flip_top_bottom", "bilinear_sample", "rotate", "zoom", "shift", "crop",
                      "gaussian_noise", "random_rotate", "random_erasing"},
    "4_9_ImageDataGenerator_sample": {"transform_matrix_offset_center", "apply_affine_transform", "apply_transform",
                                      "random_transform_params", "flow"},
    "4_10_katakana_groupwork": {"augment"},  # and `network`, which the notebook trains (no placeholder)
}
NAMES = sorted(GRADED)
PLACEHOLDER_NAME = re.compile(r'raise NotImplementedError\("未実装です: (\S+) を実装してください / '
                              r'not implemented yet: implement \1"\)')
OK_MARK, NG_MARK = "✅", "❌"  # printed by the notebooks' check() helper


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def stream_text(nb: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.outputs if out.output_type == "stream")


def errors(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    return [(index, out.ename, out.evalue) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"]


# ------------------------------------------------------------------ sources and release


def test_there_is_one_source_per_exercise_with_its_id():
    assert sorted(p.stem for p in SOURCE_DIR.glob("*.ipynb")) == NAMES
    for name in NAMES:
        nb = read(SOURCE_DIR / f"{name}.ipynb")
        nbformat.validate(nb)
        assert nb.metadata["grader"]["exercise"] == re.match(r"\d+_\d+", name).group()
        assert nb.metadata["kernelspec"]["name"] == "python3"
        ids = [cell.id for cell in nb.cells]
        assert len(set(ids)) == len(ids)
        assert all(not cell.get("outputs") for cell in nb.cells), f"{name}: commit sources without outputs"


@pytest.mark.parametrize("name", NAMES)
def test_release_is_deterministic_and_removes_every_solution(name):
    source = SOURCE_DIR / f"{name}.ipynb"
    data = write_notebook_bytes(release_notebook(source))
    assert data == write_notebook_bytes(release_notebook(source))
    assert data.endswith(b"}\n")
    released = nbformat.reads(data.decode(), as_version=4)
    assert released.metadata["grader"] == {"exercise": re.match(r"\d+_\d+", name).group()}
    # the source's cells, then the note and selfcheck() cell release appends (issue 14)
    assert [cell.id for cell in released.cells][:-2] == [cell.id for cell in read(source).cells]
    assert released.cells[-1].source.endswith("selfcheck()")
    for cell in released.cells:
        assert "SOLUTION" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            ast.parse(cell.source)


@pytest.mark.parametrize("name", NAMES)
def test_placeholders_name_the_graded_names(name):
    code = "\n".join(cell.source for cell in read(TRAINEE_DIR / f"{name}.ipynb").cells if cell.cell_type == "code")
    assert set(PLACEHOLDER_NAME.findall(code)) == GRADED[name]
    assert code.count(PLACEHOLDER_COMMENT) == code.count("raise NotImplementedError(")


def test_committed_trainee_notebooks_are_up_to_date():
    assert release_all(SOURCE_DIR, TRAINEE_DIR, check=True) == [], "run: python -m grader.cli.release"
    assert sorted(p.stem for p in TRAINEE_DIR.glob("*.ipynb")) == NAMES


def test_release_all_writes_only_what_is_out_of_date(tmp_path):
    assert release_all(SOURCE_DIR, tmp_path, check=True) == [tmp_path / f"{n}.ipynb" for n in NAMES]
    assert list(tmp_path.iterdir()) == []  # check=True writes nothing
    assert len(release_all(SOURCE_DIR, tmp_path)) == len(NAMES)
    assert release_all(SOURCE_DIR, tmp_path, check=True) == []
    stale = tmp_path / f"{NAMES[3]}.ipynb"
    stale.write_bytes(stale.read_bytes().replace(b"NotImplementedError", b"ValueError"))
    assert release_all(SOURCE_DIR, tmp_path, check=True) == [stale]
    assert release_all(SOURCE_DIR, tmp_path) == [stale]
    assert (TRAINEE_DIR / stale.name).read_bytes() == stale.read_bytes()


def _source(tmp_path: Path, cells: list, name: str = "tanaka_4_3.ipynb", metadata: dict | None = None) -> Path:
    nb = nbformat.v4.new_notebook(cells=cells, metadata=metadata or {})
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    path = tmp_path / name
    path.write_bytes(write_notebook_bytes(nb))
    return path


WIDGETS = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0}}


def test_release_clears_outputs_and_volatile_metadata_and_keeps_indentation(tmp_path):
    code = nbformat.v4.new_code_cell(
        "class Layer:\n"
        "    def forward(self, x):\n"
        "        y = 2\n"
        "        ### BEGIN SOLUTION\n"
        "        return x * y\n"
        "        ### END SOLUTION\n"
        "\n"
        "### BEGIN SOLUTION\n"
        "answer = 42\n"
        "### END SOLUTION",
        execution_count=7, outputs=[nbformat.v4.new_output("stream", text="hello\n")],
        metadata={"ExecuteTime": {"end_time": "2024"}, "execution": {"iopub.status.busy": "x"}, "tags": ["keep"]})
    markdown = nbformat.v4.new_markdown_cell(
        "Question\n<!-- BEGIN SOLUTION -->\nThe answer is 42.\n<!-- END SOLUTION -->\nEnd")
    path = _source(tmp_path, [markdown, code], metadata={
        "widgets": WIDGETS, "language_info": {"name": "python", "version": "3.11.7"}})
    nb = release_notebook(path)
    assert nb.cells[0].source == "Question\nEnd"
    assert nb.cells[1].source == (
        "class Layer:\n"
        "    def forward(self, x):\n"
        "        y = 2\n"
        f"        {PLACEHOLDER_COMMENT}\n"
        '        raise NotImplementedError("未実装です: Layer.forward を実装してください / '
        'not implemented yet: implement Layer.forward")\n'
        "\n"
        f"{PLACEHOLDER_COMMENT}\n"
        'raise NotImplementedError("未実装です: 4_3 を実装してください / not implemented yet: implement 4_3")')
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None
    assert nb.cells[1].metadata == {"tags": ["keep"]}
    assert [cell.id for cell in nb.cells][:2] == ["cell-0", "cell-1"] and len(nb.cells) == 4  # + note, selfcheck()
    assert nb.metadata == {"language_info": {"name": "python"}, "grader": {"exercise": "4_3"}}


def test_region_in_a_nested_function_is_named_by_the_graded_function():
    source = ("def im2col(x):\n"
              "    def helper():\n"
              "        ### BEGIN SOLUTION\n"
              "        return 1\n"
              "        ### END SOLUTION\n"
              "    return helper()")
    assert "implement im2col" in release_code(source, "4_4", "cell")


@pytest.mark.parametrize("defect, cell, message", [
    ("begin_never_closed", nbformat.v4.new_code_cell("x = 1\n### BEGIN SOLUTION\ny = 2"), "never closed"),
    ("end_without_begin", nbformat.v4.new_code_cell("x = 1\n    ### END SOLUTION"), "without a"),
    ("nested_begin", nbformat.v4.new_code_cell("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"), "nest"),
    ("markdown_never_closed", nbformat.v4.new_markdown_cell("a <!-- BEGIN SOLUTION --> b"), "never closed"),
    ("markdown_end_first", nbformat.v4.new_markdown_cell("a <!-- END SOLUTION --> b"), "without a"),
    ("region_splits_an_expression", nbformat.v4.new_code_cell(
        "total = (1 +\n### BEGIN SOLUTION\n 2)\n### END SOLUTION"), "no longer valid Python"),
])
def test_unbalanced_or_misplaced_markers_raise_naming_file_and_cell(tmp_path, defect, cell, message):
    path = _source(tmp_path, [nbformat.v4.new_markdown_cell("intro"), cell], name=f"{defect}_4_1.ipynb")
    with pytest.raises(ValueError, match=message) as info:
        release_notebook(path)
    assert f"{defect}_4_1.ipynb: cell 1" in str(info.value)


def test_a_source_without_an_exercise_id_is_refused(tmp_path):
    path = _source(tmp_path, [nbformat.v4.new_code_cell("x = 1")], name="convolution.ipynb")
    with pytest.raises(ValueError, match="cannot tell the exercise"):
        release_notebook(path)


# ------------------------------------------------------------------ samples


def test_samples_are_what_make_samples_writes(tmp_path):
    # run_path: no __pycache__ in exercises/samples (the batch grader would see a trainee folder)
    written = runpy.run_path(str(SAMPLES_DIR / "make_samples.py"))["write_samples"](tmp_path)
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in written}
    committed = {p.relative_to(SAMPLES_DIR): p.read_bytes() for p in SAMPLES_DIR.glob("*/*.ipynb")}
    assert sorted(committed) == sorted(fresh), "run: python exercises/samples/make_samples.py"
    stale = [str(p) for p in fresh if fresh[p] != committed[p]]
    assert stale == [], "run: python exercises/samples/make_samples.py"


def test_samples_look_like_trainee_work():
    paths = sorted(SAMPLES_DIR.glob("*/*.ipynb"))
    assert len({p.parent.name for p in paths}) >= 6
    by_metadata = 0
    for path in paths:
        nb = read(path)
        nbformat.validate(nb)
        exercise = exercise_id(nb, path)  # from the metadata, else from the file name
        by_metadata += "grader" in nb.metadata
        code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
        assert "SOLUTION" not in code, path
        for cell in nb.cells:
            if cell.cell_type == "code":
                ast.parse(cell.source)
                assert cell.outputs == []
        assert exercise in path.name or "grader" in nb.metadata
    assert 0 < by_metadata < len(paths)  # both ways of telling the exercise are exercised


# ------------------------------------------------------------------ real kernels


# Every test asserting on a committed notebook grades it with the public seed (run_ci's), so
# that they all share one real-kernel run (tests/conftest.py: committed_grading).


def executed(committed_grading, kind: str, name: str) -> nbformat.NotebookNode:
    """The notebook as the grader's real kernel ran it, its own cells' outputs only."""
    return committed_grading(kind, name)[1]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_source_notebook_runs_and_every_check_passes(name, committed_grading):
    # run once, by the grader's kernel, for all tests on this source (the 4_7 source trains on
    # MNIST for about a minute; tests/test_kernel_view.py asserts its full marks)
    result, nb = committed_grading("source", name)
    assert errors(nb) == [] and result.errors == ()
    text = stream_text(nb)
    assert NG_MARK not in text
    assert text.count(OK_MARK) >= 5
    if name.startswith("4_7"):
        accuracy = float(re.search(r"final test accuracy\): ([0-9.]+)", text).group(1))
        assert accuracy >= 0.97, text[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_trainee_notebook_fails_only_at_its_placeholders(name, committed_grading):
    nb = executed(committed_grading, "trainee", name)
    found = errors(nb)
    assert found, "a trainee notebook with placeholders must stop somewhere"
    unexpected = [(i, ename, evalue) for i, ename, evalue in found
                  if ename != "NotImplementedError" or not evalue.startswith("未実装です: ")]
    assert unexpected == []
    assert {evalue.split()[1] for _, _, evalue in found} <= GRADED[name]
