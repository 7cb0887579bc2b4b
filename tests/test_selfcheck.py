"""selfcheck(): the public checks on a live namespace, in process (a dict of functions) and in
a real kernel (the report is displayed as HTML in the notebook)."""
from __future__ import annotations

import types

import nbformat
import pytest

import reference
from grader import selfcheck as lazy_selfcheck
from grader.errors import UsageError
from grader.grading.grade import PUBLIC_SEED
from grader.reports.messages import text
from grader.reports.report import render_json
from grader.grading.results import GradingResult, Status
from grader.grading.selfcheck import infer_exercise, render_selfcheck_html, run_selfcheck, selfcheck
from nbfactory import by_id, failing, make_notebook
from test_grader_4_4 import COL2IM as COL2IM_CELL, IM2COL  # one copy of the book-style solution

COL2IM = "import numpy as np\n" + COL2IM_CELL  # a cell that also runs without the im2col cell
IM2COL_COLUMNS_FH_FW_C = IM2COL.replace("transpose(0, 4, 5, 1, 2, 3)", "transpose(0, 4, 5, 2, 3, 1)")
IM2COL_VALUES = {"im2col.slide", "im2col.stride_pad", "im2col.float32", "im2col.constant_values"}


def namespace(*sources: str) -> dict:
    ns: dict = {"__name__": "__main__"}
    for source in sources:
        exec(compile(source, "<notebook cell>", "exec"), ns)
    return ns


def test_correct_functions_score_full_marks(capsys):
    result = selfcheck("4_4", lang="en", namespace=namespace(IM2COL, COL2IM))
    assert isinstance(result, GradingResult)
    assert result.score == result.max_score == 10 and failing(result) == set()
    assert result.seed == PUBLIC_SEED and result.flags == () and result.errors == ()
    out = capsys.readouterr().out  # no IPython here: the terminal report is printed
    assert "10 / 10" in out and text("all_passed", "en") in out and text("selfcheck_note", "en") in out


def test_broken_im2col_fails_its_value_checks_with_excerpts(capsys):
    result = selfcheck("4_4", lang="ja", namespace=namespace(IM2COL_COLUMNS_FH_FW_C, COL2IM))
    assert failing(result) == IM2COL_VALUES
    for check_id in IM2COL_VALUES:
        check = by_id(result)[check_id]
        assert check.points == 0 and check.hint and check.details["expected_excerpt"]
    assert text("some_failed", "ja", failed=4) in capsys.readouterr().out
    fragment = render_selfcheck_html(result, "ja")
    assert fragment.lstrip().startswith('<div class="day4-report compact" lang="ja">')
    assert '<td class="diff">' in fragment and text("selfcheck_note", "ja") in fragment
    assert "<script" not in fragment and "6 / 10" in fragment


def test_missing_names_and_reference_use_are_reported(capsys):
    ns = namespace(COL2IM)
    ns["im2col"] = reference.im2col
    result = selfcheck("4_4", lang="en", namespace=ns)
    assert [(f.kind, f.name) for f in result.flags] == [("uses-reference", "im2col")]
    assert all(c.points == 0 for c in result.checks if c.name == "im2col")
    assert all(c.passed for c in result.checks if c.name == "col2im")
    missing = selfcheck("4_4", lang="en", namespace=namespace(IM2COL))
    assert {c.status for c in missing.checks if c.name == "col2im"} == {Status.MISSING}


def test_exercise_is_inferred_from_the_graded_names_defined():
    assert infer_exercise(namespace(IM2COL, COL2IM)) == "4_4"
    assert infer_exercise(namespace(IM2COL)) == "4_4"  # work in progress: most names defined
    assert selfcheck(lang="en", namespace=namespace(IM2COL, COL2IM)).exercise == "4_4"


GRADED = {"4_4": ("im2col", "col2im"), "4_5": ("Convolution",), "4_6": ("MaxPooling",)}


@pytest.mark.parametrize("names, expected", [
    (("im2col", "col2im", "Convolution"), "4_5"),  # later exercises reuse earlier names
    (("im2col",), "4_4"),
    (("im2col", "col2im", "Convolution", "MaxPooling"), "4_6"),
])
def test_inference_rules(names, expected):
    assert infer_exercise({n: object() for n in names}, GRADED) == expected


@pytest.mark.parametrize("ns, graded", [
    ({}, GRADED),
    ({"im2col": object(), "max_pooling": object()}, {"4_4": ("im2col", "col2im"), "4_2": ("max_pooling", "pad")}),
    ({"im2col": reference.im2col, "col2im": reference.col2im}, GRADED),  # imports are not the trainee's
], ids=["nothing-defined", "partial-tie", "reference-imports"])
def test_ambiguous_namespace_raises_a_bilingual_error(ns, graded):
    with pytest.raises(UsageError) as info:
        infer_exercise(ns, graded)
    message = str(info.value)
    assert 'selfcheck("4_4")' in message and "課題番号" in message and "exercise number" in message


def test_exercise_from_the_notebook_the_kernel_runs(tmp_path, monkeypatch):
    path = make_notebook(tmp_path / "my notebook.ipynb", ["x = 1"], exercise="4_4")
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    result = selfcheck(lang="en", namespace={})  # metadata wins; nothing is defined
    assert result.exercise == "4_4" and result.notebook == str(path) and result.score == 0
    monkeypatch.delenv("JPY_SESSION_NAME")
    ns = namespace(IM2COL, COL2IM) | {"__session__": str(tmp_path / "absent" / "tanaka_4_4.ipynb")}
    assert selfcheck(lang="en", namespace=ns).exercise == "4_4"  # the file name, when it cannot be read


@pytest.mark.parametrize("given, expected", [("4-4", "4_4"), ("4.4", "4_4")])
def test_exercise_argument_is_normalised(given, expected):
    assert selfcheck(given, lang="en", namespace=namespace(IM2COL, COL2IM)).exercise == expected


def test_unknown_exercise_raises_a_bilingual_error():
    with pytest.raises(UsageError, match="9_9") as info:  # 4_9 exists since issue 15
        selfcheck("9_9", namespace={})
    assert "セルフチェック" in str(info.value) and "self-check" in str(info.value)


def test_default_namespace_is_the_callers_globals_through_the_package_entry_point(capsys):
    caller = types.ModuleType("trainee_notebook")
    source = IM2COL + COL2IM + "from grader import selfcheck\nresult = selfcheck('4_4', lang='en')\n"
    exec(compile(source, "<notebook>", "exec"), caller.__dict__)
    assert caller.result.score == 10
    # importing the module grader.grading.selfcheck leaves the package's function in place
    import grader.grading.selfcheck  # noqa: F401
    from grader import selfcheck as again

    assert callable(lazy_selfcheck) and callable(again)
    assert again("4_4", lang="en", namespace=namespace(IM2COL, COL2IM)).score == 10


def test_real_result_round_trips_through_json():
    result, _ = run_selfcheck("4_4", namespace(IM2COL_COLUMNS_FH_FW_C, COL2IM), lang="en")
    assert GradingResult.from_json(render_json(result)) == result


@pytest.mark.slow
def test_selfcheck_in_a_real_kernel_displays_the_html_report(tmp_path):
    path = make_notebook(tmp_path / "4_4_im2col_col2im_trainee.ipynb", [
        IM2COL, COL2IM,
        'from grader import selfcheck; r = selfcheck("4_4")',
        "from grader import selfcheck\nr2 = selfcheck()\nr2",
    ])
    nb = nbformat.read(str(path), as_version=4)
    workdir = tmp_path / "work"
    workdir.mkdir()
    # a trainee's own Jupyter (plain nbclient): the grading kernel (run_notebook) holds a stand-in
    # grader whose selfcheck() does nothing (grader/kernel/view.py)
    from nbclient import NotebookClient

    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(workdir)}}).execute()
    first, second = nb.cells[2].outputs, nb.cells[3].outputs
    shown = [o for o in first if o.output_type == "display_data"]
    assert len(shown) == 1 and "text/html" in shown[0].data
    fragment = shown[0].data["text/html"]
    assert 'class="day4-report compact"' in fragment and "10 / 10" in fragment and "<script" not in fragment
    # issue 14: one display (HTML, and the terminal report as its text fallback), no repr line
    assert [o.output_type for o in second] == ["display_data"]
    assert "IPython.core.display" not in second[0].data["text/plain"] and "10 / 10" in second[0].data["text/plain"]


KERNEL_MACHINERY = ("nbclient", "jupyter_client", "zmq", "nbformat", "grader.kernel.execute", "grader.kernel.sandbox",
                    "grader.kernel.prewarm", "grader.classroom.batch", "grader.classroom.runner", "grader.classroom.lifeline", "grader.grading.grade")


def test_importing_selfcheck_in_a_kernel_loads_no_kernel_machinery():
    """``import grader.grading.selfcheck`` runs inside the trainee's own kernel: it (and every
    exercise's checks module, loaded when its self-check runs) must not pull in what starts
    or talks to kernels, nor the batch runner. A fresh interpreter, so nothing is preloaded."""
    import subprocess
    import sys

    code = ("import sys, json\n"
            "import grader.grading.selfcheck\n"
            "from grader.course import checks\n"
            "after_import = sorted(sys.modules)\n"
            "for exercise in checks.REGISTRY:\n"
            "    checks.load(exercise)\n"
            "print(json.dumps([after_import, sorted(sys.modules)]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    import json

    after_import, after_checks = (set(names) for names in json.loads(out.stdout))
    assert "grader.grading.selfcheck" in after_import and "numpy" in after_import  # the probe worked
    for loaded in (after_import, after_checks):
        assert not [m for m in KERNEL_MACHINERY if m in loaded]


def test_the_probe_cell_adds_only_private_names_to_the_notebook(tmp_path):
    """The probe's source runs in the trainee's namespace: it must not define a name a notebook
    could use (``run_plan``, ``origin`` exist only when the grader imports it as a module)."""
    from grader.grading import kernel_probe
    from grader.grading.probe import probe_cell_source

    source = probe_cell_source(tmp_path).rsplit("\n_day4_grader_probe(", 1)[0]
    namespace = {"__name__": "__main__", "run_plan": "the trainee's", "origin": "the trainee's"}
    exec(compile(source, "<probe cell>", "exec"), namespace)
    added = set(namespace) - {"__name__", "__builtins__", "run_plan", "origin"}
    assert added and all(name.startswith("_") for name in added), sorted(added)
    assert namespace["run_plan"] == namespace["origin"] == "the trainee's"
    assert kernel_probe.__all__ == ["run_plan", "origin"] and kernel_probe.run_plan is kernel_probe._day4_run_plan
