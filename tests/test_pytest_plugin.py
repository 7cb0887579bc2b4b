"""The pytest plugin (entry point ``day4_grader``): inert without ``--grade-notebooks``; with it,
one test per notebook and check, named ``<notebook>::<check id>``, failing with the message."""
from __future__ import annotations

import pytest

from nbfactory import make_notebook
from test_grader_4_4 import COL2IM, IM2COL

pytest_plugins = ["pytester"]

PROJECT_TEST = "def test_own():\n    assert True\n"


@pytest.fixture
def course(pytester):
    pytester.makepyfile(test_own=PROJECT_TEST)
    nbs = pytester.mkdir("nbs")
    make_notebook(nbs / "alice_4_4.ipynb", [IM2COL, COL2IM], exercise="4_4")
    make_notebook(nbs / "bob_4_4.ipynb", [IM2COL, COL2IM.replace("] += col[", "] = col[")])
    make_notebook(nbs / "notes.ipynb", ["x = 1"])
    (nbs / ".ipynb_checkpoints").mkdir()
    make_notebook(nbs / ".ipynb_checkpoints" / "alice_4_4-checkpoint.ipynb", ["x = 1"])
    return pytester


def test_without_the_option_the_plugin_only_adds_options(course):
    result = course.runpytest("--collect-only", "-q", "-p", "no:cacheprovider", ".")
    result.stdout.fnmatch_lines(["test_own.py::test_own", "1 test collected*"])
    assert "ipynb" not in result.stdout.str()
    help_text = course.runpytest("--help").stdout.str()
    assert "--grade-notebooks=DIR" in help_text and "--grade-seed=N" in help_text


@pytest.mark.slow
def test_one_test_per_notebook_and_check(course):
    result = course.runpytest_subprocess("--grade-notebooks", "nbs", "--grade-workers", "2", "-v",
                                         "-p", "no:cacheprovider")
    result.assert_outcomes(passed=10 + 7, failed=3 + 1)
    result.stdout.fnmatch_lines([
        "nbs/alice_4_4.ipynb::im2col.slide PASSED*",
        "nbs/bob_4_4.ipynb::col2im.overlap FAILED*",
        "nbs/notes.ipynb::notebook.graded FAILED*",
    ])
    out = result.stdout.str()
    assert "test_own" not in out and "checkpoint" not in out  # only DIR, never hidden folders
    failure = out.split("_ bob_4_4.ipynb::col2im.overlap (grader check) _", 1)[1]
    assert failure.lstrip("_").lstrip().startswith("failed: col2im(")
    assert "hint: " in failure.split("\n_", 1)[0]
    assert "cannot tell which exercise" in out


@pytest.mark.slow
def test_with_paths_the_notebooks_are_collected_as_well(course):
    course.path.joinpath("nbs", "bob_4_4.ipynb").unlink()
    course.path.joinpath("nbs", "notes.ipynb").unlink()
    result = course.runpytest_subprocess("test_own.py", "--grade-notebooks", "nbs", "-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1 + 10)


def test_a_missing_folder_is_a_usage_error(pytester):
    result = pytester.runpytest("--grade-notebooks", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--grade-notebooks nowhere: not a folder*"])
