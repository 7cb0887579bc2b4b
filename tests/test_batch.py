"""Batch grading in real kernels: the three layouts, resume after SIGKILL, the lock, exports."""
from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.classroom.batch import BatchOptions, grade_class
from grader.reports.class_report import trainee_file
from grader.cli.commands import main
from grader.classroom.gradebook import Gradebook, GradebookLocked
from grader.classroom.late import LatePolicy
from grader.classroom.submissions import discover
from nbfactory import make_notebook
from test_grader_4_4 import COL2IM, IM2COL

pytestmark = pytest.mark.slow
OPTIONS = BatchOptions(workers=2, seed=11, exercises=("4_4",), lang="en", progress=False)


def _good(path: Path, exercise_meta=True) -> Path:
    return make_notebook(path, [IM2COL, COL2IM], exercise="4_4" if exercise_meta else None)


def _bad(path: Path) -> Path:
    return make_notebook(path, [IM2COL, COL2IM.replace("+=", "=")], exercise="4_4")


def _rows(out: Path) -> dict:
    try:
        with sqlite3.connect(out / "gradebook.sqlite") as db:
            return {(t, e): s for t, e, s in db.execute("SELECT trainee, exercise, score FROM grades")}
    except sqlite3.OperationalError:  # the run has not created the table yet
        return {}


def test_three_layouts_and_problems(tmp_path):
    root = tmp_path / "class"
    (root / "alice").mkdir(parents=True)
    _good(root / "alice" / "whatever name.ipynb")
    _bad(root / "bob_4_4_final.ipynb")
    carol = tmp_path / "carol_src"
    carol.mkdir()
    _good(carol / "4_4 (1).ipynb", exercise_meta=False)
    with zipfile.ZipFile(root / "carol.zip", "w") as zf:
        zf.write(carol / "4_4 (1).ipynb", "carol/4_4 (1).ipynb")
    (root / "dave").mkdir()
    make_notebook(root / "dave" / "notes.ipynb", ["x = 1"])  # unidentifiable
    _good(root / "dave" / "4_4_a.ipynb")
    time.sleep(0.01)
    _bad(root / "dave" / "4_4_b.ipynb")  # newer duplicate: graded, the older one reported
    out = tmp_path / "out"
    summary = grade_class(root, out, OPTIONS)
    assert summary.graded == 4 and summary.failed == 0
    assert _rows(out) == {("alice", "4_4"): 10, ("bob", "4_4"): 7, ("carol", "4_4"): 10, ("dave", "4_4"): 7}
    with Gradebook(out) as book:
        messages = {Path(p["path"]).name: p["message"] for p in book.problems()}
    assert "cannot tell which exercise" in messages["notes.ipynb"]
    assert "duplicate" in messages["4_4_a.ipynb"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f"trainees/{trainee_file('alice')}" in index and "col2im.overlap" in index
    assert "notes.ipynb" in index
    report = (out / "trainees" / trainee_file("bob")).read_text(encoding="utf-8")
    assert "col2im.overlap" in report and 'class="diff"' in report


def test_rerun_skips_unchanged_and_regrades_changed(tmp_path, monkeypatch):
    """A rerun grades what changed: a notebook, the secret (seed), or what decides the exercise's
    score (its grading code: the grader was updated; the instructor is told so)."""
    root = tmp_path / "class"
    root.mkdir()
    _good(root / "alice_4_4.ipynb")
    _bad(root / "bob_4_4.ipynb")
    out = tmp_path / "out"
    assert grade_class(root, out, OPTIONS).graded == 2
    again = grade_class(root, out, OPTIONS)
    assert (again.graded, again.skipped) == (0, 2)
    _good(root / "bob_4_4.ipynb")
    third = grade_class(root, out, OPTIONS)
    assert (third.graded, third.skipped) == (1, 1)
    assert _rows(out)[("bob", "4_4")] == 10
    other_seed = grade_class(root, out, BatchOptions(**{**OPTIONS.__dict__, "seed": 12}))
    assert other_seed.graded == 2
    from grader.classroom import batch
    from grader.grading.fingerprint import grading_code

    assert {r["grading_code"] for r in Gradebook(out, lock=False).rows()} == {grading_code("4_4")}
    monkeypatch.setattr(batch, "grading_code", lambda exercise: "checks-fixed-since")
    fixed = grade_class(root, out, BatchOptions(**{**OPTIONS.__dict__, "seed": 12}))
    assert (fixed.graded, fixed.skipped) == (2, 0)
    assert fixed.warnings == ["4_4: the grader's checks or reference changed since 2 stored grades were made; they are "
                              "graded again, and their scores may change."]
    settled = grade_class(root, out, BatchOptions(**{**OPTIONS.__dict__, "seed": 12}))
    assert (settled.graded, settled.skipped, settled.warnings) == (0, 2, [])


def test_a_gradebook_from_before_grading_codes_is_graded_again(tmp_path):
    """A gradebook written before the grading_code column: opening it adds the column, and its
    rows, whose code is unknown, are not current (a rerun grades them again)."""
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    db = sqlite3.connect(out / "gradebook.sqlite")
    db.executescript("""CREATE TABLE grades (
        trainee TEXT NOT NULL, exercise TEXT NOT NULL, notebook TEXT NOT NULL, sha256 TEXT NOT NULL,
        seed INTEGER NOT NULL, grader_version TEXT NOT NULL,
        score REAL NOT NULL, max_score REAL NOT NULL, penalty REAL NOT NULL DEFAULT 0, final_score REAL NOT NULL,
        submitted_at REAL, checks_json TEXT NOT NULL, flags_json TEXT NOT NULL, errors_json TEXT NOT NULL,
        result_json TEXT NOT NULL, seconds REAL, graded_at REAL NOT NULL, PRIMARY KEY (trainee, exercise));
        INSERT INTO grades VALUES ('alice', '4_4', 'a.ipynb', 'abc', 7, '0.1.0', 10, 10, 0, 10, NULL, '[]', '[]', '[]',
        '{}', 1.0, 0.0);""")
    db.close()
    with Gradebook(out) as book:
        assert book.rows()[0]["grading_code"] == "" and book.rows()[0]["score"] == 10
        assert not book.is_current("alice", "4_4", "abc", 7, "0.1.0", "0123456789abcdef")
        assert book.codes() == {"4_4": {"": 1}}


def test_unsafe_zip_is_reported_not_extracted(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    with zipfile.ZipFile(root / "mallory.zip", "w") as zf:
        zf.writestr("../../escape.ipynb", "{}")
    subs, problems = discover(root, tmp_path / "staging")
    assert subs == [] and "unsafe member" in problems[0].message
    assert not (tmp_path / "escape.ipynb").exists()


def test_second_run_on_same_dir_is_refused(tmp_path):
    with Gradebook(tmp_path / "out"):
        with pytest.raises(GradebookLocked, match="another grader run"):
            Gradebook(tmp_path / "out")


def test_resume_after_sigkill_loses_nothing(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    for i in range(8):
        (_good if i % 2 else _bad)(root / f"t{i}_4_4.ipynb")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "grader.cli.commands", "grade", str(root), "--out", str(out), "--workers", "1",
           "--seed", "5", "--exercises", "4_4", "--lang", "en"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (out / "gradebook.sqlite").exists() and len(_rows(out)) >= 2:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _rows(out)
    assert 2 <= len(before) < 8
    assert subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    after = _rows(out)
    assert len(after) == 8
    assert all(after[k] == v for k, v in before.items())
    assert {after[(f"t{i}", "4_4")] for i in range(8)} == {7, 10}


def test_late_penalty_and_exports(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    _good(root / "alice_4_4.ipynb")
    _good(root / "bob_4_4.ipynb")
    times = tmp_path / "times.csv"
    times.write_text("trainee,submitted_at\nalice,2026-12-01T10:00+00:00\nbob,2026-12-03T01:00+00:00\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["grade", str(root), "--out", str(out), "--workers", "2", "--seed", "3", "--lang", "ja",
                 "--deadline", "2026-12-02T00:00+00:00", "--late-policy", "percent:10",
                 "--submission-times", str(times)])
    assert code == 0
    assert main(["export", str(out), "--csv", str(tmp_path / "c.csv"), "--canvas", str(tmp_path / "canvas.csv"),
                 "--json", str(tmp_path / "all.json")]) == 0
    table = list(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text(encoding="utf-8"))))
    assert {r["trainee"]: r["4_4"] for r in table} == {"alice": "10", "bob": "8"}  # 25 h late: two started days, 20 % off
    canvas = (tmp_path / "canvas.csv").read_text(encoding="utf-8").splitlines()
    assert canvas[0].startswith("Student,ID,SIS User ID") and "Points Possible" in canvas[1]
    assert LatePolicy(0.0, "zero").penalty(10, 86400.0) == 10


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--lang", "en"]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--exercises", "9_9"]) == 2
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--late-policy", "half"]) == 2
    assert main(["export", str(tmp_path / "empty"), "--csv", str(tmp_path / "x.csv")]) == 2
