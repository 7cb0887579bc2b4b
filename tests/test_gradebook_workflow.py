"""The instructor's gradebook: a roster (absent trainees, missing exercises as zero), a late
policy that is a view (a rerun with a new policy changes the penalties without a regrade),
overrides kept across regrades and flagged when the notebook changes, naive submission times,
warnings about the times file, and the Canvas / Moodle / plain CSV exports checked figure by
figure. Most tests build a gradebook in-process from hand-made results (no kernel); the
workflow test at the end grades a small class in real kernels once and does everything else
on that gradebook."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from grader.cli.commands import main
from grader.errors import GraderError
from grader.classroom.export import canvas_csv, class_csv, moodle_csv, results_json
from grader.classroom.gradebook import Gradebook
from grader.classroom.late import LatePolicy, PolicyUpdate, read_submission_times, resolve_policy, times_warnings
from grader.classroom.overrides import clear_override, set_override
from grader.grading.results import CheckResult, GradingResult
from grader.classroom.roster import Member, RosterError, parse_roster, read_roster, record_run_options
from grader.classroom.standing import of_book

ROSTER = ("\ufeffid,name,email,lms_id,section\n"
          "t01,佐藤 花子,sato@example.jp,SIS-001,A\n"
          "t02,鈴木 一郎,suzuki@example.jp,,B\n"
          "t03,高橋 三郎,takahashi@example.jp,SIS-003,A\n")
DAY = 86400.0
DEADLINE = 1_800_000_000.0  # a POSIX time; "late" below means after it


def _result(exercise: str, checks: dict, notebook: str = "nb.ipynb") -> GradingResult:
    return GradingResult(exercise, notebook, tuple(
        CheckResult(cid, p == m, float(p), float(m), "msg", status="passed" if p == m else "failed")
        for cid, (p, m) in checks.items()), seed=7, grader_version="test")


A43 = {"pad.shape": (3, 3), "pad.values": (4, 4), "transpose.values": (0, 6)}  # 7 of 13
A44 = {"im2col.values": (5, 5), "col2im.overlap": (0, 5)}  # 5 of 10
FULL44 = {"im2col.values": (5, 5), "col2im.overlap": (5, 5)}  # 10 of 10


def _book(tmp_path: Path, roster: bool = True) -> Path:
    """t01: both exercises, submitted 1 h late; t02: 4_4 only, on time; t03: nothing (roster
    only); x99: a submission without a roster entry."""
    out = tmp_path / "out"
    with Gradebook(out) as book:
        book.record("t01", "sha-a43", _result("4_3", A43), submitted_at=DEADLINE + 3600)
        book.record("t01", "sha-a44", _result("4_4", A44), submitted_at=DEADLINE + 3600)
        book.record("t02", "sha-b44", _result("4_4", FULL44), submitted_at=DEADLINE - 60)
        book.record("x99", "sha-x44", _result("4_4", FULL44), submitted_at=DEADLINE - 60)
        record_run_options(book, parse_roster(ROSTER, "roster.csv") if roster else None, "roster.csv",
                           LatePolicy(DEADLINE, "percent", 10), {"t01", "t02", "x99"}, "en")
    return out


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- roster --------------------------------------------------------------------------------

def test_roster_reads_a_bom_optional_columns_and_japanese_names(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode("utf-8"))
    members = read_roster(path)
    assert [m.id for m in members] == ["t01", "t02", "t03"]
    assert members[0] == Member("t01", "佐藤 花子", "sato@example.jp", "SIS-001", "A", 2)
    path.write_text("name,id\n山田,y1\n\n田中,y2\n", encoding="utf-8")  # no BOM, other column order, a blank line
    assert [(m.id, m.name, m.email, m.line) for m in read_roster(path)] == [("y1", "山田", "", 2), ("y2", "田中", "", 4)]


@pytest.mark.parametrize("content, key, line", [
    ("id,email\nt01,a@b\n", "roster_missing_column", 1),
    ("id,name\nt01,A\nt02,B\nt01,C\n", "roster_duplicate_id", 4),
    ("id,name\nt01,A\n ,B\n", "roster_empty_id", 3),
])
def test_a_bad_roster_names_the_file_and_line_in_both_languages(tmp_path, capsys, content, key, line):
    path = tmp_path / "bad roster.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert caught.value.key == key and caught.value.exit_code == 2
    ja, en = caught.value.in_lang("ja"), caught.value.in_lang("en")
    assert str(path) in ja and f"{line} 行目" in ja
    assert str(path) in en and f"line {line}" in en
    (tmp_path / "class").mkdir()
    assert main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "o"), "--roster", str(path),
                 "--lang", "ja"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and f"{line} 行目" in err
    assert not (tmp_path / "o").exists()  # nothing made before the roster was read


# --- the standing: missing work, unrostered submissions, the late policy as a view ---------

def test_missing_work_counts_zero_and_everyone_has_the_same_maximum(tmp_path):
    out = _book(tmp_path)
    with Gradebook(out) as book:
        s = of_book(book)
    assert s.trainees == ["t01", "t02", "t03", "x99"] and s.unrostered == {"x99"}
    assert s.max_points == {"4_3": 13.0, "4_4": 10.0} and s.max_total == 23.0
    assert {t: s.totals[t].max for t in s.trainees} == {"t01": 23.0, "t02": 23.0, "t03": 23.0, "x99": 23.0}
    assert s.cells["t02", "4_3"].missing and s.cells["t02", "4_3"].final == 0 and "missing" in s.cells["t02", "4_3"].flags
    assert s.totals["t02"].missing == ("4_3",) and s.totals["t03"].missing == ("4_3", "4_4")
    assert s.totals["t03"].final == 0
    assert [p["trainee"] for p in s.problems] == ["x99"] and s.problems[0]["key"] == "not_in_roster"
    # 1 h late is one started day: 10 % off each exercise of t01
    assert (s.cells["t01", "4_3"].penalty, s.cells["t01", "4_4"].penalty) == (0.7, 0.5)
    assert s.totals["t01"].final == pytest.approx(7 - 0.7 + 5 - 0.5)


def test_without_a_roster_the_class_is_who_was_found_and_missing_still_counts_zero(tmp_path):
    out = _book(tmp_path, roster=False)
    with Gradebook(out) as book:
        s = of_book(book)
    assert s.trainees == ["t01", "t02", "x99"] and not s.has_roster and not s.problems
    assert s.totals["t02"].max == s.totals["t01"].max == 23.0 and s.totals["t02"].final == 10


def test_a_new_policy_changes_penalties_without_touching_the_grades(tmp_path):
    out = _book(tmp_path)
    with Gradebook(out) as book:
        before = [dict(r) for r in book.rows()]
        record_run_options(book, None, "", PolicyUpdate(policy="zero"), set(), "en")  # the deadline stays
        assert of_book(book).cells["t01", "4_4"].penalty == 5.0 and of_book(book).totals["t01"].final == 0
        record_run_options(book, None, "", PolicyUpdate(deadline="2030-01-01T00:00+09:00"), set(), "en")
        assert of_book(book).totals["t01"].penalty == 0  # zero policy kept, nobody late any more
        record_run_options(book, None, "", None, set(), "en")  # no policy option: all kept
        assert book.late_policy().kind == "zero" and book.late_policy().zone == "+09:00"
        assert book.rows() == before  # grades untouched: a view, not a regrade


def test_naive_times_are_read_in_the_deadlines_zone_with_a_warning(tmp_path):
    times = tmp_path / "times.csv"
    times.write_text("trainee,submitted_at\nt01,2026-12-01 23:58\nt02,2026-12-02T00:30+09:00\nghost,2026-12-01 10:00\n",
                     encoding="utf-8")
    read = read_submission_times(times)
    update = PolicyUpdate("2026-12-01T23:59+09:00", "percent:10", None, read, str(times))
    policy, warnings = resolve_policy(update, None, "ja")
    assert policy.zone == "+09:00" and len(warnings) == 1
    assert "タイムゾーンのない提出時刻 2 件" in warnings[0] and "+09:00" in warnings[0] and "2 行目" in warnings[0]
    assert policy.days_late(policy.moment(read["t01"][0])) == 0  # 23:58 JST met a 23:59 JST deadline
    assert policy.days_late(policy.moment(read["t02"][0])) == 1
    tokyo, _ = resolve_policy(PolicyUpdate("2026-12-01T23:59", None, "Asia/Tokyo"), None, "en")
    assert tokyo.zone == "Asia/Tokyo" and tokyo.deadline == policy.deadline
    utc, said = resolve_policy(PolicyUpdate("2026-12-01T23:59"), None, "en")
    assert utc.deadline == policy.deadline + 9 * 3600 and "no time zone" in said[0]
    with pytest.raises(GraderError) as caught:
        resolve_policy(PolicyUpdate(timezone="Mars/Olympus"), None, "en")
    assert caught.value.key == "late_bad_timezone" and "Mars/Olympus" in caught.value.in_lang("ja")


def test_unknown_and_unlisted_names_in_the_times_file_are_warned_in_both_languages():
    times = {"t01": ("2026-12-01T10:00+09:00", 2), "ghost": ("2026-12-01T10:00+09:00", 3)}
    ja = times_warnings(times, {"t01", "t02"}, "ja")
    en = times_warnings(times, {"t01", "t02"}, "en")
    assert len(ja) == len(en) == 2
    assert "ghost" in ja[0] and "クラスにいない" in ja[0] and "t02" in ja[1] and "載っていない" in ja[1]
    assert "not in the class" in en[0] and "missing from" in en[1]


def test_times_in_the_gradebook_take_the_place_of_file_times(tmp_path):
    out = _book(tmp_path)
    times = {"t01": ("2020-01-01T00:00+00:00", 2), "t02": ("2099-01-01T00:00+00:00", 3)}
    with Gradebook(out) as book:
        warnings = record_run_options(book, None, "", PolicyUpdate(times=times, times_path="t.csv"), set(), "en")
        s = of_book(book)
    assert s.totals["t01"].penalty == 0 and s.cells["t02", "4_4"].penalty == 10.0  # 100 % after ten days
    assert any("t03" in w for w in warnings)  # a roster trainee missing from the file


# --- overrides -----------------------------------------------------------------------------

def test_a_check_override_changes_the_totals_and_is_flagged_when_the_notebook_changes(tmp_path):
    out = _book(tmp_path)
    with Gradebook(out) as book:
        said = set_override(book, "t01", "4_4", "col2im.overlap", 4, "checked by hand", "en")
        assert "t01 4_4 col2im.overlap" in said
        cell = of_book(book).cells["t01", "4_4"]
        assert (cell.raw, cell.score, cell.penalty, cell.final) == (5.0, 9.0, 0.9, 8.1)
        assert cell.overrides[0].previous == 0 and not cell.review and "override" in cell.flags
        book.record("t01", "sha-a44", _result("4_4", A44), submitted_at=DEADLINE + 3600)  # a regrade, same notebook
        assert of_book(book).cells["t01", "4_4"].final == 8.1
        book.record("t01", "sha-CHANGED", _result("4_4", A44), submitted_at=DEADLINE + 3600)
        cell = of_book(book).cells["t01", "4_4"]
        assert cell.final == 8.1 and cell.review and of_book(book).totals["t01"].review == ("4_4",)
        assert "t01 4_4" in clear_override(book, "t01", "4_4", "col2im.overlap", "en")
        assert of_book(book).cells["t01", "4_4"].final == 4.5


def test_an_exercise_override_sets_the_final_score_even_for_missing_work(tmp_path):
    out = _book(tmp_path)
    with Gradebook(out) as book:
        set_override(book, "t02", "4_3", None, 12, "sent by e-mail", "ja")
        set_override(book, "t01", "4_3", None, 13, "re-marked", "ja")
        s = of_book(book)
    assert s.cells["t02", "4_3"].missing and s.cells["t02", "4_3"].final == 12 and s.totals["t02"].final == 22
    assert (s.cells["t01", "4_3"].final, s.cells["t01", "4_3"].penalty) == (13, 0)  # no late penalty on top


@pytest.mark.parametrize("args, key", [
    (["nobody", "4_4", "col2im.overlap", "--points", "1"], "override_unknown_trainee"),
    (["t01", "9_9", "--points", "1"], "override_unknown_exercise"),
    (["t01", "4_4", "col2im.nothing", "--points", "1"], "override_unknown_check"),
    (["t01", "4_4", "col2im.overlap", "--points", "6"], "override_points_range"),
    (["t01", "4_4", "--points", "-1"], "override_points_range"),
    (["t02", "4_3", "pad.shape", "--points", "1"], "override_no_notebook"),
    (["t01", "4_4", "--clear"], "override_absent"),
])
def test_a_bad_override_exits_2_with_a_message_in_each_language(tmp_path, capsys, args, key):
    from grader.reports.messages import MESSAGES

    out = _book(tmp_path)
    for lang in ("ja", "en"):
        assert main(["override", str(out), *args, "--reason", "x", "--lang", lang]) == 2
        err = capsys.readouterr().err
        head = MESSAGES[key][lang].split("{")[0].strip() or MESSAGES[key][lang].split("}")[-1].strip()[:8]
        assert head[:6] in err, (lang, err)
    with Gradebook(out) as book:
        assert book.overrides() == []


def test_override_from_the_command_line(tmp_path, capsys):
    out = _book(tmp_path)
    assert main(["override", str(out), "t01", "4_4", "col2im.overlap", "--points", "5", "--reason", "ok",
                 "--lang", "en"]) == 0
    assert "override recorded" in capsys.readouterr().out
    assert main(["override", str(out), "t01", "4_4", "col2im.overlap", "--points", "5", "--lang", "en"]) == 2  # no reason
    with Gradebook(out) as book:
        [stored] = book.overrides()
    assert (stored["points"], stored["reason"], stored["sha256"], stored["previous"]) == (5, "ok", "sha-a44", 0)
    assert main(["override", str(tmp_path / "nowhere"), "t01", "4_4", "--points", "1", "--reason", "x"]) == 2
    assert not (tmp_path / "nowhere").exists()


# --- exports -------------------------------------------------------------------------------

def test_exports_carry_penalties_overrides_and_missing_zeros_figure_by_figure(tmp_path):
    out = _book(tmp_path)
    with Gradebook(out) as book:
        set_override(book, "t01", "4_4", "col2im.overlap", 4, "by hand", "en")
        s = of_book(book)
    plain = _csv(class_csv(s))
    assert plain[0] == ["trainee", "name", "section", "4_3", "4_4", "total", "max_total", "late_penalty", "missing",
                        "overrides", "review"]
    assert plain[1] == ["t01", "佐藤 花子", "A", "6.3", "8.1", "14.4", "23", "1.6", "", "1", ""]
    assert plain[2] == ["t02", "鈴木 一郎", "B", "0", "10", "10", "23", "0", "4_3", "0", ""]
    assert plain[3] == ["t03", "高橋 三郎", "A", "0", "0", "0", "23", "0", "4_3 4_4", "0", ""]
    assert plain[4] == ["x99", "x99", "", "0", "10", "10", "23", "0", "4_3", "0", ""]
    canvas = _csv(canvas_csv(s))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "DAY4 4_3", "DAY4 4_4"]
    assert canvas[1] == ["    Points Possible", "", "", "", "", "13", "10"]
    assert canvas[2:] == [["佐藤 花子", "", "SIS-001", "sato@example.jp", "A", "6.3", "8.1"],
                          ["鈴木 一郎", "", "t02", "suzuki@example.jp", "B", "0", "10"],  # no lms_id: the roster id
                          ["高橋 三郎", "", "SIS-003", "takahashi@example.jp", "A", "0", "0"]]  # no x99: not in the roster
    moodle = _csv(moodle_csv(s))
    assert moodle == [["ID number", "Email address", "Full name", "DAY4 4_3", "DAY4 4_4"],
                      ["SIS-001", "sato@example.jp", "佐藤 花子", "6.3", "8.1"],
                      ["t02", "suzuki@example.jp", "鈴木 一郎", "0", "10"],
                      ["SIS-003", "takahashi@example.jp", "高橋 三郎", "0", "0"]]
    data = json.loads(results_json(s))
    assert data["max_total"] == 23 and data["policy"]["kind"] == "percent"
    t01 = data["trainees"][0]
    assert t01["total"]["final"] == 14.4 and t01["exercises"][1]["overrides"][0]["reason"] == "by hand"
    assert t01["exercises"][1]["result"]["checks"][1]["id"] == "col2im.overlap"
    assert data["trainees"][2]["exercises"][0]["missing"] and data["trainees"][2]["exercises"][0]["result"] is None


def test_exports_neutralise_formulas_in_every_text_cell(tmp_path):
    out = tmp_path / "out"
    evil = Member("=cmd|' /C calc'!A0", "+SUM(1)", "@x", "-1+1", "\tsec")
    with Gradebook(out) as book:
        book.record(evil.id, "s", _result("4_4", FULL44))
        record_run_options(book, (evil,), "r.csv", None, {evil.id}, "en")
        s = of_book(book)
    for text in (class_csv(s), canvas_csv(s), moodle_csv(s)):
        for row in _csv(text)[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")) and (not cell.startswith("-") or float(cell) <= 0)
    assert _csv(canvas_csv(s))[2][:5] == ["'+SUM(1)", "", "'-1+1", "'@x", "'\tsec"]


def test_export_from_the_command_line_writes_every_format(tmp_path, capsys):
    out = _book(tmp_path)
    files = {k: tmp_path / f"e.{k}" for k in ("csv", "canvas", "moodle", "json")}
    assert main(["export", str(out), *(x for k, f in files.items() for x in (f"--{k}", str(f)))]) == 0
    assert all(f.read_text(encoding="utf-8") for f in files.values())
    assert _csv(files["moodle"].read_text(encoding="utf-8"))[1][0] == "SIS-001"
    assert main(["export", str(out)]) == 2  # nothing asked for
    assert "--moodle" in capsys.readouterr().err


# --- the whole workflow, in real kernels -----------------------------------------------------

SAMPLES = Path(__file__).resolve().parents[1] / "exercises" / "samples"
CLASS_ROSTER = ("id,name,email,lms_id,section\n"
                "t01_sato,佐藤 花子,sato@example.jp,SIS-001,A\n"
                "t02_suzuki,鈴木 一郎,suzuki@example.jp,,B\n"
                "t03_takahashi,高橋 三郎,takahashi@example.jp,SIS-003,A\n")  # t03 hands in nothing


def _grade(root: Path, out: Path, *extra: str) -> int:
    return main(["grade", str(root), "--out", str(out), "--exercises", "4_3,4_4", "--workers", "2", "--seed", "5",
                 "--lang", "ja", "--no-similarity", *extra])


def _graded_at(out: Path) -> dict:
    with Gradebook(out) as book:
        return {(r["trainee"], r["exercise"]): r["graded_at"] for r in book.rows()}


@pytest.mark.slow
def test_the_instructors_workflow_on_a_class_with_a_roster(tmp_path, capsys):
    root = tmp_path / "class"
    (root / "t01_sato").mkdir(parents=True)
    (root / "t02_suzuki").mkdir()
    for name in ("4_3_padding_reshape_transpose.ipynb", "4_4_im2col_col2im_trainee.ipynb"):
        shutil.copy(SAMPLES / "t01_sato" / name, root / "t01_sato" / name)
    shutil.copy(SAMPLES / "t02_suzuki" / "suzuki_4_4.ipynb", root / "t02_suzuki" / "suzuki_4_4.ipynb")  # no 4_3
    (tmp_path / "roster.csv").write_bytes(CLASS_ROSTER.encode("utf-8-sig"))
    (tmp_path / "times.csv").write_text("trainee,submitted_at\nt01_sato,2026-12-01 23:58\n"  # naive: read in +09:00
                                        "t02_suzuki,2026-12-03T10:00+09:00\nghost,2026-12-01T12:00+09:00\n",
                                        encoding="utf-8")
    out = tmp_path / "out"

    # 1. grade with a roster, a deadline and the times file, no penalty yet
    assert _grade(root, out, "--roster", str(tmp_path / "roster.csv"), "--deadline", "2026-12-01T23:59+09:00",
                  "--submission-times", str(tmp_path / "times.csv")) == 0
    err = capsys.readouterr().err
    assert "タイムゾーンのない提出時刻 1 件" in err and "+09:00" in err
    assert "ghost" in err and "t03_takahashi" in err  # not in the class / missing from the file
    expected = json.loads((SAMPLES / "expected_scores.json").read_text(encoding="utf-8"))["scores"]
    with Gradebook(out) as book:
        raw = {(r["trainee"], r["exercise"]): r["score"] for r in book.rows()}
        failed = next(c for c in json.loads(next(r for r in book.rows() if r["trainee"] == "t02_suzuki")["checks_json"])
                      if not c["passed"])
        s = of_book(book)
    assert raw == {k: expected[k[0]][k[1]] for k in raw} and len(raw) == 3
    assert s.trainees == ["t01_sato", "t02_suzuki", "t03_takahashi"] and s.max_total == 23
    assert s.totals["t02_suzuki"].missing == ("4_3",) and s.totals["t03_takahashi"].missing == ("4_3", "4_4")
    assert s.cells["t02_suzuki", "4_4"].days_late == 2 and s.totals["t02_suzuki"].penalty == 0  # policy none
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "t03_takahashi" in index
    t02 = raw["t02_suzuki", "4_4"]

    # 2. a new late policy on a rerun: nothing regraded, the penalties change
    before = _graded_at(out)
    assert _grade(root, out, "--late-policy", "percent:10") == 0
    assert _graded_at(out) == before
    with Gradebook(out) as book:
        s = of_book(book)
    assert s.cells["t02_suzuki", "4_4"].penalty == pytest.approx(0.2 * t02)  # two started days, 10 % each
    assert s.cells["t01_sato", "4_3"].penalty == 0  # 23:58 JST met the 23:59 JST deadline

    # 3. override the check t02 failed: its points, then the penalty on the corrected score
    assert main(["override", str(out), "t02_suzuki", "4_4", failed["id"], "--points", f"{failed['max_points']:g}",
                 "--reason", "手作業で確認", "--lang", "ja"]) == 0
    fixed = t02 - failed["points"] + failed["max_points"]
    t02_final = round(fixed * 0.8, 6)

    # 4. a rerun keeps it; a changed notebook is regraded and the override is flagged for review
    assert _grade(root, out) == 0 and _graded_at(out) == before
    notebook = root / "t02_suzuki" / "suzuki_4_4.ipynb"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "再提出"})
    notebook.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    assert _grade(root, out) == 0
    after = _graded_at(out)
    assert after[("t02_suzuki", "4_4")] != before[("t02_suzuki", "4_4")]
    assert {k: v for k, v in after.items() if k[0] == "t01_sato"} == {k: v for k, v in before.items() if k[0] == "t01_sato"}
    with Gradebook(out) as book:
        s = of_book(book)
    cell = s.cells["t02_suzuki", "4_4"]
    assert cell.review and cell.final == pytest.approx(t02_final) and s.totals["t02_suzuki"].review == ("4_4",)

    # 5. exports: every figure
    files = {k: tmp_path / f"export.{k}" for k in ("csv", "canvas", "moodle", "json")}
    assert main(["export", str(out), *(x for k, f in files.items() for x in (f"--{k}", str(f)))]) == 0
    t01 = raw["t01_sato", "4_3"] + raw["t01_sato", "4_4"]
    f02 = f"{t02_final:g}"
    plain = _csv(files["csv"].read_text(encoding="utf-8"))
    assert plain[1:] == [
        ["t01_sato", "佐藤 花子", "A", f"{raw['t01_sato', '4_3']:g}", f"{raw['t01_sato', '4_4']:g}", f"{t01:g}", "23", "0",
         "", "0", ""],
        ["t02_suzuki", "鈴木 一郎", "B", "0", f02, f02, "23", f"{fixed - t02_final:g}", "4_3", "1", "4_4"],
        ["t03_takahashi", "高橋 三郎", "A", "0", "0", "0", "23", "0", "4_3 4_4", "0", ""]]
    canvas = _csv(files["canvas"].read_text(encoding="utf-8"))
    assert canvas[1][5:] == ["13", "10"]
    assert [r[2] for r in canvas[2:]] == ["SIS-001", "t02_suzuki", "SIS-003"]
    assert [r[5:] for r in canvas[2:]] == [[f"{raw['t01_sato', '4_3']:g}", f"{raw['t01_sato', '4_4']:g}"], ["0", f02],
                                          ["0", "0"]]
    moodle = _csv(files["moodle"].read_text(encoding="utf-8"))
    assert [(r[0], r[1], r[3], r[4]) for r in moodle[1:]] == [
        ("SIS-001", "sato@example.jp", f"{raw['t01_sato', '4_3']:g}", f"{raw['t01_sato', '4_4']:g}"),
        ("t02_suzuki", "suzuki@example.jp", "0", f02), ("SIS-003", "takahashi@example.jp", "0", "0")]
    data = json.loads(files["json"].read_text(encoding="utf-8"))
    assert [t["total"]["final"] for t in data["trainees"]] == [t01, pytest.approx(t02_final), 0]


def test_a_submission_named_in_nfd_matches_its_roster_id_and_reports_use_the_standing(tmp_path):
    import unicodedata

    from grader.reports.class_report import summary_data, write_reports

    nfc = "ジョン"
    out = tmp_path / "out"
    with Gradebook(out) as book:
        book.record(unicodedata.normalize("NFD", nfc), "s", _result("4_4", A44))  # a zip made on macOS
        record_run_options(book, (Member(nfc, "ジョン・スミス"), Member("t03", "高橋")), "r.csv", None, set(), "en")
        s = of_book(book)
        data = summary_data(book.rows(), book.problems(), "ja", standing=s)
        write_reports(book, out, "ja")
    assert s.trainees == [nfc, "t03"] and not s.problems and s.cells[nfc, "4_4"].final == 5
    assert data["totals"] == {nfc: (5.0, 10.0), "t03": (0.0, 10.0)} and list(data["cells"]) == [(nfc, "4_4")]
    dump = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [(d["trainee"], d["standing"]["final"]) for d in dump] == [(nfc, 5.0)]
