"""What a user reads from the command line (issue 14): clear errors in Japanese and English,
``--json`` errors as one JSON object, no side effects of a failed command, help with examples
and exit codes, released notebooks that end with a self-check. All in process, no kernel."""
from __future__ import annotations

import json
import pickle
import string
from pathlib import Path

import nbformat
import pytest

from grader.cli.commands import _warn_exercise_ignored, main
from grader.errors import NotebookError, UsageError
from grader.reports.messages import MESSAGES, default_lang, text
from grader.grading.notebook import exercise_disagreement, identify_exercise, read_notebook
from nbfactory import make_notebook

ROOT = Path(__file__).parents[1]


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_exists_in_both_languages_with_the_same_fields():
    for key, entry in MESSAGES.items():
        assert set(entry) >= {"ja", "en"}, key
        assert _fields(entry["ja"]) == _fields(entry["en"]), key


def test_default_language_is_japanese_unless_the_locale_asks(monkeypatch):
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    assert default_lang() == "ja"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert default_lang() == "ja"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert default_lang() == "en"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_python_file_is_not_a_notebook(tmp_path, capsys, monkeypatch, lang):
    monkeypatch.chdir(tmp_path)
    Path("sol.py").write_text("def im2col(): pass\n")
    code, out, err = _run(capsys, "check", "sol.py", "--lang", lang)
    assert code == 2 and out == ""
    assert "JSON" not in err
    assert ("Python ファイル (.py)" if lang == "ja" else "a Python file (.py), not a notebook") in err
    assert "sol.py" in err and "Traceback" not in err


def test_a_folder_suggests_grader_grade(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("class").mkdir()
    code, _, err = _run(capsys, "check", "class", "--lang", "en")
    assert code == 2 and "a folder" in err and "grader grade class --out" in err
    code, _, err = _run(capsys, "check", "class", "--lang", "ja")
    assert code == 2 and "フォルダです" in err and "grader grade class" in err


def test_not_json_names_the_problem_in_both_languages(tmp_path, capsys):
    bad = tmp_path / "4_4_x.ipynb"
    bad.write_text("{not json")
    code, _, err = _run(capsys, "check", str(bad), "--lang", "ja")
    assert code == 2 and "JSON として読めません" in err and "行 1" in err
    with pytest.raises(NotebookError) as info:
        read_notebook(bad)
    assert "not valid JSON" in str(info.value)  # the English text stays for logs and gradebooks
    again = pickle.loads(pickle.dumps(info.value))
    assert again.key == "err_not_json" and again.in_lang("ja") == info.value.in_lang("ja")


def test_json_error_is_one_json_object_with_an_error_key(tmp_path, capsys):
    (tmp_path / "sol.py").write_text("x = 1\n")
    code, out, err = _run(capsys, "check", str(tmp_path / "sol.py"), "--json", "--lang", "en")
    assert code == 2
    data = json.loads(out)  # exactly one object
    assert out.count("\n") == 1 and "not a notebook" in data["error"] and data["exit_code"] == 2
    assert data["error_key"] == "err_py_file"


def test_unknown_exercise_is_not_said_to_lack_a_4_x(tmp_path):
    meta = make_notebook(tmp_path / "work.ipynb", ["x = 1"], exercise="4_99")
    with pytest.raises(UsageError) as info:
        identify_exercise(read_notebook(meta), meta)
    said = info.value.in_lang("en")
    assert "4_99" in said and "no 4_x" not in said and "does not know" in said
    assert "4_99" in info.value.in_lang("ja")
    named = make_notebook(tmp_path / "4_99_extra.ipynb", ["x = 1"])
    with pytest.raises(UsageError) as info:
        identify_exercise(read_notebook(named), named)
    said = info.value.in_lang("en")
    assert "file name says 4_99" in said and "no 4_x" not in said
    plain = make_notebook(tmp_path / "notes.ipynb", ["x = 1"])
    with pytest.raises(UsageError) as info:
        identify_exercise(read_notebook(plain), plain)
    assert "cannot tell which exercise" in str(info.value) and "判別できません" in info.value.in_lang("ja")


def test_exercise_option_against_the_metadata_is_warned(tmp_path, capsys):
    path = make_notebook(tmp_path / "mine.ipynb", ["x = 1"], exercise="4_4")
    nb = read_notebook(path)
    assert exercise_disagreement(nb, path, "4_1") == "4_4"
    assert exercise_disagreement(nb, path, "4_4") is None
    assert identify_exercise(nb, path, "4_1") == "4_4"  # the metadata wins (CONTRACT.md)
    _warn_exercise_ignored(path, "4_1", "en")
    assert "--exercise 4_1 ignored" in capsys.readouterr().err
    _warn_exercise_ignored(path, "4_1", "ja")
    assert "--exercise 4_1 は使いません" in capsys.readouterr().err
    _warn_exercise_ignored(path, "4_4", "en")
    assert capsys.readouterr().err == ""


def test_grading_nowhere_leaves_no_gradebook(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "grade", "nowhere", "--out", "o1", "--lang", "en")
    assert code == 2 and "nowhere" in err and "not a folder" in err
    assert not Path("o1").exists()
    Path("class.txt").write_text("alice\n")
    code, _, err = _run(capsys, "grade", "class.txt", "--out", "o1", "--lang", "ja")
    assert code == 2 and "提出物のフォルダではありません" in err
    assert not Path("o1").exists()


def test_release_outside_a_course_folder_is_a_clear_message(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "release")
    assert code == 2 and "Traceback" not in err and "FileNotFoundError" not in err
    assert "exercises/source" in err
    assert not Path("exercises").exists()


@pytest.mark.parametrize("command", ["", "check", "grade", "feedback", "export", "override", "release", "ci", "exercises"])
def test_help_shows_examples_and_exit_codes(command, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    with pytest.raises(SystemExit) as done:
        main(([command] if command else []) + ["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "exit codes:" in out and "grader " in out
    monkeypatch.setenv("LANG", "C.UTF-8")
    with pytest.raises(SystemExit):
        main(([command] if command else []) + ["--help"])
    out = capsys.readouterr().out
    assert "例:" in out and "終了コード" in out


def test_released_notebooks_end_with_a_note_and_a_selfcheck():
    for path in sorted((ROOT / "exercises" / "trainee").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        note, check = nb.cells[-2], nb.cells[-1]
        assert note.cell_type == "markdown" and "セルフチェック" in note.source, path
        assert check.cell_type == "code" and "from grader import selfcheck" in check.source
        assert check.source.rstrip().endswith("selfcheck()")
    assert main(["release", "--check", str(ROOT / "exercises" / "source"), str(ROOT / "exercises" / "trainee")]) == 0


def test_keyed_errors_read_in_either_language():
    error = UsageError.keyed("err_workers")
    assert str(error) == text("err_workers", "en") and error.in_lang("ja") == text("err_workers", "ja")
    assert pickle.loads(pickle.dumps(error)).in_lang("ja") == text("err_workers", "ja")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_ctrl_c_keeps_results_says_how_to_resume_and_exits_130(tmp_path, capsys, monkeypatch, lang):
    """The command line's side of an interrupt (the pool's side, kernels killed at once, is
    tests/test_killed_grader.py's): exit 130, no traceback, how to resume in the user's language."""
    import grader.classroom.batch

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(grader.classroom.batch, "grade_class", interrupted)
    (tmp_path / "class").mkdir()
    code, _, err = _run(capsys, "grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--lang", lang)
    assert code == 130 and "Traceback" not in err
    assert ("再開" if lang == "ja" else "resume") in err and str(tmp_path / "out") in err


def test_json_usage_error_is_still_one_json_object(capsys):
    with pytest.raises(SystemExit) as done:
        main(["check", "--json", "--lang", "xx"])
    assert done.value.code == 2
    assert json.loads(capsys.readouterr().out)["exit_code"] == 2


def test_cell_errors_and_notes_made_in_english_read_in_japanese():
    from grader.reports.report import render_terminal
    from grader.grading.results import ERRORS_DROPPED, CellError, GradingResult, Note, cap_errors

    limit = CellError(3, "output-limit", text("output_limit", "en", limit="1 MiB"))
    errors = cap_errors([limit] + [CellError(i, "error", "boom") for i in range(59)],
                        lambda n: text("errors_dropped", "en", count=n))
    note = Note("env-cell-skipped", 0, text("env_cell_skipped", "en", cell=0, line="!pip install x", count=1))
    result = GradingResult("4_1", "n.ipynb", (), errors=errors, notes=(note,))
    again = GradingResult.from_json(result.to_json())
    assert again.errors[-1].kind == ERRORS_DROPPED and again.errors[-1].message_key == "errors_dropped"
    assert again.errors[-1] == CellError(None, ERRORS_DROPPED, "10 more errors not shown.")  # keys are not compared
    assert type(again.errors[0].message) is str and again.notes[0].message_key == "env_cell_skipped"
    shown = render_terminal(again, "ja")
    assert text("errors_dropped", "ja", count=10) in shown and text("output_limit", "ja", limit="1 MiB") in shown
    assert "more errors not shown" not in shown


def test_every_subcommand_has_examples_and_exit_codes_in_its_help(monkeypatch):
    import argparse

    from grader.cli.commands import _parser

    monkeypatch.setenv("LANG", "en_US.UTF-8")
    parser = _parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subs.choices.items():
        assert sub.epilog and "examples:" in sub.epilog and "exit codes:" in sub.epilog, name
