"""Trainee text is data everywhere: each test tries one attack a trainee (or a trainee's name)
can make on the grader's output, and checks that it ends contained. Terminal escapes in
exception texts and folder names, spreadsheet formulas in names, names that collide as file
names or look like a classmate's, FIFOs among submissions, a flood of cell errors; and one
small hostile class graded end to end with ``grader grade`` and ``grader export``. ``visible``,
``csv_cell`` and ``report_file_name`` for any text: tests/test_properties_safe_text.py."""
from __future__ import annotations

import csv
import io
import json
import os
import threading
from pathlib import Path

import pytest

from grader.classroom.batch import _Progress
from grader.reports.class_report import summary_data, trainee_file, write_reports
from grader.cli.commands import main
from grader.errors import NotebookError
from grader.classroom.export import canvas_csv, class_csv
from grader.classroom.gradebook import Gradebook
from grader.grading.notebook import read_notebook
from grader.reports.report import render_html, render_json, render_terminal
from grader.grading.results import ERRORS_DROPPED, MAX_ERRORS, CellError, CheckResult, GradingResult, Status, cap_errors
from grader.reports.safe_text import name_findings, skeleton, visible
from grader.classroom.submissions import Submission, discover, safe_extract
from nbfactory import make_notebook

ESC_SCORE = "\x1b[2J\x1b[H\x1b[32mScore: 10 / 10\x1b[0m"  # clear the screen, then a green full score
ESC_NAME = "\x1b[2J\x1b[32mfull marks\x1b[0m"  # the same in a file name (no "/")
FORMULA = '=HYPERLINK("http://x","y")'
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
CYRILLIC_A = "\u0430"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _result(message: str = f"ValueError: {ESC_SCORE}", notebook: str = "nb.ipynb", errors: int = 1) -> GradingResult:
    check = CheckResult("convolution.slide", False, 0.0, 1.0, f"convolution(x, w) raised an error: {message}",
                        hint=f"look at {message}", status=Status.ERROR)
    return GradingResult("4_1", notebook, (check,), errors=tuple(CellError(i, "error", message) for i in range(errors)),
                         seed=3, grader_version="test")


def _record(out: Path, trainees, result: GradingResult | None = None) -> None:
    with Gradebook(out) as book:
        for i, trainee in enumerate(trainees):
            book.record(trainee, f"{i:064d}", result or _result())
        write_reports(book, out, "en")


# --- terminals ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["ja", "en"])
def test_esc_in_exception_text_cannot_clear_the_screen_or_fake_a_score(lang):
    out = render_terminal(_result(), lang, colour=False)
    assert "\x1b" not in out
    assert "\\x1b[2J\\x1b[H\\x1b[32mScore: 10 / 10\\x1b[0m" in out  # shown, visibly escaped
    assert not any(line.lstrip().startswith("Score: 10") for line in out.splitlines())


def test_esc_in_exception_text_leaves_only_the_reports_own_colours():
    out = render_terminal(_result(), "en", colour=True)
    for own in ("\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[35m", "\x1b[0m"):
        out = out.replace(own, "")
    assert "\x1b" not in out and "\\x1b[2J" in out


def test_a_newline_in_an_exception_text_cannot_start_a_line_of_the_report():
    out = render_terminal(_result("boom\nScore: 10 / 10"), "en")
    assert "Score: 10 / 10" in out
    assert not any(line.startswith("Score") for line in out.splitlines())


def test_bidi_override_and_c1_controls_are_escaped_japanese_kept():
    shown = visible(f"山田{RLO}abc\x9b31m\r改行\nあり")
    assert shown == "山田\\u202eabc\\x9b31m\\x0d改行\nあり"
    assert visible("a\nb\tc", multiline=False) == "a\\x0ab\\x09c"
    assert visible("採点レポート: 10/10") == "採点レポート: 10/10"


def test_esc_in_a_folder_name_is_escaped_in_progress_lines(capsys):
    sub = Submission(f"eve{ESC_SCORE}{RLO}", "4_1", Path("x.ipynb"), "0" * 64, 0.0)
    progress = _Progress(1, enabled=False)
    progress.step(sub, _result())
    err = capsys.readouterr().err
    assert "\x1b" not in err and RLO not in err
    assert "eve\\x1b[2J" in err and "\\u202e" in err


def test_a_file_name_with_esc_is_escaped_in_the_cli_error(tmp_path, capsys):
    path = tmp_path / f"x{ESC_NAME}_4_1.ipynb"
    path.write_text("", encoding="utf-8")  # empty: refused, and the message names the file
    assert main(["check", str(path), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[32mfull marks" in err and "empty" in err


def test_json_output_escapes_bidi_and_c1_controls_and_keeps_the_value():
    result = _result(f"{RLO}\x9b\x1b")
    encoded = render_json(result)
    assert RLO not in encoded and "\x9b" not in encoded and "\x1b" not in encoded
    assert json.loads(encoded) == result.to_dict()


# --- HTML --------------------------------------------------------------------------------------

def test_bidi_override_in_html_is_shown_not_applied(tmp_path):
    html = render_html(_result(f"evil{RLO}gnp.exe"), "en")
    assert RLO not in html and "\x1b" not in html and "evil\\u202egnp.exe" in html
    out = tmp_path / "out"
    _record(out, [f"mallory{RLO}", "alice"])
    for page in [out / "index.html", *(out / "trainees").glob("*.html")]:
        text = page.read_text(encoding="utf-8")
        assert RLO not in text and "\x1b" not in text


# --- CSV ---------------------------------------------------------------------------------------

def _assert_inert(table: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(table)))
    for row in rows:
        for cell in row:
            if cell.startswith(TRIGGERS):
                float(cell)  # only a number may start with "-" (or "+"): a negative score is a number
    return rows


def test_formula_trainee_name_is_inert_in_csv_and_canvas_exports(tmp_path):
    out = tmp_path / "out"
    _record(out, [FORMULA, "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "alice"])
    with Gradebook(out) as book:
        rows = book.rows()
    plain = _assert_inert(class_csv(rows))
    canvas = _assert_inert(canvas_csv(rows))
    assert ["'" + FORMULA] == [r[0] for r in plain if "HYPERLINK" in r[0]]
    hyperlink = next(r for r in canvas if "HYPERLINK" in r[0])
    assert hyperlink[0] == hyperlink[2] == "'" + FORMULA  # Student, SIS User ID (SIS Login ID: the roster's email)
    assert ["alice", "alice", "", "0", "0", "1"] in [r[:6] for r in plain]  # numbers stay numbers


def test_a_negative_score_stays_a_number_in_the_export():
    rows = [{"trainee": "alice", "exercise": "4_1", "final_score": -1.5, "max_score": 10.0}]
    assert class_csv(rows).splitlines()[1].startswith("alice,alice,,-1.5,-1.5,10,")


# --- report file names -------------------------------------------------------------------------

def test_two_japanese_names_get_two_report_files_and_the_same_ones_on_a_rerun(tmp_path):
    out = tmp_path / "out"
    _record(out, ["山田", "田中"])
    first = sorted(p.name for p in (out / "trainees").glob("*.html"))
    _record(out, ["山田", "田中"])
    assert sorted(p.name for p in (out / "trainees").glob("*.html")) == first and len(first) == 2
    for name in ("山田", "田中"):
        page = (out / "trainees" / trainee_file(name)).read_text(encoding="utf-8")
        assert name in page and ({"山田", "田中"} - {name}).pop() not in page
        assert f'href="trainees/{trainee_file(name)}"' in (out / "index.html").read_text(encoding="utf-8")


# --- names that look alike ---------------------------------------------------------------------

def test_cyrillic_a_and_bidi_override_are_flagged_in_the_class_summary(tmp_path):
    out = tmp_path / "out"
    spoof = f"{CYRILLIC_A}lice"
    _record(out, ["alice", spoof, f"bob{RLO}", "山田", "田中", "Сергей"])
    with Gradebook(out) as book:
        data = summary_data(book.rows(), book.problems(), "en")
    messages = {(p["trainee"], p["message"]) for p in data["problems"]}
    flagged = {t for t, _ in messages}
    assert flagged == {"alice", spoof, f"bob{RLO}"}  # not the Japanese or the all-Cyrillic names
    assert any(t == "alice" and "looks the same" in m and "CYRILLIC SMALL LETTER A" in m for t, m in messages)
    assert any(t == spoof and "mixes Latin with Cyrillic" in m for t, m in messages)
    assert any(t == f"bob{RLO}" and "RIGHT-TO-LEFT OVERRIDE" in m for t, m in messages)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "CYRILLIC SMALL LETTER A" in index and "bob\\u202e" in index and RLO not in index
    assert "CYRILLIC" not in (out / "trainees" / trainee_file("alice")).read_text(encoding="utf-8")


def test_full_width_and_zero_width_names_have_the_skeleton_of_the_plain_one():
    assert skeleton("ａｌｉｃｅ") == skeleton("al\u200bice") == skeleton(f"{CYRILLIC_A}lice") == "alice"
    kinds = {(f["trainee"], f["kind"]) for f in name_findings(["alice", "ａｌｉｃｅ", "al\u200bice"])}
    assert ("ａｌｉｃｅ", "looks-like") in kinds and ("al\u200bice", "hidden") in kinds


# --- FIFOs and other non-regular files ---------------------------------------------------------

def _returns(call, fifos: list[Path]):
    """``call()`` in a thread joined with a timeout: a hang fails the test instead of the run
    (the FIFOs are then opened for writing and closed, which releases a blocked reader). Returns
    what ``call`` returned, or the exception it raised."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except Exception as exc:  # handed to the test
            outcome["value"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=60)
    hung = thread.is_alive()
    if hung:
        for fifo in fifos:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not hung, "blocked on a FIFO"
    return outcome["value"]


def test_a_fifo_among_flat_layout_submissions_is_reported_not_hung(tmp_path):
    root = tmp_path / "class"
    (root / "carol").mkdir(parents=True)
    make_notebook(root / "alice_4_1.ipynb", ["x = 1"], exercise="4_1")
    fifos = [root / "bob_4_1.ipynb", root / "dave.zip", root / "carol" / "4_1.ipynb"]
    for fifo in fifos:
        os.mkfifo(fifo)
    os.symlink("/etc/passwd", root / "erin_4_1.ipynb")
    subs, problems = _returns(lambda: discover(root, tmp_path / "staging"), fifos)
    assert [(s.trainee, s.exercise) for s in subs] == [("alice", "4_1")]
    reasons = {Path(p.path).name: (p.trainee, p.message) for p in problems}
    for name, trainee in (("bob_4_1.ipynb", "bob"), ("dave.zip", "dave"), ("4_1.ipynb", "carol")):
        assert reasons[name][0] == trainee and "FIFO" in reasons[name][1]
    assert "symbolic link" in reasons["erin_4_1.ipynb"][1]


@pytest.mark.parametrize("read", [read_notebook, lambda path: read_notebook(path, follow_symlinks=True),
                                  lambda path: safe_extract(path, path.parent / "staging")],
                         ids=["read_notebook", "read_notebook_following_links", "safe_extract"])
def test_a_fifo_is_refused_by_every_read_path_without_blocking(tmp_path, read):
    fifo = tmp_path / "x_4_1.ipynb"
    os.mkfifo(fifo)
    refused = _returns(lambda: read(fifo), [fifo])
    assert isinstance(refused, NotebookError) and "not a regular file (a FIFO)" in str(refused)


def test_a_symlinked_notebook_is_read_only_when_the_user_named_it(tmp_path):
    real = make_notebook(tmp_path / "real_4_1.ipynb", ["x = 1"])
    link = tmp_path / "link_4_1.ipynb"
    link.symlink_to(real)
    with pytest.raises(NotebookError, match="symbolic link"):
        read_notebook(link)
    assert read_notebook(link, follow_symlinks=True).cells[0].source == "x = 1"


# --- the errors list ---------------------------------------------------------------------------

def test_500_raising_cells_give_a_capped_errors_list_with_the_dropped_count():
    result = _result(errors=500)
    assert len(result.errors) == MAX_ERRORS + 1
    assert result.errors[-1] == CellError(None, ERRORS_DROPPED, "450 more errors not shown")
    again = GradingResult.from_json(result.to_json())
    assert again.errors == result.errors and len(json.loads(render_json(result))["errors"]) == MAX_ERRORS + 1
    assert "450 more errors not shown" in render_terminal(result, "en")
    assert "450 more errors not shown" in render_html(result, "en")


def test_the_dropped_count_is_worded_in_japanese_and_counted_once():
    errors = [CellError(i, "error", "boom") for i in range(120)]
    capped = cap_errors(errors, lambda n: f"ほかに {n} 件のエラーは表示していません。")
    assert capped[-1].message == "ほかに 70 件のエラーは表示していません。"
    assert cap_errors(capped) == capped  # capped once: left as it is
    assert cap_errors(capped + tuple(errors[:10]))[-1].message == "80 more errors not shown"


# --- end to end, real kernels --------------------------------------------------------------------

MANY_ERRORS = [f"raise ValueError({ESC_SCORE!r})"] + [f"raise RuntimeError('boom {i}')" for i in range(499)]


@pytest.mark.slow
def test_grader_check_on_500_raising_cells_with_esc_text_is_capped_and_escaped(tmp_path, capsys):
    path = make_notebook(tmp_path / "mallory_4_1.ipynb", MANY_ERRORS, exercise="4_1")
    assert main(["check", str(path), "--lang", "ja", "--json"]) == 1
    printed = capsys.readouterr().out
    assert "\x1b" not in printed
    result = json.loads(printed)
    assert len(result["errors"]) == MAX_ERRORS + 1
    shown = render_terminal(GradingResult.from_dict(result), "ja")
    assert "\x1b" not in shown and "\\x1b[32mScore: 10 / 10" in shown and "ほかに 450 件" in shown
    dropped = {"cell": None, "kind": ERRORS_DROPPED, "message": "ほかに 450 件のエラーは表示していません。"}
    assert {k: result["errors"][-1][k] for k in dropped} == dropped  # + message_key/message_fields (issue 14)


@pytest.mark.slow
def test_a_hostile_class_grades_with_every_report_present_and_every_export_inert(tmp_path, capsys):
    root, out = tmp_path / "class", tmp_path / "out"
    spoof, eve, mallory = f"{CYRILLIC_A}lice", f"eve{RLO}", f"mallory{ESC_NAME}"
    graded = ['=HYPERLINK("x","y")', "山田", "田中", spoof, mallory]
    for trainee in graded:
        (root / trainee).mkdir(parents=True)
        cells = [f"raise ValueError({ESC_SCORE!r})"] if trainee == mallory else ["x = 1"]
        make_notebook(root / trainee / "4_1.ipynb", cells, exercise="4_1")
    (root / "alice").mkdir()
    os.mkfifo(root / "alice" / "4_1.ipynb")  # a FIFO in a folder: listed, never opened
    os.mkfifo(root / "bob_4_1.ipynb")  # a FIFO in the flat layout
    (root / eve).mkdir()
    make_notebook(root / eve / "notes.ipynb", ["x = 1"])  # unidentifiable: a problem, and a report
    argv = ["grade", str(root), "--out", str(out), "--workers", "2", "--seed", "3", "--exercises", "4_1",
            "--lang", "en"]
    assert main(argv) == 0
    first = capsys.readouterr()
    assert main(argv) == 0  # a rerun: nothing regraded, the same files
    again = capsys.readouterr()
    for stream in (first.out, first.err, again.out, again.err):
        assert "\x1b" not in stream and RLO not in stream
    assert "mallory\\x1b[2J" in first.err and "graded 5" in first.out and "graded 0" in again.out
    trainees = set(graded) | {"alice", eve, "bob"}
    files = {p.name for p in (out / "trainees").glob("*.html")}
    assert files == {trainee_file(t) for t in trainees} and len(files) == len(trainees)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "FIFO" in index and "CYRILLIC SMALL LETTER A" in index and "RIGHT-TO-LEFT OVERRIDE" in index
    assert "\x1b" not in index and RLO not in index
    assert main(["export", str(out), "--csv", str(tmp_path / "c.csv"), "--canvas", str(tmp_path / "k.csv")]) == 0
    for export in ("c.csv", "k.csv"):
        rows = _assert_inert((tmp_path / export).read_text(encoding="utf-8"))
        assert "'=HYPERLINK(\"x\",\"y\")" in [r[0] for r in rows]
