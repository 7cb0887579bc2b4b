"""The HTML reports in a real headless browser (Debian's chromium; fonts-noto-cjk for
Japanese): they load offline without console errors and render a non-blank page."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from grader.classroom.batch import BatchOptions, grade_class
from grader.reports.class_report import trainee_file
from nbfactory import make_notebook
from pngcheck import png_stats
from test_grader_4_4 import COL2IM, IM2COL

# under pytest-xdist the module runs on one worker: `reports` grades a class, `class_pages` writes pages
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,900"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    if CHROMIUM is None:  # .ci/run installs chromium; a developer machine may not have it
        pytest.fail("chromium is not installed: apt-get install chromium fonts-noto-cjk")
    root = tmp_path_factory.mktemp("class")
    make_notebook(root / "alice_4_4.ipynb", [IM2COL, COL2IM])
    make_notebook(root / "bob_4_4.ipynb", [IM2COL, COL2IM.replace("+=", "="), "1/0"])
    out = tmp_path_factory.mktemp("out")
    grade_class(root, out, BatchOptions(workers=2, seed=1, exercises=("4_4",), lang="ja", progress=False))
    return out


def _render(page: Path, tmp_path: Path) -> tuple[dict, str, str]:
    """One chromium run: the page's screenshot statistics, its log and its DOM once rendered."""
    shot = tmp_path / "shot.png"
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           f"--screenshot={shot}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.exists(), proc.stderr[-2000:]
    return png_stats(shot.read_bytes()), proc.stderr, proc.stdout


@pytest.mark.parametrize("page", ["index.html", f"trainees/{trainee_file('bob')}"])
def test_report_renders_without_console_errors(reports, tmp_path, page):
    stats, log, dom = _render(reports / page, tmp_path)
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    assert stats["width"] == 1200 and stats["colours"] > 8
    assert 0.001 < stats["dark_fraction"] < 0.5  # text was drawn, the page is not all dark
    if page.startswith("trainees/"):  # Japanese text is in the DOM chromium rendered
        assert "採点レポート" in dom and "col2im.overlap" in dom and "不合格" in dom
    else:
        assert "クラス" in dom and "bob" in dom


# --- issue 14: the class summary, trainee reports and feedback pages, in Japanese and English ---
# built in process (real checks and diagnoses, no kernel) from a roster of Japanese names with
# one trainee absent and one exercise missing (tests/test_feedback.py's class)


@pytest.fixture(scope="module")
def class_pages(tmp_path_factory):
    from grader.reports.class_report import write_reports
    from grader.reports.feedback import write_feedback
    from grader.classroom.gradebook import Gradebook
    from test_feedback import ROSTER, WORK, _result

    if CHROMIUM is None:
        pytest.fail("chromium is not installed: apt-get install chromium fonts-noto-cjk")
    root = tmp_path_factory.mktemp("pages")
    for lang in ("ja", "en"):
        out = root / lang
        with Gradebook(out) as book:
            book.set_roster(ROSTER, "roster.csv")
            for trainee, work in WORK.items():
                for exercise, defect in work.items():
                    book.record(trainee, f"sha-{trainee}-{exercise}", _result(trainee, exercise, defect))
            write_reports(book, out, lang)
        write_feedback(out, root / f"feedback-{lang}", lang)
    return root


PAGES = {"summary": "{lang}/index.html", "trainee": "{lang}/trainees/" + trainee_file("t02"),
         "absent": "{lang}/trainees/" + trainee_file("t04"), "feedback": "feedback-{lang}/t02.html"}
WORDS = {"ja": {"summary": "クラスの採点結果", "trainee": "課題ごとのまとめ", "absent": "未提出", "feedback": "採点結果のフィードバック"},
         "en": {"summary": "Class results", "trainee": "per exercise", "absent": "missing", "feedback": "Feedback on your work"}}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("kind", sorted(PAGES))
def test_new_pages_render_in_both_languages(class_pages, tmp_path, kind, lang):
    page = class_pages / PAGES[kind].format(lang=lang)
    stats, log, dom = _render(page, tmp_path)
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line or "Refused" in line]
    assert console == []  # a figure the CSP refused would be logged here
    assert stats["width"] == 1200 and stats["colours"] > 8
    assert 0.001 < stats["dark_fraction"] < 0.5
    assert WORDS[lang][kind] in dom
    assert "佐藤 花子" in dom or kind in ("summary", "absent")  # Japanese names drawn in either language
    if kind == "summary":
        assert dom.count('<img src="data:image/svg+xml;base64,') == 3  # totals, 4_1, 4_2
        assert "<details" in dom and "山田 太郎" in dom


def test_figures_are_svg_with_axes_labels_and_bin_edges():
    import base64
    import re

    from grader.reports.messages import text
    from grader.reports.presentation import bin_edges, histogram_uri

    uri = histogram_uri([3, 7, 7, 12], bin_edges(12), text("score", "en"), text("plot_count", "en"), "4_1")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert svg.startswith("<?xml") and "<svg" in svg and "<script" not in svg
    # matplotlib writes each tick label as a text element with the tick's value as its comment
    assert all(f"<!-- {edge} -->" in svg for edge in ("0", "6", "12"))
    assert re.search(r"<!-- score -->", svg) and re.search(r"<!-- trainees -->", svg)
    assert bin_edges(80) == [8.0 * i for i in range(11)] and bin_edges(12)[-1] == 12.0


def test_training_curves_are_figures_with_axes():
    import base64

    from grader.reports.presentation import curve_uri

    uri = curve_uri("train_loss_list", [2.3, 1.1, None, 0.6, float("nan"), 0.4], "ja")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "<!-- train_loss_list -->" in svg and "<!-- 記録の番号 -->" in svg and "<!-- 値 -->" in svg
    assert curve_uri("x", [1.0, None], "en") is None  # fewer than two points: no figure
    from grader.reports.class_report import _curves
    from grader.grading.results import CheckResult, GradingResult

    check = CheckResult("network.trained_accuracy", True, 1, 1, "ok",
                        details={"curves": {"train_loss_list": [2.3, 1.0, 0.5], "train_acc_list": [0.1, 0.8, 0.9],
                                            "test_acc_list": [None]}})
    [figure] = _curves(GradingResult("4_7", "n.ipynb", (check,)), "en")
    both = base64.b64decode(figure["uri"].split(",", 1)[1]).decode()
    assert "<!-- train_loss_list -->" in both and "<!-- train_acc_list -->" in both and "test_acc_list" not in both
